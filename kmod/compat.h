/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the supported kernels (Debian 12: 6.1 and 6.12),
 * by feature, in this one header so the rest reads like upstream code.
 * HOSTACCT_HAVE_* come from probes of the target's headers in kmod/Kbuild.
 */
#ifndef _HOSTACCT_COMPAT_H
#define _HOSTACCT_COMPAT_H

#include <linux/mm.h>
#include <linux/sched.h>
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
 * The exact value of an RSS counter. get_mm_counter() reads the shared
 * part in O(1); what it misses:
 *  - since 6.2 the counters are per-CPU: up to (percpu_counter_batch - 1)
 *    pages per online CPU (batch = max(32, 2 * online CPUs));
 *    get_mm_counter_sum() sums the CPUs, under the counter's lock;
 *  - on 6.1 (SPLIT_RSS_COUNTING) each thread caches its own delta until
 *    64 page-fault events; the exact value adds every thread's cache.
 *
 * Context: rcu_read_lock() held (@p's threads are walked).
 */
static inline unsigned long hostacct_mm_counter_exact(struct mm_struct *mm,
						      struct task_struct *p,
						      int member)
{
#if defined(HOSTACCT_HAVE_GET_MM_COUNTER_SUM)
	return get_mm_counter_sum(mm, member);
#elif defined(SPLIT_RSS_COUNTING)
	long val = atomic_long_read(&mm->rss_stat.count[member]);
	struct task_struct *t;

	for_each_thread(p, t)
		if (READ_ONCE(t->mm) == mm)
			val += READ_ONCE(t->rss_stat.count[member]);
	return val > 0 ? val : 0;
#else
	return get_mm_counter(mm, member);
#endif
}

/*
 * KVM's memory address spaces (x86: 0, and 1 for SMM). 6.8 renamed
 * KVM_ADDRESS_SPACE_NUM to KVM_MAX_NR_ADDRESS_SPACES and let a VM type
 * have fewer: kvm_arch_nr_memslot_as_ids(). Macros, so that only kvm.c
 * needs linux/kvm_host.h.
 */
#ifdef HOSTACCT_HAVE_KVM_NR_MEMSLOT_AS_IDS
#define HOSTACCT_KVM_MAX_AS		KVM_MAX_NR_ADDRESS_SPACES
#define hostacct_kvm_nr_as(kvm)		kvm_arch_nr_memslot_as_ids(kvm)
#else
#define HOSTACCT_KVM_MAX_AS		KVM_ADDRESS_SPACE_NUM
#define hostacct_kvm_nr_as(kvm)		((void)(kvm), KVM_ADDRESS_SPACE_NUM)
#endif

/*
 * Threads of a process that run kernel code for it: io_uring workers on
 * both; since 6.4 also vhost workers and KVM's recovery thread
 * (vhost_task), which 6.1 runs as kernel threads (ledger.c).
 */
#ifdef PF_USER_WORKER
#define HOSTACCT_PF_WORKER	(PF_IO_WORKER | PF_USER_WORKER)
#else
#define HOSTACCT_PF_WORKER	PF_IO_WORKER
#define HOSTACCT_KTHREAD_WORKERS	/* vhost workers are kernel threads */
#endif

/* KVM's NX huge-page recovery worker, where it is a kernel thread (6.1). */
#if defined(HOSTACCT_KTHREAD_WORKERS) && defined(CONFIG_X86)
#define hostacct_kvm_kthread(kvm)	((kvm)->arch.nx_lpage_recovery_thread)
#endif

#endif /* _HOSTACCT_COMPAT_H */
