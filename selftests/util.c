// SPDX-License-Identifier: GPL-2.0
/* Small helpers of the selftests (see util.h). */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

int read_file_u64(const char *path, uint64_t *val)
{
	char buf[64];
	int ret = read_file_str(path, buf, sizeof(buf));

	if (ret)
		return ret;
	*val = strtoull(buf, NULL, 10);
	return 0;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

int keyed_file_u64(const char *path, const char *key, uint64_t *val)
{
	char line[256], k[128];
	unsigned long long v;
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127[^: ]:%*[ \t]%llu", k, &v) == 2 ||
		    sscanf(line, "%127s %llu", k, &v) == 2) {
			if (!strcmp(k, key)) {
				*val = v;
				ret = 0;
				break;
			}
		}
	}
	fclose(f);
	return ret;
}

int meminfo_kb(const char *key, uint64_t *kb)
{
	return keyed_file_u64("/proc/meminfo", key, kb);
}

int proc_status_kb(pid_t pid, const char *key, uint64_t *kb)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return keyed_file_u64(path, key, kb);
}

int proc_runtime_ns(pid_t pid, uint64_t *ns, unsigned int *threads)
{
	char path[320];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	*ns = 0;
	if (threads)
		*threads = 0;
	while ((d = readdir(dir))) {
		unsigned long long run;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid,
			 d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			*ns += run;
		fclose(f);
		if (threads)
			(*threads)++;
	}
	closedir(dir);
	return 0;
}

int proc_stat_cputime_ns(pid_t pid, uint64_t *ns)
{
	struct proc_stat ps;
	int ret = proc_stat_fields(pid, 0, &ps);

	if (!ret)
		*ns = ps.utime_ns + ps.stime_ns;
	return ret;
}

int proc_stat_fields(pid_t pid, pid_t tid, struct proc_stat *ps)
{
	unsigned long long v[44] = { 0 };
	char path[96], buf[2048], *p, *end;
	long tick = 1000000000L / sysconf(_SC_CLK_TCK);
	int i;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file_str(path, buf, sizeof(buf)))
		return -ENOENT;
	p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	/* field 3 (state) follows "(comm) "; numbers from field 4 on */
	p += 4;
	for (i = 4; i <= 43; i++) {
		while (*p == ' ')
			p++;
		v[i] = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	ps->utime_ns = v[14] * tick;
	ps->stime_ns = v[15] * tick;
	ps->start_ticks = v[22];
	ps->guest_ns = v[43] * tick;
	ps->tick_ns = tick;
	return 0;
}

/*
 * Rss of the mapping of @pid whose size is @size_kb (e.g. the guest RAM
 * of a VMM), in bytes; -ENOENT if there is none, -E2BIG if two match.
 */
int smaps_rss_of_size(pid_t pid, uint64_t size_kb, uint64_t *rss)
{
	char path[64], line[512];
	unsigned long long v;
	bool in = false;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Size: %llu kB", &v) == 1) {
			in = v == size_kb;
			found += in;
		} else if (in && sscanf(line, "Rss: %llu kB", &v) == 1) {
			*rss = v * 1024;
			in = false;
		}
	}
	fclose(f);
	return found == 1 ? 0 : found ? -E2BIG : -ENOENT;
}

int cgroup_id_of(const char *path, uint64_t *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;	/* the kernfs id on 64-bit kernels */
	return 0;
}

/* Start fixture @name (next to the test) with the NULL-ended arguments. */
int fixture_run(struct fixture *f, const char *name, ...)
{
	char *argv[32];
	va_list ap;
	int i = 0, ret;

	argv[i++] = strdup(fixture_path(name));
	va_start(ap, name);
	while (i < 31 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	ret = fixture_start(f, argv);
	free(argv[0]);
	return ret;
}

const char *fixture_path(const char *name)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return name;
	self[n] = 0;
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	return path;
}

int fixture_start(struct fixture *f, char *const argv[])
{
	int fds[2];
	ssize_t n;
	size_t got = 0;

	memset(f, 0, sizeof(*f));
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (f->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	f->out = fds[0];
	/* Read the ready line. */
	while (got < sizeof(f->ready) - 1) {
		n = read(f->out, f->ready + got, 1);
		if (n <= 0) {
			fixture_stop(f);
			return -EIO;
		}
		if (f->ready[got] == '\n')
			break;
		got++;
	}
	f->ready[got] = 0;
	if (strncmp(f->ready, "ready", 5)) {
		fixture_stop(f);
		return -EIO;
	}
	return 0;
}

void fixture_stop(struct fixture *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGCONT);
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	if (f->out > 0)
		close(f->out);
	f->pid = 0;
	f->out = 0;
}
