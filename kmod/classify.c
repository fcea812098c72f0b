// SPDX-License-Identifier: GPL-2.0
/*
 * Which workload a thread group belongs to.
 *
 * A container is the top cgroup of a process tree that runs in its own pid
 * namespace, when that cgroup is dedicated to the tree. For a process
 * outside the initial pid namespace, its candidate cgroup is the root of
 * its cgroup namespace when it has one of its own (what docker, podman,
 * containerd and systemd-nspawn set up on cgroup v2), otherwise the
 * lowest common ancestor of its cgroup and that of its namespace's init
 * (systemd in a container that shares the host's cgroup namespace puts
 * itself in init.scope and its services beside it: one container). The
 * candidate is dedicated when no thread in the cgroup itself is foreign:
 * it holds no more threads than the namespace's tree (pid_allocated counts
 * them, nested namespaces included) and the process that created it (a
 * runtime's shim, when it stays in the cgroup). A sandbox that shares its
 * cgroup with ordinary host processes -- bubblewrap in a login session's
 * scope, a browser's zygote beside the browser -- is not a container, and
 * neither are those processes. The root cgroup is never a container.
 * When container cgroups nest, the outermost one wins, so every
 * task belongs to at most one container and nested cgroups roll up into
 * their container. Every task of a container cgroup's subtree is part of
 * the container, namespaced or not (a runtime shim or a launcher that
 * stayed in the host pid namespace counts too), except VMMs, which are
 * always KVM workloads.
 *
 * Container cgroups are kept in a registry (an rhashtable of cgroup ids)
 * that lives as long as the module: a cgroup enters it when a process of
 * a new pid namespace is forked into it (probes.c) or when a query meets
 * one, and leaves it when the cgroup is removed (swept by the next
 * query). So one pass over the thread groups classifies each of them as
 * it is met, and the free probe classifies processes that no query saw
 * (a container's short-lived members) the same way. A cgroup stays a
 * container until it is removed, even when its namespaced processes are
 * gone. Cgroup names are not consulted.
 *
 * Locking: lookups under RCU; inserts under RCU (the bucket locks are
 * the table's), from preallocated entries in queries and GFP_ATOMIC in
 * the fork probe; removal by the sweep, entries freed after a grace
 * period.
 */

#include <linux/cgroup.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "hostacct.h"

struct hostacct_ctr_entry {
	struct rhash_head node;
	u64 id;			/* cgroup id of the container's top cgroup */
	struct hostacct_ctr_life life;	/* its start and stop (lifecycle.c) */
	struct rcu_head rcu;
};

static const struct rhashtable_params hostacct_ctr_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct hostacct_ctr_entry, id),
	.head_offset = offsetof(struct hostacct_ctr_entry, node),
	.automatic_shrinking = true,
};

static struct rhashtable hostacct_ctrs;

static struct hostacct_ctr_entry *hostacct_ctr_alloc(gfp_t gfp)
{
	struct hostacct_ctr_entry *e = kmalloc(sizeof(*e), gfp);

	if (e)
		hostacct_mem_charge(sizeof(*e));
	return e;
}

static void hostacct_ctr_free(struct hostacct_ctr_entry *e)
{
	kfree(e);
	hostacct_mem_charge(-(s64)sizeof(*e));
}

static void hostacct_ctr_free_rcu(struct rcu_head *head)
{
	hostacct_ctr_free(container_of(head, struct hostacct_ctr_entry, rcu));
}

/* Context: RCU. */
static bool hostacct_ctr_known(u64 id)
{
	return rhashtable_lookup(&hostacct_ctrs, &id, hostacct_ctr_params);
}

/* Whether @id is a registered container cgroup. Context: RCU. */
bool hostacct_ctr_exists(u64 id)
{
	return hostacct_ctr_known(id);
}

/**
 * hostacct_ctr_post - post a container's start or stop
 * @cmd: HOSTACCT_CMD_WORKLOAD_START_NTF or _STOP_NTF
 * @id: its cgroup id
 * @life: its start and stop
 * @path: its cgroup's path, or NULL to look it up when sending
 * @shutdown_ns: measured shut-down (stop), 0 if none
 *
 * Context: any; does not sleep.
 */
void hostacct_ctr_post(u32 cmd, u64 id, const struct hostacct_ctr_life *life,
		       const char *path, u64 shutdown_ns)
{
	struct hostacct_event *ev;

	ev = hostacct_event_new(HOSTACCT_CLASS_CONTAINER, path);
	if (!ev)
		return;
	ev->cmd = cmd;
	ev->id = id;
	ev->cgroup_id = id;
	ev->start_ns = READ_ONCE(life->start_ns);
	if (READ_ONCE(life->exec_ns)) {
		ev->startup_ns = READ_ONCE(life->startup_ns);
		ev->have |= HOSTACCT_EV_STARTUP;
	}
	if (shutdown_ns) {
		ev->shutdown_ns = shutdown_ns;
		ev->have |= HOSTACCT_EV_SHUTDOWN;
	}
	hostacct_event_post(ev);
}

/*
 * When the container of cgroup @cc, made for pid namespace @ns, started:
 * its init's fork (the namespace's making), or the fork of the process
 * that made it if that one runs in @cc too (a shim that cloned itself into
 * the cgroup first), whichever was first. Context: RCU.
 */
static u64 hostacct_ctr_start_ns(struct cgroup *cc, struct pid_namespace *ns,
				 struct task_struct *p)
{
	struct task_struct *init = pid_task(find_pid_ns(1, ns), PIDTYPE_PID);
	struct task_struct *creator;
	u64 start = p->group_leader->start_boottime;

	if (!init)
		return start;
	start = min(start, init->start_boottime);
	creator = rcu_dereference(init->real_parent);
	if (creator && cgroup_is_descendant(task_dfl_cgroup(creator), cc))
		start = min(start, creator->group_leader->start_boottime);
	return start;
}

/*
 * Register @cgrp with @e (consumed when inserted), a container that
 * started at @start_ns; @announce: post its start. Context: RCU.
 * Return: whether @e was consumed.
 */
static bool hostacct_ctr_insert(struct cgroup *cgrp,
				struct hostacct_ctr_entry *e, u64 start_ns,
				bool announce)
{
	struct hostacct_ctr_entry *old;

	e->id = cgroup_id(cgrp);
	memset(&e->life, 0, sizeof(e->life));
	e->life.start_ns = start_ns;
	atomic_set(&e->life.state, HOSTACCT_CTR_RUNNING);
	old = rhashtable_lookup_get_insert_fast(&hostacct_ctrs, &e->node,
						hostacct_ctr_params);
	if (old)
		return false;
	if (announce)
		hostacct_ctr_post(HOSTACCT_CMD_WORKLOAD_START_NTF, e->id,
				  &e->life, NULL, 0);
	return true;
}

/*
 * The root of @p's cgroup namespace, from a thread that still has its
 * namespaces (a leader that called pthread_exit() has none), or NULL.
 * task_lock() keeps a thread's nsproxy and its cgroup namespace (pinning
 * the root css_set) alive; the cgroup itself is freed only after an RCU
 * grace period. Context: RCU.
 */
static struct cgroup *hostacct_cgroupns_root(struct task_struct *p)
{
	struct cgroup *root = NULL;
	struct task_struct *t;

	for_each_thread(p, t) {
		task_lock(t);
		if (t->nsproxy)
			root = t->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
		task_unlock(t);
		if (root)
			break;
	}
	return root;
}

static struct cgroup *hostacct_cgroup_lca(struct cgroup *a, struct cgroup *b)
{
	while (a->level > b->level)
		a = cgroup_parent(a);
	while (b->level > a->level)
		b = cgroup_parent(b);
	while (a != b) {
		a = cgroup_parent(a);
		b = cgroup_parent(b);
	}
	return a;
}

/*
 * Whether @cgrp holds no thread of its own but @ns's tree and the
 * process that created @ns (@init's parent), if that one runs in @cgrp
 * too. The threads a cgroup holds are its css_set's (one per cgroup on a
 * cgroup v2 host), read from a task known to be in it; a cgroup with
 * threads of its own but none of ours is not dedicated. Both counts are
 * read without locks: the answer is as of about now.
 * Context: RCU.
 */
static bool hostacct_ctr_dedicated(struct cgroup *cgrp, struct pid_namespace *ns,
				   struct task_struct *p, struct task_struct *init)
{
	unsigned int ours = READ_ONCE(ns->pid_allocated) & ~PIDNS_ADDING;
	struct task_struct *creator, *known = NULL;
	int own;

	creator = init ? rcu_dereference(init->real_parent) : NULL;
	if (creator && task_dfl_cgroup(creator) == cgrp) {
		ours += READ_ONCE(creator->signal->nr_threads);
		known = creator;
	}
	if (!known && init && task_dfl_cgroup(init) == cgrp)
		known = init;
	if (!known && task_dfl_cgroup(p) == cgrp)
		known = p;
	if (known)
		own = READ_ONCE(task_css_set(known)->nr_tasks);
	else
		own = READ_ONCE(cgrp->nr_populated_csets) ? INT_MAX : 0;
	return own <= (int)ours;
}

/**
 * hostacct_container_cgroup - the container cgroup of a namespaced process
 * @p: a process in the non-initial pid namespace @ns
 * @ns: its pid namespace
 *
 * Context: rcu_read_lock() held; takes task_lock() of @p's threads.
 * Return: the cgroup (see the top of the file), or NULL if there is none:
 * the root cgroup, or a cgroup that is not dedicated to @ns's tree.
 */
static struct cgroup *hostacct_container_cgroup(struct task_struct *p,
						struct pid_namespace *ns)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	struct cgroup *root = hostacct_cgroupns_root(p);
	struct task_struct *init = pid_task(find_pid_ns(1, ns), PIDTYPE_PID);

	if (root && root->level > 0 && cgroup_is_descendant(cgrp, root))
		cgrp = root;
	else if (init)
		cgrp = hostacct_cgroup_lca(cgrp, task_dfl_cgroup(init));

	if (!cgroup_parent(cgrp) || !hostacct_ctr_dedicated(cgrp, ns, p, init))
		return NULL;
	return cgrp;
}

/*
 * The pid namespace @p runs in if it is not the initial one, else NULL
 * (also when @p exits under us and its pid is gone). Context: RCU.
 */
static struct pid_namespace *hostacct_own_pid_ns(struct task_struct *p)
{
	struct pid_namespace *ns = task_active_pid_ns(p);

	return ns != &init_pid_ns ? ns : NULL;
}

/*
 * The outermost registered container cgroup that is @cgrp or one of its
 * ancestors, or NULL. Context: RCU.
 */
static struct cgroup *hostacct_ctr_of(struct cgroup *cgrp)
{
	int level;

	for (level = 1; level <= cgrp->level; level++) {
		struct cgroup *anc = cgroup_ancestor(cgrp, level);

		if (hostacct_ctr_known(cgroup_id(anc)))
			return anc;
	}
	return NULL;
}

/**
 * hostacct_ctr_life_of - the container that holds a cgroup
 * @cgrp: a cgroup
 * @id: out, if not NULL: the container's id
 *
 * Context: RCU; the result is valid inside it.
 * Return: the container's start and stop, or NULL if @cgrp is in none.
 */
struct hostacct_ctr_life *hostacct_ctr_life_of(struct cgroup *cgrp, u64 *id)
{
	struct hostacct_ctr_entry *e;
	int level;

	for (level = 1; level <= cgrp->level; level++) {
		u64 cid = cgroup_id(cgroup_ancestor(cgrp, level));

		e = rhashtable_lookup(&hostacct_ctrs, &cid, hostacct_ctr_params);
		if (e) {
			if (id)
				*id = cid;
			return &e->life;
		}
	}
	return NULL;
}

/**
 * hostacct_ctr_life_by_id - a container by its id
 * @id: a cgroup id
 *
 * Context: RCU; the result is valid inside it.
 * Return: the container's start and stop, or NULL if @id is none.
 */
struct hostacct_ctr_life *hostacct_ctr_life_by_id(u64 id)
{
	struct hostacct_ctr_entry *e;

	e = rhashtable_lookup(&hostacct_ctrs, &id, hostacct_ctr_params);
	return e ? &e->life : NULL;
}

/**
 * hostacct_ctr_note_exec - the container of a namespaced process that execs
 * @p: current, in a pid namespace other than the initial one
 * @id: out, if not NULL: the container's id
 *
 * A runtime that forks the container's init outside the container's
 * cgroup and moves it in afterwards (crun, runc) is seen here first: the
 * exec of the payload. Registers the container if it is new (GFP_ATOMIC).
 *
 * Context: sched_process_exec, RCU held.
 * Return: the container's start and stop, or NULL if @p is in none.
 */
struct hostacct_ctr_life *hostacct_ctr_note_exec(struct task_struct *p, u64 *id)
{
	struct pid_namespace *ns = hostacct_own_pid_ns(p);
	struct hostacct_ctr_life *life;
	struct hostacct_ctr_entry *e;
	struct cgroup *cc;

	life = hostacct_ctr_life_of(task_dfl_cgroup(p), id);
	if (life || !ns)
		return life;
	cc = hostacct_container_cgroup(p, ns);
	if (!cc || hostacct_ctr_of(cc))
		return hostacct_ctr_life_of(task_dfl_cgroup(p), id);
	e = hostacct_ctr_alloc(GFP_ATOMIC | __GFP_NOWARN);
	if (!e) {
		hostacct_count(HOSTACCT_CNT_CTR_ATOMIC_FAIL);
		return NULL;
	}
	if (!hostacct_ctr_insert(cc, e, hostacct_ctr_start_ns(cc, ns, p), true))
		hostacct_ctr_free(e);
	return hostacct_ctr_life_of(task_dfl_cgroup(p), id);
}

/**
 * hostacct_classifier_start - set up classification for one request
 * @cl: zeroed state
 *
 * Context: may sleep. Return: 0 or -ENOMEM.
 */
int hostacct_classifier_start(struct hostacct_classifier *cl)
{
	cl->is_kvm = hostacct_kvm_get();
	cl->announce = true;
	return hostacct_classifier_refill(cl);
}

/*
 * Before each walk batch, outside RCU: entries for every container a
 * batch may register, and a cache that does not outlive a read section.
 */
int hostacct_classifier_refill(struct hostacct_classifier *cl)
{
	cl->last_cgrp = NULL;
	while (cl->nr_pool < ARRAY_SIZE(cl->pool)) {
		struct hostacct_ctr_entry *e = hostacct_ctr_alloc(GFP_KERNEL);

		if (!e)
			return -ENOMEM;
		cl->pool[cl->nr_pool++] = e;
	}
	return 0;
}

void hostacct_classifier_end(struct hostacct_classifier *cl)
{
	while (cl->nr_pool)
		hostacct_ctr_free(cl->pool[--cl->nr_pool]);
	hostacct_kvm_put(cl->is_kvm);
	cl->is_kvm = NULL;
}

/**
 * hostacct_classify - the workload of a thread group
 * @cl: the request's classification state
 * @p: thread group leader
 * @vmm: whether it holds a KVM VM (kvm.c)
 * @ci: out
 *
 * Context: rcu_read_lock() held.
 */
void hostacct_classify(struct hostacct_classifier *cl, struct task_struct *p,
		       bool vmm, struct hostacct_class_info *ci)
{
	struct pid_namespace *ns;
	struct cgroup *ctr;

	memset(ci, 0, sizeof(*ci));
	if (p->flags & PF_KTHREAD) {
		ci->class = HOSTACCT_CLASS_KERNEL;
		return;
	}
	ci->cgrp = task_dfl_cgroup(p);

	/* one read: the pid (and with it the namespace) goes when p exits */
	ns = hostacct_own_pid_ns(p);
	if (ns) {
		struct cgroup *cc = hostacct_container_cgroup(p, ns);

		if (cc && !hostacct_ctr_of(cc) && cl->nr_pool &&
		    hostacct_ctr_insert(cc, cl->pool[cl->nr_pool - 1],
					hostacct_ctr_start_ns(cc, ns, p),
					cl->announce)) {
			cl->nr_pool--;
			cl->last_cgrp = NULL;	/* the cache may be stale now */
		}
		ci->init = READ_ONCE(ns->child_reaper) == p;
	}

	/* Processes of one cgroup tend to have neighbouring pids. */
	if (ci->cgrp == cl->last_cgrp) {
		ctr = cl->last_ctr;
	} else {
		ctr = hostacct_ctr_of(ci->cgrp);
		cl->last_cgrp = ci->cgrp;
		cl->last_ctr = ctr;
	}
	if (ctr) {
		ci->ctr_cgrp = ctr;
		ci->ctr_id = cgroup_id(ctr);
	}
	if (vmm)
		ci->class = HOSTACCT_CLASS_KVM;
	else
		ci->class = ctr ? HOSTACCT_CLASS_CONTAINER : HOSTACCT_CLASS_NATIVE;
}

/**
 * hostacct_classify_exited - the class of a freed process no query saw
 * @p: the task being freed; its cgroup is still attached
 *
 * Its files are closed by now, so a VMM cannot be told apart: it counts
 * as native (or as a member of the container it ran in).
 *
 * Context: any, rcu_read_lock() held.
 */
u32 hostacct_classify_exited(struct task_struct *p)
{
	if (p->flags & PF_KTHREAD)
		return HOSTACCT_CLASS_KERNEL;
	return hostacct_ctr_of(task_dfl_cgroup(p)) ? HOSTACCT_CLASS_CONTAINER :
						      HOSTACCT_CLASS_NATIVE;
}

/**
 * hostacct_ctr_note_fork - register the container of a new pid namespace
 * @parent: the forking task
 * @child: the new task, not running yet
 *
 * The first process of a pid namespace (a container's init, or a shim's
 * child) is forked with CLONE_NEWPID, or after unshare(CLONE_NEWPID) or
 * setns(): its pid namespace is not its parent's. O(1) for every other
 * fork.
 *
 * Context: sched_process_fork, preemption disabled.
 */
void hostacct_ctr_note_fork(struct task_struct *parent,
			    struct task_struct *child)
{
	struct pid_namespace *ns = task_active_pid_ns(child);
	struct hostacct_ctr_entry *e;
	struct cgroup *cc;

	if ((child->flags & PF_KTHREAD) || !ns || ns == task_active_pid_ns(parent))
		return;

	rcu_read_lock();
	cc = hostacct_container_cgroup(child, ns);
	if (cc && !hostacct_ctr_of(cc)) {
		e = hostacct_ctr_alloc(GFP_ATOMIC | __GFP_NOWARN);
		if (!e)
			hostacct_count(HOSTACCT_CNT_CTR_ATOMIC_FAIL);
		else if (!hostacct_ctr_insert(cc, e,
					      hostacct_ctr_start_ns(cc, ns, child),
					      true))
			hostacct_ctr_free(e);
	}
	rcu_read_unlock();
}

/**
 * hostacct_ctrs_sweep - forget containers whose cgroup was removed
 *
 * Context: process context, may sleep.
 */
void hostacct_ctrs_sweep(void)
{
	struct hostacct_ctr_entry *e;
	struct rhashtable_iter it;

	rhashtable_walk_enter(&hostacct_ctrs, &it);
	rhashtable_walk_start(&it);
	while ((e = rhashtable_walk_next(&it))) {
		struct cgroup *cgrp;
		u64 id;

		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue;	/* resized: entries may repeat */
			break;
		}
		id = e->id;
		/* e may go once RCU is left: look it up again by id */
		rhashtable_walk_stop(&it);
		cgrp = cgroup_get_from_id(id);
		rhashtable_walk_start(&it);
		if (!IS_ERR(cgrp)) {
			cgroup_put(cgrp);
			continue;
		}
		e = rhashtable_lookup(&hostacct_ctrs, &id, hostacct_ctr_params);
		if (e && !rhashtable_remove_fast(&hostacct_ctrs, &e->node,
						 hostacct_ctr_params))
			call_rcu(&e->rcu, hostacct_ctr_free_rcu);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
}

struct hostacct_seed {
	struct hostacct_walk walk;
	struct hostacct_classifier cl;
};

static int hostacct_seed_batch(struct hostacct_walk *w)
{
	struct hostacct_seed *s = container_of(w, struct hostacct_seed, walk);

	return hostacct_classifier_refill(&s->cl);
}

static int hostacct_seed_visit(struct hostacct_walk *w, struct task_struct *p)
{
	struct hostacct_seed *s = container_of(w, struct hostacct_seed, walk);
	struct hostacct_class_info ci;

	hostacct_classify(&s->cl, p, false, &ci);
	return 0;
}

/**
 * hostacct_classify_seed - register the containers that exist at load
 *
 * Later ones are registered when their first process is forked; this
 * walk finds those that were there before, so that the first query
 * classifies a container's host-namespace members (a shim) right too.
 *
 * Context: module init, after the fork probe is registered.
 */
int __init hostacct_classify_seed(void)
{
	struct hostacct_seed s = {
		.walk = {
			.cursor = 1,
			.last = PID_MAX_LIMIT,
			.batch = hostacct_seed_batch,
			.visit = hostacct_seed_visit,
		},
	};
	int err;

	err = hostacct_walk(&s.walk);
	hostacct_classifier_end(&s.cl);
	return err;
}

int __init hostacct_classify_init(void)
{
	return rhashtable_init(&hostacct_ctrs, &hostacct_ctr_params);
}

static void hostacct_ctr_destroy(void *ptr, void *arg)
{
	hostacct_ctr_free(ptr);
}

/*
 * Context: the probes are unregistered and no request runs. Entries the
 * sweep dropped may still wait for a grace period: the module's exit
 * waits for them (the rcu_barrier() in hostacct_ledger_destroy()).
 */
void hostacct_classify_exit(void)
{
	rhashtable_free_and_destroy(&hostacct_ctrs, hostacct_ctr_destroy, NULL);
}
