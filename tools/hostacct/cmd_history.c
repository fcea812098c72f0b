// SPDX-License-Identifier: GPL-2.0
/*
 * The history commands over what hostacct record stored (store.c):
 *   report --since   the report's efficiency sections over a window
 *   rightsize        a recommended reservation per VM and limited container
 *   export           the recorded series, one row per workload and sample
 *
 * A window is chosen by wall-clock time, but the samples of the current
 * boot are selected by their CLOCK_BOOTTIME key (the wall time the window
 * names, translated with the current offset), so that a clock step since
 * they were recorded moves no sample in or out.
 *
 * Every statistic over a window weights a sample by the time it covers
 * (a downsampled row covers its bucket): means are sums of CPU-seconds and
 * byte-seconds over covered seconds, percentiles are time-weighted.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "hostacct.h"
#include "store.h"

/* ---- the window ---- */

struct window {
	uint64_t since_wall, until_wall;	/* ns, CLOCK_REALTIME */
	uint64_t now_wall, now_boot;
	double span;				/* seconds */
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * @arg: a duration back from now (7d, 12h, 90m), "@EPOCH_SECONDS", or a
 * local time "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM:SS".
 */
static int parse_when(const char *arg, uint64_t now_wall, uint64_t *out)
{
	static const char *const fmts[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
		"%Y-%m-%dT%H:%M", "%Y-%m-%d",
	};
	double secs;
	struct tm tm;
	size_t i;
	char *end;
	time_t t;

	if (!ha_parse_duration(arg, &secs)) {
		if (secs * 1e9 >= (double)now_wall)
			return -ERANGE;
		*out = now_wall - (uint64_t)(secs * 1e9);
		return 0;
	}
	if (arg[0] == '@') {
		errno = 0;
		secs = strtod(arg + 1, &end);
		if (errno || end == arg + 1 || *end || !(secs >= 0) || secs > 1e11)
			return -EINVAL;
		*out = (uint64_t)(secs * 1e9);
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(arg, fmts[i], &tm);
		if (!end || *end)
			continue;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		if (t < 0)
			return -EINVAL;
		*out = (uint64_t)t * 1000000000ULL;
		return 0;
	}
	return -EINVAL;
}

static int window_set(struct window *win, const char *cmd, const char *since,
		      const char *until)
{
	win->now_wall = clock_ns(CLOCK_REALTIME);
	win->now_boot = clock_ns(CLOCK_BOOTTIME);
	win->until_wall = win->now_wall;
	if (parse_when(since, win->now_wall, &win->since_wall)) {
		ha_err("%s: bad --since '%s' (a duration such as 7d, 12h, 30m, a time YYYY-MM-DD[ HH:MM[:SS]], or @EPOCH)",
		       cmd, since);
		return 2;
	}
	if (until && parse_when(until, win->now_wall, &win->until_wall)) {
		ha_err("%s: bad --until '%s' (same forms as --since)", cmd, until);
		return 2;
	}
	if (win->until_wall <= win->since_wall) {
		ha_err("%s: --until is not after --since", cmd);
		return 2;
	}
	win->span = (win->until_wall - win->since_wall) / 1e9;
	return 0;
}

/* The window's samples into the temporary table win(id). */
static int window_select(struct ha_store *st, const struct window *win)
{
	int64_t off = (int64_t)win->now_wall - (int64_t)win->now_boot;
	struct sqlite3_stmt *q;
	char boot_id[40];
	int64_t boot = -1;
	int rc;

	if (!ha_boot_id(boot_id, sizeof(boot_id))) {
		rc = sqlite3_prepare_v2(st->db, "SELECT id FROM boot WHERE boot_id=?1",
					-1, &q, NULL);
		if (rc)
			return rc;
		sqlite3_bind_text(q, 1, boot_id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			boot = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	rc = sqlite3_exec(st->db, "CREATE TEMP TABLE win(id INTEGER PRIMARY KEY)",
			  NULL, NULL, NULL);
	if (rc)
		return rc;
	/* a sample is in when the end of what it covers is */
	rc = sqlite3_prepare_v2(st->db,
				"INSERT INTO win SELECT id FROM sample WHERE"
				" (boot=?1 AND boot_ns>?2 AND boot_ns<=?3) OR"
				" (boot<>?1 AND wall_ns>?4 AND wall_ns<=?5)", -1, &q, NULL);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, boot);
	sqlite3_bind_int64(q, 2, (int64_t)win->since_wall - off);
	sqlite3_bind_int64(q, 3, (int64_t)win->until_wall - off);
	sqlite3_bind_int64(q, 4, (int64_t)win->since_wall);
	sqlite3_bind_int64(q, 5, (int64_t)win->until_wall);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* ---- per-workload statistics ---- */

struct pt {
	double v, w;
};

struct series {
	struct pt *p;
	size_t n, cap;
};

static int series_add(struct series *s, double v, double w)
{
	if (w <= 0)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct pt *p = realloc(s->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n].v = v;
	s->p[s->n++].w = w;
	return 0;
}

static int cmp_pt(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	return x->v < y->v ? -1 : x->v > y->v;
}

/* Sort once before the quantiles. */
static void series_sort(struct series *s)
{
	qsort(s->p, s->n, sizeof(*s->p), cmp_pt);
}

/* The time-weighted @q quantile: the least value at or below which @q of the time is. */
static double series_q(const struct series *s, double q)
{
	double total = 0, cum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		total += s->p[i].w;
	if (!s->n || total <= 0)
		return 0;
	for (i = 0; i < s->n; i++) {
		cum += s->p[i].w;
		if (cum >= q * total * (1 - 1e-12))
			return s->p[i].v;
	}
	return s->p[s->n - 1].v;
}

struct res {
	int64_t since;
	uint32_t vcpus;
	uint64_t guest_mem;
	uint32_t cpu_limit_m;
	uint64_t mem_limit;
};

struct hwl {
	int64_t id;
	uint32_t class;
	uint64_t wid;
	char *name, *cgroup;
	double secs;		/* covered by samples with a rate */
	double mem_secs;	/* covered by samples with a memory value */
	double cpu_s;		/* CPU-seconds (VM: the VMM's) */
	double used_s;		/* CPU-seconds against the reservation (VM: busy) */
	double res_cpu_s;	/* reserved CPU-seconds */
	double mem_bs;		/* byte-seconds */
	double res_mem_bs;	/* reserved byte-seconds */
	double throttled_s;
	double max_used, max_mem;
	struct series used, mem;
	struct res *r;		/* reservations, by since */
	size_t nr;
	struct res first, last;	/* in effect in the window */
	bool seen, changed;
};

struct hist {
	struct ha_store st;
	struct window win;
	struct hwl *w;
	size_t n, cap;
	/* the host over the window */
	double secs, cpus_s;
	double cls_s[HOSTACCT_CLASS_MAX + 1];
	double idle_s, irq_s, steal_s;
	uint64_t nr_samples, mem_total;
	uint64_t first_wall, last_wall;
	/* start-ups and shut-downs measured in the window (histograms) */
	struct ha_class_stats life[HOSTACCT_CLASS_MAX + 1];
};

static double col_d(struct sqlite3_stmt *q, int i)
{
	return sqlite3_column_double(q, i);
}

static bool col_null(struct sqlite3_stmt *q, int i)
{
	return sqlite3_column_type(q, i) == SQLITE_NULL;
}

static char *col_str(struct sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return strdup(s ? (const char *)s : "");
}

/* The reservation of @w in effect at @boot_ns. */
static const struct res *res_at(const struct hwl *w, int64_t boot_ns)
{
	const struct res *r = NULL;
	size_t i;

	for (i = 0; i < w->nr && w->r[i].since <= boot_ns; i++)
		r = &w->r[i];
	return r ? r : w->nr ? &w->r[0] : NULL;
}

static bool res_eq(const struct res *a, const struct res *b)
{
	return a->vcpus == b->vcpus && a->guest_mem == b->guest_mem &&
	       a->cpu_limit_m == b->cpu_limit_m && a->mem_limit == b->mem_limit;
}

static int load_host(struct hist *h)
{
	struct sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(h->st.db,
				"SELECT count(*), total(secs), total(secs * nr_cpus),"
				" total(cpu_kernel), total(cpu_native), total(cpu_kvm),"
				" total(cpu_container), total(cpu_idle), total(cpu_irq),"
				" total(cpu_steal), max(mem_total), min(wall_ns), max(wall_ns)"
				" FROM sample WHERE id IN win", -1, &q, NULL);
	if (rc)
		return rc;
	if (sqlite3_step(q) == SQLITE_ROW) {
		h->nr_samples = sqlite3_column_int64(q, 0);
		h->secs = col_d(q, 1);
		h->cpus_s = col_d(q, 2);
		h->cls_s[HOSTACCT_CLASS_KERNEL] = col_d(q, 3) / 1e9;
		h->cls_s[HOSTACCT_CLASS_NATIVE] = col_d(q, 4) / 1e9;
		h->cls_s[HOSTACCT_CLASS_KVM] = col_d(q, 5) / 1e9;
		h->cls_s[HOSTACCT_CLASS_CONTAINER] = col_d(q, 6) / 1e9;
		h->idle_s = col_d(q, 7) / 1e9;
		h->irq_s = col_d(q, 8) / 1e9;
		h->steal_s = col_d(q, 9) / 1e9;
		h->mem_total = sqlite3_column_int64(q, 10);
		h->first_wall = sqlite3_column_int64(q, 11);
		h->last_wall = sqlite3_column_int64(q, 12);
	}
	sqlite3_finalize(q);
	return 0;
}

static struct hwl *hwl_get(struct hist *h, int64_t id)
{
	if (h->n && h->w[h->n - 1].id == id)
		return &h->w[h->n - 1];
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 32;
		struct hwl *w = realloc(h->w, cap * sizeof(*w));

		if (!w)
			return NULL;
		h->w = w;
		h->cap = cap;
	}
	memset(&h->w[h->n], 0, sizeof(h->w[0]));
	h->w[h->n].id = id;
	return &h->w[h->n++];
}

static int load_reservations(struct hist *h)
{
	struct sqlite3_stmt *q;
	size_t i = 0;
	int rc;

	rc = sqlite3_prepare_v2(h->st.db,
				"SELECT workload, since, coalesce(vcpus, 0), coalesce(guest_mem, 0),"
				" coalesce(cpu_limit_m, 0), coalesce(mem_limit, 0) FROM reservation"
				" WHERE workload IN (SELECT DISTINCT workload FROM usage WHERE"
				" sample IN win) ORDER BY workload, since", -1, &q, NULL);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		struct hwl *w;
		struct res *r;

		while (i < h->n && h->w[i].id < id)
			i++;
		if (i == h->n || h->w[i].id != id)
			continue;
		w = &h->w[i];
		r = realloc(w->r, (w->nr + 1) * sizeof(*r));
		if (!r) {
			rc = SQLITE_NOMEM;
			break;
		}
		w->r = r;
		r = &w->r[w->nr++];
		r->since = sqlite3_column_int64(q, 1);
		r->vcpus = sqlite3_column_int(q, 2);
		r->guest_mem = sqlite3_column_int64(q, 3);
		r->cpu_limit_m = sqlite3_column_int(q, 4);
		r->mem_limit = sqlite3_column_int64(q, 5);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* The VMs and containers of the window, with their statistics. */
static int load_workloads(struct hist *h)
{
	struct sqlite3_stmt *q;
	int rc;

	rc = sqlite3_prepare_v2(h->st.db,
				"SELECT w.id, w.class, w.wid, w.name, w.cgroup FROM workload w"
				" WHERE w.class IN (?1, ?2) AND w.id IN (SELECT DISTINCT workload"
				" FROM usage WHERE sample IN win) ORDER BY w.id", -1, &q, NULL);
	if (rc)
		return rc;
	sqlite3_bind_int(q, 1, HOSTACCT_CLASS_KVM);
	sqlite3_bind_int(q, 2, HOSTACCT_CLASS_CONTAINER);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct hwl *w = hwl_get(h, sqlite3_column_int64(q, 0));

		if (!w) {
			rc = SQLITE_NOMEM;
			break;
		}
		w->class = sqlite3_column_int(q, 1);
		w->wid = sqlite3_column_int64(q, 2);
		w->name = col_str(q, 3);
		w->cgroup = col_str(q, 4);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rc;
	rc = load_reservations(h);
	if (rc)
		return rc;

	rc = sqlite3_prepare_v2(h->st.db,
				"SELECT u.workload, s.boot_ns, s.secs, u.secs, u.cpu, u.busy,"
				" u.throttled, u.mem, u.cpu_peak, u.busy_peak, u.mem_peak,"
				" s.nr_cpus, s.mem_total"
				" FROM usage u JOIN sample s ON s.id=u.sample"
				" WHERE u.sample IN win ORDER BY u.workload, s.boot_ns", -1, &q, NULL);
	if (rc)
		return rc;
	{
		size_t i = 0;

		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(q, 0);
			int64_t bns = sqlite3_column_int64(q, 1);
			double secs = col_null(q, 3) ? col_d(q, 2) : col_d(q, 3);
			double ssecs = col_d(q, 2);
			const struct res *r;
			double rc_cpus, rc_mem, used, mem;
			struct hwl *w;

			while (i < h->n && h->w[i].id < id)
				i++;
			if (i == h->n || h->w[i].id != id)
				continue;
			w = &h->w[i];
			r = res_at(w, bns);
			if (r) {
				if (!w->seen)
					w->first = *r;
				else if (!res_eq(&w->last, r))
					w->changed = true;
				w->last = *r;
			}
			w->seen = true;
			if (w->class == HOSTACCT_CLASS_KVM) {
				rc_cpus = r ? r->vcpus : 0;
				rc_mem = r ? (double)r->guest_mem : 0;
			} else {
				rc_cpus = r && r->cpu_limit_m ? r->cpu_limit_m / 1000.0 :
					  sqlite3_column_int(q, 11);
				rc_mem = r && r->mem_limit ? (double)r->mem_limit :
					 col_d(q, 12);
			}
			mem = col_d(q, 7);
			/* memory over the time the row covers, rate or not */
			if (secs > 0 && ssecs > 0 && !col_null(q, 7)) {
				w->mem_secs += secs;
				w->mem_bs += mem * secs;
				w->res_mem_bs += rc_mem * secs;
				if (series_add(&w->mem, mem, secs))
					rc = SQLITE_NOMEM;
			}
			mem = col_null(q, 10) ? mem : col_d(q, 10);
			if (mem > w->max_mem)
				w->max_mem = mem;
			if (col_null(q, 4) || secs <= 0)
				continue;
			used = (w->class == HOSTACCT_CLASS_KVM ? col_d(q, 5) : col_d(q, 4)) / 1e9;
			w->secs += secs;
			w->cpu_s += col_d(q, 4) / 1e9;
			w->used_s += used;
			w->res_cpu_s += rc_cpus * secs;
			w->throttled_s += col_d(q, 6) / 1e6;
			if (series_add(&w->used, used / secs, secs))
				rc = SQLITE_NOMEM;
			if (!col_null(q, w->class == HOSTACCT_CLASS_KVM ? 9 : 8))
				used = col_d(q, w->class == HOSTACCT_CLASS_KVM ? 9 : 8);
			else
				used /= secs;
			if (used > w->max_used)
				w->max_used = used;
			if (rc == SQLITE_NOMEM)
				break;
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rc;
	for (size_t i = 0; i < h->n; i++) {
		series_sort(&h->w[i].used);
		series_sort(&h->w[i].mem);
	}
	return 0;
}

/*
 * The start-up and shut-down histograms over the window: the buckets'
 * counts summed over its samples. A file without them (schema 1) has
 * none to show.
 */
static int load_life(struct hist *h)
{
	struct sqlite3_stmt *q;
	uint32_t c;
	int rc;

	if (!h->st.has_life)
		return 0;
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++)
		h->life[c].has_life = true;
	/* +Inf is stored as -1: it goes last */
	rc = sqlite3_prepare_v2(h->st.db,
				"SELECT class, kind, min(gt), le, total(count) FROM life"
				" WHERE sample IN win GROUP BY class, kind, le"
				" ORDER BY class, kind, le < 0, le", -1, &q, NULL);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint32_t class = sqlite3_column_int(q, 0);
		int kind = sqlite3_column_int(q, 1);
		struct ha_hist *hh;

		if (class < HOSTACCT_CLASS_NATIVE || class > HOSTACCT_CLASS_MAX)
			continue;
		hh = kind ? &h->life[class].shutdown : &h->life[class].startup;
		if (hh->n == HA_HIST_MAX)
			continue;
		hh->b[hh->n].gt = (uint64_t)sqlite3_column_int64(q, 2);
		hh->b[hh->n].le = (uint64_t)sqlite3_column_int64(q, 3);
		hh->b[hh->n].count = (uint64_t)sqlite3_column_double(q, 4);
		hh->count += hh->b[hh->n].count;
		hh->n++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : rc;
}

static void hist_free(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->w[i].name);
		free(h->w[i].cgroup);
		free(h->w[i].used.p);
		free(h->w[i].mem.p);
		free(h->w[i].r);
	}
	free(h->w);
	ha_store_close(&h->st);
}

static int hist_load(struct hist *h, const char *cmd, const char *db,
		     const char *since, const char *until)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->st.lock_fd = -1;
	rc = window_set(&h->win, cmd, since, until);
	if (rc)
		return rc;
	if (ha_store_open(&h->st, db, 0))
		return 1;
	/* one read transaction: the recorder may commit meanwhile */
	rc = sqlite3_exec(h->st.db, "BEGIN", NULL, NULL, NULL);
	if (!rc)
		rc = window_select(&h->st, &h->win);
	if (!rc)
		rc = load_host(h);
	if (!rc)
		rc = load_workloads(h);
	if (!rc)
		rc = load_life(h);
	sqlite3_exec(h->st.db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		ha_err("%s: %s: %s", cmd, db, sqlite3_errstr(rc));
		return 1;
	}
	return 0;
}

/* ---- report --since ---- */

/* Start-up and shut-down by class over the window. */
static void out_tradeoffs(struct ha_out *o, const struct hist *h)
{
	uint32_t c;

	ha_out_section(o, "tradeoffs", "Start-up and shut-down over the window", true);
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++) {
		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(c));
		ha_print_life(o, &h->life[c]);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

static void out_window(struct ha_out *o, const struct hist *h)
{
	double cap = h->secs > 0 ? h->cpus_s / h->secs : 0;
	uint32_t c;

	ha_out_section(o, "window", "Recorded window", false);
	ha_out_u64(o, "since_unix_s", "since (Unix time)", h->win.since_wall / 1000000000ULL,
		   HA_U_NONE);
	ha_out_u64(o, "until_unix_s", "until (Unix time)", h->win.until_wall / 1000000000ULL,
		   HA_U_NONE);
	ha_out_u64(o, "samples", "samples", h->nr_samples, HA_U_NONE);
	ha_out_dbl(o, "covered_s", "covered (s)", h->secs, HA_U_FIXED2);
	ha_out_dbl(o, "span_s", "asked (s)", h->win.span, HA_U_FIXED2);
	ha_out_section_end(o);

	ha_out_section(o, "split", "Host CPU split over the window (CPUs, mean)", true);
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(c));
		ha_out_dbl(o, "cpus", "CPUS", h->secs > 0 ? h->cls_s[c] / h->secs : 0,
			   HA_U_FIXED2);
		ha_out_dbl(o, "pct", "%", cap > 0 ? 100 * h->cls_s[c] / h->cpus_s : 0,
			   HA_U_PCT);
		ha_out_row_end(o);
	}
	ha_out_row(o);
	ha_out_str(o, "class", "CLASS", "idle");
	ha_out_dbl(o, "cpus", "CPUS", h->secs > 0 ? h->idle_s / h->secs : 0, HA_U_FIXED2);
	ha_out_dbl(o, "pct", "%", cap > 0 ? 100 * h->idle_s / h->cpus_s : 0, HA_U_PCT);
	ha_out_row_end(o);
	ha_out_section_end(o);
}

static double pct(double a, double b)
{
	return b > 0 ? 100 * a / b : 0;
}

static void out_wl_stats(struct ha_out *o, const struct hwl *w)
{
	double res_cpus = w->secs > 0 ? w->res_cpu_s / w->secs : 0;
	double res_mem = w->mem_secs > 0 ? w->res_mem_bs / w->mem_secs : 0;
	double mean = w->secs > 0 ? w->used_s / w->secs : 0;
	double p95 = series_q(&w->used, 0.95);
	double mmean = w->mem_secs > 0 ? w->mem_bs / w->mem_secs : 0;

	ha_out_u64(o, "id", "ID", w->wid, HA_U_NONE);
	ha_out_dbl(o, "covered_s", "COVERED(s)", w->secs, HA_U_FIXED2);
	ha_out_dbl(o, "reserved_cpus", "RES-CPUS", res_cpus, HA_U_FIXED2);
	ha_out_dbl(o, "used_cpus_mean", "MEAN", mean, HA_U_FIXED2);
	ha_out_dbl(o, "used_cpus_p50", "P50", series_q(&w->used, 0.5), HA_U_FIXED2);
	ha_out_dbl(o, "used_cpus_p95", "P95", p95, HA_U_FIXED2);
	ha_out_dbl(o, "used_cpus_max", "MAX", w->max_used, HA_U_FIXED2);
	ha_out_dbl(o, "cpu_eff_pct", "CPU-EFF%", pct(w->used_s, w->res_cpu_s), HA_U_PCT);
	ha_out_dbl(o, "cpu_eff_p95_pct", "EFF@P95%", pct(p95, res_cpus), HA_U_PCT);
	ha_out_u64(o, "reserved_mem_bytes", "RES-MEM", (uint64_t)res_mem, HA_U_BYTES);
	ha_out_u64(o, "mem_mean_bytes", "MEM-MEAN", (uint64_t)mmean, HA_U_BYTES);
	ha_out_u64(o, "mem_p50_bytes", "MEM-P50", (uint64_t)series_q(&w->mem, 0.5),
		   HA_U_BYTES);
	ha_out_u64(o, "mem_p95_bytes", "MEM-P95", (uint64_t)series_q(&w->mem, 0.95),
		   HA_U_BYTES);
	ha_out_u64(o, "mem_max_bytes", "MEM-MAX", (uint64_t)w->max_mem, HA_U_BYTES);
	ha_out_dbl(o, "mem_eff_pct", "MEM-EFF%", pct(w->mem_bs, w->res_mem_bs), HA_U_PCT);
	ha_out_dbl(o, "mem_eff_p95_pct", "MEM@P95%", pct(series_q(&w->mem, 0.95), res_mem),
		   HA_U_PCT);
	ha_out_str(o, "reservation_changed", "RES-CHANGED", w->changed ? "yes" : "no");
}

static void out_workloads(struct ha_out *o, const struct hist *h, uint32_t class)
{
	size_t i;

	if (class == HOSTACCT_CLASS_KVM)
		ha_out_section(o, "vms", "Virtual machines over the window (CPUs: vCPU busy)",
			       true);
	else
		ha_out_section(o, "containers", "Containers over the window", true);
	for (i = 0; i < h->n; i++) {
		const struct hwl *w = &h->w[i];

		if (w->class != class || !w->seen)
			continue;
		ha_out_row(o);
		out_wl_stats(o, w);
		if (class == HOSTACCT_CLASS_KVM) {
			ha_out_dbl(o, "cpus_mean", "VMM-CPUS",
				   w->secs > 0 ? w->cpu_s / w->secs : 0, HA_U_FIXED2);
		} else {
			ha_out_dbl(o, "throttled_s", "THR(s)", w->throttled_s, HA_U_FIXED2);
		}
		ha_out_str(o, "name", "NAME", w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

/* Reserved but unused CPUs and memory, averaged over the window. */
static void out_idle_reserved(struct ha_out *o, const struct hist *h)
{
	static const uint32_t classes[] = { HOSTACCT_CLASS_KVM, HOSTACCT_CLASS_CONTAINER };
	size_t i, k;

	ha_out_section(o, "idle_reserved", "Reserved but idle, mean over the window", true);
	for (k = 0; k < 2; k++) {
		double cpu = 0, mem = 0;
		size_t n = 0;

		for (i = 0; i < h->n; i++) {
			const struct hwl *w = &h->w[i];

			if (w->class != classes[k] || !w->seen)
				continue;
			/* unlimited containers reserve nothing */
			if (w->class == HOSTACCT_CLASS_CONTAINER && !w->last.cpu_limit_m &&
			    !w->last.mem_limit)
				continue;
			n++;
			if (w->class == HOSTACCT_CLASS_KVM || w->last.cpu_limit_m)
				cpu += w->res_cpu_s - w->used_s;
			if (w->class == HOSTACCT_CLASS_KVM || w->last.mem_limit)
				mem += w->res_mem_bs - w->mem_bs;
		}
		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(classes[k]));
		ha_out_u64(o, "count", "COUNT", n, HA_U_NONE);
		ha_out_dbl(o, "idle_cpus", "IDLE-CPUS",
			   h->secs > 0 && cpu > 0 ? cpu / h->secs : 0, HA_U_FIXED2);
		ha_out_u64(o, "idle_mem_bytes", "IDLE-MEM",
			   h->secs > 0 && mem > 0 ? (uint64_t)(mem / h->secs) : 0, HA_U_BYTES);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

/* ---- rightsize ---- */

#define RS_MARGIN	1.15	/* VPA's safety margin */
#define RS_CTR_FLOOR	0.1	/* the least cpu.max recommended, CPUs */
#define RS_VCPU_SLACK	0.25	/* a vCPU more only past this much */
#define RS_MEM_ALIGN	(1ULL << 20)
#define RS_VM_MEM_ALIGN	(64ULL << 20)

struct rs {
	double conf;		/* covered / 24 h, at most 1 */
	double cpu_target, cpu_lower, cpu_upper;
	double cpu_now, cpu_rec;
	uint64_t mem_now, mem_rec, mem_lower, mem_upper;
	bool has_cpu, has_mem;
};

static uint64_t align_up(double v, uint64_t a)
{
	return v <= 0 ? a : (uint64_t)ceil(v / a) * a;
}

static void rightsize_one(const struct hwl *w, uint32_t nr_cpus, struct rs *r)
{
	double p50 = series_q(&w->used, 0.5), p90 = series_q(&w->used, 0.9);
	double p95 = series_q(&w->used, 0.95);
	double lo_f, hi_f, peak = w->max_mem;

	memset(r, 0, sizeof(*r));
	r->conf = w->secs / 86400;
	if (r->conf > 1)
		r->conf = 1;
	/* VPA: bounds widen as (1 + 0.001/c)^-2 and (1 + 1/c) */
	lo_f = r->conf > 0 ? pow(1 + 0.001 / r->conf, -2) : 0;
	hi_f = r->conf > 0 ? 1 + 1 / r->conf : INFINITY;
	r->cpu_target = p90 * RS_MARGIN;
	r->cpu_lower = p50 * RS_MARGIN * lo_f;
	r->cpu_upper = fmin(p95 * RS_MARGIN * hi_f, nr_cpus);

	if (w->class == HOSTACCT_CLASS_KVM) {
		r->has_cpu = w->last.vcpus > 0;
		r->cpu_now = w->last.vcpus;
		r->cpu_rec = fmax(1, ceil(r->cpu_target - RS_VCPU_SLACK));
		r->cpu_lower = fmax(1, ceil(r->cpu_lower - RS_VCPU_SLACK));
		r->cpu_upper = fmax(r->cpu_rec, ceil(r->cpu_upper - RS_VCPU_SLACK));
		r->has_mem = w->last.guest_mem > 0;
		r->mem_now = w->last.guest_mem;
		r->mem_rec = align_up(peak * RS_MARGIN, RS_VM_MEM_ALIGN);
	} else {
		r->has_cpu = w->last.cpu_limit_m > 0;
		r->cpu_now = w->last.cpu_limit_m / 1000.0;
		r->cpu_rec = fmax(RS_CTR_FLOOR, ceil(r->cpu_target * 100) / 100);
		r->cpu_lower = fmax(RS_CTR_FLOOR, r->cpu_lower);
		r->cpu_upper = fmax(r->cpu_rec, r->cpu_upper);
		r->has_mem = w->last.mem_limit > 0;
		r->mem_now = w->last.mem_limit;
		r->mem_rec = align_up(peak * RS_MARGIN, RS_MEM_ALIGN);
	}
	/* never below the peak seen */
	if (r->mem_rec < peak)
		r->mem_rec = align_up(peak, RS_MEM_ALIGN);
	r->mem_lower = align_up(peak, RS_MEM_ALIGN);
	r->mem_upper = r->conf > 0 ? align_up(peak * RS_MARGIN * hi_f, RS_MEM_ALIGN) :
		       UINT64_MAX;
	if (r->mem_upper < r->mem_rec)
		r->mem_upper = r->mem_rec;
}

static void out_rightsize(struct ha_out *o, const struct hist *h)
{
	uint32_t nr_cpus = h->secs > 0 ? (uint32_t)lround(h->cpus_s / h->secs) : 1;
	double cpu_reclaim = 0, mem_reclaim = 0;
	size_t i, n = 0;

	ha_out_section(o, "rightsize", "Recommended reservations", true);
	for (i = 0; i < h->n; i++) {
		const struct hwl *w = &h->w[i];
		struct rs r;

		if (!w->seen)
			continue;
		rightsize_one(w, nr_cpus, &r);
		if (!r.has_cpu && !r.has_mem)
			continue;
		n++;
		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(w->class));
		ha_out_u64(o, "id", "ID", w->wid, HA_U_NONE);
		ha_out_dbl(o, "covered_s", "COVERED(s)", w->secs, HA_U_FIXED2);
		ha_out_str(o, "confidence", "CONFIDENCE", r.conf < 1 ? "low" : "ok");
		if (r.has_cpu) {
			ha_out_dbl(o, "cpus_now", "CPUS-NOW", r.cpu_now, HA_U_FIXED2);
			ha_out_dbl(o, "cpus_recommended", "CPUS-REC", r.cpu_rec, HA_U_FIXED2);
			ha_out_dbl(o, "cpus_lower", "CPUS-LO", r.cpu_lower, HA_U_FIXED2);
			ha_out_dbl(o, "cpus_upper", "CPUS-HI", r.cpu_upper, HA_U_FIXED2);
			ha_out_dbl(o, "cpus_reclaim", "CPUS-RECLAIM", r.cpu_now - r.cpu_rec,
				   HA_U_FIXED2);
			cpu_reclaim += r.cpu_now - r.cpu_rec;
		} else {
			ha_out_none(o, "cpus_now", "CPUS-NOW");
			ha_out_none(o, "cpus_recommended", "CPUS-REC");
			ha_out_none(o, "cpus_lower", "CPUS-LO");
			ha_out_none(o, "cpus_upper", "CPUS-HI");
			ha_out_none(o, "cpus_reclaim", "CPUS-RECLAIM");
		}
		ha_out_dbl(o, "cpu_target_cpus", "TARGET", r.cpu_target, HA_U_FIXED2);
		if (r.has_mem) {
			ha_out_u64(o, "mem_now_bytes", "MEM-NOW", r.mem_now, HA_U_BYTES);
			ha_out_u64(o, "mem_recommended_bytes", "MEM-REC", r.mem_rec, HA_U_BYTES);
			ha_out_u64(o, "mem_peak_bytes", "MEM-PEAK", (uint64_t)w->max_mem,
				   HA_U_BYTES);
			ha_out_dbl(o, "mem_reclaim_bytes", "MEM-RECLAIM",
				   (double)r.mem_now - (double)r.mem_rec, HA_U_BYTES);
			mem_reclaim += (double)r.mem_now - (double)r.mem_rec;
		} else {
			ha_out_none(o, "mem_now_bytes", "MEM-NOW");
			ha_out_none(o, "mem_recommended_bytes", "MEM-REC");
			ha_out_none(o, "mem_peak_bytes", "MEM-PEAK");
			ha_out_none(o, "mem_reclaim_bytes", "MEM-RECLAIM");
		}
		ha_out_str(o, "name", "NAME", w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);

	ha_out_section(o, "total", "Reclaimable on this host", false);
	ha_out_u64(o, "workloads", "workloads with a reservation", n, HA_U_NONE);
	ha_out_dbl(o, "cpus_reclaim", "CPUs (recommended vs now)", cpu_reclaim,
		   HA_U_FIXED2);
	ha_out_dbl(o, "mem_reclaim_bytes", "memory (recommended vs now)",
		   mem_reclaim, HA_U_BYTES);
	ha_out_section_end(o);
}

/* ---- the commands ---- */

enum hist_cmd { H_REPORT, H_RIGHTSIZE, H_EXPORT };

static void hist_usage(FILE *f, enum hist_cmd cmd)
{
	switch (cmd) {
	case H_REPORT:
		fprintf(f,
			"usage: hostacct report --since WHEN [--until WHEN] [--db PATH]\n"
			"                       [-j | --csv --section NAME]\n"
			"\n"
			"The report over what hostacct record stored: per VM and container\n"
			"the mean, p50, p95 and max of the CPUs used and of memory, and\n"
			"efficiency against the reservation; reserved but idle capacity;\n"
			"the host's CPU split.\n"
			"\n"
			"  WHEN: a duration back from now (7d, 12h, 1m), a local time\n"
			"  YYYY-MM-DD[ HH:MM[:SS]], or @UNIX_SECONDS\n"
			"      --section NAME   window, split, vms, containers, idle_reserved,\n"
			"                       tradeoffs\n");
		break;
	case H_RIGHTSIZE:
		fprintf(f,
			"usage: hostacct rightsize [--since WHEN (default 7d)] [--until WHEN]\n"
			"                          [--db PATH] [-j | --csv --section NAME]\n"
			"\n"
			"For each VM (vCPUs, guest RAM) and each container with a limit\n"
			"(cpu.max, memory.max), the reservation now, a recommended one and\n"
			"what it would reclaim, from the recorded history (see hostacct(8)).\n"
			"      --section NAME   rightsize, total\n");
		break;
	case H_EXPORT:
		fprintf(f,
			"usage: hostacct export [--since WHEN (default 1d)] [--until WHEN]\n"
			"                       [--db PATH] [--workload CLASS:ID] [-j | --csv]\n"
			"\n"
			"The recorded series: one row per workload and sample.\n");
		break;
	}
}

/* class:id, class a name (kvm, container, native) */
static int parse_workload(const char *arg, uint32_t *class, uint64_t *id)
{
	const char *colon = strchr(arg, ':');
	char name[16];
	uint32_t c;

	if (!colon || (size_t)(colon - arg) >= sizeof(name))
		return -EINVAL;
	memcpy(name, arg, colon - arg);
	name[colon - arg] = 0;
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
		if (!strcmp(name, ha_class_name(c)))
			break;
	if (c > HOSTACCT_CLASS_MAX)
		return -EINVAL;
	*class = c;
	return ha_parse_u64(colon + 1, id);
}

static int do_export(const char *db, const char *since, const char *until,
		     bool one, uint32_t class, uint64_t id)
{
	struct ha_store st;
	struct window win;
	struct sqlite3_stmt *q;
	struct ha_out *o;
	int rc;

	if (window_set(&win, "export", since, until))
		return 2;
	if (ha_store_open(&st, db, 0))
		return 1;
	rc = sqlite3_exec(st.db, "BEGIN", NULL, NULL, NULL);
	if (!rc)
		rc = window_select(&st, &win);
	if (!rc)
		rc = sqlite3_prepare_v2(st.db,
					"SELECT s.wall_ns, s.boot_ns, b.boot_id, coalesce(u.secs, s.secs),"
					" s.tier, w.class, w.wid, w.start_ns, u.cpu, u.busy, u.throttled,"
					" u.mem, r.vcpus, r.guest_mem, r.cpu_limit_m, r.mem_limit, w.name,"
					" u.cpu_peak, u.busy_peak, u.mem_peak"
					" FROM usage u JOIN sample s ON s.id=u.sample"
					" JOIN workload w ON w.id=u.workload JOIN boot b ON b.id=s.boot"
					" LEFT JOIN reservation r ON r.workload=w.id AND r.since="
					" (SELECT max(since) FROM reservation WHERE workload=w.id AND"
					" since<=s.boot_ns)"
					" WHERE u.sample IN win AND (?1=0 OR (w.class=?2 AND w.wid=?3))"
					" ORDER BY s.boot, s.boot_ns, w.class, w.wid", -1, &q, NULL);
	if (rc) {
		ha_err("export: %s: %s", db, sqlite3_errmsg(st.db));
		ha_store_close(&st);
		return 1;
	}
	sqlite3_bind_int(q, 1, one);
	sqlite3_bind_int(q, 2, class);
	sqlite3_bind_int64(q, 3, (int64_t)id);
	o = ha_out_new(ha_opts.format, stdout);
	ha_out_section(o, "samples", "Recorded samples", true);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		static const char *const keys[] = {
			"cpu_ns", "vcpu_busy_ns", "throttled_us", "mem_bytes",
			"kvm_nr_vcpus", "kvm_guest_mem_bytes", "cpu_limit_mcpus",
			"mem_limit_bytes",
		};
		static const char *const hdrs[] = {
			"CPU(ns)", "BUSY(ns)", "THR(us)", "MEM", "VCPUS", "GUEST-RAM",
			"LIMIT(m)", "MEM.MAX",
		};
		int k;

		ha_out_row(o);
		ha_out_u64(o, "wall_ns", "WALL(ns)", sqlite3_column_int64(q, 0), HA_U_NONE);
		ha_out_u64(o, "boot_ns", "BOOT(ns)", sqlite3_column_int64(q, 1), HA_U_NONE);
		ha_out_str(o, "boot_id", "BOOT", (const char *)sqlite3_column_text(q, 2));
		ha_out_dbl(o, "secs", "SECS", col_d(q, 3), HA_U_FIXED2);
		ha_out_u64(o, "downsampled", "DS", sqlite3_column_int(q, 4), HA_U_NONE);
		ha_out_str(o, "class", "CLASS", ha_class_name(sqlite3_column_int(q, 5)));
		ha_out_u64(o, "id", "ID", sqlite3_column_int64(q, 6), HA_U_NONE);
		ha_out_u64(o, "start_ns", "START(ns)", sqlite3_column_int64(q, 7), HA_U_NONE);
		for (k = 0; k < 8; k++) {
			if (col_null(q, 8 + k))
				ha_out_none(o, keys[k], hdrs[k]);
			else
				ha_out_u64(o, keys[k], hdrs[k], sqlite3_column_int64(q, 8 + k),
					   HA_U_NONE);
		}
		/* downsampled rows: the highest raw value of the bucket */
		if (col_null(q, 17))
			ha_out_none(o, "cpu_peak_cpus", "CPU-PEAK");
		else
			ha_out_dbl(o, "cpu_peak_cpus", "CPU-PEAK", col_d(q, 17), HA_U_FIXED2);
		if (col_null(q, 18))
			ha_out_none(o, "vcpu_busy_peak_cpus", "BUSY-PEAK");
		else
			ha_out_dbl(o, "vcpu_busy_peak_cpus", "BUSY-PEAK", col_d(q, 18),
				   HA_U_FIXED2);
		if (col_null(q, 19))
			ha_out_none(o, "mem_peak_bytes", "MEM-PEAK");
		else
			ha_out_u64(o, "mem_peak_bytes", "MEM-PEAK", sqlite3_column_int64(q, 19),
				   HA_U_NONE);
		ha_out_str(o, "name", "NAME", (const char *)sqlite3_column_text(q, 16));
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
	ha_out_finish(o);
	sqlite3_finalize(q);
	sqlite3_exec(st.db, "COMMIT", NULL, NULL, NULL);
	ha_store_close(&st);
	if (rc != SQLITE_DONE) {
		ha_err("export: %s: %s", db, sqlite3_errstr(rc));
		return 1;
	}
	return 0;
}

static int cmd_history(int argc, char **argv, enum hist_cmd cmd)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "db", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "section", required_argument, NULL, HA_OPT_SECTION },
		{ "workload", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const rep_sections[] = {
		"window", "split", "vms", "containers", "idle_reserved", "tradeoffs", NULL,
	};
	static const char *const rs_sections[] = { "rightsize", "total", NULL };
	static const char *const ex_sections[] = { "samples", NULL };
	const char *name = cmd == H_REPORT ? "report" : cmd == H_RIGHTSIZE ?
			   "rightsize" : "export";
	const char *db = HA_DB_DEFAULT, *since = NULL, *until = NULL;
	bool one = false;
	uint32_t class = 0;
	uint64_t id = 0;
	struct hist h;
	struct ha_out *o;
	int c, rc;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'S':
			since = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case HA_OPT_SECTION:
			ha_opts.section = optarg;
			break;
		case 'W':
			if (cmd != H_EXPORT || parse_workload(optarg, &class, &id)) {
				ha_err("%s: bad --workload '%s' (CLASS:ID, such as kvm:1234 or container:5678; export only)",
				       name, optarg);
				return 2;
			}
			one = true;
			break;
		case 'h':
			hist_usage(stdout, cmd);
			return 0;
		default:
			hist_usage(stderr, cmd);
			return 2;
		}
	}
	if (optind < argc) {
		ha_err("%s: unexpected argument '%s'", name, argv[optind]);
		return 2;
	}
	if (!since)
		since = cmd == H_REPORT ? NULL : cmd == H_RIGHTSIZE ? "7d" : "1d";
	if (!since) {
		ha_err("report: --since WHEN is needed for a report over the history");
		return 2;
	}
	if (ha_section_check(name, cmd == H_REPORT ? rep_sections :
			     cmd == H_RIGHTSIZE ? rs_sections : ex_sections))
		return 2;
	if (cmd == H_EXPORT)
		return do_export(db, since, until, one, class, id);

	rc = hist_load(&h, name, db, since, until);
	if (rc) {
		hist_free(&h);
		return rc;
	}
	if (!h.nr_samples)
		ha_err("%s: %s: no sample in the window (is hostacct record running?)",
		       name, db);
	o = ha_out_new(ha_opts.format, stdout);
	if (cmd == H_REPORT) {
		out_window(o, &h);
		out_workloads(o, &h, HOSTACCT_CLASS_KVM);
		out_workloads(o, &h, HOSTACCT_CLASS_CONTAINER);
		out_idle_reserved(o, &h);
		out_tradeoffs(o, &h);
	} else {
		out_rightsize(o, &h);
	}
	ha_out_finish(o);
	hist_free(&h);
	return h.nr_samples ? 0 : 1;
}

int cmd_history_report(int argc, char **argv)
{
	return cmd_history(argc, argv, H_REPORT);
}

int cmd_rightsize(int argc, char **argv)
{
	return cmd_history(argc, argv, H_RIGHTSIZE);
}

int cmd_export(int argc, char **argv)
{
	return cmd_history(argc, argv, H_EXPORT);
}
