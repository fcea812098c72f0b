/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The history store of hostacct record (store.c): one SQLite database in
 * WAL mode, one transaction per sample. Shared by the recorder, the
 * history commands (report --since, rightsize, export) and the test tool
 * that writes a synthetic history through the same code.
 */
#ifndef HOSTACCT_STORE_H
#define HOSTACCT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/hostacct.h>

#define HA_DB_DEFAULT		"/var/lib/hostacct/hostacct.db"
#define HA_STORE_SCHEMA		2	/* 2: the life table */

struct sqlite3;

struct ha_store {
	struct sqlite3 *db;
	char *path;
	int lock_fd;		/* the recorder's flock on the file, or -1 */
	bool has_life;		/* schema 2: start-up and shut-down histograms */
	int64_t boot;		/* boot.id of this boot (writers) */
	char boot_id[40];
	/* statements the recorder runs every sample */
	struct sqlite3_stmt *put_sample, *put_usage, *find_wl, *put_wl,
			     *last_res, *put_res, *put_life;
};

/* One workload's usage over a sample's interval. */
struct ha_rec_wl {
	uint32_t class;
	uint64_t id;
	uint64_t start_ns;	/* 0 for containers: their id is unique */
	const char *name;
	const char *cgroup;
	bool has_rate;		/* cpu_ns/busy_ns cover the interval */
	uint64_t cpu_ns;	/* CPU time in the interval */
	uint64_t busy_ns;	/* VMs: vCPU busy time (runtime - halt polling) */
	uint64_t throttled_us;	/* containers: time throttled */
	uint64_t mem;		/* VM: guest RAM resident; container:
				 * memory.current; native: RSS */
	/* reservation (0: none) */
	uint32_t vcpus;
	uint64_t guest_mem;
	uint32_t cpu_limit_m;	/* cpu.max in thousandths of a CPU */
	uint64_t mem_limit;	/* memory.max, else memory.high */
};

/*
 * Start-ups or shut-downs the module measured in a sample's interval: a
 * bucket of its histograms and how many more it holds.
 */
struct ha_rec_life {
	uint32_t class;
	uint32_t kind;		/* 0: start-up, 1: shut-down */
	uint64_t gt, le;	/* the bucket's bounds, ns */
	uint64_t count;
};

/* One sample: the host over the interval, and its workloads. */
struct ha_rec_sample {
	uint64_t boot_ns;	/* CLOCK_BOOTTIME (the module's timestamp) */
	uint64_t wall_ns;	/* CLOCK_REALTIME, beside it */
	double secs;		/* the interval; 0: the first after a gap */
	uint32_t nr_cpus;
	uint64_t mem_total;
	uint64_t mem_free;
	uint64_t cls_cpu_ns[HOSTACCT_CLASS_MAX + 1];	/* in the interval */
	uint64_t cls_mem[HOSTACCT_CLASS_MAX + 1];
	uint64_t idle_ns, irq_ns, steal_ns;
	const struct ha_rec_wl *w;
	size_t n;
	const struct ha_rec_life *life;
	size_t nlife;
};

/* Downsampling and retention, all in seconds. */
struct ha_retain {
	double retain;		/* samples older than this are dropped */
	double ds_after;	/* raw samples older than this are merged */
	double ds_step;		/* into one per ds_step */
};

#define HA_RETAIN_DEFAULT	30 * 86400.0
#define HA_DS_AFTER_DEFAULT	2 * 86400.0
#define HA_DS_STEP_DEFAULT	60.0

enum {
	HA_STORE_WRITE	= 1,	/* create if missing, write */
	HA_STORE_LOCK	= 2,	/* the one recorder: refuse a second */
	HA_STORE_FAST	= 4,	/* synchronous=OFF (test histories) */
};

int ha_store_open(struct ha_store *st, const char *path, int flags);
void ha_store_close(struct ha_store *st);
int ha_store_put(struct ha_store *st, const struct ha_rec_sample *s);
int ha_store_gap(struct ha_store *st, uint64_t boot_ns, uint64_t wall_ns,
		 const char *reason);
int ha_store_maintain(struct ha_store *st, uint64_t now_wall_ns,
		      const struct ha_retain *r, int budget);
const char *ha_store_errmsg(const struct ha_store *st);
bool ha_store_full(int err);
int ha_boot_id(char *buf, size_t len);
int ha_parse_downsample(const char *arg, struct ha_retain *r);

#endif
