/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostacct(8): shared declarations of the command-line tool.
 *
 *   hostacct.c   option parsing and the subcommand table
 *   nl.c         generic netlink over libmnl, extack errors
 *   parse.c      attribute parsing into plain structs, snapshots
 *   output.c     one printing layer for tables and JSON
 *   util.c       number/duration parsing and human units
 *   cmd_*.c      one file per subcommand
 */
#ifndef HOSTACCT_TOOL_H
#define HOSTACCT_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/hostacct.h>

#define HOSTACCT_TOOL_VERSION	"0.2.0"

/* ---- global options ---- */

enum ha_format {
	HA_FMT_TABLE,
	HA_FMT_JSON,
	HA_FMT_CSV,
	HA_FMT_PROM,
};

struct ha_opts {
	enum ha_format format;
	bool pretty;
	bool debug;
	const char *cgroup_root;	/* cgroup2 mount point */
	const char *section;		/* --section: the one table to print */
};

extern struct ha_opts ha_opts;

/* Options shared by all commands, for getopt_long() */
#define HA_OPT_CSV		1000
#define HA_OPT_PROMETHEUS	1001
#define HA_OPT_DEBUG		1002
#define HA_OPT_SECTION		1003
#define HA_OPT_NATIVES		1004
#define HA_COMMON_SHORTOPTS	"jph"
#define HA_COMMON_LONGOPTS					\
	{ "json", no_argument, NULL, 'j' },			\
	{ "pretty", no_argument, NULL, 'p' },			\
	{ "debug", no_argument, NULL, HA_OPT_DEBUG },		\
	{ "csv", no_argument, NULL, HA_OPT_CSV },		\
	{ "help", no_argument, NULL, 'h' }

int ha_common_opt(int c);
int ha_section_check(const char *cmd, const char *const *names);
int ha_common_args(int argc, char **argv, void (*usage)(FILE *f));

struct ha_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *helper;	/* run by hostacct-HELPER when run is NULL */
};

int cmd_host(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_history_report(int argc, char **argv);
int cmd_rightsize(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* ---- netlink (nl.c) ---- */

struct mnl_socket;
struct nlmsghdr;

struct ha_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t family_version;
	uint32_t mcgrp[HOSTACCT_CLASS_MAX + 1];	/* event group ids; 0: none */
	uint32_t portid;
	uint32_t seq;
	char *buf;
	size_t buflen;
};

/* Called for every reply message; return MNL_CB_OK/STOP/ERROR. */
typedef int (*ha_nl_cb)(const struct nlmsghdr *nlh, void *data);

int ha_nl_open(struct ha_nl *h);
void ha_nl_close(struct ha_nl *h);
struct nlmsghdr *ha_nl_request(struct ha_nl *h, uint8_t cmd, bool dump);
int ha_nl_run(struct ha_nl *h, struct nlmsghdr *req, ha_nl_cb cb, void *data);
int ha_nl_open_or_report(struct ha_nl *h);
int ha_nl_ctrl_notify_group(struct ha_nl *h, uint32_t *id);

/* ---- parsed messages (parse.c) ---- */

enum {
	HA_CPU_USER,
	HA_CPU_NICE,
	HA_CPU_SYSTEM,
	HA_CPU_IDLE,
	HA_CPU_IOWAIT,
	HA_CPU_IRQ,
	HA_CPU_SOFTIRQ,
	HA_CPU_STEAL,
	HA_CPU_GUEST,
	HA_CPU_GUEST_NICE,
	HA_CPU_NSTATES,
};

extern const char *const ha_cpu_state_names[HA_CPU_NSTATES];

/* A histogram of durations the module measured (sparse: non-empty buckets). */
#define HA_HIST_MAX	96

struct ha_hist {
	uint64_t count;
	uint64_t sum_ns;
	uint32_t n;			/* buckets in b[], increasing */
	struct {
		uint64_t gt;		/* lower bound, excluded */
		uint64_t le;		/* upper bound; UINT64_MAX: +Inf */
		uint64_t count;
	} b[HA_HIST_MAX];
};

struct ha_class_stats {
	uint64_t cpu_ns;	/* live + exited */
	uint64_t exited_ns;
	uint32_t nr_workloads;
	uint32_t nr_procs;
	uint32_t nr_threads;
	bool has_life;		/* the module measures start-up and shut-down */
	struct ha_hist startup;
	struct ha_hist shutdown;
};

struct ha_host {
	char kernel_release[65];
	char module_version[32];
	uint64_t timestamp_ns;
	uint64_t sample_ns;		/* span the sample stands for */
	bool irq_apart;			/* irq/softirq not in the tasks' time */
	bool steal_apart;		/* steal not in the tasks' time */
	uint32_t nr_cpus;
	uint64_t mem_total;
	uint64_t mem_free;
	uint64_t mem_available;
	uint64_t cpu[HA_CPU_NSTATES];
	bool has_class_stats;
	struct ha_class_stats cls[HOSTACCT_CLASS_MAX + 1];
};

struct ha_vcpu {
	uint32_t id;
	uint32_t tid;
	uint64_t cpu_ns;
	uint64_t guest_ns;
	uint64_t halt_poll_ns;
};

struct ha_kvm {
	uint32_t nr_vms;
	uint32_t nr_vcpus;
	uint64_t guest_mem;
	uint64_t device_mem;
	uint64_t guest_resident;
	uint64_t vcpu_ns;
	uint64_t guest_ns;
	uint64_t overhead_ns;
	uint64_t halt_poll_ns;
	size_t nr_vcpu_entries;
	struct ha_vcpu *vcpus;
	bool vcpus_truncated;	/* @vcpus lists fewer than @nr_vcpus */
};

/*
 * Strings that live as long as the snapshot that holds them, copied into
 * 64 KiB chunks (util.c): a workload record keeps pointers, not buffers
 * sized for the longest name and path.
 */
struct ha_arena_chunk;

struct ha_arena {
	struct ha_arena_chunk *head;
	size_t used;			/* bytes used in head */
};

const char *ha_arena_str(struct ha_arena *a, const char *str);
void ha_arena_free(struct ha_arena *a);

/* A container cgroup's cpu.stat, read by the tool (snapshot.c). */
struct ha_cpustat {
	bool ok;
	uint64_t usage_usec;
	uint64_t user_usec;
	uint64_t system_usec;
	uint64_t nr_periods;
	uint64_t nr_throttled;
	uint64_t throttled_usec;
};

struct ha_workload {
	uint32_t class;
	uint64_t id;
	const char *name;		/* never NULL; in the snapshot's arena */
	uint32_t leader_pid;
	uint64_t cgroup_id;
	const char *cgroup_path;	/* never NULL; "" when not reported */
	uint64_t container_id;
	uint32_t nr_procs;
	uint32_t nr_threads;
	uint64_t start_ns;
	uint64_t cpu_ns;
	uint64_t user_ns;
	uint64_t system_ns;
	uint64_t guest_ns;
	uint64_t workers_ns;	/* part of cpu_ns: kernel workers serving it */
	uint64_t rss_anon;
	uint64_t rss_file;
	uint64_t rss_shmem;
	uint64_t swap;
	uint64_t hugetlb;
	uint64_t mem_cgroup;
	bool has_mem_cgroup;
	bool has_cpu;		/* cpu_ns..guest_ns known */
	bool has_kvm;
	struct ha_kvm kvm;
	struct ha_cpustat cs;	/* containers: their cgroup's cpu.stat */
};

struct ha_snapshot {
	struct ha_host host;
	struct ha_workload *w;
	size_t n;
	size_t cap;
	struct ha_arena strings;	/* the workloads' names and paths */
};

struct ha_filter {
	uint32_t class_mask;	/* 0: all */
	uint32_t pid;		/* 0: none */
	uint64_t cgroup_id;	/* 0: none */
	bool exact_mem;		/* exact RSS counters */
};

/* A start or stop notification. */
struct ha_event {
	bool stop;
	uint32_t class;
	uint64_t id;
	uint64_t seq;
	uint64_t time_ns;		/* CLOCK_BOOTTIME */
	uint64_t start_ns;
	char name[64];
	uint32_t leader_pid;
	uint64_t cgroup_id;
	char cgroup_path[4096];
	uint32_t changed_class;		/* 0: none */
	bool has_cpu, has_startup, has_shutdown;
	uint64_t cpu_ns;
	uint64_t startup_ns;
	uint64_t shutdown_ns;
};

int ha_parse_host(const struct nlmsghdr *nlh, struct ha_host *h);
int ha_parse_event(const struct nlmsghdr *nlh, struct ha_event *ev);
double ha_hist_quantile(const struct ha_hist *h, double q);
uint64_t ha_hist_le(const struct ha_hist *h, uint64_t bound);
int ha_parse_workload(const struct nlmsghdr *nlh, struct ha_workload *w,
		      struct ha_arena *strings);
void ha_workload_free(struct ha_workload *w);
const char *ha_class_name(uint32_t class);
int ha_class_parse(const char *s, uint32_t *class);
int ha_class_mask_parse(const char *list, uint32_t *mask);

int ha_get_host(struct ha_nl *h, struct ha_host *host, bool sync);
int ha_get_workloads(struct ha_nl *h, const struct ha_filter *f,
		     struct ha_snapshot *s);
void ha_snapshot_free(struct ha_snapshot *s);

/* ---- snapshots with cgroupfs facts (snapshot.c) ---- */

/* What else cgroupfs says about a container's cgroup (read by the tool). */
struct ha_cg {
	bool ok;			/* the cgroup directory was readable */
	double limit_cpus;		/* cpu.max quota / period; 0: none */
	bool has_memory;
	uint64_t mem_current;
	uint64_t mem_max;		/* UINT64_MAX: no limit */
	uint64_t mem_high;		/* UINT64_MAX: no limit */
	uint64_t mem_anon;
	uint64_t mem_file;
	bool has_psi;
	double psi_cpu_some10;
	double psi_cpu_full10;
	double psi_mem_some10;
	double psi_mem_full10;
};

struct ha_snap {
	struct ha_host host;
	struct ha_snapshot wl;
	struct ha_cg *cg;		/* parallel to wl.w; containers only */
};

int ha_snap_take(struct ha_nl *h, const struct ha_filter *f,
		 struct ha_snap *s, bool sync);
int ha_cpustat_read(const char *root, const char *path, struct ha_cpustat *cs);
void ha_workloads_complete(struct ha_snapshot *s);
void ha_snap_free(struct ha_snap *s);
int ha_cg_read(const char *root, const char *path, struct ha_cg *cg);
char *ha_isolation(uint32_t class, uint32_t pid);
const struct ha_workload *ha_snap_find(const struct ha_snap *s,
				       const struct ha_workload *w,
				       size_t *index);

/* ---- rates between two snapshots (rates.c) ---- */

struct ha_interval {
	const struct ha_snap *a;	/* earlier snapshot, NULL: since boot */
	const struct ha_snap *b;	/* later snapshot */
	double secs;			/* interval, seconds */
};

enum ha_rate_basis {
	HA_BASIS_DELTA,		/* the same workload in both snapshots */
	HA_BASIS_LIFETIME,	/* started inside the interval, or since boot */
	HA_BASIS_NEW,		/* a new identity that is older: rates are 0 */
};

struct ha_wl_rate {
	enum ha_rate_basis basis;
	const struct ha_workload *prev;	/* basis DELTA: in the earlier snapshot */
	size_t prev_idx;		/* its index there */
	double secs;			/* what the rates are over */
};

struct ha_vm_rates {
	double cpus;		/* the VMM's CPU time */
	double busy;		/* vCPU threads' runtime minus halt polling */
	double guest;
	double overhead;
	double halt_poll;
};

struct ha_ctr_rates {
	double cpus;
	double throttled_periods;	/* over the interval */
	double throttled_s;		/* over the interval */
};

/* The interval's CPU time, in CPUs; the rows add up to capacity. */
struct ha_split {
	double capacity;	/* online CPUs */
	double cls[HOSTACCT_CLASS_MAX + 1];
	double idle;		/* idle + iowait */
	double irq;		/* irq + softirq, when apart from tasks */
	double steal;		/* when apart from tasks */
	bool irq_apart;
	bool steal_apart;
	double accounted;	/* classes + idle + irq + steal */
	double no_task;		/* capacity - accounted */
	double proc_stat;	/* /proc/stat's tick-sampled states, for reference */
	double uncertainty;	/* the samples' span, in CPUs */
};

void ha_interval_init(struct ha_interval *iv, const struct ha_snap *a,
		      const struct ha_snap *b);
void ha_wl_rate(const struct ha_interval *iv, const struct ha_workload *w,
		struct ha_wl_rate *r);
double ha_rate(const struct ha_wl_rate *r, uint64_t now, uint64_t then);
double ha_wl_cpus(const struct ha_interval *iv, const struct ha_workload *w);
struct ha_vm_rates ha_vm_rates(const struct ha_interval *iv,
			       const struct ha_workload *w);
struct ha_ctr_rates ha_ctr_rates(const struct ha_interval *iv,
				 const struct ha_workload *w);
void ha_host_split(const struct ha_interval *iv, struct ha_split *sp);

/* ---- Prometheus exposition (prom.c) ---- */

#define HA_NATIVES_DEFAULT	10
#define HA_NATIVES_ALL		UINT32_MAX

void ha_prom_write(FILE *f, const struct ha_snap *s, uint32_t natives);
void ha_prom_write_meta(FILE *f, const struct timespec *start, bool error);
int ha_parse_natives(const char *cmd, const char *arg, uint32_t *natives);

/* ---- output (output.c) ---- */

enum ha_unit {
	HA_U_NONE,	/* plain integer */
	HA_U_BYTES,	/* human binary units in tables */
	HA_U_NS_S,	/* nanoseconds shown as seconds */
	HA_U_PCT,	/* percent, one decimal */
	HA_U_FIXED2,	/* fixed point, two decimals */
	HA_U_DUR_S,	/* seconds; tables: 850us, 12.3ms, 1.85s */
};

struct ha_out;

struct ha_out *ha_out_new(enum ha_format fmt, FILE *f);
void ha_out_finish(struct ha_out *o);
void ha_out_section(struct ha_out *o, const char *key, const char *title,
		    bool rows);
void ha_out_section_end(struct ha_out *o);
void ha_out_row(struct ha_out *o);
void ha_out_row_end(struct ha_out *o);
void ha_out_str(struct ha_out *o, const char *key, const char *hdr,
		const char *val);
void ha_out_u64(struct ha_out *o, const char *key, const char *hdr,
		uint64_t val, enum ha_unit unit);
void ha_out_dbl(struct ha_out *o, const char *key, const char *hdr,
		double val, enum ha_unit unit);
void ha_out_none(struct ha_out *o, const char *key, const char *hdr);
void ha_out_nest(struct ha_out *o, const char *key, bool array);
void ha_out_nest_end(struct ha_out *o);

/* ---- shared printers (cmd_*.c) ---- */

void ha_print_host(struct ha_out *o, const char *key, const struct ha_host *h);
void ha_print_class_stats(struct ha_out *o, const struct ha_host *h);
void ha_print_life(struct ha_out *o, const struct ha_class_stats *cs);
void ha_print_workload(struct ha_out *o, const struct ha_workload *w);
const struct ha_workload **ha_sort_by_cpu(const struct ha_snapshot *s);

/* ---- helpers (util.c) ---- */

int ha_parse_u64(const char *s, uint64_t *val);
int ha_parse_u32(const char *s, uint32_t *val);
int ha_parse_seconds(const char *s, double *secs);
int ha_parse_duration(const char *s, double *secs);
char *ha_fmt_bytes(char *buf, size_t len, uint64_t bytes);
char *ha_fmt_seconds(char *buf, size_t len, uint64_t ns);
char *ha_fmt_dur(char *buf, size_t len, double secs);
int ha_cgroup_id(const char *root, const char *path, uint64_t *id);
const char *ha_cgroup_root(void);
size_t ha_utf8_seq(const char *str, uint32_t *cp);
char *ha_clean_str(const char *src, bool terminal);
bool ha_str_plain(const char *s);

void ha_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ha_err_hold(bool hold);
void ha_err_drop(void);

#endif /* HOSTACCT_TOOL_H */
