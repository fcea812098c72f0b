/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostacct internal interfaces. One file per concern; a request goes
 * parse -> prepare (one walk, a visitor that classifies and accumulates)
 * -> fill, the way ethtool's netlink code is shaped:
 *
 *   main.c      module init/exit
 *   netlink.c   family, per-command policies, permission check
 *   host.c      HOSTACCT_CMD_HOST_GET: CPU states, class totals
 *   workload.c  HOSTACCT_CMD_WORKLOAD_GET: parse, do/dump, messages
 *   walk.c      the resumable RCU walk of thread groups (one pass)
 *   usage.c     what one thread group used: CPU and memory
 *   classify.c  which workload a thread group belongs to; containers
 *   ledger.c    cumulative CPU per thread group and class, monotonic
 *   probes.c    tracepoint probes: fork, exec, exit, free, signals,
 *               cgroup population, a vCPU's first guest entry
 *   lifecycle.c start-up and shut-down of workloads; their events
 *   events.c    start and stop notifications, one group per class
 *   kvm.c       VMM detection, vCPUs, guest memory
 *   cgroup.c    cgroup paths and memory cgroup usage
 *   debugfs.c   what the module holds and does (allocations, counts)
 *
 * Dependencies run one way: workload.c and host.c use walk, classify,
 * ledger and usage; probes.c uses classify, ledger and lifecycle;
 * lifecycle.c uses classify; classify.c and lifecycle.c post to events.c,
 * which uses nothing; nothing calls back.
 */
#ifndef _HOSTACCT_H
#define _HOSTACCT_H

#include <linux/llist.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <net/genetlink.h>
#include <linux/hostacct.h>

#define HOSTACCT_VERSION	"0.2.0"

struct cgroup;
struct file;
struct mm_struct;
struct task_struct;

/* netlink.c */

/* Multicast groups, in the family's order: one per class with events. */
enum {
	HOSTACCT_MCGRP_IDX_NATIVE,
	HOSTACCT_MCGRP_IDX_KVM,
	HOSTACCT_MCGRP_IDX_CONTAINER,
};

extern struct genl_family hostacct_nl_family;
int hostacct_nl_init(void);
void hostacct_nl_exit(void);
int hostacct_nl_check_perm(struct sk_buff *skb, struct netlink_ext_ack *extack);

/* debugfs.c */
void hostacct_mem_charge(s64 delta);
void hostacct_count(unsigned int what);

enum {
	HOSTACCT_CNT_EXIT_SEEN,		/* frees of thread groups a query saw */
	HOSTACCT_CNT_EXIT_UNSEEN,	/* frees of thread groups none saw */
	HOSTACCT_CNT_LEDGER_FULL,	/* ledger inserts that failed */
	HOSTACCT_CNT_CTR_ATOMIC_FAIL,	/* containers not registered at fork */
	HOSTACCT_CNT_LIFE_ATOMIC_FAIL,	/* lifecycle entries not made (GFP_ATOMIC) */
	HOSTACCT_CNT_EVENT_SENT,	/* notifications sent */
	HOSTACCT_CNT_EVENT_DROPPED,	/* ... lost before sending (memory, backlog) */
	__HOSTACCT_CNT_MAX
};

/* Probes whose cost debugfs shows (probes.c times them). */
enum {
	HOSTACCT_PROBE_FORK,
	HOSTACCT_PROBE_EXEC,
	HOSTACCT_PROBE_EXIT,
	HOSTACCT_PROBE_FREE,
	HOSTACCT_PROBE_SIGNAL,
	HOSTACCT_PROBE_POPULATED,
	HOSTACCT_PROBE_VCPU_FIRST,	/* the slow path of the guest-entry probe */
	__HOSTACCT_PROBE_MAX
};

void hostacct_probe_time(unsigned int probe, u64 ns);

void hostacct_debugfs_init(void);
void hostacct_debugfs_exit(void);

/* host.c */
int hostacct_host_get_doit(struct sk_buff *skb, struct genl_info *info);
int hostacct_host_init(void);
void hostacct_host_exit(void);

/* workload.c */
int hostacct_workload_get_doit(struct sk_buff *skb, struct genl_info *info);
int hostacct_workload_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int hostacct_workload_get_done(struct netlink_callback *cb);

/* events.c */

enum {
	HOSTACCT_EV_CPU = BIT(0),
	HOSTACCT_EV_STARTUP = BIT(1),
	HOSTACCT_EV_SHUTDOWN = BIT(2),
};

/**
 * struct hostacct_event - a start or stop of a workload, to be sent
 * @node: in the queue
 * @cmd: HOSTACCT_CMD_WORKLOAD_START_NTF or _STOP_NTF
 * @class: the workload's class
 * @changed: the class it changed to (stop) or from (start), 0 if none
 * @have: HOSTACCT_EV_* of the optional values set
 * @pid: leader pid (native, kvm), 0 for a container
 * @id: workload id
 * @start_ns: CLOCK_BOOTTIME start of the workload (its identity)
 * @time_ns: CLOCK_BOOTTIME of the event
 * @cgroup_id: its cgroup, whose path is sent unless @path is set
 * @cpu_ns: CPU time over its life (stop)
 * @startup_ns: measured start-up
 * @shutdown_ns: measured shut-down
 * @comm: its name, or empty for a container (its cgroup's name)
 * @path: a cgroup path to send as it is (one that may be gone by then)
 */
struct hostacct_event {
	struct llist_node node;
	u8 cmd;
	u8 class;
	u8 changed;
	u8 have;
	u32 pid;
	u64 id;
	u64 start_ns;
	u64 time_ns;
	u64 cgroup_id;
	u64 cpu_ns;
	u64 startup_ns;
	u64 shutdown_ns;
	char comm[TASK_COMM_LEN];
	char path[];
};

bool hostacct_events_wanted(u32 class);
struct hostacct_event *hostacct_event_new(u32 class, const char *path);
void hostacct_event_post(struct hostacct_event *ev);
int hostacct_events_init(void);
void hostacct_events_start(void);
void hostacct_events_exit(void);

/* usage.c */

/**
 * struct hostacct_usage - what a set of thread groups used
 * @cpu_ns: precise runtime (sum_exec_runtime), live and exited threads
 * @utime_ns: tick-sampled user time, unscaled (guest included)
 * @stime_ns: tick-sampled system time, unscaled
 * @gtime_ns: tick-sampled guest time (part of @utime_ns)
 * @rss_anon: resident anonymous bytes
 * @rss_file: resident file-backed bytes
 * @rss_shmem: resident shared memory bytes
 * @swap: swapped-out bytes
 * @hugetlb: bytes of hugetlbfs pages mapped (not in the RSS counters)
 * @start_ns: CLOCK_BOOTTIME start of the oldest member, U64_MAX if none
 * @nr_procs: thread groups
 * @nr_threads: threads
 * @oldest_tgid: tgid of the oldest member
 */
struct hostacct_usage {
	u64 cpu_ns;
	u64 utime_ns;
	u64 stime_ns;
	u64 gtime_ns;
	u64 rss_anon;
	u64 rss_file;
	u64 rss_shmem;
	u64 swap;
	u64 hugetlb;
	u64 workers_ns;
	u64 start_ns;
	u32 nr_procs;
	u32 nr_threads;
	pid_t oldest_tgid;
};

void hostacct_usage_init(struct hostacct_usage *u);
void hostacct_usage_add_cpu(struct hostacct_usage *u, struct task_struct *p);
void hostacct_usage_add_mm(struct hostacct_usage *u, struct task_struct *p,
			   struct mm_struct *mm, bool exact);
void hostacct_usage_merge(struct hostacct_usage *dst,
			  const struct hostacct_usage *src);
bool hostacct_with_task_mm(struct task_struct *p,
			   void (*fn)(struct task_struct *mt, void *arg),
			   void *arg);

/* walk.c */

#define HOSTACCT_WALK_BATCH	128

/**
 * struct hostacct_walk - a walk over all thread groups in tgid order
 * @cursor: next tgid to visit; a walk can stop and resume from it
 * @last: highest tgid to visit
 * @batch: called before each batch of at most HOSTACCT_WALK_BATCH thread
 *	groups, outside RCU (may sleep): make room for what a batch can
 *	add. Optional.
 * @visit: called for each thread group under rcu_read_lock(); a non-zero
 *	return stops the walk at this thread group (it is visited again
 *	when the walk resumes).
 */
struct hostacct_walk {
	pid_t cursor;
	pid_t last;
	int (*batch)(struct hostacct_walk *w);
	int (*visit)(struct hostacct_walk *w, struct task_struct *p);
};

int hostacct_walk(struct hostacct_walk *w);
struct task_struct *hostacct_find_tgid(pid_t tgid);

/* classify.c */

/**
 * struct hostacct_class_info - which workload a thread group belongs to
 * @class: enum hostacct_class
 * @cgrp: its cgroup v2 cgroup (NULL for kernel threads), valid under RCU
 * @ctr_id: the container it belongs to (class container), or that holds
 *	it (a VMM inside a container); 0 if none
 * @ctr_cgrp: that container's cgroup, valid under RCU
 * @init: whether it is the init of its container's pid namespace
 */
struct hostacct_class_info {
	u32 class;
	struct cgroup *cgrp;
	u64 ctr_id;
	struct cgroup *ctr_cgrp;
	bool init;
};

/**
 * struct hostacct_classifier - per-request classification state
 * @is_kvm: file_is_kvm() for the request's duration, or NULL
 * @pool: preallocated container registry entries (filled outside RCU)
 * @nr_pool: entries in @pool
 * @last_cgrp: cache: the cgroup looked up last ...
 * @last_ctr: ... and the container cgroup found for it (or NULL)
 * @last_id: ... and its id
 * @announce: post the start of containers found (not at load)
 */
struct hostacct_classifier {
	bool (*is_kvm)(struct file *file);
	bool announce;
	void *pool[HOSTACCT_WALK_BATCH];
	unsigned int nr_pool;
	struct cgroup *last_cgrp;
	struct cgroup *last_ctr;
	u64 last_id;
};

int hostacct_classifier_start(struct hostacct_classifier *cl);
int hostacct_classifier_refill(struct hostacct_classifier *cl);
void hostacct_classifier_end(struct hostacct_classifier *cl);
void hostacct_classify(struct hostacct_classifier *cl, struct task_struct *p,
		       bool vmm, struct hostacct_class_info *ci);
u32 hostacct_classify_exited(struct task_struct *p);
void hostacct_ctr_note_fork(struct task_struct *parent,
			    struct task_struct *child);

/**
 * struct hostacct_ctr_life - start and stop of a container
 * @start_ns: CLOCK_BOOTTIME it started: its pid namespace was made, or
 *	the process that made it entered its cgroup, whichever came first
 *	(0: unknown, it was there before the module)
 * @exec_ns: its payload's exec, the first in its pid namespace; 0: not yet
 * @startup_ns: @exec_ns - @start_ns, once measured
 * @shut_ns: the first stop signal to its init (or SIGKILL to any member);
 *	0: none
 * @state: HOSTACCT_CTR_RUNNING or HOSTACCT_CTR_STOPPED (no task left)
 *
 * Times are set once per run with cmpxchg; a restart (the cgroup
 * populated again) starts a new run.
 */
struct hostacct_ctr_life {
	u64 start_ns;
	u64 exec_ns;
	u64 startup_ns;
	u64 shut_ns;
	atomic_t state;
};

enum {
	HOSTACCT_CTR_RUNNING,
	HOSTACCT_CTR_STOPPED,
};

struct hostacct_ctr_life *hostacct_ctr_life_of(struct cgroup *cgrp, u64 *id);
struct hostacct_ctr_life *hostacct_ctr_life_by_id(u64 id);
struct hostacct_ctr_life *hostacct_ctr_note_exec(struct task_struct *p, u64 *id);
void hostacct_ctr_post(u32 cmd, u64 id, const struct hostacct_ctr_life *life,
		       const char *path, u64 shutdown_ns);
void hostacct_ctrs_sweep(void);
int hostacct_classify_seed(void);
bool hostacct_ctr_exists(u64 id);
int hostacct_classify_init(void);
void hostacct_classify_exit(void);

/* ledger.c */

/**
 * struct hostacct_cpu_split - a thread group's CPU time split like procfs
 * @user: user time, guest included
 * @system: system time
 * @guest: guest time (part of @user)
 *
 * user + system is the precise runtime; each share never decreases
 * between two queries of the same thread group (see ledger.c).
 */
struct hostacct_cpu_split {
	u64 user;
	u64 system;
	u64 guest;
};

struct hostacct_tg;

/**
 * struct hostacct_ledger_pool - preallocated ledger entries of a request
 * @v: entries
 * @nr: entries in @v
 * @helpers_found: the walk's kernel-thread helpers were looked for
 */
struct hostacct_ledger_pool {
	struct hostacct_tg *v[HOSTACCT_WALK_BATCH];
	unsigned int nr;
	bool helpers_found;
};

int hostacct_ledger_refill(struct hostacct_ledger_pool *pool);
void hostacct_ledger_drain(struct hostacct_ledger_pool *pool);
struct hostacct_tg *hostacct_ledger_get(struct hostacct_ledger_pool *pool,
					struct task_struct *p);
void hostacct_ledger_charge(struct hostacct_tg *e,
			    const struct hostacct_usage *u, u32 class);
void hostacct_ledger_split(struct hostacct_tg *e,
			   const struct hostacct_usage *u,
			   struct hostacct_cpu_split *s);
struct task_struct *hostacct_ledger_served(struct task_struct *k);
void hostacct_ledger_adopt(struct hostacct_ledger_pool *pool,
			   struct hostacct_tg *eo, struct task_struct *owner,
			   struct task_struct *k);
struct task_struct *hostacct_ledger_owner(struct task_struct *k);
bool hostacct_ledger_helper(struct hostacct_ledger_pool *pool,
			    struct hostacct_tg *ek, struct task_struct *k,
			    u32 *owner_class);
u64 hostacct_ledger_workers(struct hostacct_tg *e, u64 threads,
			    u64 *helpers, unsigned int *nr_helpers);
void hostacct_ledger_exit(struct task_struct *p);
u64 hostacct_ledger_class_cpu(u32 class);
u64 hostacct_ledger_class_exited(u32 class);
int hostacct_ledger_init(void);
void hostacct_ledger_destroy(void);

/* lifecycle.c */
void hostacct_life_fork(struct task_struct *child);
void hostacct_life_exec(struct task_struct *p);
void hostacct_life_exit(struct task_struct *p);
void hostacct_life_free(struct task_struct *p);
void hostacct_life_signal(int sig, struct task_struct *t, int result);
void hostacct_life_populated(struct cgroup *cgrp, const char *path, int val);
void hostacct_life_vcpu_ran(void);
int hostacct_life_put_stats(struct sk_buff *skb, u32 class);
size_t hostacct_life_stats_size(void);
int hostacct_life_init(void);
int hostacct_life_seed(void);
void hostacct_life_destroy(void);

/* probes.c */
int hostacct_probes_init(void);
void hostacct_probes_exit(void);

/* kvm.c */
typedef bool (*hostacct_file_is_kvm_t)(struct file *file);

hostacct_file_is_kvm_t hostacct_kvm_get(void);
void hostacct_kvm_put(hostacct_file_is_kvm_t is_kvm);
struct kvm_vcpu;
void hostacct_kvm_entry_probe(void *data, struct kvm_vcpu *vcpu,
			      bool force_immediate_exit);
bool hostacct_kvm_is_vmm(struct task_struct *mt, hostacct_file_is_kvm_t is_kvm);
void hostacct_kvm_adopt_workers(struct hostacct_ledger_pool *pool,
				struct hostacct_tg *e, struct task_struct *p,
				hostacct_file_is_kvm_t is_kvm);
int hostacct_kvm_fill(struct sk_buff *skb, struct task_struct *p,
		      hostacct_file_is_kvm_t is_kvm,
		      const struct hostacct_cpu_split *split, u64 vmm_cpu_ns,
		      bool may_truncate);

/* cgroup.c */
bool hostacct_cgroup_memory(struct cgroup *cgrp, u64 *bytes);
int hostacct_cgroup_path(struct cgroup *cgrp, char *buf, size_t len);
void hostacct_cgroup_name(struct cgroup *cgrp, char *buf, size_t len);

#endif /* _HOSTACCT_H */
