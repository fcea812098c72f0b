/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * hostacct: per-workload CPU and memory accounting over generic netlink.
 *
 * Documentation/netlink/specs/hostacct.yaml describes the same family; the
 * two must agree (make check verifies it). Attribute and command numbers
 * start at 1 and are never reused. 64-bit values are u64 aligned with the
 * set's PAD attribute. Counters are cumulative and never reset by reading.
 */
#ifndef _UAPI_LINUX_HOSTACCT_H
#define _UAPI_LINUX_HOSTACCT_H

#define HOSTACCT_FAMILY_NAME	"hostacct"
#define HOSTACCT_FAMILY_VERSION	1

/**
 * enum hostacct_class - workload classes
 * @HOSTACCT_CLASS_KERNEL: all kernel threads, one workload with id 0
 * @HOSTACCT_CLASS_NATIVE: a user process that is neither a VMM nor part
 *	of a container; id is its tgid
 * @HOSTACCT_CLASS_KVM: a process holding a KVM VM file descriptor (a VMM);
 *	id is its tgid
 * @HOSTACCT_CLASS_CONTAINER: the tasks of a cgroup v2 subtree that hosts a
 *	container; id is the cgroup id of the subtree's top cgroup
 */
enum hostacct_class {
	HOSTACCT_CLASS_KERNEL = 1,
	HOSTACCT_CLASS_NATIVE,
	HOSTACCT_CLASS_KVM,
	HOSTACCT_CLASS_CONTAINER,

	/* private: */
	__HOSTACCT_CLASS_MAX,
	HOSTACCT_CLASS_MAX = (__HOSTACCT_CLASS_MAX - 1)
};

/*
 * Attributes of HOSTACCT_CMD_HOST_GET replies; the request takes only
 * SYNC. Every CPU counter is cumulative and never decreases (the module
 * accumulates each CPU's sources; see the admin guide).
 */
enum {
	HOSTACCT_A_HOST_PAD = 1,
	HOSTACCT_A_HOST_KERNEL_RELEASE,		/* string */
	HOSTACCT_A_HOST_MODULE_VERSION,		/* string */
	HOSTACCT_A_HOST_TIMESTAMP_NS,		/* u64, CLOCK_BOOTTIME */
	HOSTACCT_A_HOST_NR_CPUS_ONLINE,		/* u32 */
	HOSTACCT_A_HOST_MEM_TOTAL_BYTES,	/* u64, MemTotal */
	HOSTACCT_A_HOST_MEM_FREE_BYTES,		/* u64, MemFree */
	HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES,	/* u64, MemAvailable */
	/* CPU time summed over all CPUs, as the "cpu" line of /proc/stat */
	HOSTACCT_A_HOST_CPU_USER_NS,		/* u64, includes guest */
	HOSTACCT_A_HOST_CPU_NICE_NS,		/* u64, includes guest-nice */
	HOSTACCT_A_HOST_CPU_SYSTEM_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_IDLE_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_IOWAIT_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_IRQ_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_SOFTIRQ_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_STEAL_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_GUEST_NS,		/* u64 */
	HOSTACCT_A_HOST_CPU_GUEST_NICE_NS,	/* u64 */
	HOSTACCT_A_HOST_CLASS_STATS,		/* nest, multi, HOSTACCT_A_CLASS_STATS_* */
	HOSTACCT_A_HOST_SAMPLE_NS,		/* u64, span the sample stands for */
	HOSTACCT_A_HOST_IRQ_TIME_APART,		/* flag: irq, softirq not in tasks' time */
	HOSTACCT_A_HOST_STEAL_TIME_APART,	/* flag: steal not in tasks' time */
	HOSTACCT_A_HOST_SYNC,			/* flag, request: charge reaped processes first */

	__HOSTACCT_A_HOST_MAX,
	HOSTACCT_A_HOST_MAX = (__HOSTACCT_A_HOST_MAX - 1)
};

/*
 * Nested in HOSTACCT_A_HOST_CLASS_STATS, one per class: the CPU time charged
 * to the class since the module was loaded (a process's time is charged to
 * the class it has when a query or its exit sees it; the lifetime of
 * processes alive at the first query is charged then), so that over any
 * interval the classes, idle and the rest add up to the host's CPU time.
 * Never decreases.
 */
enum {
	HOSTACCT_A_CLASS_STATS_PAD = 1,
	HOSTACCT_A_CLASS_STATS_CLASS,		/* u32, enum hostacct_class */
	HOSTACCT_A_CLASS_STATS_CPU_NS,		/* u64, charged since load */
	HOSTACCT_A_CLASS_STATS_EXITED_CPU_NS,	/* u64, the part charged at exits */
	HOSTACCT_A_CLASS_STATS_NR_WORKLOADS,	/* u32 */
	HOSTACCT_A_CLASS_STATS_NR_PROCS,	/* u32 */
	HOSTACCT_A_CLASS_STATS_NR_THREADS,	/* u32 */
	HOSTACCT_A_CLASS_STATS_STARTUP,		/* nest, HOSTACCT_A_HIST_* */
	HOSTACCT_A_CLASS_STATS_SHUTDOWN,	/* nest, HOSTACCT_A_HIST_* */

	__HOSTACCT_A_CLASS_STATS_MAX,
	HOSTACCT_A_CLASS_STATS_MAX = (__HOSTACCT_A_CLASS_STATS_MAX - 1)
};

/*
 * Nested in HOSTACCT_A_CLASS_STATS_STARTUP and _SHUTDOWN: the start-up or
 * shut-down durations measured for a class since the module was loaded,
 * as a histogram. Cumulative: no count ever decreases.
 */
enum {
	HOSTACCT_A_HIST_PAD = 1,
	HOSTACCT_A_HIST_COUNT,			/* u64, durations measured */
	HOSTACCT_A_HIST_SUM_NS,			/* u64, their sum */
	HOSTACCT_A_HIST_BUCKET,			/* nest, multi, HOSTACCT_A_BUCKET_* */

	__HOSTACCT_A_HIST_MAX,
	HOSTACCT_A_HIST_MAX = (__HOSTACCT_A_HIST_MAX - 1)
};

/*
 * Nested in HOSTACCT_A_HIST_BUCKET: one bucket, durations d with
 * GT_NS < d <= LE_NS; only buckets that hold a duration are sent.
 */
enum {
	HOSTACCT_A_BUCKET_PAD = 1,
	HOSTACCT_A_BUCKET_LE_NS,		/* u64, upper bound; U64_MAX for +Inf */
	HOSTACCT_A_BUCKET_COUNT,		/* u64, durations in the bucket */
	HOSTACCT_A_BUCKET_GT_NS,		/* u64, lower bound (excluded) */

	__HOSTACCT_A_BUCKET_MAX,
	HOSTACCT_A_BUCKET_MAX = (__HOSTACCT_A_BUCKET_MAX - 1)
};

/*
 * Attributes of HOSTACCT_CMD_WORKLOAD_GET. In requests: CLASS and ID select
 * one workload (do); CLASS_MASK, PID and CGROUP_ID filter a dump;
 * EXACT_MEM asks for exact RSS counters. CPU counters never decrease for
 * one workload (class, id, start time); containers carry none: their CPU
 * time is their cgroup's cpu.stat.
 */
enum {
	HOSTACCT_A_WORKLOAD_PAD = 1,
	HOSTACCT_A_WORKLOAD_CLASS,		/* u32, enum hostacct_class */
	HOSTACCT_A_WORKLOAD_ID,			/* u64 */
	HOSTACCT_A_WORKLOAD_NAME,		/* string */
	HOSTACCT_A_WORKLOAD_LEADER_PID,		/* u32, initial pid namespace */
	HOSTACCT_A_WORKLOAD_CGROUP_ID,		/* u64 */
	HOSTACCT_A_WORKLOAD_CGROUP_PATH,	/* string */
	HOSTACCT_A_WORKLOAD_CONTAINER_ID,	/* u64, enclosing container */
	HOSTACCT_A_WORKLOAD_NR_PROCS,		/* u32 */
	HOSTACCT_A_WORKLOAD_NR_THREADS,		/* u32 */
	HOSTACCT_A_WORKLOAD_START_TIME_NS,	/* u64, CLOCK_BOOTTIME */
	HOSTACCT_A_WORKLOAD_CPU_NS,		/* u64, precise */
	HOSTACCT_A_WORKLOAD_CPU_USER_NS,	/* u64, includes guest */
	HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS,	/* u64 */
	HOSTACCT_A_WORKLOAD_CPU_GUEST_NS,	/* u64 */
	HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES,	/* u64 */
	HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES,	/* u64 */
	HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES, /* u64 */
	HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES,	/* u64 */
	HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES,	/* u64, memory.current */
	HOSTACCT_A_WORKLOAD_KVM,		/* nest, HOSTACCT_A_KVM_* */
	HOSTACCT_A_WORKLOAD_CLASS_MASK,		/* u32, request: 1 << class */
	HOSTACCT_A_WORKLOAD_PID,		/* u32, request: containing pid */
	HOSTACCT_A_WORKLOAD_EXACT_MEM,		/* flag, request: exact RSS */
	HOSTACCT_A_WORKLOAD_MEM_HUGETLB_BYTES,	/* u64, hugetlbfs pages mapped */
	HOSTACCT_A_WORKLOAD_CPU_WORKERS_NS,	/* u64, kernel workers, in CPU_NS */
	HOSTACCT_A_WORKLOAD_EVENT_TIME_NS,	/* u64, notifications: CLOCK_BOOTTIME */
	HOSTACCT_A_WORKLOAD_EVENT_SEQ,		/* u64, notifications: per class */
	HOSTACCT_A_WORKLOAD_STARTUP_NS,		/* u64, measured start-up */
	HOSTACCT_A_WORKLOAD_SHUTDOWN_NS,	/* u64, measured shut-down */
	HOSTACCT_A_WORKLOAD_CHANGED_CLASS,	/* u32, notifications: to (stop), from (start) */

	__HOSTACCT_A_WORKLOAD_MAX,
	HOSTACCT_A_WORKLOAD_MAX = (__HOSTACCT_A_WORKLOAD_MAX - 1)
};

/* Nested in HOSTACCT_A_WORKLOAD_KVM: the VMs a VMM process holds. */
enum {
	HOSTACCT_A_KVM_PAD = 1,
	HOSTACCT_A_KVM_NR_VMS,			/* u32 */
	HOSTACCT_A_KVM_NR_VCPUS,		/* u32 */
	HOSTACCT_A_KVM_GUEST_MEM_BYTES,		/* u64, RAM behind the memslots */
	HOSTACCT_A_KVM_GUEST_RESIDENT_BYTES,	/* u64, mapped in stage 2 */
	HOSTACCT_A_KVM_VCPU_NS,			/* u64, vCPU threads' runtime */
	HOSTACCT_A_KVM_GUEST_NS,		/* u64, guest share of the VMM's CPU */
	HOSTACCT_A_KVM_OVERHEAD_NS,		/* u64, the rest of the VMM's CPU */
	HOSTACCT_A_KVM_HALT_POLL_NS,		/* u64 */
	HOSTACCT_A_KVM_VCPU,			/* nest, multi, HOSTACCT_A_VCPU_* */
	HOSTACCT_A_KVM_VCPUS_TRUNCATED,		/* flag: not every vCPU listed */
	HOSTACCT_A_KVM_DEVICE_MEM_BYTES,	/* u64, ROM, flash, display memory */

	__HOSTACCT_A_KVM_MAX,
	HOSTACCT_A_KVM_MAX = (__HOSTACCT_A_KVM_MAX - 1)
};

/* Nested in HOSTACCT_A_KVM_VCPU: one virtual CPU. */
enum {
	HOSTACCT_A_VCPU_PAD = 1,
	HOSTACCT_A_VCPU_ID,			/* u32, vcpu id */
	HOSTACCT_A_VCPU_TID,			/* u32, thread running it */
	HOSTACCT_A_VCPU_CPU_NS,			/* u64 */
	HOSTACCT_A_VCPU_GUEST_NS,		/* u64 */
	HOSTACCT_A_VCPU_HALT_POLL_NS,		/* u64 */

	__HOSTACCT_A_VCPU_MAX,
	HOSTACCT_A_VCPU_MAX = (__HOSTACCT_A_VCPU_MAX - 1)
};

/*
 * Workload start and stop notifications go to one multicast group per
 * class (a subscriber joins the classes it wants); each carries
 * HOSTACCT_A_WORKLOAD_* attributes and a sequence number per class that
 * grows by one per event, so a gap is the number of events lost.
 */
#define HOSTACCT_MCGRP_NATIVE		"native"
#define HOSTACCT_MCGRP_KVM		"kvm"
#define HOSTACCT_MCGRP_CONTAINER	"container"

enum {
	HOSTACCT_CMD_HOST_GET = 1,
	HOSTACCT_CMD_WORKLOAD_GET,
	HOSTACCT_CMD_WORKLOAD_START_NTF,
	HOSTACCT_CMD_WORKLOAD_STOP_NTF,

	__HOSTACCT_CMD_MAX,
	HOSTACCT_CMD_MAX = (__HOSTACCT_CMD_MAX - 1)
};

#endif /* _UAPI_LINUX_HOSTACCT_H */
