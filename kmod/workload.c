// SPDX-License-Identifier: GPL-2.0
/*
 * HOSTACCT_CMD_WORKLOAD_GET: one workload (do) or all of them (dump).
 *
 * A request first collects the host's containers (classify.c), then walks
 * all thread groups once in tgid order. Native processes and VMMs are
 * emitted as they are met; kernel threads and container members are added
 * to their workload's accumulator and emitted after the walk, containers
 * in cgroup id order, then the kernel row. The dump resumes from the tgid
 * cursor (or the container index) when a message does not fit, so any
 * number of tasks streams in bounded messages and every workload appears
 * at most once. The do request runs the same code into one message, so do
 * and dump always agree.
 *
 * The request state lives from the first dumpit call to .done; it holds
 * references on the container cgroups and on the cgroup of a cgroup
 * filter. RCU is dropped every HOSTACCT_WALK_BATCH thread groups and
 * between dump messages.
 */

#include <linux/cgroup.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "hostacct.h"

#define HOSTACCT_PATH_MAX	1024

enum hostacct_phase {
	HOSTACCT_PHASE_PROCS,
	HOSTACCT_PHASE_CTRS,
	HOSTACCT_PHASE_KERNEL,
	HOSTACCT_PHASE_DONE,
};

/**
 * struct hostacct_req - one WORKLOAD_GET request (do, or a whole dump)
 * @class_mask: classes to report, 1 << enum hostacct_class
 * @tgid_min: lowest tgid of a native or KVM workload to report
 * @tgid_max: highest one
 * @ctr_id: report only this container (0: any)
 * @cgrp_filter: report only workloads in this subtree (referenced), or NULL
 * @ctrs: the host's containers, collected at the start
 * @kernel: kernel threads' accumulator
 * @kernel_pid: lowest kernel thread pid seen
 * @phase: where the walk is
 * @cursor: next tgid to visit
 * @ctr_cursor: next container to emit
 * @is_kvm: file_is_kvm() during one step, NULL outside steps
 * @portid: netlink port of the requester
 * @seq: sequence number of the request
 * @nlflags: flags of the messages (NLM_F_MULTI in dumps)
 * @emitted: messages emitted so far
 * @totals: sum per class instead of emitting (HOST_GET), or NULL
 * @path: buffer for cgroup paths
 */
struct hostacct_req {
	u32 class_mask;
	pid_t tgid_min;
	pid_t tgid_max;
	u64 ctr_id;
	struct cgroup *cgrp_filter;
	struct hostacct_ctrs ctrs;
	struct hostacct_usage kernel;
	pid_t kernel_pid;
	enum hostacct_phase phase;
	pid_t cursor;
	unsigned int ctr_cursor;
	hostacct_file_is_kvm_t is_kvm;
	u32 portid;
	u32 seq;
	int nlflags;
	unsigned int emitted;
	struct hostacct_class_total *totals;
	char path[HOSTACCT_PATH_MAX];
};

/* What one thread group is, found under RCU. */
struct hostacct_visit {
	u32 class;
	struct cgroup *cgrp;
	struct hostacct_ctr *ctr;
	struct hostacct_usage u;
};

static bool hostacct_class_wanted(const struct hostacct_req *r, u32 class)
{
	return r->class_mask & BIT(class);
}

static bool hostacct_cgroup_wanted(const struct hostacct_req *r,
				   struct cgroup *cgrp)
{
	return !r->cgrp_filter || cgroup_is_descendant(cgrp, r->cgrp_filter);
}

static bool hostacct_ctr_wanted(const struct hostacct_req *r,
				const struct hostacct_ctr *c)
{
	return hostacct_class_wanted(r, HOSTACCT_CLASS_CONTAINER) &&
	       (!r->ctr_id || r->ctr_id == c->id) &&
	       hostacct_cgroup_wanted(r, c->cgrp);
}

static bool hostacct_visit_wanted(const struct hostacct_req *r,
				  const struct hostacct_visit *v, pid_t tgid)
{
	switch (v->class) {
	case HOSTACCT_CLASS_KERNEL:
		return hostacct_class_wanted(r, v->class) &&
		       (!r->cgrp_filter || !cgroup_parent(r->cgrp_filter));
	case HOSTACCT_CLASS_CONTAINER:
		return hostacct_ctr_wanted(r, v->ctr);
	default:
		return hostacct_class_wanted(r, v->class) &&
		       tgid >= r->tgid_min && tgid <= r->tgid_max &&
		       hostacct_cgroup_wanted(r, v->cgrp);
	}
}

struct hostacct_visit_mm_arg {
	struct hostacct_req *r;
	struct hostacct_visit *v;
	struct task_struct *p;
	bool wanted;
};

/* Context: rcu_read_lock() and task_lock(@mt) held. */
static void hostacct_visit_mm(struct task_struct *mt, void *data)
{
	struct hostacct_visit_mm_arg *a = data;

	if (hostacct_kvm_is_vmm(mt, a->r->is_kvm)) {
		a->v->class = HOSTACCT_CLASS_KVM;
		/* keep its class when it exits (exit.c) */
		hostacct_exit_note_vmm(a->p);
	}
	a->wanted = hostacct_visit_wanted(a->r, a->v, task_tgid_nr(a->p));
	if (a->wanted)
		hostacct_usage_add_mm(&a->v->u, a->p, mt->mm);
}

/*
 * Classify thread group @p and, if the request wants it, measure it.
 * Context: rcu_read_lock() held.
 * Return: whether the request wants it.
 */
static bool hostacct_visit(struct hostacct_req *r, struct task_struct *p,
			   struct hostacct_visit *v)
{
	struct hostacct_visit_mm_arg a = { .r = r, .v = v, .p = p };

	hostacct_usage_init(&v->u);
	v->ctr = NULL;
	v->cgrp = NULL;

	if (p->flags & PF_KTHREAD) {
		v->class = HOSTACCT_CLASS_KERNEL;
		a.wanted = hostacct_visit_wanted(r, v, task_tgid_nr(p));
	} else {
		v->cgrp = task_dfl_cgroup(p);
		v->ctr = hostacct_ctrs_lookup(&r->ctrs, v->cgrp);
		v->class = v->ctr ? HOSTACCT_CLASS_CONTAINER : HOSTACCT_CLASS_NATIVE;
		/* No thread has an mm: an exited process, not yet reaped. */
		if (!hostacct_with_task_mm(p, hostacct_visit_mm, &a))
			a.wanted = hostacct_visit_wanted(r, v, task_tgid_nr(p));
	}

	if (a.wanted)
		hostacct_usage_add_cpu(&v->u, p);
	return a.wanted;
}

static int hostacct_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, HOSTACCT_A_WORKLOAD_PAD);
}

static int hostacct_fill_usage(struct sk_buff *skb,
			       const struct hostacct_usage *u)
{
	u64 user, system, guest;

	hostacct_usage_split(u, &user, &system, &guest);

	if (nla_put_u32(skb, HOSTACCT_A_WORKLOAD_NR_PROCS, u->nr_procs) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_NR_THREADS, u->nr_threads) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_START_TIME_NS,
			     u->start_ns) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_NS, u->cpu_ns) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_USER_NS, user) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS, system) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_GUEST_NS, guest) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES,
			     u->rss_anon) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES,
			     u->rss_file) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES,
			     u->rss_shmem) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES, u->swap))
		return -EMSGSIZE;
	return 0;
}

static void *hostacct_msg_start(struct hostacct_req *r, struct sk_buff *skb,
				u32 class, u64 id)
{
	void *hdr;

	hdr = genlmsg_put(skb, r->portid, r->seq, &hostacct_nl_family,
			  r->nlflags, HOSTACCT_CMD_WORKLOAD_GET);
	if (!hdr)
		return NULL;
	if (nla_put_u32(skb, HOSTACCT_A_WORKLOAD_CLASS, class) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_ID, id)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

static void hostacct_msg_end(struct hostacct_req *r, struct sk_buff *skb,
			     void *hdr)
{
	genlmsg_end(skb, hdr);
	r->emitted++;
}

/* A native process or a VMM. Context: rcu_read_lock() held. */
static int hostacct_fill_proc(struct hostacct_req *r, struct sk_buff *skb,
			      struct task_struct *p, struct hostacct_visit *v,
			      bool with_vcpus)
{
	char comm[TASK_COMM_LEN];
	pid_t tgid = task_tgid_nr(p);
	void *hdr;

	hdr = hostacct_msg_start(r, skb, v->class, tgid);
	if (!hdr)
		return -EMSGSIZE;

	get_task_comm(comm, p);
	if (nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, comm) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID, tgid) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CGROUP_ID,
			     cgroup_id(v->cgrp)) ||
	    (v->ctr && hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CONTAINER_ID,
					v->ctr->id)) ||
	    hostacct_fill_usage(skb, &v->u))
		goto cancel;

	if (v->class == HOSTACCT_CLASS_KVM) {
		if (hostacct_cgroup_path(v->cgrp, r->path, sizeof(r->path)) >= 0 &&
		    nla_put_string(skb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, r->path))
			goto cancel;
		if (hostacct_kvm_fill(skb, p, r->is_kvm, v->u.cpu_ns, with_vcpus))
			goto cancel;
	}

	hostacct_msg_end(r, skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static void hostacct_total_add(struct hostacct_class_total *t,
			       const struct hostacct_usage *u)
{
	t->cpu_ns += u->cpu_ns;
	t->nr_procs += u->nr_procs;
	t->nr_threads += u->nr_threads;
	t->nr_workloads++;
}

/*
 * Visit one thread group. Context: rcu_read_lock() held.
 * Return: 0, or -EMSGSIZE when its message does not fit (nothing of it
 * has been recorded then, so it can be visited again).
 */
static int hostacct_proc(struct hostacct_req *r, struct sk_buff *skb,
			 struct task_struct *p)
{
	struct hostacct_visit v;
	bool empty;
	int err;

	if (!hostacct_visit(r, p, &v))
		return 0;

	switch (v.class) {
	case HOSTACCT_CLASS_KERNEL:
		if (!r->kernel.nr_procs)
			r->kernel_pid = task_tgid_nr(p);
		hostacct_usage_merge(&r->kernel, &v.u);
		return 0;
	case HOSTACCT_CLASS_CONTAINER:
		hostacct_usage_merge(&v.ctr->usage, &v.u);
		return 0;
	}

	if (r->totals) {
		hostacct_total_add(&r->totals[v.class], &v.u);
		return 0;
	}
	empty = !skb->len;
	err = hostacct_fill_proc(r, skb, p, &v, true);
	/* A VMM with more vCPUs than fit in one message: totals only. */
	if (err && empty && v.class == HOSTACCT_CLASS_KVM)
		err = hostacct_fill_proc(r, skb, p, &v, false);
	return err;
}

static int hostacct_step_procs(struct hostacct_req *r, struct sk_buff *skb)
{
	for (;;) {
		unsigned int n;
		int err = 0;

		rcu_read_lock();
		for (n = 0; n < HOSTACCT_WALK_BATCH; n++) {
			struct task_struct *p = hostacct_next_tgid(&r->cursor);

			if (!p || r->cursor > r->tgid_max) {
				r->phase = HOSTACCT_PHASE_CTRS;
				break;
			}
			err = hostacct_proc(r, skb, p);
			if (err)
				break;
			r->cursor++;
		}
		rcu_read_unlock();

		if (err || r->phase != HOSTACCT_PHASE_PROCS)
			return err;
		cond_resched();
	}
}

static int hostacct_fill_ctr(struct hostacct_req *r, struct sk_buff *skb,
			     struct hostacct_ctr *c)
{
	struct hostacct_usage *u = &c->usage;
	u64 mem;
	void *hdr;

	if (hostacct_cgroup_path(c->cgrp, r->path, sizeof(r->path)) < 0 &&
	    !r->path[0])
		return -ENAMETOOLONG;

	hdr = hostacct_msg_start(r, skb, HOSTACCT_CLASS_CONTAINER, c->id);
	if (!hdr)
		return -EMSGSIZE;

	/* Members reaped since the module was loaded still count. */
	if (!c->residue_added) {
		u->cpu_ns += hostacct_exit_ctr_cpu(c->id);
		c->residue_added = true;
	}

	if (nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, r->path) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID,
			c->init_pid ?: u->oldest_tgid) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CGROUP_ID, c->id) ||
	    nla_put_string(skb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, r->path) ||
	    hostacct_fill_usage(skb, u) ||
	    (hostacct_cgroup_memory(c->cgrp, &mem) &&
	     hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES, mem))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}

	hostacct_msg_end(r, skb, hdr);
	return 0;
}

static int hostacct_step_ctrs(struct hostacct_req *r, struct sk_buff *skb)
{
	for (; r->ctr_cursor < r->ctrs.nr; r->ctr_cursor++) {
		struct hostacct_ctr *c = &r->ctrs.v[r->ctr_cursor];
		int err;

		/* A container whose tasks all left after the start: gone. */
		if (!c->usage.nr_procs || !hostacct_ctr_wanted(r, c))
			continue;
		if (r->totals) {
			hostacct_total_add(&r->totals[HOSTACCT_CLASS_CONTAINER],
					   &c->usage);
			continue;
		}
		err = hostacct_fill_ctr(r, skb, c);
		if (err)
			return err;
	}
	r->phase = HOSTACCT_PHASE_KERNEL;
	return 0;
}

static int hostacct_step_kernel(struct hostacct_req *r, struct sk_buff *skb)
{
	void *hdr;

	if (r->totals) {
		if (r->kernel.nr_procs)
			hostacct_total_add(&r->totals[HOSTACCT_CLASS_KERNEL],
					   &r->kernel);
	} else if (r->kernel.nr_procs) {
		hdr = hostacct_msg_start(r, skb, HOSTACCT_CLASS_KERNEL, 0);
		if (!hdr)
			return -EMSGSIZE;
		if (nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, "kernel") ||
		    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID,
				r->kernel_pid) ||
		    hostacct_fill_usage(skb, &r->kernel)) {
			genlmsg_cancel(skb, hdr);
			return -EMSGSIZE;
		}
		hostacct_msg_end(r, skb, hdr);
	}
	r->phase = HOSTACCT_PHASE_DONE;
	return 0;
}

/*
 * Fill @skb with as many workloads as fit.
 * Return: 0 when the request is complete, -EMSGSIZE when @skb is full,
 * another -errno on failure.
 */
static int hostacct_req_run(struct hostacct_req *r, struct sk_buff *skb)
{
	int err = 0;

	r->is_kvm = hostacct_kvm_get();
	while (!err && r->phase != HOSTACCT_PHASE_DONE) {
		switch (r->phase) {
		case HOSTACCT_PHASE_PROCS:
			err = hostacct_step_procs(r, skb);
			break;
		case HOSTACCT_PHASE_CTRS:
			err = hostacct_step_ctrs(r, skb);
			break;
		case HOSTACCT_PHASE_KERNEL:
			err = hostacct_step_kernel(r, skb);
			break;
		case HOSTACCT_PHASE_DONE:
			break;
		}
	}
	hostacct_kvm_put(r->is_kvm);
	r->is_kvm = NULL;
	return err;
}

static void hostacct_req_free(struct hostacct_req *r)
{
	if (!r)
		return;
	hostacct_ctrs_release(&r->ctrs);
	if (r->cgrp_filter)
		cgroup_put(r->cgrp_filter);
	kfree(r);
	hostacct_mem_charge(-(s64)sizeof(*r));
}

/* Narrow the request to the workload that contains @nr. */
static int hostacct_req_target_pid(struct hostacct_req *r, pid_t nr,
				   struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	struct hostacct_visit v;
	struct task_struct *p;
	struct pid *pid;
	int err = 0;

	r->is_kvm = hostacct_kvm_get();
	rcu_read_lock();
	pid = find_pid_ns(nr, &init_pid_ns);
	p = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
	if (p) {
		u32 mask = r->class_mask;

		/* Classify only: a mask of no class measures nothing. */
		p = p->group_leader;
		r->class_mask = 0;
		hostacct_visit(r, p, &v);
		r->class_mask = mask & BIT(v.class);
		if (v.class == HOSTACCT_CLASS_CONTAINER) {
			r->ctr_id = v.ctr->id;
		} else if (v.class != HOSTACCT_CLASS_KERNEL) {
			r->tgid_min = task_tgid_nr(p);
			r->tgid_max = r->tgid_min;
		}
	} else {
		NL_SET_ERR_MSG_ATTR(extack, attr, "hostacct: no process with this pid");
		err = -ENOENT;
	}
	rcu_read_unlock();
	hostacct_kvm_put(r->is_kvm);
	r->is_kvm = NULL;
	return err;
}

/* Select the workload a do request names by class and id. */
static int hostacct_req_target(struct hostacct_req *r, struct nlattr **tb,
			       struct netlink_ext_ack *extack)
{
	u32 class = nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CLASS]);
	u64 id = nla_get_u64(tb[HOSTACCT_A_WORKLOAD_ID]);

	r->class_mask = BIT(class);
	switch (class) {
	case HOSTACCT_CLASS_KERNEL:
		if (id)
			goto noent;
		return 0;
	case HOSTACCT_CLASS_CONTAINER:
		if (!hostacct_ctrs_find(&r->ctrs, id))
			goto noent;
		r->ctr_id = id;
		return 0;
	default:
		if (!id || id > PID_MAX_LIMIT)
			goto noent;
		r->tgid_min = id;
		r->tgid_max = id;
		return 0;
	}

noent:
	NL_SET_ERR_MSG_ATTR(extack, tb[HOSTACCT_A_WORKLOAD_ID],
			    "hostacct: no workload of this class with this id");
	return -ENOENT;
}

static const u32 hostacct_dump_only[] = {
	HOSTACCT_A_WORKLOAD_CLASS_MASK,
	HOSTACCT_A_WORKLOAD_PID,
	HOSTACCT_A_WORKLOAD_CGROUP_ID,
};

static int hostacct_req_check(struct nlattr **tb, bool dump,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *bad;
	unsigned int i;

	if (dump) {
		bad = tb[HOSTACCT_A_WORKLOAD_CLASS] ?: tb[HOSTACCT_A_WORKLOAD_ID];
		if (bad) {
			NL_SET_ERR_MSG_ATTR(extack, bad,
					    "hostacct: class and id select one workload in a do request; filter dumps with class-mask");
			return -EINVAL;
		}
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(hostacct_dump_only); i++) {
		if (tb[hostacct_dump_only[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[hostacct_dump_only[i]],
					    "hostacct: this attribute filters dumps only");
			return -EINVAL;
		}
	}
	if (!tb[HOSTACCT_A_WORKLOAD_CLASS]) {
		NL_SET_ERR_ATTR_MISS(extack, NULL, HOSTACCT_A_WORKLOAD_CLASS);
		NL_SET_ERR_MSG(extack, "hostacct: missing attribute: class");
		return -EINVAL;
	}
	if (!tb[HOSTACCT_A_WORKLOAD_ID]) {
		NL_SET_ERR_ATTR_MISS(extack, NULL, HOSTACCT_A_WORKLOAD_ID);
		NL_SET_ERR_MSG(extack, "hostacct: missing attribute: id");
		return -EINVAL;
	}
	return 0;
}

static struct hostacct_req *hostacct_req_alloc(void)
{
	struct hostacct_req *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return NULL;
	hostacct_mem_charge(sizeof(*r));
	r->class_mask = GENMASK(HOSTACCT_CLASS_MAX, HOSTACCT_CLASS_KERNEL);
	r->tgid_min = 1;
	r->tgid_max = PID_MAX_LIMIT;
	r->cursor = 1;
	r->phase = HOSTACCT_PHASE_PROCS;
	return r;
}

/**
 * hostacct_class_totals - what each class's live thread groups used
 * @t: array of HOSTACCT_CLASS_MAX + 1 entries, zeroed, indexed by class
 *
 * The same walk and classification as a WORKLOAD_GET dump, summed.
 * Context: process context, may sleep.
 * Return: 0 or -errno.
 */
int hostacct_class_totals(struct hostacct_class_total *t)
{
	struct hostacct_req *r = hostacct_req_alloc();
	int err;

	if (!r)
		return -ENOMEM;
	r->totals = t;
	err = hostacct_ctrs_collect(&r->ctrs);
	if (!err)
		err = hostacct_req_run(r, NULL);
	hostacct_req_free(r);
	return err;
}

static struct hostacct_req *hostacct_req_new(struct nlattr **tb, bool dump,
					     struct netlink_ext_ack *extack)
{
	struct hostacct_req *r;
	int err;

	err = hostacct_req_check(tb, dump, extack);
	if (err)
		return ERR_PTR(err);

	r = hostacct_req_alloc();
	if (!r)
		return ERR_PTR(-ENOMEM);

	if (tb[HOSTACCT_A_WORKLOAD_CLASS_MASK])
		r->class_mask = nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CLASS_MASK]);

	if (tb[HOSTACCT_A_WORKLOAD_CGROUP_ID]) {
		struct cgroup *cgrp;

		cgrp = cgroup_get_from_id(nla_get_u64(tb[HOSTACCT_A_WORKLOAD_CGROUP_ID]));
		if (IS_ERR(cgrp)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[HOSTACCT_A_WORKLOAD_CGROUP_ID],
					    "hostacct: no cgroup with this id");
			err = -ENOENT;
			goto err;
		}
		r->cgrp_filter = cgrp;
	}

	err = hostacct_ctrs_collect(&r->ctrs);
	if (err)
		goto err;

	if (!dump)
		err = hostacct_req_target(r, tb, extack);
	else if (tb[HOSTACCT_A_WORKLOAD_PID])
		err = hostacct_req_target_pid(r, nla_get_u32(tb[HOSTACCT_A_WORKLOAD_PID]),
					      tb[HOSTACCT_A_WORKLOAD_PID], extack);
	if (err)
		goto err;

	/* The tgid range only narrows native and KVM workloads. */
	if (r->tgid_min == r->tgid_max)
		r->cursor = r->tgid_min;
	return r;

err:
	hostacct_req_free(r);
	return ERR_PTR(err);
}

int hostacct_workload_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct hostacct_req *r;
	struct sk_buff *msg;
	int err;

	err = hostacct_nl_check_perm(skb, info->extack);
	if (err)
		return err;

	r = hostacct_req_new(info->attrs, false, info->extack);
	if (IS_ERR(r))
		return PTR_ERR(r);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	r->portid = info->snd_portid;
	r->seq = info->snd_seq;

	err = hostacct_req_run(r, msg);
	if (!err && !r->emitted) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HOSTACCT_A_WORKLOAD_ID],
				    "hostacct: no workload of this class with this id");
		err = -ENOENT;
	}
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	err = genlmsg_reply(msg, info);
out:
	hostacct_req_free(r);
	return err;
}

struct hostacct_dump_ctx {
	struct hostacct_req *req;
};

static struct hostacct_dump_ctx *hostacct_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct hostacct_dump_ctx) > sizeof(cb->ctx));
	return (struct hostacct_dump_ctx *)cb->ctx;
}

/*
 * The request is set up by the first dumpit call rather than by .start:
 * 6.1 drops extack messages set in .start, while errors returned by
 * dumpit reach user space with their message in NLMSG_DONE on every
 * supported kernel.
 */
int hostacct_workload_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct hostacct_dump_ctx *ctx = hostacct_dump_ctx(cb);
	struct hostacct_req *r = ctx->req;
	int err;

	if (!r) {
		err = hostacct_nl_check_perm(cb->skb, cb->extack);
		if (err)
			return err;
		r = hostacct_req_new(hostacct_dump_attrs(cb), true, cb->extack);
		if (IS_ERR(r))
			return PTR_ERR(r);
		ctx->req = r;
	}

	r->portid = NETLINK_CB(cb->skb).portid;
	r->seq = cb->nlh->nlmsg_seq;
	r->nlflags = NLM_F_MULTI;

	err = hostacct_req_run(r, skb);
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

int hostacct_workload_get_done(struct netlink_callback *cb)
{
	hostacct_req_free(hostacct_dump_ctx(cb)->req);
	hostacct_dump_ctx(cb)->req = NULL;
	return 0;
}
