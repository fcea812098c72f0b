/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the supported kernels (Debian 12: 6.1 and 6.12),
 * by feature, in this one header so the rest reads like upstream code.
 * HOSTACCT_HAVE_* come from probes of the target's headers in kmod/Kbuild.
 */
#ifndef _HOSTACCT_COMPAT_H
#define _HOSTACCT_COMPAT_H

#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <net/genetlink.h>

/*
 * Split ops (6.2+) made struct genl_dumpit_info wrap a struct genl_info,
 * reached with genl_info_dump(); before, the parsed attributes sat in the
 * dumpit info itself.
 */
static inline struct nlattr **hostacct_dump_attrs(struct netlink_callback *cb)
{
#ifdef HOSTACCT_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * Whether @p's thread group should count @mm. Threads share one mm;
 * a CLONE_VM child outside the thread group (vfork before exec) shares
 * its parent's. With memory cgroups the mm records its owner, so each mm
 * is counted once, by its owner's thread group.
 */
static inline bool hostacct_mm_counted_by(struct mm_struct *mm,
					  struct task_struct *p)
{
#ifdef CONFIG_MEMCG
	struct task_struct *owner = rcu_dereference(mm->owner);

	return !owner || same_thread_group(owner, p);
#else
	return true;
#endif
}

/*
 * RSS counters: atomics (with per-thread caches that /proc ignores too) on
 * 6.1, per-CPU counters since 6.2. Where the kernel offers the exact sum
 * (get_mm_counter_sum(), which /proc/PID/status reads since 6.12.y) use
 * it, so the numbers match procfs; otherwise procfs reads the same
 * get_mm_counter() we do.
 */
static inline unsigned long hostacct_mm_counter(struct mm_struct *mm,
						int member)
{
#ifdef HOSTACCT_HAVE_GET_MM_COUNTER_SUM
	return get_mm_counter_sum(mm, member);
#else
	return get_mm_counter(mm, member);
#endif
}

#endif /* _HOSTACCT_COMPAT_H */
