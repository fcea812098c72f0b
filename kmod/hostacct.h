/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostacct internal interfaces. One file per concern:
 *   main.c      module init/exit
 *   netlink.c   family, per-command policies, permission check
 *   host.c      HOSTACCT_CMD_HOST_GET
 *   workload.c  HOSTACCT_CMD_WORKLOAD_GET: requests, dump state, messages
 *   walk.c      RCU walk of thread groups and per-process CPU/memory
 *   classify.c  which cgroups host containers
 *   kvm.c       VMM detection, vCPUs, guest memory
 *   cgroup.c    cgroup paths and memory cgroup usage
 *   exit.c      CPU time of reaped processes (tracepoint probes)
 *   debugfs.c   what the module holds (allocation accounting)
 */
#ifndef _HOSTACCT_H
#define _HOSTACCT_H

#include <linux/types.h>
#include <net/genetlink.h>
#include <linux/hostacct.h>

#define HOSTACCT_VERSION	"0.1.0"

struct cgroup;
struct file;
struct mm_struct;
struct task_struct;

/* netlink.c */
extern struct genl_family hostacct_nl_family;
int hostacct_nl_init(void);
void hostacct_nl_exit(void);
int hostacct_nl_check_perm(struct sk_buff *skb, struct netlink_ext_ack *extack);

/* debugfs.c */
void hostacct_mem_charge(s64 delta);
void hostacct_debugfs_init(void);
void hostacct_debugfs_exit(void);

/* host.c */
int hostacct_host_get_doit(struct sk_buff *skb, struct genl_info *info);

/* workload.c */
int hostacct_workload_get_doit(struct sk_buff *skb, struct genl_info *info);
int hostacct_workload_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int hostacct_workload_get_done(struct netlink_callback *cb);

/* walk.c */

/**
 * struct hostacct_usage - what a set of thread groups used
 * @cpu_ns: precise runtime (sum_exec_runtime), live and exited threads
 * @utime_ns: tick-sampled user time, unscaled
 * @stime_ns: tick-sampled system time, unscaled
 * @gtime_ns: tick-sampled guest time (part of @utime_ns)
 * @rss_anon: resident anonymous bytes
 * @rss_file: resident file-backed bytes
 * @rss_shmem: resident shared memory bytes
 * @swap: swapped-out bytes
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
	u64 start_ns;
	u32 nr_procs;
	u32 nr_threads;
	pid_t oldest_tgid;
};

#define HOSTACCT_WALK_BATCH	128

void hostacct_usage_init(struct hostacct_usage *u);
struct task_struct *hostacct_next_tgid(pid_t *cursor);
struct task_struct *hostacct_find_tgid(pid_t tgid);
void hostacct_usage_add_cpu(struct hostacct_usage *u, struct task_struct *p);
bool hostacct_with_task_mm(struct task_struct *p,
			   void (*fn)(struct task_struct *mt, void *arg),
			   void *arg);
void hostacct_usage_add_mm(struct hostacct_usage *u, struct task_struct *p,
			   struct mm_struct *mm);
void hostacct_usage_merge(struct hostacct_usage *dst,
			  const struct hostacct_usage *src);
void hostacct_usage_split(const struct hostacct_usage *u, u64 *user,
			  u64 *system, u64 *guest);

/* classify.c */

/**
 * struct hostacct_ctr - one container found at the start of a request
 * @cgrp: the container's top cgroup; a reference is held until the
 *	request ends, so the pointer stays valid outside RCU
 * @id: cgroup id of @cgrp
 * @init_pid: tgid (initial pid namespace) of the container's pid
 *	namespace init, 0 if it was not seen
 * @nested: inside another container (dropped after collection)
 * @residue_added: @usage includes the CPU time of reaped members
 * @usage: what its member processes used, filled by the walk
 */
struct hostacct_ctr {
	struct cgroup *cgrp;
	u64 id;
	pid_t init_pid;
	bool nested;
	bool residue_added;
	struct hostacct_usage usage;
};

/**
 * struct hostacct_ctrs - the containers of one request, sorted by id
 * @v: array of @nr entries, room for @cap
 * @nr: entries in use
 * @cap: entries allocated
 */
struct hostacct_ctrs {
	struct hostacct_ctr *v;
	unsigned int nr;
	unsigned int cap;
};

int hostacct_ctrs_collect(struct hostacct_ctrs *s);
void hostacct_ctrs_release(struct hostacct_ctrs *s);
struct hostacct_ctr *hostacct_ctrs_find(struct hostacct_ctrs *s, u64 id);
struct hostacct_ctr *hostacct_ctrs_lookup(struct hostacct_ctrs *s,
					  struct cgroup *cgrp);
struct cgroup *hostacct_container_cgroup(struct task_struct *p);

/* exit.c */
int hostacct_exit_init(void);
void hostacct_exit_exit(void);
void hostacct_exit_note_ctr(u64 id);
void hostacct_exit_note_vmm(struct task_struct *p);
u64 hostacct_exit_ctr_cpu(u64 id);
u64 hostacct_exit_class_cpu(u32 class);

/**
 * struct hostacct_class_total - what one class used, for HOST_GET
 * @cpu_ns: live thread groups' CPU time (exited ones: exit.c)
 * @nr_workloads: workloads of the class
 * @nr_procs: thread groups
 * @nr_threads: threads
 */
struct hostacct_class_total {
	u64 cpu_ns;
	u32 nr_workloads;
	u32 nr_procs;
	u32 nr_threads;
};

int hostacct_class_totals(struct hostacct_class_total *t);

/* kvm.c */
typedef bool (*hostacct_file_is_kvm_t)(struct file *file);

hostacct_file_is_kvm_t hostacct_kvm_get(void);
void hostacct_kvm_put(hostacct_file_is_kvm_t is_kvm);
bool hostacct_kvm_is_vmm(struct task_struct *mt, hostacct_file_is_kvm_t is_kvm);
int hostacct_kvm_fill(struct sk_buff *skb, struct task_struct *p,
		      hostacct_file_is_kvm_t is_kvm, u64 vmm_cpu_ns,
		      bool with_vcpus);

/* cgroup.c */
bool hostacct_cgroup_memory(struct cgroup *cgrp, u64 *bytes);
int hostacct_cgroup_path(struct cgroup *cgrp, char *buf, size_t len);

#endif /* _HOSTACCT_H */
