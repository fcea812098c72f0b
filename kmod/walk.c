// SPDX-License-Identifier: GPL-2.0
/*
 * The one walk of a request: every thread group, in increasing tgid order.
 *
 * Locking: the visitor runs under rcu_read_lock(). Thread groups are found
 * through the pid IDR of the initial pid namespace, so a walk can stop
 * anywhere and resume from a tgid cursor: a process that exits mid-walk
 * is skipped, a new one may or may not be seen, none is seen twice. Each
 * pid (thread pids included) is stepped over once. task_struct and
 * signal_struct are freed only after an RCU grace period, so both may be
 * read in the visitor without references. RCU is dropped every
 * HOSTACCT_WALK_BATCH thread groups, where the walk may sleep and gives up
 * on a fatal signal.
 */

#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "hostacct.h"

/*
 * The thread group leader with the lowest tgid >= *cursor; *cursor is set
 * to its tgid. Context: rcu_read_lock() held.
 */
static struct task_struct *hostacct_next_tgid(pid_t *cursor)
{
	struct task_struct *p;
	struct pid *pid;

	for (;;) {
		pid = find_ge_pid(*cursor, &init_pid_ns);
		if (!pid)
			return NULL;
		*cursor = pid_nr(pid);
		p = pid_task(pid, PIDTYPE_TGID);
		if (p)
			return p;
		(*cursor)++;
	}
}

/* Context: rcu_read_lock() held. */
struct task_struct *hostacct_find_tgid(pid_t tgid)
{
	struct pid *pid = find_pid_ns(tgid, &init_pid_ns);

	return pid ? pid_task(pid, PIDTYPE_TGID) : NULL;
}

/**
 * hostacct_walk - visit thread groups from @w->cursor to @w->last
 * @w: the walk; @w->cursor is left at the thread group that stopped it
 *
 * Context: process context, may sleep between batches.
 * Return: 0 when every thread group up to @w->last was visited, the
 * visitor's or the batch callback's error, or -EINTR on a fatal signal.
 */
int hostacct_walk(struct hostacct_walk *w)
{
	for (;;) {
		unsigned int n;
		bool done = false;
		int err = 0;

		if (w->batch) {
			err = w->batch(w);
			if (err)
				return err;
		}
		rcu_read_lock();
		for (n = 0; n < HOSTACCT_WALK_BATCH; n++) {
			struct task_struct *p = hostacct_next_tgid(&w->cursor);

			if (!p || w->cursor > w->last) {
				done = true;
				break;
			}
			err = w->visit(w, p);
			if (err)
				break;
			w->cursor++;
		}
		rcu_read_unlock();

		if (err)
			return err;
		if (done)
			return 0;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}
