// SPDX-License-Identifier: GPL-2.0
/*
 * A snapshot: the module's host facts and workloads, plus what cgroupfs says
 * about each container's limits (cpu.max, memory.max/high), throttling
 * (cpu.stat), memory split (memory.stat) and pressure (PSI). Limits live in
 * cgroupfs only; the module reports the cgroup path to find them.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostacct.h"

static int read_text(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	/* a cut path could name another cgroup's file */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return 0;
}

/* @root/@path into @dir, or -ENAMETOOLONG: a cut path names another cgroup */
static int cg_dir(char *dir, size_t len, const char *root, const char *path)
{
	return (size_t)snprintf(dir, len, "%s%s", root, path) >= len ?
	       -ENAMETOOLONG : 0;
}

/* A value of a "key value" file (cpu.stat, memory.stat). */
static int keyed(const char *text, const char *key, uint64_t *val)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*val = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* "max" or a number */
static uint64_t limit_value(const char *s)
{
	return !strncmp(s, "max", 3) ? UINT64_MAX : strtoull(s, NULL, 10);
}

/* avg10 of the "some" or "full" line of a PSI file */
static double psi_avg10(const char *text, const char *kind)
{
	const char *p = strstr(text, kind);

	if (!p)
		return 0;
	p = strstr(p, "avg10=");
	return p ? strtod(p + 6, NULL) : 0;
}

/*
 * Read cgroupfs facts of @path (below @root) into @cg. Files missing
 * because a controller is not enabled leave their fields unset.
 */
int ha_cg_read(const char *root, const char *path, struct ha_cg *cg)
{
	char dir[PATH_MAX], buf[4096];
	uint64_t v;

	memset(cg, 0, sizeof(*cg));
	cg->mem_max = cg->mem_high = UINT64_MAX;
	if (cg_dir(dir, sizeof(dir), root, path))
		return -ENAMETOOLONG;
	if (access(dir, R_OK))
		return -errno;
	cg->ok = true;

	if (!read_text(dir, "cpu.max", buf, sizeof(buf)) &&
	    strncmp(buf, "max", 3)) {
		char *sp;
		double quota = strtod(buf, &sp);
		double period = strtod(sp, NULL);

		if (period > 0)
			cg->limit_cpus = quota / period;
	}
	if (!read_text(dir, "memory.current", buf, sizeof(buf))) {
		cg->has_memory = true;
		cg->mem_current = strtoull(buf, NULL, 10);
		if (!read_text(dir, "memory.max", buf, sizeof(buf)))
			cg->mem_max = limit_value(buf);
		if (!read_text(dir, "memory.high", buf, sizeof(buf)))
			cg->mem_high = limit_value(buf);
		if (!read_text(dir, "memory.stat", buf, sizeof(buf))) {
			if (!keyed(buf, "anon", &v))
				cg->mem_anon = v;
			if (!keyed(buf, "file", &v))
				cg->mem_file = v;
		}
	}
	if (!read_text(dir, "cpu.pressure", buf, sizeof(buf))) {
		cg->has_psi = true;
		cg->psi_cpu_some10 = psi_avg10(buf, "some");
		cg->psi_cpu_full10 = psi_avg10(buf, "full");
		if (!read_text(dir, "memory.pressure", buf, sizeof(buf))) {
			cg->psi_mem_some10 = psi_avg10(buf, "some");
			cg->psi_mem_full10 = psi_avg10(buf, "full");
		}
	}
	return 0;
}

/*
 * A cgroup's cpu.stat: CPU time of every task that ever ran in it (the
 * kernel's own ledger, members reaped before the module loaded included),
 * user and system split with the cgroup's own monotonic adjustment, and
 * the cpu.max throttling counters.
 */
int ha_cpustat_read(const char *root, const char *path, struct ha_cpustat *cs)
{
	char dir[PATH_MAX], buf[1024];

	memset(cs, 0, sizeof(*cs));
	if (cg_dir(dir, sizeof(dir), root, path))
		return -ENAMETOOLONG;
	if (read_text(dir, "cpu.stat", buf, sizeof(buf)) ||
	    keyed(buf, "usage_usec", &cs->usage_usec))
		return -ENOENT;
	keyed(buf, "user_usec", &cs->user_usec);
	keyed(buf, "system_usec", &cs->system_usec);
	keyed(buf, "nr_periods", &cs->nr_periods);
	keyed(buf, "nr_throttled", &cs->nr_throttled);
	keyed(buf, "throttled_usec", &cs->throttled_usec);
	cs->ok = true;
	return 0;
}

/*
 * The CPU time of containers, which the module leaves to cgroupfs: every
 * subcommand gets its workloads through here.
 */
void ha_workloads_complete(struct ha_snapshot *s)
{
	const char *root = ha_cgroup_root();
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct ha_workload *w = &s->w[i];

		if (w->class != HOSTACCT_CLASS_CONTAINER || w->has_cpu ||
		    !w->cgroup_path[0] ||
		    ha_cpustat_read(root, w->cgroup_path, &w->cs))
			continue;
		w->cpu_ns = w->cs.usage_usec * 1000;
		w->user_ns = w->cs.user_usec * 1000;
		w->system_ns = w->cs.system_usec * 1000;
		w->has_cpu = true;
	}
}

/*
 * How a workload is isolated: a VM runs its own kernel; a container shares
 * the host's kernel and has the namespaces listed (those of its leader that
 * differ from init's); a native process has none of its own.
 */
char *ha_isolation(uint32_t class, uint32_t pid)
{
	static const char *const ns[] = {
		"pid", "mnt", "uts", "net", "ipc", "cgroup", "user", "time",
	};
	char out[128] = "", a[64], b[64], path[64];
	size_t i;
	ssize_t n, m;

	if (class == HOSTACCT_CLASS_KVM)
		return strdup("own kernel");
	if (class != HOSTACCT_CLASS_CONTAINER || !pid)
		return strdup("none");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		snprintf(path, sizeof(path), "/proc/1/ns/%s", ns[i]);
		n = readlink(path, a, sizeof(a) - 1);
		snprintf(path, sizeof(path), "/proc/%u/ns/%s", pid, ns[i]);
		m = readlink(path, b, sizeof(b) - 1);
		if (n < 0 || m < 0)
			continue;
		a[n] = 0;
		b[m] = 0;
		if (strcmp(a, b)) {
			if (out[0])
				strcat(out, ",");
			strcat(out, ns[i]);
		}
	}
	return strdup(out[0] ? out : "cgroup only");
}

static int cmp_key(const void *a, const void *b)
{
	const struct ha_workload *x = a, *y = b;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Workloads are kept sorted by (class, id), for ha_snap_find(). */
int ha_snap_take(struct ha_nl *h, const struct ha_filter *f,
		 struct ha_snap *s, bool sync)
{
	const char *root = ha_cgroup_root();
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = ha_get_host(h, &s->host, sync);
	if (ret)
		return ret;
	ret = ha_get_workloads(h, f, &s->wl);
	if (ret)
		return ret;
	qsort(s->wl.w, s->wl.n, sizeof(*s->wl.w), cmp_key);
	s->cg = calloc(s->wl.n + 1, sizeof(*s->cg));
	if (!s->cg)
		return -ENOMEM;
	for (i = 0; i < s->wl.n; i++) {
		const struct ha_workload *w = &s->wl.w[i];

		if (w->class == HOSTACCT_CLASS_CONTAINER && w->cgroup_path[0])
			ha_cg_read(root, w->cgroup_path, &s->cg[i]);
	}
	return 0;
}

void ha_snap_free(struct ha_snap *s)
{
	free(s->cg);
	ha_snapshot_free(&s->wl);
	memset(s, 0, sizeof(*s));
}

/*
 * The same workload in another snapshot: same class and id, and the same
 * start time (a reused pid is another workload).
 */
const struct ha_workload *ha_snap_find(const struct ha_snap *s,
				       const struct ha_workload *w,
				       size_t *index)
{
	const struct ha_workload *x;

	x = bsearch(w, s->wl.w, s->wl.n, sizeof(*w), cmp_key);
	if (!x)
		return NULL;
	if (w->class != HOSTACCT_CLASS_CONTAINER &&
	    w->class != HOSTACCT_CLASS_KERNEL && x->start_ns != w->start_ns)
		return NULL;
	if (index)
		*index = x - s->wl.w;
	return x;
}
