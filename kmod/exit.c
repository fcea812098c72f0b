// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time of thread groups that are gone.
 *
 * A process's CPU time stays visible to the walk until it is reaped; after
 * that it would vanish from its workload and class. Two tracepoint probes
 * keep it:
 *
 *  - sched_process_free (an RCU callback after release_task(), so the
 *    process is no longer in the pid table and its signal_struct holds the
 *    final totals of all its threads) adds the group's precise runtime to
 *    a per-CPU counter of its class, and for a container member to the
 *    container's residue. Only the group leader's free counts.
 *  - sched_process_exit, when the last thread of a process in a non-initial
 *    pid namespace exits, records its container cgroup: at free time the
 *    pid namespace is gone, but the cgroup is still attached, so members
 *    (including a shim in the host pid namespace that exits later) are
 *    matched by cgroup ancestry against the known container cgroups.
 *
 * Requests also record the containers and VMMs they find, so processes that
 * exit between two requests keep their class. A VMM is recognised at free
 * time only if a request saw it (its files are closed by then).
 *
 * Both tables are small fixed arrays: no allocation in the probes. Writers
 * take hostacct_exit_lock (rarely: a new container, a VMM seen or freed);
 * the free probe reads the container table locklessly and may miss an
 * entry being replaced, which only affects that one exit.
 */

#include <linux/cgroup.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>

#include "hostacct.h"

#define HOSTACCT_EXIT_CTRS	256
#define HOSTACCT_EXIT_VMMS	64

struct hostacct_exit_ctr {
	u64 id;
	atomic64_t cpu_ns;
};

struct hostacct_exited {
	u64 ns[HOSTACCT_CLASS_MAX + 1];
};

static DEFINE_PER_CPU(struct hostacct_exited, hostacct_exited);

static DEFINE_SPINLOCK(hostacct_exit_lock);
static struct hostacct_exit_ctr hostacct_exit_ctrs[HOSTACCT_EXIT_CTRS];
static unsigned int hostacct_exit_nr_ctrs;	/* slots in use */
static unsigned int hostacct_exit_next_ctr;	/* next slot to replace */
/* VMMs seen by requests; compared by address, never dereferenced */
static const void *hostacct_exit_vmms[HOSTACCT_EXIT_VMMS];
static unsigned int hostacct_exit_nr_vmms;

static struct tracepoint *hostacct_tp_exit;
static struct tracepoint *hostacct_tp_free;

static struct hostacct_exit_ctr *hostacct_exit_ctr_find(u64 id)
{
	/* Pairs with smp_store_release() in hostacct_exit_note_ctr(). */
	unsigned int i, n = smp_load_acquire(&hostacct_exit_nr_ctrs);

	for (i = 0; i < n; i++)
		if (READ_ONCE(hostacct_exit_ctrs[i].id) == id)
			return &hostacct_exit_ctrs[i];
	return NULL;
}

/**
 * hostacct_exit_note_ctr - remember a container cgroup
 * @id: its cgroup id
 *
 * Context: any; takes hostacct_exit_lock.
 */
void hostacct_exit_note_ctr(u64 id)
{
	struct hostacct_exit_ctr *c;
	unsigned long flags;

	if (hostacct_exit_ctr_find(id))
		return;

	spin_lock_irqsave(&hostacct_exit_lock, flags);
	if (!hostacct_exit_ctr_find(id)) {
		if (hostacct_exit_nr_ctrs < HOSTACCT_EXIT_CTRS) {
			c = &hostacct_exit_ctrs[hostacct_exit_nr_ctrs];
			atomic64_set(&c->cpu_ns, 0);
			WRITE_ONCE(c->id, id);
			/* Publish the slot after its contents. */
			smp_store_release(&hostacct_exit_nr_ctrs,
					  hostacct_exit_nr_ctrs + 1);
		} else {
			/* Full: replace round-robin; that residue is lost. */
			c = &hostacct_exit_ctrs[hostacct_exit_next_ctr];
			hostacct_exit_next_ctr = (hostacct_exit_next_ctr + 1) %
						 HOSTACCT_EXIT_CTRS;
			WRITE_ONCE(c->id, 0);
			atomic64_set(&c->cpu_ns, 0);
			WRITE_ONCE(c->id, id);
		}
	}
	spin_unlock_irqrestore(&hostacct_exit_lock, flags);
}

/* CPU time of the container's members that were reaped since load. */
u64 hostacct_exit_ctr_cpu(u64 id)
{
	struct hostacct_exit_ctr *c = hostacct_exit_ctr_find(id);

	return c ? atomic64_read(&c->cpu_ns) : 0;
}

/* Context: any; takes hostacct_exit_lock. */
void hostacct_exit_note_vmm(struct task_struct *p)
{
	const void *sig = p->signal;
	unsigned long flags;
	int i, free = -1;

	spin_lock_irqsave(&hostacct_exit_lock, flags);
	for (i = 0; i < HOSTACCT_EXIT_VMMS; i++) {
		if (hostacct_exit_vmms[i] == sig)
			goto out;
		if (!hostacct_exit_vmms[i] && free < 0)
			free = i;
	}
	if (free >= 0) {
		hostacct_exit_vmms[free] = sig;
		WRITE_ONCE(hostacct_exit_nr_vmms, hostacct_exit_nr_vmms + 1);
	}
out:
	spin_unlock_irqrestore(&hostacct_exit_lock, flags);
}

static bool hostacct_exit_take_vmm(const void *sig)
{
	unsigned long flags;
	bool found = false;
	int i;

	if (!READ_ONCE(hostacct_exit_nr_vmms))
		return false;

	spin_lock_irqsave(&hostacct_exit_lock, flags);
	for (i = 0; i < HOSTACCT_EXIT_VMMS; i++) {
		if (hostacct_exit_vmms[i] == sig) {
			hostacct_exit_vmms[i] = NULL;
			WRITE_ONCE(hostacct_exit_nr_vmms, hostacct_exit_nr_vmms - 1);
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&hostacct_exit_lock, flags);
	return found;
}

/* The outermost known container holding @cgrp. Context: RCU. */
static struct hostacct_exit_ctr *hostacct_exit_ctr_of(struct cgroup *cgrp)
{
	struct hostacct_exit_ctr *c;
	int level;

	if (!READ_ONCE(hostacct_exit_nr_ctrs))
		return NULL;
	for (level = 1; level <= cgrp->level; level++) {
		c = hostacct_exit_ctr_find(cgroup_id(cgroup_ancestor(cgrp, level)));
		if (c)
			return c;
	}
	return NULL;
}

/* sched_process_exit: the last thread of a namespaced process exits. */
static void hostacct_probe_exit(void *data, struct task_struct *p)
{
	struct pid_namespace *ns;
	struct cgroup *cgrp;

	if ((p->flags & PF_KTHREAD) || atomic_read(&p->signal->live))
		return;
	ns = task_active_pid_ns(p);
	if (!ns || ns == &init_pid_ns)
		return;

	rcu_read_lock();
	cgrp = hostacct_container_cgroup(p);
	if (cgrp)
		hostacct_exit_note_ctr(cgroup_id(cgrp));
	rcu_read_unlock();
}

/* sched_process_free: the process was reaped; its totals are final. */
static void hostacct_probe_free(void *data, struct task_struct *p)
{
	struct signal_struct *sig = p->signal;
	struct hostacct_exit_ctr *c = NULL;
	u32 class;
	u64 ns;

	if (!thread_group_leader(p))
		return;
	ns = READ_ONCE(sig->sum_sched_runtime);

	if (p->flags & PF_KTHREAD) {
		class = HOSTACCT_CLASS_KERNEL;
	} else if (hostacct_exit_take_vmm(sig)) {
		class = HOSTACCT_CLASS_KVM;
	} else {
		rcu_read_lock();
		c = hostacct_exit_ctr_of(task_dfl_cgroup(p));
		if (c)
			atomic64_add(ns, &c->cpu_ns);
		rcu_read_unlock();
		class = c ? HOSTACCT_CLASS_CONTAINER : HOSTACCT_CLASS_NATIVE;
	}
	this_cpu_add(hostacct_exited.ns[class], ns);
}

/* CPU time of the class's reaped processes since the module was loaded. */
u64 hostacct_exit_class_cpu(u32 class)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(hostacct_exited, cpu).ns[class]);
	return sum;
}

static void hostacct_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		hostacct_tp_exit = tp;
	else if (!strcmp(tp->name, "sched_process_free"))
		hostacct_tp_free = tp;
}

int __init hostacct_exit_init(void)
{
	int err;

	for_each_kernel_tracepoint(hostacct_find_tp, NULL);
	if (!hostacct_tp_exit || !hostacct_tp_free) {
		pr_err("sched_process_exit/free tracepoints not found\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(hostacct_tp_exit, hostacct_probe_exit,
					NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(hostacct_tp_free, hostacct_probe_free,
					NULL);
	if (err) {
		tracepoint_probe_unregister(hostacct_tp_exit,
					    hostacct_probe_exit, NULL);
		tracepoint_synchronize_unregister();
	}
	return err;
}

void hostacct_exit_exit(void)
{
	tracepoint_probe_unregister(hostacct_tp_free, hostacct_probe_free, NULL);
	tracepoint_probe_unregister(hostacct_tp_exit, hostacct_probe_exit, NULL);
	/* No probe runs past this point: the module text may go. */
	tracepoint_synchronize_unregister();
}
