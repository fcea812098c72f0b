// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct record: sample every --interval into the history store.
 *
 * Each sample is the difference of two snapshots (rates.c, the live
 * report's arithmetic), stored in one transaction: the host split, every
 * VM and container with its reservation, the top natives by CPU and one
 * row for all other natives. Faults cost at most the sample at hand:
 *  - the module gone (or reloaded: its counters restart) records a gap;
 *    the first sample after it carries no usage, so no counter that
 *    restarted is read as negative or huge usage;
 *  - a full disk (or another write error) loses that sample, is logged
 *    once, and recording resumes when a write succeeds again;
 *  - SIGKILL: WAL keeps every committed sample.
 * Samples are keyed by CLOCK_BOOTTIME (wall time beside it), so a clock
 * jump moves no sample; the loop sleeps on CLOCK_BOOTTIME too.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostacct.h"
#include "store.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t ns_of(double cpus, double secs)
{
	double v = cpus * secs * 1e9;

	return v > 0 ? (uint64_t)llround(v) : 0;
}

struct nat {
	const struct ha_workload *w;
	double cpus;
};

static int cmp_nat(const void *a, const void *b)
{
	const struct nat *x = a, *y = b;

	if (x->cpus != y->cpus)
		return x->cpus < y->cpus ? 1 : -1;
	return x->w->id < y->w->id ? -1 : x->w->id > y->w->id;
}

static uint64_t wl_rss(const struct ha_workload *w)
{
	return w->rss_anon + w->rss_file + w->rss_shmem;
}

/* A counter that went down: the module restarted between the snapshots. */
static bool restarted(const struct ha_snap *a, const struct ha_snap *b)
{
	uint32_t c;

	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
		if (b->host.cls[c].cpu_ns < a->host.cls[c].cpu_ns)
			return true;
	return false;
}

/*
 * The start-ups and shut-downs the module measured between @a and @b:
 * each bucket of @b's histograms that holds more than in @a's, into @l
 * (room for all of @b's buckets). Return: how many.
 */
static size_t life_deltas(const struct ha_snap *a, const struct ha_snap *b,
			  struct ha_rec_life *l)
{
	size_t n = 0;
	uint32_t c, k, i, j;

	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++) {
		for (k = 0; k < 2; k++) {
			const struct ha_hist *hb = k ? &b->host.cls[c].shutdown :
						       &b->host.cls[c].startup;
			const struct ha_hist *ha = k ? &a->host.cls[c].shutdown :
						       &a->host.cls[c].startup;

			for (i = 0, j = 0; i < hb->n; i++) {
				uint64_t before = 0;

				while (j < ha->n && ha->b[j].le < hb->b[i].le)
					j++;
				if (j < ha->n && ha->b[j].le == hb->b[i].le)
					before = ha->b[j].count;
				if (hb->b[i].count <= before)
					continue;
				l[n].class = c;
				l[n].kind = k;
				l[n].gt = hb->b[i].gt;
				l[n].le = hb->b[i].le;
				l[n].count = hb->b[i].count - before;
				n++;
			}
		}
	}
	return n;
}

/*
 * The sample between @a (NULL: none, the first after a gap) and @b, into
 * @s; @w is room for every workload of @b plus one, @life for every bucket
 * of @b's histograms.
 */
static void build_sample(const struct ha_snap *a, const struct ha_snap *b,
			 uint32_t natives, struct ha_rec_sample *s,
			 struct ha_rec_wl *w, struct nat *nat,
			 struct ha_rec_life *life)
{
	struct ha_interval iv;
	struct ha_split sp;
	struct ha_rec_wl *rest;
	size_t i, n = 0, nn = 0;
	uint32_t c;

	memset(s, 0, sizeof(*s));
	s->boot_ns = b->host.timestamp_ns;
	s->wall_ns = now_ns(CLOCK_REALTIME);
	s->nr_cpus = b->host.nr_cpus;
	s->mem_total = b->host.mem_total;
	s->mem_free = b->host.mem_free;
	ha_interval_init(&iv, a, b);
	if (a) {
		s->secs = iv.secs;
		ha_host_split(&iv, &sp);
		for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
			s->cls_cpu_ns[c] = ns_of(sp.cls[c], iv.secs);
		s->idle_ns = ns_of(sp.idle, iv.secs);
		s->irq_ns = ns_of(sp.irq, iv.secs);
		s->steal_ns = ns_of(sp.steal, iv.secs);
		s->life = life;
		s->nlife = life_deltas(a, b, life);
	}

	for (i = 0; i < b->wl.n; i++) {
		const struct ha_workload *x = &b->wl.w[i];
		const struct ha_cg *cg = &b->cg[i];
		struct ha_rec_wl *r = &w[n];
		struct ha_wl_rate rate = { .basis = HA_BASIS_NEW };

		if (x->class == HOSTACCT_CLASS_KERNEL)
			continue;
		if (a)
			ha_wl_rate(&iv, x, &rate);
		memset(r, 0, sizeof(*r));
		r->class = x->class;
		r->id = x->id;
		r->start_ns = x->class == HOSTACCT_CLASS_CONTAINER ? 0 : x->start_ns;
		r->name = x->name;
		r->cgroup = x->cgroup_path;
		/* an identity older than the interval but new to it: unknown */
		r->has_rate = a && rate.basis != HA_BASIS_NEW;

		if (x->class == HOSTACCT_CLASS_KVM) {
			if (r->has_rate) {
				struct ha_vm_rates v = ha_vm_rates(&iv, x);

				r->cpu_ns = ns_of(v.cpus, iv.secs);
				r->busy_ns = ns_of(v.busy, iv.secs);
			}
			r->mem = x->kvm.guest_resident;
			r->vcpus = x->kvm.nr_vcpus;
			r->guest_mem = x->kvm.guest_mem;
			s->cls_mem[x->class] += x->has_mem_cgroup ? x->mem_cgroup :
						    wl_rss(x) + x->hugetlb;
			n++;
		} else if (x->class == HOSTACCT_CLASS_CONTAINER) {
			if (r->has_rate) {
				struct ha_ctr_rates v = ha_ctr_rates(&iv, x);

				r->cpu_ns = ns_of(v.cpus, iv.secs);
				r->throttled_us = (uint64_t)llround(v.throttled_s * 1e6);
			}
			r->mem = cg->has_memory ? cg->mem_current :
				 x->has_mem_cgroup ? x->mem_cgroup : wl_rss(x);
			if (cg->limit_cpus > 0)
				r->cpu_limit_m = (uint32_t)llround(cg->limit_cpus * 1000);
			if (cg->has_memory) {
				r->mem_limit = cg->mem_max != UINT64_MAX ? cg->mem_max :
					       cg->mem_high != UINT64_MAX ? cg->mem_high : 0;
			}
			s->cls_mem[x->class] += x->has_mem_cgroup ? x->mem_cgroup :
						wl_rss(x) + x->hugetlb;
			n++;
		} else if (x->class == HOSTACCT_CLASS_NATIVE) {
			nat[nn].w = x;
			nat[nn++].cpus = a ? ha_wl_cpus(&iv, x) : 0;
			s->cls_mem[x->class] += wl_rss(x) + x->hugetlb;
		}
	}

	/* the busiest natives, then one row for all the others */
	qsort(nat, nn, sizeof(*nat), cmp_nat);
	rest = NULL;
	for (i = 0; i < nn; i++) {
		const struct ha_workload *x = nat[i].w;
		struct ha_wl_rate rate = { .basis = HA_BASIS_NEW };

		if (a)
			ha_wl_rate(&iv, x, &rate);
		if (natives == HA_NATIVES_ALL || i < natives) {
			struct ha_rec_wl *r = &w[n++];

			memset(r, 0, sizeof(*r));
			r->class = x->class;
			r->id = x->id;
			r->start_ns = x->start_ns;
			r->name = x->name;
			r->cgroup = x->cgroup_path;
			r->has_rate = a && rate.basis != HA_BASIS_NEW;
			r->cpu_ns = ns_of(nat[i].cpus, iv.secs);
			r->mem = wl_rss(x);
			continue;
		}
		if (!rest) {
			rest = &w[n++];
			memset(rest, 0, sizeof(*rest));
			rest->class = HOSTACCT_CLASS_NATIVE;
			rest->name = "(other natives)";
			rest->cgroup = "";
			rest->has_rate = a;
		}
		rest->cpu_ns += ns_of(nat[i].cpus, iv.secs);
		rest->mem += wl_rss(x);
	}
	s->w = w;
	s->n = n;
}

static void record_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct record [--db PATH] [-i SECONDS] [--retain DURATION]\n"
		"                       [--downsample AFTER:STEP] [--natives N|all]\n"
		"                       [-c COUNT] [-v]\n"
		"\n"
		"Samples the host every interval into an SQLite database, for\n"
		"report --since, rightsize and export. One recorder per database.\n"
		"\n"
		"      --db PATH            the database (default " HA_DB_DEFAULT ")\n"
		"  -i, --interval SECONDS   between samples (default 10; 500ms, 1m)\n"
		"      --retain DURATION    drop samples older than this (default 30d)\n"
		"      --downsample AFTER:STEP  merge samples older than AFTER into one\n"
		"                           per STEP (default 2d:1m; 0 to keep all)\n"
		"      --natives N|all      native processes kept per sample, by CPU;\n"
		"                           the others are one row (default 10)\n"
		"  -c, --count COUNT        stop after COUNT samples (default: run until\n"
		"                           SIGTERM or SIGINT)\n"
		"  -v, --verbose            a line on stdout per sample stored\n");
}

/* Sleep until @deadline (CLOCK_BOOTTIME ns); false when told to stop. */
static bool sleep_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000ULL,
		.tv_nsec = deadline % 1000000000ULL,
	};

	while (!stop && clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return !stop;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "db", required_argument, NULL, 'D' },
		{ "interval", required_argument, NULL, 'i' },
		{ "retain", required_argument, NULL, 'R' },
		{ "downsample", required_argument, NULL, 'S' },
		{ "natives", required_argument, NULL, HA_OPT_NATIVES },
		{ "count", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct ha_retain ret_cfg = {
		.retain = HA_RETAIN_DEFAULT,
		.ds_after = HA_DS_AFTER_DEFAULT,
		.ds_step = HA_DS_STEP_DEFAULT,
	};
	const char *db = HA_DB_DEFAULT;
	uint32_t natives = HA_NATIVES_DEFAULT;
	struct ha_snap snaps[2] = { 0 }, *a = NULL, *b;
	struct ha_filter f = { 0 };
	static struct ha_rec_life life[2 * HOSTACCT_CLASS_MAX * HA_HIST_MAX];
	struct ha_rec_sample s;
	struct ha_rec_wl *w = NULL;
	struct nat *nat = NULL;
	struct ha_store st;
	bool nl_ok = false, down = false, failing = false, verbose = false;
	uint64_t count = 0, done = 0, deadline, interval_ns;
	double secs = 10;
	struct sigaction sa = { .sa_handler = on_signal };
	struct ha_nl h = { 0 };
	int c, rc, ret = 1, cur = 0;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "i:c:v", longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'i':
			if (ha_parse_seconds(optarg, &secs)) {
				ha_err("record: bad interval '%s' (a duration such as 10, 500ms, 1m)",
				       optarg);
				return 2;
			}
			break;
		case 'R':
			if (ha_parse_duration(optarg, &ret_cfg.retain)) {
				ha_err("record: bad --retain '%s' (a duration such as 30d, 12h)",
				       optarg);
				return 2;
			}
			break;
		case 'S':
			if (ha_parse_downsample(optarg, &ret_cfg)) {
				ha_err("record: bad --downsample '%s' (AFTER:STEP such as 2d:1m, or 0)",
				       optarg);
				return 2;
			}
			break;
		case HA_OPT_NATIVES:
			if (ha_parse_natives("record", optarg, &natives))
				return 2;
			break;
		case 'c':
			if (ha_parse_u64(optarg, &count) || !count) {
				ha_err("record: bad --count '%s' (a number of samples, 1 or more)",
				       optarg);
				return 2;
			}
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			record_usage(stdout);
			return 0;
		default:
			record_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		ha_err("record: unexpected argument '%s'", argv[optind]);
		return 2;
	}

	if (ha_store_open(&st, db, HA_STORE_WRITE | HA_STORE_LOCK))
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	interval_ns = (uint64_t)(secs * 1e9);
	deadline = now_ns(CLOCK_BOOTTIME);

	while (!stop) {
		b = &snaps[cur];
		if (!nl_ok) {
			ha_err_hold(true);
			nl_ok = !ha_nl_open_or_report(&h);
		}
		if (nl_ok) {
			ha_err_hold(true);
			rc = ha_snap_take(&h, &f, b, true);
			if (rc) {
				ha_snap_free(b);
				ha_nl_close(&h);
				nl_ok = false;
			}
		}
		if (!nl_ok) {
			/* the first failure is told, the next ones are not */
			if (!down) {
				ha_err_hold(false);
				ha_err("record: no sample: the module does not answer; recording a gap, retrying every interval");
				ha_store_gap(&st, now_ns(CLOCK_BOOTTIME), now_ns(CLOCK_REALTIME),
					     "module not answering");
				down = true;
			}
			ha_err_drop();
			if (a) {
				ha_snap_free(a);
				a = NULL;
			}
			goto next;
		}
		ha_err_hold(false);
		if (down) {
			ha_err("record: the module answers again; sampling resumed");
			down = false;
		}
		if (a && restarted(a, b)) {
			ha_store_gap(&st, b->host.timestamp_ns, now_ns(CLOCK_REALTIME),
				     "module counters restarted");
			ha_snap_free(a);
			a = NULL;
		}
		free(w);
		free(nat);
		w = calloc(b->wl.n + 1, sizeof(*w));
		nat = calloc(b->wl.n + 1, sizeof(*nat));
		if (!w || !nat) {
			ha_err("record: out of memory");
			goto out;
		}
		build_sample(a, b, natives, &s, w, nat, life);
		rc = ha_store_put(&st, &s);
		if (rc) {
			/* disk full, I/O error: this sample is lost, not the next */
			if (!failing)
				ha_err("record: %s: sample not stored: %s; retrying every interval",
				       db, ha_store_errmsg(&st));
			failing = true;
		} else {
			if (failing) {
				ha_err("record: %s: samples stored again", db);
				ha_store_gap(&st, s.boot_ns, s.wall_ns,
					     "samples not stored (write error)");
			}
			failing = false;
			done++;
			if (verbose) {
				printf("stored %llu %llu %zu\n", (unsigned long long)s.boot_ns,
				       (unsigned long long)s.wall_ns, s.n);
				fflush(stdout);
			}
			rc = ha_store_maintain(&st, s.wall_ns, &ret_cfg, 4);
			if (rc < 0 || rc > 1)
				ha_err("record: %s: retention step failed: %s", db,
				       ha_store_errmsg(&st));
		}
		if (a)
			ha_snap_free(a);
		a = b;
		cur ^= 1;
		if (count && done >= count)
			break;
next:
		deadline += interval_ns;
		if (deadline < now_ns(CLOCK_BOOTTIME))
			deadline = now_ns(CLOCK_BOOTTIME) + interval_ns;
		if (!sleep_until(deadline))
			break;
	}
	ret = 0;
out:
	ha_err_hold(false);
	free(w);
	free(nat);
	ha_snap_free(&snaps[0]);
	ha_snap_free(&snaps[1]);
	if (nl_ok)
		ha_nl_close(&h);
	ha_store_close(&st);
	return ret;
}
