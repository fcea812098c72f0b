// SPDX-License-Identifier: GPL-2.0
/*
 * Walking thread groups and reading what each one used.
 *
 * Locking: everything here runs under rcu_read_lock(). Thread groups are
 * found through the pid IDR of the initial pid namespace, in increasing
 * tgid order, so a walk can stop anywhere and resume from a tgid cursor:
 * a process that exits mid-walk is skipped, a new one may or may not be
 * seen, none is seen twice. task_struct and signal_struct are freed only
 * after an RCU grace period, so both may be read here without references.
 * task->mm is read under task_lock(), which keeps the mm alive (exit_mm()
 * clears it under the same lock) without taking a reference that mmput()
 * would have to drop in a sleeping context.
 */

#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "hostacct.h"

void hostacct_usage_init(struct hostacct_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->start_ns = U64_MAX;
}

/**
 * hostacct_next_tgid - the thread group leader with the lowest tgid >= *cursor
 * @cursor: in: where to start; out: the tgid found
 *
 * Context: rcu_read_lock() held.
 * Return: the leader, or NULL when no tgid >= *cursor exists.
 */
struct task_struct *hostacct_next_tgid(pid_t *cursor)
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

struct hostacct_cpu_sum {
	u64 cpu;
	u64 ut;
	u64 st;
	u64 gt;
	u32 nr;
};

static void hostacct_cpu_sum(struct task_struct *p, struct hostacct_cpu_sum *c)
{
	struct signal_struct *sig = p->signal;
	struct task_struct *t;

	c->cpu = sig->sum_sched_runtime;
	c->ut = sig->utime;
	c->st = sig->stime;
	c->gt = sig->gtime;
	c->nr = 0;
	for_each_thread(p, t) {
		c->cpu += READ_ONCE(t->se.sum_exec_runtime);
		c->ut += READ_ONCE(t->utime);
		c->st += READ_ONCE(t->stime);
		c->gt += READ_ONCE(t->gtime);
		c->nr++;
	}
}

/**
 * hostacct_usage_add_cpu - add a thread group's CPU time and thread count
 * @u: accumulator
 * @p: thread group leader
 *
 * Exited threads' time lives in signal_struct, live threads' in each task;
 * __exit_signal() moves a thread from one to the other under
 * signal->stats_lock, so reading both inside the same read section (as
 * thread_group_cputime() does) counts every thread exactly once.
 *
 * Context: rcu_read_lock() held.
 */
void hostacct_usage_add_cpu(struct hostacct_usage *u, struct task_struct *p)
{
	struct signal_struct *sig = p->signal;
	struct hostacct_cpu_sum c;
	unsigned long flags;
	unsigned int seq;

	seq = read_seqbegin(&sig->stats_lock);
	hostacct_cpu_sum(p, &c);
	/* If the lockless pass raced with an exit, take the lock. */
	if (read_seqretry(&sig->stats_lock, seq)) {
		read_seqlock_excl_irqsave(&sig->stats_lock, flags);
		hostacct_cpu_sum(p, &c);
		read_sequnlock_excl_irqrestore(&sig->stats_lock, flags);
	}

	u->cpu_ns += c.cpu;
	u->utime_ns += c.ut;
	u->stime_ns += c.st;
	u->gtime_ns += c.gt;
	u->nr_threads += c.nr;
	u->nr_procs++;
	if (p->start_boottime < u->start_ns) {
		u->start_ns = p->start_boottime;
		u->oldest_tgid = task_tgid_nr(p);
	}
}

/**
 * hostacct_with_task_mm - call @fn on a thread of @p that still has an mm
 * @p: thread group leader (the leader may exit before its threads)
 * @fn: called with task_lock() held on the thread
 * @arg: passed to @fn
 *
 * Context: rcu_read_lock() held.
 * Return: whether a thread with an mm was found (no: kernel thread or
 * exited process).
 */
bool hostacct_with_task_mm(struct task_struct *p,
			   void (*fn)(struct task_struct *mt, void *arg),
			   void *arg)
{
	struct task_struct *t;

	for_each_thread(p, t) {
		bool found;

		task_lock(t);
		found = t->mm;
		if (found)
			fn(t, arg);
		task_unlock(t);
		if (found)
			return true;
	}
	return false;
}

/**
 * hostacct_usage_add_mm - add a thread group's resident memory and swap
 * @u: accumulator
 * @p: thread group leader
 * @mm: its mm, kept alive by task_lock() on the thread it was read from
 *
 * The counters are those /proc/PID/status reads (see compat.h).
 *
 * Context: rcu_read_lock() and task_lock() held.
 */
void hostacct_usage_add_mm(struct hostacct_usage *u, struct task_struct *p,
			   struct mm_struct *mm)
{
	if (!hostacct_mm_counted_by(mm, p))
		return;

	u->rss_anon += (u64)hostacct_mm_counter(mm, MM_ANONPAGES) << PAGE_SHIFT;
	u->rss_file += (u64)hostacct_mm_counter(mm, MM_FILEPAGES) << PAGE_SHIFT;
	u->rss_shmem += (u64)hostacct_mm_counter(mm, MM_SHMEMPAGES) << PAGE_SHIFT;
	u->swap += (u64)hostacct_mm_counter(mm, MM_SWAPENTS) << PAGE_SHIFT;
}

void hostacct_usage_merge(struct hostacct_usage *dst,
			  const struct hostacct_usage *src)
{
	dst->cpu_ns += src->cpu_ns;
	dst->utime_ns += src->utime_ns;
	dst->stime_ns += src->stime_ns;
	dst->gtime_ns += src->gtime_ns;
	dst->rss_anon += src->rss_anon;
	dst->rss_file += src->rss_file;
	dst->rss_shmem += src->rss_shmem;
	dst->swap += src->swap;
	dst->nr_procs += src->nr_procs;
	dst->nr_threads += src->nr_threads;
	if (src->start_ns < dst->start_ns) {
		dst->start_ns = src->start_ns;
		dst->oldest_tgid = src->oldest_tgid;
	}
}

/**
 * hostacct_usage_split - user, system and guest shares of the precise total
 * @u: usage
 * @user: user time, guest included
 * @system: system time
 * @guest: guest time
 *
 * utime and stime are sampled at ticks; like cputime_adjust() for
 * /proc/PID/stat, scale them so that user + system equals the precise
 * runtime. Guest time is sampled as part of user time, scaled by the
 * same factor, and never exceeds it.
 */
void hostacct_usage_split(const struct hostacct_usage *u, u64 *user,
			  u64 *system, u64 *guest)
{
	u64 ut = u->utime_ns, st = u->stime_ns, rt = u->cpu_ns;

	if (!st) {
		*user = rt;
		*system = 0;
	} else if (!ut) {
		*user = 0;
		*system = rt;
	} else {
		*system = mul_u64_u64_div_u64(st, rt, st + ut);
		*user = rt - *system;
	}

	if (!ut)
		*guest = 0;
	else
		*guest = min(mul_u64_u64_div_u64(u->gtime_ns, *user, ut), *user);
}
