// SPDX-License-Identifier: GPL-2.0
/*
 * What one thread group used: CPU time and memory, read in place.
 *
 * Locking: everything here runs under rcu_read_lock(); task->mm is read
 * under task_lock(), which keeps the mm alive (exit_mm() clears it under
 * the same lock) without a reference that mmput() would have to drop in
 * a sleeping context.
 */

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "hostacct.h"

void hostacct_usage_init(struct hostacct_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->start_ns = U64_MAX;
}

struct hostacct_cpu_sum {
	u64 cpu;
	u64 ut;
	u64 st;
	u64 gt;
	u64 workers;
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
	c->workers = 0;
	c->nr = 0;
	for_each_thread(p, t) {
		u64 rt = READ_ONCE(t->se.sum_exec_runtime);

		c->cpu += rt;
		if (t->flags & HOSTACCT_PF_WORKER)
			c->workers += rt;
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
 * thread_group_cputime() does) counts every thread exactly once, and the
 * sum never decreases between two reads.
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
	u->workers_ns += c.workers;
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

/*
 * Whether @p's thread group should count @mm. Threads share one mm; a
 * CLONE_VM child outside the thread group (vfork before exec) shares its
 * parent's. With memory cgroups the mm records its owner, so each mm is
 * counted once, by its owner's thread group.
 */
static bool hostacct_mm_counted_by(struct mm_struct *mm, struct task_struct *p)
{
#ifdef CONFIG_MEMCG
	struct task_struct *owner = rcu_dereference(mm->owner);

	return !owner || same_thread_group(owner, p);
#else
	return true;
#endif
}

/*
 * hugetlbfs pages are not in the RSS counters: the mm counts them apart
 * (the HugetlbPages line of /proc/PID/status), in base pages.
 */
static u64 hostacct_mm_hugetlb_bytes(struct mm_struct *mm)
{
#ifdef CONFIG_HUGETLB_PAGE
	return (u64)atomic_long_read(&mm->hugetlb_usage) << PAGE_SHIFT;
#else
	return 0;
#endif
}

/**
 * hostacct_usage_add_mm - add a thread group's resident memory and swap
 * @u: accumulator
 * @p: thread group leader
 * @mm: its mm, kept alive by task_lock() on the thread it was read from
 * @exact: sum the per-CPU (6.12) or per-thread (6.1) parts of the RSS
 *	counters; otherwise read the shared part only, in O(1) (compat.h
 *	has the error bound)
 *
 * Context: rcu_read_lock() and task_lock() held.
 */
void hostacct_usage_add_mm(struct hostacct_usage *u, struct task_struct *p,
			   struct mm_struct *mm, bool exact)
{
	unsigned long anon, file, shmem, swap;

	if (!hostacct_mm_counted_by(mm, p))
		return;

	if (exact) {
		anon = hostacct_mm_counter_exact(mm, p, MM_ANONPAGES);
		file = hostacct_mm_counter_exact(mm, p, MM_FILEPAGES);
		shmem = hostacct_mm_counter_exact(mm, p, MM_SHMEMPAGES);
		swap = hostacct_mm_counter_exact(mm, p, MM_SWAPENTS);
	} else {
		anon = get_mm_counter(mm, MM_ANONPAGES);
		file = get_mm_counter(mm, MM_FILEPAGES);
		shmem = get_mm_counter(mm, MM_SHMEMPAGES);
		swap = get_mm_counter(mm, MM_SWAPENTS);
	}
	u->rss_anon += (u64)anon << PAGE_SHIFT;
	u->rss_file += (u64)file << PAGE_SHIFT;
	u->rss_shmem += (u64)shmem << PAGE_SHIFT;
	u->swap += (u64)swap << PAGE_SHIFT;
	u->hugetlb += hostacct_mm_hugetlb_bytes(mm);
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
	dst->hugetlb += src->hugetlb;
	dst->workers_ns += src->workers_ns;
	dst->nr_procs += src->nr_procs;
	dst->nr_threads += src->nr_threads;
	if (src->start_ns < dst->start_ns) {
		dst->start_ns = src->start_ns;
		dst->oldest_tgid = src->oldest_tgid;
	}
}
