// SPDX-License-Identifier: GPL-2.0
/*
 * histgen: write a synthetic history through the recorder's own store
 * code (store.c), for the history tests and the bench.
 *
 *   histgen --db PATH [--days D] [--interval S] [--vms N] [--ctrs N]
 *           [--retain DURATION] [--downsample AFTER:STEP|0]
 *
 * The history ends now and belongs to a boot of its own ("synthetic"), so
 * the commands select it by wall time. Usage follows a daily pattern per
 * workload, deterministic (no seed): VM k has 2 + k % 3 vCPUs and keeps
 * one of them busy to (k + 1) / (N + 1); container k has a cpu.max of
 * 0.5 + k % 4 / 2 CPUs and uses up to (k % 10) / 10 of it; container 0
 * gets a new cpu.max and VM 0 a new vCPU count half-way. After writing,
 * retention and downsampling run the way the recorder runs them, a
 * bounded step at a time, until nothing is left to do.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "hostacct.h"
#include "store.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static double wave(double t, double phase)
{
	return 0.5 + 0.5 * sin(2 * M_PI * (t / 86400 + phase));
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "days", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "vms", required_argument, NULL, 'v' },
		{ "ctrs", required_argument, NULL, 'c' },
		{ "retain", required_argument, NULL, 'R' },
		{ "downsample", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct ha_retain rt = {
		.retain = HA_RETAIN_DEFAULT,
		.ds_after = HA_DS_AFTER_DEFAULT,
		.ds_step = HA_DS_STEP_DEFAULT,
	};
	const char *db = NULL;
	double days = 7, interval = 10;
	unsigned int nvm = 5, nctr = 50, k;
	struct ha_rec_sample s;
	struct ha_rec_wl *w;
	struct ha_store st;
	struct timespec ts;
	uint64_t now, n, i, t0;
	char names[64][32];
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'd':
			days = atof(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'v':
			nvm = atoi(optarg);
			break;
		case 'c':
			nctr = atoi(optarg);
			break;
		case 'R':
			if (ha_parse_duration(optarg, &rt.retain))
				return 2;
			break;
		case 'S':
			if (ha_parse_downsample(optarg, &rt))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (!db || days <= 0 || interval <= 0 || nvm + nctr > 64) {
		fprintf(stderr, "usage: histgen --db PATH [--days D] [--interval S] [--vms N<=64] [--ctrs N]\n");
		return 2;
	}
	if (ha_store_open(&st, db, HA_STORE_WRITE | HA_STORE_LOCK | HA_STORE_FAST))
		return 1;
	/* a boot of its own: selected by wall time */
	rc = sqlite3_exec(st.db, "INSERT OR IGNORE INTO boot(boot_id) VALUES('synthetic')",
			  NULL, NULL, NULL);
	st.boot = rc ? -1 : 0;
	{
		struct sqlite3_stmt *q;

		sqlite3_prepare_v2(st.db, "SELECT id FROM boot WHERE boot_id='synthetic'", -1,
				   &q, NULL);
		if (sqlite3_step(q) == SQLITE_ROW)
			st.boot = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	w = calloc(nvm + nctr, sizeof(*w));
	if (!w || st.boot <= 0)
		return 1;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	n = (uint64_t)(days * 86400 / interval);
	t0 = now - n * (uint64_t)(interval * 1e9);
	for (i = 0; i <= n; i++) {
		struct ha_rec_life life[4];
		double t = i * interval;

		memset(&s, 0, sizeof(s));
		s.boot_ns = 100000000000ULL + i * (uint64_t)(interval * 1e9);
		s.wall_ns = t0 + i * (uint64_t)(interval * 1e9);
		s.secs = i ? interval : 0;
		s.nr_cpus = 16;
		s.mem_total = 64 * GiB;
		s.mem_free = 16 * GiB;
		for (k = 0; k < nvm + nctr; k++) {
			struct ha_rec_wl *x = &w[k];
			double use;

			memset(x, 0, sizeof(*x));
			x->has_rate = i > 0;
			if (k < nvm) {
				snprintf(names[k], sizeof(names[k]), "vm%u", k);
				x->class = HOSTACCT_CLASS_KVM;
				x->id = 1000 + k;
				x->start_ns = 5000000000ULL + k;
				x->vcpus = 2 + k % 3 + (k == 0 && i >= n / 2);
				x->guest_mem = (2 + k) * GiB;
				use = (k + 1.0) / (nvm + 1) * wave(t, k / 7.0);
				x->busy_ns = (uint64_t)(use * interval * 1e9);
				x->cpu_ns = x->busy_ns + (uint64_t)(0.02 * interval * 1e9);
				x->mem = (uint64_t)(x->guest_mem * (0.3 + 0.4 * wave(t, 0.25)));
			} else {
				unsigned int j = k - nvm;

				snprintf(names[k], sizeof(names[k]), "ctr%u", j);
				x->class = HOSTACCT_CLASS_CONTAINER;
				x->id = 100000 + j;
				x->cpu_limit_m = 500 + j % 4 * 500 - (j == 0 && i >= n / 2) * 250;
				x->mem_limit = (256 + 128 * (j % 5)) * MiB;
				use = x->cpu_limit_m / 1000.0 * (j % 10) / 10 * wave(t, j / 50.0);
				x->cpu_ns = (uint64_t)(use * interval * 1e9);
				x->throttled_us = j % 10 == 9 ? (uint64_t)(interval * 1e5) : 0;
				x->mem = (uint64_t)(x->mem_limit * (0.2 + 0.5 * wave(t, j / 13.0)));
			}
			x->name = names[k];
			x->cgroup = x->class == HOSTACCT_CLASS_CONTAINER ? names[k] : "";
			if (!x->has_rate)
				x->cpu_ns = x->busy_ns = x->throttled_us = 0;
			s.cls_cpu_ns[x->class] += x->cpu_ns;
			s.cls_mem[x->class] += x->mem;
		}
		s.idle_ns = (uint64_t)(s.secs * 16e9) - s.cls_cpu_ns[HOSTACCT_CLASS_KVM] -
			    s.cls_cpu_ns[HOSTACCT_CLASS_CONTAINER];
		s.w = w;
		s.n = nvm + nctr;
		/* start-ups and shut-downs: natives every sample, now and then the others */
		s.nlife = 0;
		if (i) {
			life[s.nlife++] = (struct ha_rec_life){ HOSTACCT_CLASS_NATIVE, 0,
				400000, 500000, 3 };
			if (i % 97 == 0)
				life[s.nlife++] = (struct ha_rec_life){ HOSTACCT_CLASS_KVM, 0,
					2000000000ULL + i % 2 * 500000000ULL,
					2500000000ULL + i % 2 * 650000000ULL, 1 };
			if (i % 13 == 0)
				life[s.nlife++] = (struct ha_rec_life){ HOSTACCT_CLASS_CONTAINER,
					0, 160000000, 200000000, 1 + i % 3 };
			if (i % 13 == 5)
				life[s.nlife++] = (struct ha_rec_life){ HOSTACCT_CLASS_CONTAINER,
					1, 10000000, 12500000, 1 };
		}
		s.life = life;
		rc = ha_store_put(&st, &s);
		if (rc) {
			fprintf(stderr, "histgen: sample %llu: %s\n", (unsigned long long)i,
				ha_store_errmsg(&st));
			return 1;
		}
	}
	/* as the recorder does after each sample, until caught up */
	do {
		rc = ha_store_maintain(&st, now, &rt, 64);
	} while (rc == 1);
	if (rc) {
		fprintf(stderr, "histgen: maintenance: %s\n", ha_store_errmsg(&st));
		return 1;
	}
	printf("%llu samples, %u workloads\n", (unsigned long long)n + 1, nvm + nctr);
	ha_store_close(&st);
	free(w);
	return 0;
}
