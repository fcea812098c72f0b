// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct_bench: CPU cost of reading per-process accounting, measured as
 * the reader's own CPU time (user + system: the kernel's work for a dump or
 * for procfs reads is charged to the reader). Each method is repeated and
 * the median printed, one "key=value" line per measurement:
 *
 *   hostacct_bench dump  [--reps N]        raw WORKLOAD_GET dump, messages
 *                                          received and dropped
 *   hostacct_bench floor [--reps N]        one read of the floor module's
 *                                          debugfs file: a bare walk of the
 *                                          same tasks (selftests/floor)
 *   hostacct_bench procfs [--reps N]       a procfs collector as monitoring
 *                                          tools do it: stat, status, cgroup
 *                                          and an fd scan for kvm-vm, per
 *                                          process
 *   hostacct_bench cmd [--reps N] -- CMD   a command's CPU time (wait4)
 *   hostacct_bench forkexit --iters N [--exec]
 *                                          fork + exit (or exec /bin/true)
 *                                          loop; wall and CPU time
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "client.h"

static double ts_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static double cpu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One raw dump: send, receive until NLMSG_DONE, count messages. */
static long raw_dump(int fd, int family, char *buf, size_t len)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr g;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = family,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.g = { .cmd = HOSTACCT_CMD_WORKLOAD_GET, .version = 1 },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	long msgs = 0;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		struct nlmsghdr *nlh;

		if (n <= 0)
			return -1;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_DONE)
				return msgs;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return -1;
			msgs++;
		}
	}
}

static int bench_dump(int reps)
{
	static char buf[65536];
	double v[64];
	struct hc h;
	long msgs = 0;
	int i;

	if (hc_open(&h))
		return 1;
	raw_dump(nl_socket_get_fd(h.sk), h.family, buf, sizeof(buf)); /* warm */
	for (i = 0; i < reps; i++) {
		double t0 = cpu_now_ms();

		msgs = raw_dump(nl_socket_get_fd(h.sk), h.family, buf, sizeof(buf));
		v[i] = cpu_now_ms() - t0;
		if (msgs < 0)
			return 1;
	}
	printf("method=dump cpu_ms=%.3f workloads=%ld\n", median(v, reps), msgs);
	hc_close(&h);
	return 0;
}

/* The floor: a bare walk of all tasks, in the kernel (selftests/floor). */
static int bench_floor(int reps)
{
	char buf[256];
	double v[64];
	int fd, i;
	ssize_t n = 0;

	for (i = -1; i < reps; i++) {	/* one warm-up */
		double t0 = cpu_now_ms();

		fd = open("/sys/kernel/debug/hostacct_floor", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (i >= 0)
			v[i] = cpu_now_ms() - t0;
		if (n <= 0)
			return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("method=floor cpu_ms=%.3f %s\n", median(v, reps), buf);
	return 0;
}

/* Read a whole small file relative to @dir; return bytes or -1. */
static ssize_t slurp(int dir, const char *name, char *buf, size_t len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/*
 * What a procfs-based collector does per process: CPU and state from stat,
 * memory from status, the cgroup, and (to tell VMMs) the fd table looking
 * for kvm-vm. Values are parsed, as a collector would.
 */
static long procfs_pass(unsigned long long *sink)
{
	static char buf[8192];
	struct dirent *d;
	long procs = 0;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		unsigned long long ut = 0, st = 0, rss = 0;
		char *p;
		int pd, fdd;
		DIR *fds;
		struct dirent *f;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		pd = openat(dirfd(proc), d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pd < 0)
			continue;
		if (slurp(pd, "stat", buf, sizeof(buf)) > 0 &&
		    (p = strrchr(buf, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			   &ut, &st) == 2)
			*sink += ut + st;
		if (slurp(pd, "status", buf, sizeof(buf)) > 0 &&
		    (p = strstr(buf, "VmRSS:")))
			rss = strtoull(p + 6, NULL, 10);
		*sink += rss;
		if (slurp(pd, "cgroup", buf, sizeof(buf)) > 0)
			*sink += strlen(buf);
		fdd = openat(pd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fds = fdd >= 0 ? fdopendir(fdd) : NULL;
		while (fds && (f = readdir(fds))) {
			char link[256];
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			n = readlinkat(fdd, f->d_name, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = 0;
				*sink += !strcmp(link, "anon_inode:kvm-vm");
			}
		}
		if (fds)
			closedir(fds);
		close(pd);
		procs++;
	}
	closedir(proc);
	return procs;
}

static int bench_procfs(int reps)
{
	unsigned long long sink = 0;
	double v[64];
	long procs = 0;
	int i;

	procfs_pass(&sink);	/* warm the dentry cache, as a collector would */
	for (i = 0; i < reps; i++) {
		double t0 = cpu_now_ms();

		procs = procfs_pass(&sink);
		v[i] = cpu_now_ms() - t0;
	}
	printf("method=procfs cpu_ms=%.3f procs=%ld sink=%llu\n", median(v, reps),
	       procs, sink % 10);
	return 0;
}

static int bench_cmd(int reps, char **argv)
{
	double v[64];
	int i, devnull = open("/dev/null", O_WRONLY);

	for (i = 0; i < reps; i++) {
		struct rusage ru;
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			dup2(devnull, STDOUT_FILENO);
			execvp(argv[0], argv);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "bench: %s failed\n", argv[0]);
			return 1;
		}
		v[i] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	}
	printf("method=cmd cpu_ms=%.3f\n", median(v, reps));
	return 0;
}

static int bench_forkexit(long iters, int do_exec)
{
	struct timespec w0, w1;
	struct rusage self0, self1, kids;
	double cpu;
	long i;

	getrusage(RUSAGE_SELF, &self0);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	for (i = 0; i < iters; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			if (do_exec)
				execl("/bin/true", "true", (char *)NULL);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &w1);
	getrusage(RUSAGE_SELF, &self1);
	getrusage(RUSAGE_CHILDREN, &kids);
	cpu = (self1.ru_utime.tv_sec - self0.ru_utime.tv_sec +
	       self1.ru_stime.tv_sec - self0.ru_stime.tv_sec +
	       kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
	      (self1.ru_utime.tv_usec - self0.ru_utime.tv_usec +
	       self1.ru_stime.tv_usec - self0.ru_stime.tv_usec +
	       kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3;
	printf("method=forkexit wall_ms=%.3f cpu_ms=%.3f iters=%ld\n",
	       ts_ms(&w0, &w1), cpu, iters);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "iters", required_argument, NULL, 'i' },
		{ "exec", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	long iters = 20000;
	int reps = 5, c, do_exec = 0;
	const char *mode;

	if (argc < 2)
		return 2;
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "+r:i:e", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reps = atoi(optarg); break;
		case 'i': iters = atol(optarg); break;
		case 'e': do_exec = 1; break;
		default: return 2;
		}
	}
	if (reps < 1 || reps > 64)
		return 2;
	if (!strcmp(mode, "dump"))
		return bench_dump(reps);
	if (!strcmp(mode, "procfs"))
		return bench_procfs(reps);
	if (!strcmp(mode, "floor"))
		return bench_floor(reps);
	if (!strcmp(mode, "cmd") && optind < argc)
		return bench_cmd(reps, argv + optind);
	if (!strcmp(mode, "forkexit"))
		return bench_forkexit(iters, do_exec);
	return 2;
}
