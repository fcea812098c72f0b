/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers of the selftests: procfs/cgroupfs reading, processes. */
#ifndef HOSTACCT_SELFTEST_UTIL_H
#define HOSTACCT_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

uint64_t clock_ns(clockid_t clk);
int read_file_str(const char *path, char *buf, size_t len);
int read_file_u64(const char *path, uint64_t *val);
int write_file(const char *path, const char *s);
int meminfo_kb(const char *key, uint64_t *kb);
/* "Key:  123 kB" lines of /proc/PID/status, in kB */
int proc_status_kb(pid_t pid, const char *key, uint64_t *kb);
/* Sum of /proc/PID/task/ * /schedstat runtime, ns; thread count */
int proc_runtime_ns(pid_t pid, uint64_t *ns, unsigned int *threads);
/* utime+stime of /proc/PID/stat, in ns (tick resolution) */
int proc_stat_cputime_ns(pid_t pid, uint64_t *ns);
/* Fields of /proc/PID/stat (@tid 0) or /proc/PID/task/TID/stat, in ns */
struct proc_stat {
	uint64_t utime_ns;	/* field 14: scaled like cputime_adjust() */
	uint64_t stime_ns;	/* field 15 */
	uint64_t guest_ns;	/* field 43: tick-sampled, unscaled */
	uint64_t start_ticks;	/* field 22 */
	uint64_t tick_ns;	/* 1 / USER_HZ: procfs truncates to it */
};
int proc_stat_fields(pid_t pid, pid_t tid, struct proc_stat *ps);
int smaps_rss_of_size(pid_t pid, uint64_t size_kb, uint64_t *rss);
/* A flat-keyed file such as cpu.stat or memory.stat */
int keyed_file_u64(const char *path, const char *key, uint64_t *val);
int cgroup_id_of(const char *path, uint64_t *id);

/*
 * A fixture program started with a pipe on its stdout: it prints one line
 * starting with "ready" when set up, then runs until killed.
 */
struct fixture {
	pid_t pid;
	int out;		/* read end of its stdout */
	char ready[1024];	/* its ready line */
};

int fixture_start(struct fixture *f, char *const argv[]);
void fixture_stop(struct fixture *f);
/* Start fixture @name (next to the test) with the NULL-ended arguments. */
int fixture_run(struct fixture *f, const char *name, ...);
/* Path of a fixture binary next to the running test. */
const char *fixture_path(const char *name);

#endif
