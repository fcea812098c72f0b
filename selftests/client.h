/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An independent hostacct client for the selftests, on libnl-genl-3:
 * requests are built and replies parsed with libnl, not with the CLI's
 * libmnl code, so a bug shared by the two cannot hide itself.
 */
#ifndef HOSTACCT_SELFTEST_CLIENT_H
#define HOSTACCT_SELFTEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/hostacct.h>

struct hc {
	struct nl_sock *sk;
	int family;
	/* result of the last request */
	int error;		/* 0 or -errno from the kernel */
	char extack[256];	/* NLMSGERR_ATTR_MSG */
	bool has_offs;
	uint32_t offs;		/* NLMSGERR_ATTR_OFFS */
	bool has_miss;
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE */
	int nmsgs;		/* data messages received */
};

/* Called for each data message; return 0 to continue. */
typedef int (*hc_cb)(struct nlmsghdr *nlh, void *arg);

int hc_open(struct hc *h);
void hc_close(struct hc *h);
struct nl_msg *hc_msg(struct hc *h, uint8_t cmd, int flags);
int hc_talk(struct hc *h, struct nl_msg *msg, hc_cb cb, void *arg);
int hc_talk_raw(struct hc *h, const void *buf, size_t len, hc_cb cb, void *arg);

/* Parsed replies */
struct hc_class {
	uint64_t cpu_ns, exited_ns;
	uint32_t nr_workloads, nr_procs, nr_threads;
};

struct hc_host {
	char release[65];
	char module_version[32];
	uint64_t timestamp_ns, sample_ns;
	uint32_t nr_cpus;
	uint64_t mem_total, mem_free, mem_available;
	uint64_t cpu[10];	/* user nice system idle iowait irq softirq steal guest guest_nice */
	bool irq_apart, steal_apart;
	int nr_classes;		/* class-stats nests seen */
	struct hc_class cls[HOSTACCT_CLASS_MAX + 1];
};

struct hc_vcpu {
	uint32_t id, tid;
	uint64_t cpu_ns, guest_ns, halt_poll_ns;
};

struct hc_wl {
	uint32_t class;
	uint64_t id;
	char name[256];
	uint32_t leader_pid;
	uint64_t cgroup_id;
	char cgroup_path[1024];
	uint64_t container_id;
	uint32_t nr_procs, nr_threads;
	bool has_cpu;
	uint64_t start_ns, cpu_ns, user_ns, system_ns, guest_ns;
	uint64_t rss_anon, rss_file, rss_shmem, swap, hugetlb;
	bool has_mem_cgroup;
	uint64_t mem_cgroup;
	bool has_kvm;
	uint32_t nr_vms, nr_vcpus;
	uint64_t guest_mem, device_mem, guest_resident, vcpu_ns, kvm_guest_ns;
	uint64_t overhead_ns, halt_poll_ns;
	int nr_vcpu_entries;	/* all of them, also those not kept below */
	bool vcpus_truncated;	/* HOSTACCT_A_KVM_VCPUS_TRUNCATED */
	struct hc_vcpu vcpus[64];
};

struct hc_wls {
	struct hc_wl *v;
	size_t n, cap;
};

int hc_host_get(struct hc *h, struct hc_host *host);
/* HOST_GET with SYNC: processes reaped before it are charged first */
int hc_host_get_sync(struct hc *h, struct hc_host *host);
int hc_parse_wl(struct nlmsghdr *nlh, struct hc_wl *w);
/* Dump with optional filters (0 = none); appends to @out. */
int hc_dump(struct hc *h, uint32_t class_mask, uint32_t pid, uint64_t cgroup_id,
	    struct hc_wls *out);
/* The same with exact RSS counters (HOSTACCT_A_WORKLOAD_EXACT_MEM). */
int hc_dump_exact(struct hc *h, uint32_t class_mask, uint32_t pid,
		  uint64_t cgroup_id, struct hc_wls *out);
/* Do request: one workload by class and id. */
int hc_get(struct hc *h, uint32_t class, uint64_t id, struct hc_wl *w);
void hc_wls_free(struct hc_wls *l);
struct hc_wl *hc_wls_find(struct hc_wls *l, uint32_t class, uint64_t id);

/*
 * The kernel's own unscaled tick samples of a thread group's user and
 * system time (taskstats, in µs): what the module's split scales.
 */
int taskstats_tgid(pid_t tgid, uint64_t *utime_ns, uint64_t *stime_ns);

#endif
