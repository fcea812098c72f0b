// SPDX-License-Identifier: GPL-2.0
/*
 * How long workloads take to start and to stop, measured where the kernel
 * sees the moments, and the start and stop events of workloads.
 *
 * Start-up:
 *  - VM: from the VMM's (last) exec to the first entry of one of its vCPUs
 *    into guest mode (the guest-entry probe, kvm.c: the first entry of a
 *    vCPU is the one its exit counter is still 0 at);
 *  - container: from the moment it came to be (its pid namespace made, or
 *    the process that made it entering its cgroup, whichever was first)
 *    to the first exec in its pid namespace (its payload);
 *  - native: from its fork to its first exec: what the launcher (a shell,
 *    systemd, a runtime) spent before the program starts to load. A
 *    process that never execs (a forked worker) has none.
 * Shut-down: from the first stop request -- a SIGTERM, SIGINT, SIGQUIT or
 * SIGKILL it does not ignore, or any signal that kills it -- to the exit of
 * its last thread (sched_process_exit: its memory is gone, its files not
 * yet closed); for a container, from the first such signal to its init (or
 * SIGKILL to any member: cgroup.kill) to the moment its cgroup has no task
 * left. A workload that ends on its own has no shut-down. Every time is
 * CLOCK_BOOTTIME, read in the probe.
 *
 * Each measured duration goes into a histogram of its class (always, so
 * that the report can show medians since load) and into the workload's
 * stop event (when someone listens).
 *
 * Events: a native process starts at its fork and stops at the exit of
 * its last thread; a process that becomes a VMM (its first guest entry)
 * stops as a native (or leaves its container) and starts as a VM, which
 * stops at its exit; a container starts when it is found (its first
 * namespaced fork or exec, or a query) and stops when its cgroup empties,
 * and starts again if it fills again. A workload's identity is (class, id,
 * start time), as in queries.
 *
 * Per thread group, an entry (struct hostacct_life) keeps what a later
 * probe needs: the exec time (a VM's start-up begins there), the stop
 * request, whether it runs guests and whether its stop was sent. It is
 * made by exec (every process that execs has one), by a stop signal, by
 * a guest entry, and at exit to tell the last thread apart when several
 * exit at once; it is dropped when the thread group is freed. A process
 * that forks and exits without exec costs one lookup at exit and one at
 * free.
 *
 * Locking: the entries live in an rhashtable keyed by signal_struct,
 * looked up and inserted under RCU from the probes (GFP_ATOMIC), removed
 * by the free probe, freed after a grace period. Times are set once with
 * cmpxchg, flags with atomic bit operations. Histograms are atomic
 * counters.
 */

#include <linux/cgroup.h>
#include <linux/pid_namespace.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <trace/events/signal.h>

#include "hostacct.h"

enum {
	HOSTACCT_LIFE_VMM,		/* runs guests: a VM */
	HOSTACCT_LIFE_STARTUP,		/* startup_ns holds a measurement */
	HOSTACCT_LIFE_STOPPED,		/* its stop was handled */
	HOSTACCT_LIFE_NATIVE,		/* started as a native process, not stopped */
};

struct hostacct_life {
	struct rhash_head node;
	const void *sig;	/* key: compared, never dereferenced */
	u64 start_ns;		/* the leader's start: tells a reused key apart */
	u64 exec_ns;		/* its last exec, 0 if none seen */
	u64 startup_ns;		/* native: fork to first exec; VM: exec to guest */
	u64 shut_ns;		/* first stop request, 0 if none */
	unsigned long flags;
	struct rcu_head rcu;
};

static const struct rhashtable_params hostacct_life_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct hostacct_life, sig),
	.head_offset = offsetof(struct hostacct_life, node),
	.automatic_shrinking = true,
};

static struct rhashtable hostacct_lives;
static struct kmem_cache *hostacct_life_cache;

/*
 * Histogram buckets: ten per decade (the R10 series, each bound about
 * 25 % above the last) from 10 us to 100 s, then +Inf, so that a median
 * read from them is off by at most half a bucket (about 12 %), and the
 * 1, 2.5 and 5 of each decade, which Prometheus users expect, are bounds.
 */
#define HOSTACCT_HIST_DECADES	7
#define HOSTACCT_HIST_N		(HOSTACCT_HIST_DECADES * 10 + 2)

static u64 hostacct_hist_le[HOSTACCT_HIST_N];

enum {
	HOSTACCT_PHASE_STARTUP,
	HOSTACCT_PHASE_SHUTDOWN,
	HOSTACCT_PHASE_N
};

struct hostacct_hist {
	atomic64_t count;
	atomic64_t sum_ns;
	atomic64_t bucket[HOSTACCT_HIST_N];
};

static struct hostacct_hist hostacct_hists[HOSTACCT_CLASS_MAX + 1][HOSTACCT_PHASE_N];

static void hostacct_hist_init(void)
{
	static const u16 r10[] = { 100, 125, 160, 200, 250, 315, 400, 500, 630, 800 };
	u64 decade = 10 * NSEC_PER_USEC;
	unsigned int d, i, k = 0;

	for (d = 0; d < HOSTACCT_HIST_DECADES; d++, decade *= 10)
		for (i = 0; i < ARRAY_SIZE(r10); i++)
			hostacct_hist_le[k++] = div_u64(decade * r10[i], 100);
	hostacct_hist_le[k++] = decade;
	hostacct_hist_le[k] = U64_MAX;
}

/* Count one duration of @class in @phase. Context: any. */
static void hostacct_hist_add(u32 class, unsigned int phase, u64 ns)
{
	struct hostacct_hist *h = &hostacct_hists[class][phase];
	unsigned int lo = 0, hi = HOSTACCT_HIST_N - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (ns <= hostacct_hist_le[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	atomic64_inc(&h->bucket[lo]);
	atomic64_add(ns, &h->sum_ns);
	atomic64_inc(&h->count);
}

static int hostacct_hist_put(struct sk_buff *skb, int attr,
			     const struct hostacct_hist *h)
{
	struct nlattr *nest, *b;
	unsigned int i;

	nest = nla_nest_start(skb, attr);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, HOSTACCT_A_HIST_COUNT,
			      atomic64_read(&h->count), HOSTACCT_A_HIST_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_HIST_SUM_NS,
			      atomic64_read(&h->sum_ns), HOSTACCT_A_HIST_PAD))
		goto cancel;
	for (i = 0; i < HOSTACCT_HIST_N; i++) {
		u64 n = atomic64_read(&h->bucket[i]);

		if (!n)
			continue;
		b = nla_nest_start(skb, HOSTACCT_A_HIST_BUCKET);
		if (!b ||
		    nla_put_u64_64bit(skb, HOSTACCT_A_BUCKET_LE_NS,
				      hostacct_hist_le[i], HOSTACCT_A_BUCKET_PAD) ||
		    nla_put_u64_64bit(skb, HOSTACCT_A_BUCKET_COUNT, n,
				      HOSTACCT_A_BUCKET_PAD) ||
		    nla_put_u64_64bit(skb, HOSTACCT_A_BUCKET_GT_NS,
				      i ? hostacct_hist_le[i - 1] : 0,
				      HOSTACCT_A_BUCKET_PAD))
			goto cancel;
		nla_nest_end(skb, b);
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/**
 * hostacct_life_put_stats - a class's start-up and shut-down histograms
 * @skb: message, inside the class's HOSTACCT_A_HOST_CLASS_STATS nest
 * @class: enum hostacct_class
 *
 * Return: 0 or -EMSGSIZE.
 */
int hostacct_life_put_stats(struct sk_buff *skb, u32 class)
{
	if (class == HOSTACCT_CLASS_KERNEL)
		return 0;
	if (hostacct_hist_put(skb, HOSTACCT_A_CLASS_STATS_STARTUP,
			      &hostacct_hists[class][HOSTACCT_PHASE_STARTUP]) ||
	    hostacct_hist_put(skb, HOSTACCT_A_CLASS_STATS_SHUTDOWN,
			      &hostacct_hists[class][HOSTACCT_PHASE_SHUTDOWN]))
		return -EMSGSIZE;
	return 0;
}

/* The most hostacct_life_put_stats() adds for all classes together. */
size_t hostacct_life_stats_size(void)
{
	size_t bucket = nla_total_size(0) + 3 * nla_total_size_64bit(sizeof(u64));
	size_t hist = nla_total_size(0) + 2 * nla_total_size_64bit(sizeof(u64)) +
		      HOSTACCT_HIST_N * bucket;

	return HOSTACCT_CLASS_MAX * HOSTACCT_PHASE_N * hist;
}

static u64 hostacct_leader_start(struct task_struct *p)
{
	return READ_ONCE(p->group_leader)->start_boottime;
}

/* The entry of @p's thread group, or NULL. Context: RCU. */
static struct hostacct_life *hostacct_life_find(struct task_struct *p)
{
	const void *sig = p->signal;
	struct hostacct_life *l;

	l = rhashtable_lookup(&hostacct_lives, &sig, hostacct_life_params);
	return l && l->start_ns == hostacct_leader_start(p) ? l : NULL;
}

static void hostacct_life_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(hostacct_life_cache,
			container_of(head, struct hostacct_life, rcu));
	hostacct_mem_charge(-(s64)sizeof(struct hostacct_life));
}

/*
 * The entry of @p's thread group, made if there is none.
 * Context: RCU; does not sleep. Return: the entry, or NULL (counted).
 */
static struct hostacct_life *hostacct_life_get(struct task_struct *p)
{
	struct hostacct_life *l = hostacct_life_find(p), *old;

	if (l)
		return l;
	l = kmem_cache_zalloc(hostacct_life_cache, GFP_ATOMIC | __GFP_NOWARN);
	if (!l) {
		hostacct_count(HOSTACCT_CNT_LIFE_ATOMIC_FAIL);
		return NULL;
	}
	l->sig = p->signal;
	l->start_ns = hostacct_leader_start(p);
	old = rhashtable_lookup_get_insert_fast(&hostacct_lives, &l->node,
						hostacct_life_params);
	if (!old) {
		hostacct_mem_charge(sizeof(*l));
		return l;
	}
	if (!IS_ERR(old) && old->start_ns == l->start_ns) {
		/* made at the same time by another thread */
		kmem_cache_free(hostacct_life_cache, l);
		return old;
	}
	/*
	 * An error, or an entry of a thread group whose free we did not see
	 * (the key is reused): that one goes.
	 */
	if (IS_ERR(old) ||
	    rhashtable_replace_fast(&hostacct_lives, &old->node, &l->node,
				    hostacct_life_params)) {
		kmem_cache_free(hostacct_life_cache, l);
		hostacct_count(HOSTACCT_CNT_LIFE_ATOMIC_FAIL);
		return NULL;
	}
	call_rcu(&old->rcu, hostacct_life_free_rcu);
	hostacct_mem_charge(sizeof(*l));
	return l;
}

/* CPU time of @p's thread group over its life. Context: RCU. */
static u64 hostacct_life_cpu(struct task_struct *p)
{
	struct hostacct_usage u;

	hostacct_usage_init(&u);
	hostacct_usage_add_cpu(&u, p);
	return u.cpu_ns;
}

/*
 * Post a start or stop of process @p (a native process or a VMM).
 * Context: RCU.
 */
static void hostacct_life_post(u32 cmd, u32 class, u32 changed,
			       struct task_struct *p,
			       const struct hostacct_life *l, u64 shutdown_ns)
{
	struct hostacct_event *ev = hostacct_event_new(class, NULL);
	struct task_struct *leader = READ_ONCE(p->group_leader);

	if (!ev)
		return;
	ev->cmd = cmd;
	ev->changed = changed;
	ev->pid = p->tgid;
	ev->id = p->tgid;
	ev->start_ns = leader->start_boottime;
	ev->cgroup_id = cgroup_id(task_dfl_cgroup(p));
	/* the leader's: the last thread to exit may be a worker */
	strscpy(ev->comm, leader->comm, sizeof(ev->comm));
	if (cmd == HOSTACCT_CMD_WORKLOAD_STOP_NTF) {
		ev->cpu_ns = hostacct_life_cpu(leader);
		ev->have |= HOSTACCT_EV_CPU;
	}
	if (l && test_bit(HOSTACCT_LIFE_STARTUP, &l->flags)) {
		ev->startup_ns = l->startup_ns;
		ev->have |= HOSTACCT_EV_STARTUP;
	}
	if (shutdown_ns) {
		ev->shutdown_ns = shutdown_ns;
		ev->have |= HOSTACCT_EV_SHUTDOWN;
	}
	hostacct_event_post(ev);
}

/**
 * hostacct_life_fork - a new thread group: a native process starts
 * @child: the new task, not running yet
 *
 * Context: sched_process_fork, after the container registry saw it.
 */
void hostacct_life_fork(struct task_struct *child)
{
	struct hostacct_life *l;

	if ((child->flags & PF_KTHREAD) || !thread_group_leader(child) ||
	    !hostacct_events_wanted(HOSTACCT_CLASS_NATIVE))
		return;
	rcu_read_lock();
	if (!hostacct_ctr_life_of(task_dfl_cgroup(child), NULL)) {
		/* remembered, so that joining a container later stops it */
		l = hostacct_life_get(child);
		if (l)
			set_bit(HOSTACCT_LIFE_NATIVE, &l->flags);
		hostacct_life_post(HOSTACCT_CMD_WORKLOAD_START_NTF,
				   HOSTACCT_CLASS_NATIVE, 0, child, NULL, 0);
	}
	rcu_read_unlock();
}

/*
 * @p, announced as a native process, is one of a container's processes
 * now (a runtime moved it into the container's cgroup): it stops as a
 * native process. Context: RCU.
 */
static void hostacct_life_joined(struct task_struct *p, struct hostacct_life *l)
{
	if (l && test_and_clear_bit(HOSTACCT_LIFE_NATIVE, &l->flags))
		hostacct_life_post(HOSTACCT_CMD_WORKLOAD_STOP_NTF,
				   HOSTACCT_CLASS_NATIVE, HOSTACCT_CLASS_CONTAINER,
				   p, l, 0);
}

/*
 * Whether @p's last exec was the first since its fork: exec counts up
 * self_exec_id, which a child starts with equal to parent_exec_id (not
 * so for a CLONE_PARENT child of a process that execed: missed).
 */
static bool hostacct_first_exec(struct task_struct *p)
{
	return READ_ONCE(p->self_exec_id) == READ_ONCE(p->parent_exec_id) + 1;
}

/**
 * hostacct_life_exec - a thread group execed
 * @p: current, its leader now
 *
 * Context: sched_process_exec.
 */
void hostacct_life_exec(struct task_struct *p)
{
	u64 now = ktime_get_boottime_ns();
	struct hostacct_ctr_life *cl;
	struct hostacct_life *l;

	rcu_read_lock();
	l = hostacct_life_get(p);
	if (l)
		WRITE_ONCE(l->exec_ns, now);

	/* a container's payload: the first exec in its pid namespace */
	if (task_active_pid_ns(p) != &init_pid_ns) {
		cl = hostacct_ctr_note_exec(p, NULL);
		if (cl) {
			if (!READ_ONCE(cl->exec_ns) && cl->start_ns &&
			    !cmpxchg64(&cl->exec_ns, 0, now)) {
				u64 d = now > cl->start_ns ? now - cl->start_ns : 0;

				WRITE_ONCE(cl->startup_ns, d);
				hostacct_hist_add(HOSTACCT_CLASS_CONTAINER,
						  HOSTACCT_PHASE_STARTUP, d);
			}
			hostacct_life_joined(p, l);
			goto out;
		}
	} else if (hostacct_ctr_life_of(task_dfl_cgroup(p), NULL)) {
		/* a container's process in the host's pid namespace */
		hostacct_life_joined(p, l);
		goto out;
	}

	if (hostacct_first_exec(p)) {
		u64 d = now - p->start_boottime;

		hostacct_hist_add(HOSTACCT_CLASS_NATIVE, HOSTACCT_PHASE_STARTUP, d);
		if (l) {
			WRITE_ONCE(l->startup_ns, d);
			set_bit(HOSTACCT_LIFE_STARTUP, &l->flags);
		}
	}
out:
	rcu_read_unlock();
}

/**
 * hostacct_life_vcpu_ran - the first guest entry of one of current's vCPUs
 *
 * The first of the process makes it a VM: its start-up ends, it stops as
 * a native process (or leaves its container's members) and starts as a VM.
 *
 * Context: the guest-entry probe, interrupts off.
 */
void hostacct_life_vcpu_ran(void)
{
	struct task_struct *p = current;
	struct hostacct_life *l;
	u32 was;
	u64 now;

	rcu_read_lock();
	l = hostacct_life_get(p);
	if (!l || test_and_set_bit(HOSTACCT_LIFE_VMM, &l->flags))
		goto out;
	now = ktime_get_boottime_ns();
	was = hostacct_ctr_life_of(task_dfl_cgroup(p), NULL) ?
	      HOSTACCT_CLASS_CONTAINER : HOSTACCT_CLASS_NATIVE;
	if (test_and_clear_bit(HOSTACCT_LIFE_NATIVE, &l->flags) ||
	    was == HOSTACCT_CLASS_NATIVE)
		hostacct_life_post(HOSTACCT_CMD_WORKLOAD_STOP_NTF,
				   HOSTACCT_CLASS_NATIVE, HOSTACCT_CLASS_KVM,
				   p, l, 0);
	clear_bit(HOSTACCT_LIFE_STARTUP, &l->flags);
	if (l->exec_ns) {
		WRITE_ONCE(l->startup_ns, now - l->exec_ns);
		set_bit(HOSTACCT_LIFE_STARTUP, &l->flags);
		hostacct_hist_add(HOSTACCT_CLASS_KVM, HOSTACCT_PHASE_STARTUP,
				  l->startup_ns);
	}
	hostacct_life_post(HOSTACCT_CMD_WORKLOAD_START_NTF, HOSTACCT_CLASS_KVM,
			   was, p, l, 0);
out:
	rcu_read_unlock();
}

/*
 * Whether @sig asks @t to stop (see the top of the file): sig_fatal(),
 * with the sighand pointer read as RCU wants it. Context: RCU, @t's
 * siglock held.
 */
static bool hostacct_stop_signal(int sig, struct task_struct *t)
{
	struct sighand_struct *sh;

	switch (sig) {
	case SIGKILL:
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		return true;
	case SIGCHLD:
		return false;
	}
	if (sig <= 0 || sig > _NSIG ||
	    siginmask(sig, SIG_KERNEL_IGNORE_MASK | SIG_KERNEL_STOP_MASK))
		return false;
	sh = rcu_dereference(t->sighand);
	return sh && sh->action[sig - 1].sa.sa_handler == SIG_DFL;
}

/**
 * hostacct_life_signal - a signal was generated for @t
 * @sig: the signal
 * @t: the target task
 * @result: TRACE_SIGNAL_*: delivered, ignored, ...
 *
 * Context: signal_generate, @t's siglock held, interrupts off.
 */
void hostacct_life_signal(int sig, struct task_struct *t, int result)
{
	struct hostacct_ctr_life *cl;
	struct hostacct_life *l;
	u64 now;

	if ((result != TRACE_SIGNAL_DELIVERED && result != TRACE_SIGNAL_LOSE_INFO) ||
	    (t->flags & PF_KTHREAD) || sig == SIGCHLD)
		return;
	rcu_read_lock();
	if (!hostacct_stop_signal(sig, t))
		goto out;
	now = ktime_get_boottime_ns();
	l = hostacct_life_get(t);
	if (l && !READ_ONCE(l->shut_ns))
		cmpxchg64(&l->shut_ns, 0, now);
	cl = hostacct_ctr_life_of(task_dfl_cgroup(t), NULL);
	if (cl && !READ_ONCE(cl->shut_ns) &&
	    (sig == SIGKILL ||
	     same_thread_group(READ_ONCE(task_active_pid_ns(t)->child_reaper), t)))
		cmpxchg64(&cl->shut_ns, 0, now);
out:
	rcu_read_unlock();
}

/**
 * hostacct_life_exit - a thread exits: the thread group's stop
 * @p: current
 *
 * Its last thread is the one that finds no thread alive (signal->live);
 * when threads exit at once, more than one can find that, so the entry
 * says whether the stop was handled already. A single-threaded process
 * needs an entry only if it has one already.
 *
 * Context: sched_process_exit.
 */
void hostacct_life_exit(struct task_struct *p)
{
	struct hostacct_life *l;
	u64 now, shutdown = 0;
	u32 class;

	if ((p->flags & PF_KTHREAD) || atomic_read(&p->signal->live))
		return;
	rcu_read_lock();
	l = hostacct_life_find(p);
	if (!l && READ_ONCE(p->signal->nr_threads) > 1)
		l = hostacct_life_get(p);
	if (l && test_and_set_bit(HOSTACCT_LIFE_STOPPED, &l->flags))
		goto out;
	if (l && test_bit(HOSTACCT_LIFE_VMM, &l->flags)) {
		class = HOSTACCT_CLASS_KVM;
	} else {
		if (!hostacct_events_wanted(HOSTACCT_CLASS_NATIVE) &&
		    !(l && l->shut_ns))
			goto out;
		if (hostacct_ctr_life_of(task_dfl_cgroup(p), NULL)) {
			/* one of a container's processes */
			hostacct_life_joined(p, l);
			goto out;
		}
		class = HOSTACCT_CLASS_NATIVE;
	}
	now = ktime_get_boottime_ns();
	if (l && l->shut_ns) {
		shutdown = now > l->shut_ns ? now - l->shut_ns : 1;
		hostacct_hist_add(class, HOSTACCT_PHASE_SHUTDOWN, shutdown);
	}
	hostacct_life_post(HOSTACCT_CMD_WORKLOAD_STOP_NTF, class, 0, p, l,
			   shutdown);
out:
	rcu_read_unlock();
}

/**
 * hostacct_life_free - a thread group is freed: drop its entry
 * @p: the task being freed
 *
 * Context: sched_process_free (an RCU callback).
 */
void hostacct_life_free(struct task_struct *p)
{
	const void *sig = p->signal;
	struct hostacct_life *l;

	if (!thread_group_leader(p))
		return;
	rcu_read_lock();
	l = rhashtable_lookup(&hostacct_lives, &sig, hostacct_life_params);
	if (l && l->start_ns == p->start_boottime &&
	    !rhashtable_remove_fast(&hostacct_lives, &l->node,
				    hostacct_life_params))
		call_rcu(&l->rcu, hostacct_life_free_rcu);
	rcu_read_unlock();
}

/**
 * hostacct_life_populated - a cgroup got its first task or lost its last
 * @cgrp: the cgroup
 * @path: its path
 * @val: 1: populated now; 0: empty now
 *
 * A container's cgroup that empties is the container's stop; one that
 * fills again is a new start.
 *
 * Context: cgroup_notify_populated: css_set_lock held, interrupts off.
 */
void hostacct_life_populated(struct cgroup *cgrp, const char *path, int val)
{
	u64 id = cgroup_id(cgrp), now, shutdown = 0;
	struct hostacct_ctr_life *cl;

	rcu_read_lock();
	cl = hostacct_ctr_life_by_id(id);
	if (!cl)
		goto out;
	now = ktime_get_boottime_ns();
	if (!val && atomic_cmpxchg(&cl->state, HOSTACCT_CTR_RUNNING,
				   HOSTACCT_CTR_STOPPED) == HOSTACCT_CTR_RUNNING) {
		if (cl->shut_ns) {
			shutdown = now > cl->shut_ns ? now - cl->shut_ns : 1;
			hostacct_hist_add(HOSTACCT_CLASS_CONTAINER,
					  HOSTACCT_PHASE_SHUTDOWN, shutdown);
		}
		hostacct_ctr_post(HOSTACCT_CMD_WORKLOAD_STOP_NTF, id, cl, path,
				  shutdown);
	} else if (val && atomic_read(&cl->state) == HOSTACCT_CTR_STOPPED) {
		WRITE_ONCE(cl->start_ns, now);
		WRITE_ONCE(cl->exec_ns, 0);
		WRITE_ONCE(cl->startup_ns, 0);
		WRITE_ONCE(cl->shut_ns, 0);
		if (atomic_cmpxchg(&cl->state, HOSTACCT_CTR_STOPPED,
				   HOSTACCT_CTR_RUNNING) == HOSTACCT_CTR_STOPPED)
			hostacct_ctr_post(HOSTACCT_CMD_WORKLOAD_START_NTF, id, cl,
					  path, 0);
	}
out:
	rcu_read_unlock();
}

struct hostacct_life_seed {
	struct hostacct_walk walk;
	hostacct_file_is_kvm_t is_kvm;
	bool vmm;
};

static void hostacct_life_seed_mm(struct task_struct *mt, void *arg)
{
	struct hostacct_life_seed *s = arg;

	s->vmm = hostacct_kvm_is_vmm(mt, s->is_kvm);
}

static int hostacct_life_seed_visit(struct hostacct_walk *w, struct task_struct *p)
{
	struct hostacct_life_seed *s = container_of(w, struct hostacct_life_seed, walk);
	struct hostacct_life *l;

	if (p->flags & PF_KTHREAD)
		return 0;
	s->vmm = false;
	hostacct_with_task_mm(p, hostacct_life_seed_mm, s);
	if (!s->vmm)
		return 0;
	l = hostacct_life_get(p);
	if (l)
		set_bit(HOSTACCT_LIFE_VMM, &l->flags);
	return 0;
}

/**
 * hostacct_life_seed - the VMs that run at load are VMs
 *
 * Their guests ran before the probe was there: mark them, so that their
 * exit is a VM's stop.
 *
 * Context: module init, after the probes are registered.
 */
int __init hostacct_life_seed(void)
{
	struct hostacct_life_seed s = {
		.walk = {
			.cursor = 1,
			.last = PID_MAX_LIMIT,
			.visit = hostacct_life_seed_visit,
		},
	};
	int err;

	s.is_kvm = hostacct_kvm_get();
	if (!s.is_kvm)
		return 0;
	err = hostacct_walk(&s.walk);
	hostacct_kvm_put(s.is_kvm);
	return err;
}

int __init hostacct_life_init(void)
{
	hostacct_hist_init();
	hostacct_life_cache = KMEM_CACHE(hostacct_life, 0);
	if (!hostacct_life_cache)
		return -ENOMEM;
	if (rhashtable_init(&hostacct_lives, &hostacct_life_params)) {
		kmem_cache_destroy(hostacct_life_cache);
		return -ENOMEM;
	}
	return 0;
}

static void hostacct_life_destroy_one(void *ptr, void *arg)
{
	kmem_cache_free(hostacct_life_cache, ptr);
	hostacct_mem_charge(-(s64)sizeof(struct hostacct_life));
}

/*
 * Context: the probes are unregistered; entries the free probe dropped
 * may wait for a grace period: rcu_barrier() first.
 */
void hostacct_life_destroy(void)
{
	rcu_barrier();
	rhashtable_free_and_destroy(&hostacct_lives, hostacct_life_destroy_one,
				    NULL);
	kmem_cache_destroy(hostacct_life_cache);
}
