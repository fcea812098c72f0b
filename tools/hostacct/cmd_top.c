// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct top: a live view of the workloads, sorted by CPU, refreshed
 * every few seconds (ncurses), or batch mode (-b) printing one table per
 * refresh like top -b.
 */

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <ncurses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostacct.h"

struct top_row {
	const struct ha_workload *w;
	double cpus;		/* CPUs used over the last interval */
};

struct top_view {
	struct ha_snap prev, cur;
	bool have_prev;
	struct ha_interval iv;
	struct top_row *rows;
	size_t n;
	struct ha_split split;
};

static int cmp_row(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (x->cpus != y->cpus)
		return x->cpus < y->cpus ? 1 : -1;
	if (x->w->cpu_ns != y->w->cpu_ns)
		return x->w->cpu_ns < y->w->cpu_ns ? 1 : -1;
	return x->w->id < y->w->id ? -1 : 1;
}

/* Take a snapshot and compute the rates against the previous one. */
static int top_refresh(struct ha_nl *h, struct top_view *v, uint32_t mask)
{
	struct ha_filter f = { .class_mask = mask };
	size_t i;

	if (v->have_prev)
		ha_snap_free(&v->prev);
	v->prev = v->cur;
	v->have_prev = v->prev.host.nr_cpus != 0;
	if (ha_snap_take(h, &f, &v->cur, false))
		return -1;
	/* first refresh: averages over each workload's life */
	ha_interval_init(&v->iv, v->have_prev ? &v->prev : NULL, &v->cur);

	free(v->rows);
	v->rows = calloc(v->cur.wl.n + 1, sizeof(*v->rows));
	if (!v->rows)
		return -1;
	v->n = v->cur.wl.n;
	for (i = 0; i < v->n; i++) {
		v->rows[i].w = &v->cur.wl.w[i];
		v->rows[i].cpus = ha_wl_cpus(&v->iv, v->rows[i].w);
	}
	qsort(v->rows, v->n, sizeof(*v->rows), cmp_row);
	ha_host_split(&v->iv, &v->split);
	return 0;
}

static void top_summary(const struct top_view *v, char *buf, size_t len)
{
	const struct ha_split *sp = &v->split;
	double n = sp->capacity;

	snprintf(buf, len,
		 "CPU%%: kernel %.1f  native %.1f  kvm %.1f  container %.1f  idle %.1f  other %.1f   (%u CPUs, %.1fs)",
		 100 * sp->cls[HOSTACCT_CLASS_KERNEL] / n,
		 100 * sp->cls[HOSTACCT_CLASS_NATIVE] / n,
		 100 * sp->cls[HOSTACCT_CLASS_KVM] / n,
		 100 * sp->cls[HOSTACCT_CLASS_CONTAINER] / n,
		 100 * sp->idle / n,
		 100 * (sp->irq + sp->steal + sp->no_task) / n,
		 v->cur.host.nr_cpus, v->iv.secs);
}

static void top_batch_print(const struct top_view *v, unsigned int limit)
{
	char line[256], tbuf[32];
	struct ha_out *o;
	time_t now = time(NULL);
	size_t i;

	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	top_summary(v, line, sizeof(line));
	if (ha_opts.format == HA_FMT_TABLE)
		printf("hostacct top - %s\n%s\n", tbuf, line);
	o = ha_out_new(ha_opts.format, stdout);
	ha_out_section(o, NULL, NULL, true);
	for (i = 0; i < v->n && (!limit || i < limit); i++) {
		const struct ha_workload *w = v->rows[i].w;

		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(w->class));
		ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
		ha_out_dbl(o, "host_pct", "CPU%",
			   100 * v->rows[i].cpus / v->cur.host.nr_cpus, HA_U_PCT);
		ha_out_dbl(o, "cpus", "CPUS", v->rows[i].cpus, HA_U_FIXED2);
		ha_out_u64(o, "mem_rss_bytes", "RSS",
			   w->rss_anon + w->rss_file + w->rss_shmem, HA_U_BYTES);
		ha_out_u64(o, "nr_threads", "THREADS", w->nr_threads, HA_U_NONE);
		ha_out_str(o, "name", "NAME", w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
	ha_out_finish(o);
	if (ha_opts.format == HA_FMT_TABLE)
		putchar('\n');
	fflush(stdout);
}

static const uint32_t filters[] = {
	0,
	1U << HOSTACCT_CLASS_NATIVE,
	1U << HOSTACCT_CLASS_KVM,
	1U << HOSTACCT_CLASS_CONTAINER,
	1U << HOSTACCT_CLASS_KERNEL,
};

static const char *filter_name(uint32_t mask)
{
	uint32_t c;

	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
		if (mask == 1U << c)
			return ha_class_name(c);
	return mask ? "some" : "all";
}

static void top_draw(const struct top_view *v, uint32_t mask)
{
	char line[256], tbuf[32];
	time_t now = time(NULL);
	char rss[32], *name;
	size_t i;
	int y;

	erase();
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
	mvprintw(0, 0, "hostacct top - %s   classes: %s   (q quit, c class, space refresh)",
		 tbuf, filter_name(mask));
	top_summary(v, line, sizeof(line));
	mvprintw(1, 0, "%s", line);
	ha_fmt_bytes(rss, sizeof(rss), v->cur.host.mem_available);
	mvprintw(2, 0, "Mem: %s available", rss);
	attron(A_REVERSE);
	mvprintw(4, 0, "%-10s %8s %6s %6s %7s %7s  %-*s", "CLASS", "ID", "CPU%",
		 "CPUS", "RSS", "THREADS", COLS > 60 ? COLS - 60 : 10, "NAME");
	attroff(A_REVERSE);
	for (i = 0, y = 5; i < v->n && y < LINES; i++, y++) {
		const struct ha_workload *w = v->rows[i].w;

		ha_fmt_bytes(rss, sizeof(rss), w->rss_anon + w->rss_file + w->rss_shmem);
		/* a workload's name must not drive the admin's terminal */
		name = ha_clean_str(w->name, true);
		mvprintw(y, 0, "%-10s %8llu %6.1f %6.2f %7s %7u  %.*s",
			 ha_class_name(w->class), (unsigned long long)w->id,
			 100 * v->rows[i].cpus / v->cur.host.nr_cpus, v->rows[i].cpus,
			 rss, w->nr_threads, COLS > 60 ? COLS - 60 : 10, name);
		free(name);
	}
	refresh();
}

static void top_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct top [-d SECONDS] [-c LIST] [-b [-n COUNT]] [-N ROWS]\n"
		"\n"
		"  -d, --delay SECONDS   refresh interval (default 2)\n"
		"  -c, --class LIST      only these classes\n"
		"  -b, --batch           print tables instead of a screen (like top -b)\n"
		"  -n, --iterations N    batch mode: stop after N tables\n"
		"  -N, --rows N          batch mode: rows per table (default: all)\n"
		"  -j, --json, --csv     batch mode: one JSON document per line, or CSV\n"
		"Keys: q quits, c cycles the class shown, space refreshes now.\n"
		"Without -b, top needs a terminal on stdin and stdout.\n");
}

int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "delay", required_argument, NULL, 'd' },
		{ "class", required_argument, NULL, 'c' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "rows", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_view v = { 0 };
	uint32_t mask = 0, count = 0, rows = 0, i;
	unsigned int fidx = 0;
	double delay = 2;
	bool batch = false;
	struct ha_nl h;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "d:c:bn:N:",
				longopts, NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'd':
			if (ha_parse_seconds(optarg, &delay)) {
				ha_err("top: bad delay '%s'", optarg);
				return 2;
			}
			break;
		case 'c':
			if (ha_class_mask_parse(optarg, &mask)) {
				ha_err("top: bad class list '%s' (classes: kernel, native, kvm, container)",
				       optarg);
				return 2;
			}
			break;
		case 'b':
			batch = true;
			break;
		case 'n':
			if (ha_parse_u32(optarg, &count) || !count) {
				ha_err("top: bad count '%s'", optarg);
				return 2;
			}
			break;
		case 'N':
			if (ha_parse_u32(optarg, &rows)) {
				ha_err("top: bad row count '%s'", optarg);
				return 2;
			}
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			top_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		ha_err("top: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!batch && ha_opts.format != HA_FMT_TABLE) {
		ha_err("top: -j and --csv are for batch mode; add -b");
		return 2;
	}
	if (!batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		ha_err("top: needs a terminal; use -b for batch output");
		return 2;
	}
	if (ha_nl_open_or_report(&h))
		return 1;

	if (batch) {
		for (i = 0; !count || i < count; i++) {
			struct timespec ts = {
				.tv_sec = (time_t)delay,
				.tv_nsec = (long)((delay - (time_t)delay) * 1e9),
			};

			if (top_refresh(&h, &v, mask)) {
				ret = 1;
				break;
			}
			top_batch_print(&v, rows);
			if (count && i + 1 == count)
				break;
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		goto out;
	}

	setlocale(LC_ALL, "");
	/* errors while the screen is up are printed once it is gone */
	ha_err_hold(true);
	initscr();
	cbreak();
	noecho();
	curs_set(0);
	keypad(stdscr, TRUE);
	for (;;) {
		struct timespec due, now;
		int key, ms;

		if (top_refresh(&h, &v, mask)) {
			ret = 1;
			break;
		}
		top_draw(&v, mask);
		/*
		 * Wait out the delay: only space, c and the delay take a new
		 * snapshot; a resize or another key redraws the same one, so
		 * that rates stay over the interval asked for.
		 */
		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_sec += (time_t)delay;
		due.tv_nsec += (long)((delay - (time_t)delay) * 1e9);
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (int)((due.tv_sec - now.tv_sec) * 1000 +
				   (due.tv_nsec - now.tv_nsec) / 1000000);
			if (ms <= 0)
				break;
			timeout(ms);
			key = getch();
			if (key == ERR)
				break;
			if (key == 'q' || key == 'Q')
				goto quit;
			if (key == ' ')
				break;
			if (key == 'c') {
				fidx = (fidx + 1) % (sizeof(filters) / sizeof(filters[0]));
				mask = filters[fidx];
				/* rates need two snapshots of the same filter */
				if (v.have_prev)
					ha_snap_free(&v.prev);
				v.have_prev = false;
				ha_snap_free(&v.cur);
				memset(&v.cur, 0, sizeof(v.cur));
				break;
			}
			top_draw(&v, mask);	/* resize, other keys */
		}
	}
quit:
	endwin();
	ha_err_hold(false);
out:
	if (v.have_prev)
		ha_snap_free(&v.prev);
	ha_snap_free(&v.cur);
	free(v.rows);
	ha_nl_close(&h);
	return ret;
}
