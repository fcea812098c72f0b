// SPDX-License-Identifier: GPL-2.0
/*
 * The module's tracepoint probes, which run whether or not anyone
 * queries:
 *
 *  - sched_process_fork: a child forked into a pid namespace other than
 *    its parent's registers its container cgroup (classify.c). Every
 *    other fork costs two pointer loads and a compare, plus, while
 *    someone listens to native events, the native start (lifecycle.c).
 *  - sched_process_exec: the exec time a VM's start-up counts from; a
 *    native process's start-up; a container's payload (lifecycle.c).
 *  - sched_process_exit: a thread group's last thread ends its shut-down
 *    and stops it (lifecycle.c). Other threads return at once.
 *  - sched_process_free (an RCU callback after release_task(), when the
 *    process has left the pid table and its signal_struct holds the final
 *    totals): charges the rest of a thread group's CPU time to its class
 *    (ledger.c) and drops its lifecycle entry. Non-leader threads return
 *    at once; a leader costs two hash lookups, plus one per cgroup level
 *    (at most) when no query saw it and it lives in a cgroup below the
 *    root. No global lock is taken.
 *  - signal_generate: a stop signal starts a shut-down. Other signals
 *    (SIGCHLD at every exit) return after a switch.
 *  - cgroup_notify_populated: a container's cgroup that empties stops it.
 *    With this probe on, the kernel formats the path of every cgroup whose
 *    populated state changes (TRACE_CGROUP_PATH), as it does for tracing.
 *  - kvm_entry, a tracepoint of kvm.ko, registered when kvm.ko comes (a
 *    tracepoint module notifier, so that kvm.ko is never pinned) and
 *    unregistered when it goes: a vCPU's first entry into guest mode
 *    (kvm.c; every other entry costs one load and a compare).
 *
 * Each probe's work is timed (local_clock()) into per-CPU counters that
 * debugfs shows, so that its cost per event can be read directly.
 *
 * The core tracepoints are found with for_each_kernel_tracepoint(); on
 * unload all are unregistered and tracepoint_synchronize_unregister()
 * waits for running ones before the module text goes.
 */

#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/tracepoint.h>

#include "hostacct.h"

#define HOSTACCT_TIMED(probe, call)					\
	do {								\
		u64 __t0 = local_clock();				\
									\
		call;							\
		hostacct_probe_time(probe, local_clock() - __t0);	\
	} while (0)

static void hostacct_probe_fork(void *data, struct task_struct *parent,
				struct task_struct *child)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_FORK, ({
		hostacct_ctr_note_fork(parent, child);
		hostacct_life_fork(child);
	}));
}

static void hostacct_probe_exec(void *data, struct task_struct *p,
				pid_t old_pid, struct linux_binprm *bprm)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_EXEC, hostacct_life_exec(p));
}

static void hostacct_probe_exit(void *data, struct task_struct *p)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_EXIT, hostacct_life_exit(p));
}

static void hostacct_probe_free(void *data, struct task_struct *p)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_FREE, ({
		hostacct_ledger_exit(p);
		hostacct_life_free(p);
	}));
}

static void hostacct_probe_signal(void *data, int sig,
				  struct kernel_siginfo *info,
				  struct task_struct *task, int group,
				  int result)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_SIGNAL,
		       hostacct_life_signal(sig, task, result));
}

static void hostacct_probe_populated(void *data, struct cgroup *cgrp,
				     const char *path, int val)
{
	HOSTACCT_TIMED(HOSTACCT_PROBE_POPULATED,
		       hostacct_life_populated(cgrp, path, val));
}

struct hostacct_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct hostacct_tp hostacct_tps[] = {
	{ "sched_process_free", hostacct_probe_free },
	{ "sched_process_fork", hostacct_probe_fork },
	{ "sched_process_exec", hostacct_probe_exec },
	{ "sched_process_exit", hostacct_probe_exit },
	{ "signal_generate", hostacct_probe_signal },
	{ "cgroup_notify_populated", hostacct_probe_populated },
};

static void hostacct_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hostacct_tps); i++)
		if (!strcmp(tp->name, hostacct_tps[i].name))
			hostacct_tps[i].tp = tp;
}

/*
 * kvm.ko's kvm_entry: registered while kvm.ko is there. The notifier is
 * called for modules with tracepoints when they come and go (and, on
 * registration, for those already loaded), under the tracepoint module
 * list's mutex; a module's probes must be gone when its going notifier
 * returns.
 */
static struct tracepoint *hostacct_tp_kvm_entry;

static int hostacct_tp_module_notify(struct notifier_block *nb,
				     unsigned long val, void *data)
{
	struct tp_module *tp_mod = data;
	struct module *mod = tp_mod->mod;
	unsigned int i;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_OK;
	if (val == MODULE_STATE_GOING) {
		if (hostacct_tp_kvm_entry)
			tracepoint_probe_unregister(hostacct_tp_kvm_entry,
						    hostacct_kvm_entry_probe,
						    NULL);
		hostacct_tp_kvm_entry = NULL;
		return NOTIFY_OK;
	}
	if (val != MODULE_STATE_COMING || hostacct_tp_kvm_entry)
		return NOTIFY_OK;
	for (i = 0; i < mod->num_tracepoints; i++) {
		struct tracepoint *tp = tracepoint_ptr_deref(&mod->tracepoints_ptrs[i]);

		if (strcmp(tp->name, "kvm_entry"))
			continue;
		if (!tracepoint_probe_register(tp, hostacct_kvm_entry_probe, NULL))
			hostacct_tp_kvm_entry = tp;
		else
			pr_warn("kvm_entry: probe not registered: no VM start-up times\n");
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block hostacct_tp_module_nb = {
	.notifier_call = hostacct_tp_module_notify,
};

static void hostacct_probes_unregister(unsigned int n)
{
	while (n--)
		tracepoint_probe_unregister(hostacct_tps[n].tp,
					    hostacct_tps[n].probe, NULL);
}

int __init hostacct_probes_init(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(hostacct_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(hostacct_tps); i++) {
		if (!hostacct_tps[i].tp) {
			pr_err("tracepoint %s not found\n", hostacct_tps[i].name);
			return -ENOENT;
		}
	}
	/* The free probe first: every exit is charged from the start. */
	for (i = 0; i < ARRAY_SIZE(hostacct_tps); i++) {
		err = tracepoint_probe_register(hostacct_tps[i].tp,
						hostacct_tps[i].probe, NULL);
		if (err)
			goto fail;
	}
	err = register_tracepoint_module_notifier(&hostacct_tp_module_nb);
	if (err)
		goto fail;
	return 0;
fail:
	hostacct_probes_unregister(i);
	tracepoint_synchronize_unregister();
	return err;
}

void hostacct_probes_exit(void)
{
	/* calls the going notifier for kvm.ko if it is there */
	unregister_tracepoint_module_notifier(&hostacct_tp_module_nb);
	hostacct_probes_unregister(ARRAY_SIZE(hostacct_tps));
	/* No probe runs past this point: the module text may go. */
	tracepoint_synchronize_unregister();
}
