// SPDX-License-Identifier: GPL-2.0
/*
 * HOSTACCT_CMD_WORKLOAD_GET: one workload (do) or all of them (dump).
 *
 * parse: the request's attributes become a filter (class mask, one
 * container, a cgroup subtree, a tgid range) or one target (do).
 * prepare + fill: one walk over the thread groups in tgid order (walk.c).
 * The visitor classifies each thread group (classify.c), charges what it
 * used to its class (ledger.c), and then either encodes it at once (a
 * native process or a VMM) or adds it to its container's or the kernel's
 * accumulator. After the walk, the containers are encoded in cgroup id
 * order, then the kernel row. A dump resumes from the tgid cursor (or the
 * container index) when a message does not fit, so any number of tasks
 * streams in bounded messages, and every workload appears at most once.
 * The do request runs the same code into one message, so do and dump
 * always agree.
 *
 * The request lives from the first dumpit call to .done; it holds
 * references on the cgroups of the containers it met and of a cgroup
 * filter.
 */

#include <linux/cgroup.h>
#include <linux/hash.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "compat.h"
#include "hostacct.h"

/* cgroupfs paths are used through PATH_MAX buffers; one longer is not sent */
#define HOSTACCT_PATH_MAX	PATH_MAX

enum hostacct_phase {
	HOSTACCT_PHASE_PROCS,
	HOSTACCT_PHASE_CTRS,
	HOSTACCT_PHASE_KERNEL,
	HOSTACCT_PHASE_DONE,
};

/**
 * struct hostacct_ctr - a container met by one request
 * @id: cgroup id of its top cgroup
 * @cgrp: that cgroup, referenced until the request ends
 * @init_pid: tgid of its pid namespace's init, 0 if not met
 * @usage: what its members used
 */
struct hostacct_ctr {
	u64 id;
	struct cgroup *cgrp;
	pid_t init_pid;
	struct hostacct_usage usage;
};

/**
 * struct hostacct_req - one WORKLOAD_GET request (do, or a whole dump)
 * @walk: the walk over thread groups; its cursor is the dump's resume point
 * @cl: classification state
 * @pool: ledger entries for the walk
 * @class_mask: classes to report, 1 << enum hostacct_class
 * @ctr_id: report only this container (0: any)
 * @cgrp_filter: report only workloads in this subtree (referenced), or NULL
 * @exact_mem: exact RSS counters (HOSTACCT_A_WORKLOAD_EXACT_MEM)
 * @ctrs: the containers met, in the order met until the walk ends, then
 *	sorted by id
 * @nr_ctrs: entries in @ctrs
 * @cap_ctrs: room in @ctrs
 * @slots: open-addressing index of @ctrs by id (index + 1; 0: free)
 * @slot_bits: log2 of the number of @slots
 * @kernel: kernel threads' accumulator
 * @kernel_pid: lowest kernel thread pid seen
 * @phase: where the request is
 * @ctr_cursor: next container to emit
 * @skb: the message being filled, during a step
 * @portid: netlink port of the requester
 * @seq: sequence number of the request
 * @nlflags: flags of the messages (NLM_F_MULTI in dumps)
 * @emitted: messages emitted so far
 * @path: buffer for cgroup paths
 */
struct hostacct_req {
	struct hostacct_walk walk;
	struct hostacct_classifier cl;
	struct hostacct_ledger_pool pool;
	u32 class_mask;
	u64 ctr_id;
	struct cgroup *cgrp_filter;
	bool exact_mem;
	struct hostacct_ctr *ctrs;
	unsigned int nr_ctrs;
	unsigned int cap_ctrs;
	u32 *slots;
	unsigned int slot_bits;
	struct hostacct_usage kernel;
	pid_t kernel_pid;
	enum hostacct_phase phase;
	unsigned int ctr_cursor;
	struct sk_buff *skb;
	u32 portid;
	u32 seq;
	int nlflags;
	unsigned int emitted;
	char path[HOSTACCT_PATH_MAX];
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

/* Whether the request reports the workload @ci describes. */
static bool hostacct_wanted(const struct hostacct_req *r,
			    const struct hostacct_class_info *ci)
{
	if (!hostacct_class_wanted(r, ci->class))
		return false;
	switch (ci->class) {
	case HOSTACCT_CLASS_KERNEL:
		/* kernel threads live in the root cgroup */
		return !r->cgrp_filter || !cgroup_parent(r->cgrp_filter);
	case HOSTACCT_CLASS_CONTAINER:
		return (!r->ctr_id || r->ctr_id == ci->ctr_id) &&
		       hostacct_cgroup_wanted(r, ci->ctr_cgrp);
	default:
		return hostacct_cgroup_wanted(r, ci->cgrp);
	}
}

/* ---- the containers met ---- */

static u32 *hostacct_slot(struct hostacct_req *r, u64 id)
{
	unsigned int mask = BIT(r->slot_bits) - 1;
	unsigned int i = hash_64(id, r->slot_bits);

	while (r->slots[i] && r->ctrs[r->slots[i] - 1].id != id)
		i = (i + 1) & mask;
	return &r->slots[i];
}

/* Room for every container a batch can add. Context: may sleep. */
static int hostacct_ctrs_reserve(struct hostacct_req *r)
{
	unsigned int cap, bits, i;
	struct hostacct_ctr *v;
	u32 *slots;

	if (r->nr_ctrs + HOSTACCT_WALK_BATCH <= r->cap_ctrs)
		return 0;
	cap = max(2 * r->cap_ctrs, r->nr_ctrs + HOSTACCT_WALK_BATCH);
	bits = ilog2(roundup_pow_of_two(2 * cap));
	v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
	slots = kvcalloc(BIT(bits), sizeof(*slots), GFP_KERNEL);
	if (!v || !slots) {
		kvfree(v);
		kvfree(slots);
		return -ENOMEM;
	}
	hostacct_mem_charge((s64)(cap - r->cap_ctrs) * sizeof(*v) +
			    (s64)(BIT(bits) - (r->slots ? BIT(r->slot_bits) : 0)) *
			    sizeof(*slots));
	if (r->nr_ctrs)
		memcpy(v, r->ctrs, r->nr_ctrs * sizeof(*v));
	kvfree(r->ctrs);
	kvfree(r->slots);
	r->ctrs = v;
	r->cap_ctrs = cap;
	r->slots = slots;
	r->slot_bits = bits;
	for (i = 0; i < r->nr_ctrs; i++)
		*hostacct_slot(r, r->ctrs[i].id) = i + 1;
	return 0;
}

/*
 * The accumulator of the container @ci names, made if new.
 * Context: RCU; room reserved by hostacct_ctrs_reserve().
 */
static struct hostacct_ctr *hostacct_ctr_get(struct hostacct_req *r,
					     const struct hostacct_class_info *ci)
{
	u32 *slot = hostacct_slot(r, ci->ctr_id);
	struct hostacct_ctr *c;

	if (*slot)
		return &r->ctrs[*slot - 1];
	/* A cgroup with a live member is alive; one being removed is not. */
	if (!cgroup_tryget(ci->ctr_cgrp))
		return NULL;
	c = &r->ctrs[r->nr_ctrs];
	c->id = ci->ctr_id;
	c->cgrp = ci->ctr_cgrp;
	c->init_pid = 0;
	hostacct_usage_init(&c->usage);
	*slot = ++r->nr_ctrs;
	return c;
}

static int hostacct_ctr_cmp(const void *a, const void *b)
{
	const struct hostacct_ctr *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- messages ---- */

static int hostacct_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, HOSTACCT_A_WORKLOAD_PAD);
}

static int hostacct_fill_counts(struct sk_buff *skb,
				const struct hostacct_usage *u)
{
	if (nla_put_u32(skb, HOSTACCT_A_WORKLOAD_NR_PROCS, u->nr_procs) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_NR_THREADS, u->nr_threads) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_START_TIME_NS,
			     u->start_ns) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES,
			     u->rss_anon) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES,
			     u->rss_file) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES,
			     u->rss_shmem) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES, u->swap) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_HUGETLB_BYTES,
			     u->hugetlb))
		return -EMSGSIZE;
	return 0;
}

static int hostacct_fill_cpu(struct sk_buff *skb, u64 cpu,
			     const struct hostacct_cpu_split *s)
{
	if (hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_NS, cpu) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_USER_NS, s->user) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS, s->system) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_GUEST_NS, s->guest))
		return -EMSGSIZE;
	return 0;
}

static void *hostacct_msg_start(struct hostacct_req *r, u32 class, u64 id)
{
	void *hdr;

	hdr = genlmsg_put(r->skb, r->portid, r->seq, &hostacct_nl_family,
			  r->nlflags, HOSTACCT_CMD_WORKLOAD_GET);
	if (!hdr)
		return NULL;
	if (nla_put_u32(r->skb, HOSTACCT_A_WORKLOAD_CLASS, class) ||
	    hostacct_put_u64(r->skb, HOSTACCT_A_WORKLOAD_ID, id)) {
		genlmsg_cancel(r->skb, hdr);
		return NULL;
	}
	return hdr;
}

static void hostacct_msg_end(struct hostacct_req *r, void *hdr)
{
	genlmsg_end(r->skb, hdr);
	r->emitted++;
}

/*
 * A native process or a VMM; @may_truncate: see hostacct_kvm_fill().
 * Context: rcu_read_lock() held.
 */
static int hostacct_fill_proc(struct hostacct_req *r, struct task_struct *p,
			      const struct hostacct_class_info *ci,
			      const struct hostacct_usage *u,
			      const struct hostacct_cpu_split *split,
			      bool may_truncate)
{
	struct sk_buff *skb = r->skb;
	char comm[TASK_COMM_LEN];
	pid_t tgid = task_tgid_nr(p);
	void *hdr;

	hdr = hostacct_msg_start(r, ci->class, tgid);
	if (!hdr)
		return -EMSGSIZE;

	get_task_comm(comm, p);
	if (nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, comm) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID, tgid) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CGROUP_ID,
			     cgroup_id(ci->cgrp)) ||
	    (ci->ctr_id && hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CONTAINER_ID,
					    ci->ctr_id)) ||
	    hostacct_fill_counts(skb, u) ||
	    hostacct_fill_cpu(skb, u->cpu_ns, split) ||
	    (u->workers_ns &&
	     hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CPU_WORKERS_NS,
			      u->workers_ns)))
		goto cancel;

	if (ci->class == HOSTACCT_CLASS_KVM) {
		if (hostacct_cgroup_path(ci->cgrp, r->path, sizeof(r->path)) >= 0 &&
		    nla_put_string(skb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, r->path))
			goto cancel;
		if (hostacct_kvm_fill(skb, p, r->cl.is_kvm, split, u->cpu_ns,
				      may_truncate))
			goto cancel;
	}

	hostacct_msg_end(r, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * A container: its members' counts and memory, and memory.current. Its
 * CPU time is its cgroup's cpu.stat, which the kernel keeps exactly
 * (members that left before the module was loaded included); the module
 * does not keep a second ledger of it.
 */
static int hostacct_fill_ctr(struct hostacct_req *r, struct hostacct_ctr *c)
{
	const struct hostacct_usage *u = &c->usage;
	struct sk_buff *skb = r->skb;
	bool has_path;
	u64 mem;
	void *hdr;

	/*
	 * Its name is its path; a path longer than PATH_MAX is not sent, and
	 * the name is then the cgroup's own directory name.
	 */
	has_path = hostacct_cgroup_path(c->cgrp, r->path, sizeof(r->path)) >= 0;
	if (!has_path)
		hostacct_cgroup_name(c->cgrp, r->path, sizeof(r->path));

	hdr = hostacct_msg_start(r, HOSTACCT_CLASS_CONTAINER, c->id);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, r->path) ||
	    nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID,
			c->init_pid ?: u->oldest_tgid) ||
	    hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_CGROUP_ID, c->id) ||
	    (has_path &&
	     nla_put_string(skb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, r->path)) ||
	    hostacct_fill_counts(skb, u) ||
	    (hostacct_cgroup_memory(c->cgrp, &mem) &&
	     hostacct_put_u64(skb, HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES, mem))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	hostacct_msg_end(r, hdr);
	return 0;
}

/*
 * The kernel row: its CPU time is the kernel class's total (kernel
 * threads that exited included), which never decreases; kernel threads
 * run in kernel mode only.
 */
static int hostacct_fill_kernel(struct hostacct_req *r)
{
	u64 cpu = hostacct_ledger_class_cpu(HOSTACCT_CLASS_KERNEL);
	struct hostacct_cpu_split s = { .system = cpu };
	void *hdr;

	hdr = hostacct_msg_start(r, HOSTACCT_CLASS_KERNEL, 0);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(r->skb, HOSTACCT_A_WORKLOAD_NAME, "kernel") ||
	    nla_put_u32(r->skb, HOSTACCT_A_WORKLOAD_LEADER_PID, r->kernel_pid) ||
	    hostacct_fill_counts(r->skb, &r->kernel) ||
	    hostacct_fill_cpu(r->skb, cpu, &s)) {
		genlmsg_cancel(r->skb, hdr);
		return -EMSGSIZE;
	}
	hostacct_msg_end(r, hdr);
	return 0;
}

/* ---- the walk's visitor ---- */

struct hostacct_visit_mm {
	struct hostacct_req *r;
	struct hostacct_usage *u;
	struct task_struct *p;
	bool vmm;
};

/* Context: rcu_read_lock() and task_lock(@mt) held. */
static void hostacct_visit_mm(struct task_struct *mt, void *data)
{
	struct hostacct_visit_mm *a = data;

	a->vmm = hostacct_kvm_is_vmm(mt, a->r->cl.is_kvm);
	hostacct_usage_add_mm(a->u, a->p, mt->mm, a->r->exact_mem);
}

static int hostacct_req_batch(struct hostacct_walk *w)
{
	struct hostacct_req *r = container_of(w, struct hostacct_req, walk);
	int err;

	err = hostacct_classifier_refill(&r->cl);
	if (!err)
		err = hostacct_ledger_refill(&r->pool);
	if (!err)
		err = hostacct_ctrs_reserve(r);
	return err;
}

/*
 * Visit one thread group. Context: rcu_read_lock() held.
 * Return: 0, or -EMSGSIZE when its message does not fit (nothing of it
 * has been added then, so it can be visited again; charging it again
 * charges nothing twice).
 */
static int hostacct_req_visit(struct hostacct_walk *w, struct task_struct *p)
{
	struct hostacct_req *r = container_of(w, struct hostacct_req, walk);
	struct hostacct_visit_mm a = { .r = r, .p = p };
	struct hostacct_class_info ci;
	struct hostacct_cpu_split split;
	struct hostacct_usage u;
	struct hostacct_ctr *c;
	struct hostacct_tg *e;
	bool empty;
	int err;

	hostacct_usage_init(&u);
	a.u = &u;
	if (!(p->flags & PF_KTHREAD))
		hostacct_with_task_mm(p, hostacct_visit_mm, &a);
	hostacct_classify(&r->cl, p, a.vmm, &ci);
	hostacct_usage_add_cpu(&u, p);
	e = hostacct_ledger_get(&r->pool, p);
	/* A kernel thread working for a process is part of its workload. */
	if ((p->flags & PF_KTHREAD) &&
	    hostacct_ledger_helper(&r->pool, e, p, &ci.class))
		return 0;
	if (e)
		hostacct_ledger_charge(e, &u, ci.class);
	if (a.vmm)
		hostacct_kvm_adopt_workers(&r->pool, e, p, r->cl.is_kvm);
	if (!(p->flags & PF_KTHREAD)) {
		unsigned int nr_helpers;
		u64 helpers;

		/* The helpers: system time and threads of this thread group. */
		u.workers_ns = hostacct_ledger_workers(e, u.workers_ns, &helpers,
						       &nr_helpers);
		u.cpu_ns += helpers;
		u.stime_ns += helpers;
		u.nr_threads += nr_helpers;
	}

	if (!hostacct_wanted(r, &ci))
		return 0;

	switch (ci.class) {
	case HOSTACCT_CLASS_KERNEL:
		if (!r->kernel.nr_procs)
			r->kernel_pid = task_tgid_nr(p);
		hostacct_usage_merge(&r->kernel, &u);
		return 0;
	case HOSTACCT_CLASS_CONTAINER:
		c = hostacct_ctr_get(r, &ci);
		if (c) {
			hostacct_usage_merge(&c->usage, &u);
			if (ci.init)
				c->init_pid = task_tgid_nr(p);
		}
		return 0;
	}

	hostacct_ledger_split(e, &u, &split);
	empty = !r->skb->len;
	err = hostacct_fill_proc(r, p, &ci, &u, &split, false);
	/*
	 * A VMM with more vCPUs than fit in one message: the vCPUs that fit,
	 * flagged as a partial list (the totals count every vCPU).
	 */
	if (err && empty && ci.class == HOSTACCT_CLASS_KVM)
		err = hostacct_fill_proc(r, p, &ci, &u, &split, true);
	return err;
}

/*
 * Fill r->skb with as many workloads as fit.
 * Return: 0 when the request is complete, -EMSGSIZE when the message is
 * full, another -errno on failure.
 */
static int hostacct_req_run(struct hostacct_req *r)
{
	int err;

	if (r->phase == HOSTACCT_PHASE_PROCS) {
		err = hostacct_walk(&r->walk);
		if (err)
			return err;
		/* Containers in id order: the same order in every dump. */
		sort(r->ctrs, r->nr_ctrs, sizeof(*r->ctrs), hostacct_ctr_cmp,
		     NULL);
		r->phase = HOSTACCT_PHASE_CTRS;
	}
	for (; r->phase == HOSTACCT_PHASE_CTRS && r->ctr_cursor < r->nr_ctrs;
	     r->ctr_cursor++) {
		err = hostacct_fill_ctr(r, &r->ctrs[r->ctr_cursor]);
		if (err)
			return err;
	}
	if (r->phase == HOSTACCT_PHASE_CTRS)
		r->phase = HOSTACCT_PHASE_KERNEL;
	if (r->phase == HOSTACCT_PHASE_KERNEL) {
		if (r->kernel.nr_procs) {
			err = hostacct_fill_kernel(r);
			if (err)
				return err;
		}
		r->phase = HOSTACCT_PHASE_DONE;
		hostacct_ctrs_sweep();
	}
	return 0;
}

/* ---- requests ---- */

static void hostacct_req_free(struct hostacct_req *r)
{
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < r->nr_ctrs; i++)
		cgroup_put(r->ctrs[i].cgrp);
	hostacct_mem_charge(-(s64)r->cap_ctrs * sizeof(*r->ctrs) -
			    (s64)(r->slots ? BIT(r->slot_bits) : 0) *
			    sizeof(*r->slots));
	kvfree(r->ctrs);
	kvfree(r->slots);
	hostacct_classifier_end(&r->cl);
	hostacct_ledger_drain(&r->pool);
	if (r->cgrp_filter)
		cgroup_put(r->cgrp_filter);
	kfree(r);
	hostacct_mem_charge(-(s64)sizeof(*r));
}

/* Narrow a dump to the workload that contains process @nr. */
static int hostacct_req_target_pid(struct hostacct_req *r, pid_t nr,
				   struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	struct hostacct_class_info ci;
	struct task_struct *p;
	struct pid *pid;
	bool vmm = false;
	int err = 0;

	rcu_read_lock();
	pid = find_pid_ns(nr, &init_pid_ns);
	p = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
	if (p) {
		struct task_struct *mt;

		p = p->group_leader;
		/* A kernel thread working for a process: that process. */
		if (p->flags & PF_KTHREAD)
			p = hostacct_ledger_owner(p) ?: p;
		for_each_thread(p, mt) {
			task_lock(mt);
			if (mt->mm)
				vmm = hostacct_kvm_is_vmm(mt, r->cl.is_kvm);
			task_unlock(mt);
			if (vmm)
				break;
		}
		hostacct_classify(&r->cl, p, vmm, &ci);
		r->class_mask &= BIT(ci.class);
		if (ci.class == HOSTACCT_CLASS_CONTAINER) {
			r->ctr_id = ci.ctr_id;
		} else if (ci.class != HOSTACCT_CLASS_KERNEL) {
			r->walk.cursor = task_tgid_nr(p);
			r->walk.last = r->walk.cursor;
		}
	} else {
		NL_SET_ERR_MSG_ATTR(extack, attr, "hostacct: no process with this pid");
		err = -ENOENT;
	}
	rcu_read_unlock();
	return err;
}

/* Select the workload a do request names by class and id. */
static int hostacct_req_target(struct hostacct_req *r, struct nlattr **tb,
			       struct netlink_ext_ack *extack)
{
	u32 class = nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CLASS]);
	u64 id = nla_get_u64(tb[HOSTACCT_A_WORKLOAD_ID]);
	bool known;

	r->class_mask = BIT(class);
	switch (class) {
	case HOSTACCT_CLASS_KERNEL:
		if (id)
			goto noent;
		return 0;
	case HOSTACCT_CLASS_CONTAINER:
		rcu_read_lock();
		known = hostacct_ctr_exists(id);
		rcu_read_unlock();
		if (!known)
			goto noent;
		r->ctr_id = id;
		return 0;
	default:
		if (!id || id > PID_MAX_LIMIT)
			goto noent;
		r->walk.cursor = id;
		r->walk.last = id;
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

static struct hostacct_req *hostacct_req_new(struct nlattr **tb, bool dump,
					     struct netlink_ext_ack *extack)
{
	struct hostacct_req *r;
	int err;

	err = hostacct_req_check(tb, dump, extack);
	if (err)
		return ERR_PTR(err);

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	hostacct_mem_charge(sizeof(*r));
	r->class_mask = GENMASK(HOSTACCT_CLASS_MAX, HOSTACCT_CLASS_KERNEL);
	r->walk.cursor = 1;
	r->walk.last = PID_MAX_LIMIT;
	r->walk.batch = hostacct_req_batch;
	r->walk.visit = hostacct_req_visit;
	r->phase = HOSTACCT_PHASE_PROCS;
	r->exact_mem = nla_get_flag(tb[HOSTACCT_A_WORKLOAD_EXACT_MEM]);

	err = hostacct_classifier_start(&r->cl);
	if (err)
		goto err;

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

	if (!dump)
		err = hostacct_req_target(r, tb, extack);
	else if (tb[HOSTACCT_A_WORKLOAD_PID])
		err = hostacct_req_target_pid(r, nla_get_u32(tb[HOSTACCT_A_WORKLOAD_PID]),
					      tb[HOSTACCT_A_WORKLOAD_PID], extack);
	if (err)
		goto err;
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
	r->skb = msg;
	r->portid = info->snd_portid;
	r->seq = info->snd_seq;

	err = hostacct_req_run(r);
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

	r->skb = skb;
	r->portid = NETLINK_CB(cb->skb).portid;
	r->seq = cb->nlh->nlmsg_seq;
	r->nlflags = NLM_F_MULTI;

	err = hostacct_req_run(r);
	r->skb = NULL;
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
