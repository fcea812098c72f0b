// SPDX-License-Identifier: GPL-2.0
/*
 * The module's two tracepoint probes, which run whether or not anyone
 * queries:
 *
 *  - sched_process_fork: a child forked into a pid namespace other than
 *    its parent's registers its container cgroup (classify.c). Every
 *    other fork costs two pointer loads and a compare.
 *  - sched_process_free (an RCU callback after release_task(), when the
 *    process has left the pid table and its signal_struct holds the final
 *    totals): charges the rest of a thread group's CPU time to its class
 *    (ledger.c). Non-leader threads return at once; a leader costs one
 *    hash lookup, plus one per cgroup level (at most) when no query saw
 *    it and it lives in a cgroup below the root. No global lock is taken.
 *
 * Both are found with for_each_kernel_tracepoint(); on unload they are
 * unregistered and tracepoint_synchronize_unregister() waits for running
 * ones before the module text goes.
 */

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "hostacct.h"

static struct tracepoint *hostacct_tp_fork;
static struct tracepoint *hostacct_tp_free;

static void hostacct_probe_fork(void *data, struct task_struct *parent,
				struct task_struct *child)
{
	hostacct_ctr_note_fork(parent, child);
}

static void hostacct_probe_free(void *data, struct task_struct *p)
{
	hostacct_ledger_exit(p);
}

static void hostacct_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		hostacct_tp_fork = tp;
	else if (!strcmp(tp->name, "sched_process_free"))
		hostacct_tp_free = tp;
}

int __init hostacct_probes_init(void)
{
	int err;

	for_each_kernel_tracepoint(hostacct_find_tp, NULL);
	if (!hostacct_tp_fork || !hostacct_tp_free) {
		pr_err("sched_process_fork/free tracepoints not found\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(hostacct_tp_free, hostacct_probe_free,
					NULL);
	if (err)
		return err;
	err = tracepoint_probe_register(hostacct_tp_fork, hostacct_probe_fork,
					NULL);
	if (err) {
		tracepoint_probe_unregister(hostacct_tp_free,
					    hostacct_probe_free, NULL);
		tracepoint_synchronize_unregister();
	}
	return err;
}

void hostacct_probes_exit(void)
{
	tracepoint_probe_unregister(hostacct_tp_fork, hostacct_probe_fork, NULL);
	tracepoint_probe_unregister(hostacct_tp_free, hostacct_probe_free, NULL);
	/* No probe runs past this point: the module text may go. */
	tracepoint_synchronize_unregister();
}
