// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct report: utilisation efficiency over an interval.
 *
 * Two snapshots T seconds apart (or boot and now with --since-boot). Rates
 * are differences of the kernel's cumulative counters divided by T, in
 * CPUs (1.0 = one CPU busy for all of T). Definitions are in
 * Documentation/admin-guide.rst ("Efficiency").
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostacct.h"

struct rep {
	struct ha_interval iv;
	uint32_t natives;		/* natives listed; HA_NATIVES_ALL: all */
};

static uint64_t rss(const struct ha_workload *w)
{
	return w->rss_anon + w->rss_file + w->rss_shmem;
}

/* Host memory a workload's processes hold: RSS, and hugetlbfs pages. */
static uint64_t mem_held(const struct ha_workload *w)
{
	return rss(w) + w->hugetlb;
}

static uint64_t ctr_mem_limit(const struct ha_cg *cg)
{
	return cg->mem_max != UINT64_MAX ? cg->mem_max : cg->mem_high;
}

static void section_host(struct ha_out *o, const struct rep *r)
{
	const struct ha_host *h = &r->iv.b->host;

	ha_out_section(o, "host", "Host", false);
	ha_out_str(o, "kernel_release", "kernel", h->kernel_release);
	ha_out_u64(o, "nr_cpus_online", "online CPUs", h->nr_cpus, HA_U_NONE);
	ha_out_u64(o, "mem_total_bytes", "memory", h->mem_total, HA_U_BYTES);
	ha_out_dbl(o, "interval_s", r->iv.a ? "interval (s)" : "since boot (s)",
		   r->iv.secs, HA_U_FIXED2);
	ha_out_section_end(o);
}

static void split_row(struct ha_out *o, const char *name, double cpus,
		      double host, bool workloads, uint32_t count, bool mem,
		      uint64_t bytes, uint64_t total)
{
	ha_out_row(o);
	ha_out_str(o, "class", "CLASS", name);
	if (workloads)
		ha_out_u64(o, "nr_workloads", "WORKLOADS", count, HA_U_NONE);
	else
		ha_out_none(o, "nr_workloads", "WORKLOADS");
	ha_out_dbl(o, "cpus", "CPUS", cpus, HA_U_FIXED2);
	ha_out_dbl(o, "host_pct", "%HOST", 100 * cpus / host, HA_U_PCT);
	if (mem) {
		ha_out_u64(o, "mem_bytes", "MEMORY", bytes, HA_U_BYTES);
		ha_out_dbl(o, "mem_pct", "%MEM", 100.0 * bytes / total, HA_U_PCT);
	} else {
		ha_out_none(o, "mem_bytes", "MEMORY");
		ha_out_none(o, "mem_pct", "%MEM");
	}
	ha_out_row_end(o);
}

/*
 * Host split: CPUs per class (reaped processes included), idle, the
 * states kept apart from tasks, and time in no task; memory per class and
 * free. The rows add up to the online CPUs (rates.c).
 */
static void section_split(struct ha_out *o, const struct rep *r)
{
	const struct ha_host *hb = &r->iv.b->host;
	uint64_t mem[HOSTACCT_CLASS_MAX + 1] = { 0 };
	uint32_t count[HOSTACCT_CLASS_MAX + 1] = { 0 };
	double mem_sum = 0, kmem;
	struct ha_split sp;
	size_t i;
	uint32_t c;

	ha_host_split(&r->iv, &sp);
	for (i = 0; i < r->iv.b->wl.n; i++) {
		const struct ha_workload *w = &r->iv.b->wl.w[i];

		count[w->class]++;
		mem[w->class] += w->has_mem_cgroup ? w->mem_cgroup : mem_held(w);
	}
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++)
		mem_sum += mem[c];
	/* kernel memory and page cache: what no class holds */
	kmem = fmax((double)hb->mem_total - hb->mem_free - mem_sum, 0);

	ha_out_section(o, "split", "Host split (CPUs used over the interval; memory now)", true);
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
		split_row(o, ha_class_name(c), sp.cls[c], sp.capacity, true, count[c],
			  true, c == HOSTACCT_CLASS_KERNEL ? kmem : mem[c],
			  hb->mem_total);
	split_row(o, "idle", sp.idle, sp.capacity, false, 0, true, hb->mem_free,
		  hb->mem_total);
	if (sp.irq_apart)
		split_row(o, "irq", sp.irq, sp.capacity, false, 0, false, 0, 0);
	if (sp.steal_apart)
		split_row(o, "steal", sp.steal, sp.capacity, false, 0, false, 0, 0);
	split_row(o, "no_task", sp.no_task, sp.capacity, false, 0, false, 0, 0);
	ha_out_section_end(o);

	/*
	 * How the split adds up: the rows against the online CPUs (by
	 * construction), what the measured rows add up to, how uncertain the
	 * samples' midpoints make them, and /proc/stat's tick-sampled states
	 * (in an emulated guest that loses ticks, less than the CPUs).
	 */
	ha_out_section(o, "reconcile", "Reconciliation", false);
	ha_out_dbl(o, "accounted_cpus", "classes + idle + apart states (CPUs)",
		   sp.accounted, HA_U_FIXED2);
	ha_out_dbl(o, "no_task_cpus", "in no task (CPUs)", sp.no_task, HA_U_FIXED2);
	ha_out_u64(o, "nr_cpus_online", "online CPUs", hb->nr_cpus, HA_U_NONE);
	ha_out_dbl(o, "uncertainty_cpus", "sampling span (CPUs)", sp.uncertainty,
		   HA_U_FIXED2);
	ha_out_dbl(o, "proc_stat_cpus", "/proc/stat states, tick-sampled (CPUs)",
		   sp.proc_stat, HA_U_FIXED2);
	ha_out_section_end(o);
}

static void section_vms(struct ha_out *o, const struct rep *r)
{
	size_t i;

	ha_out_section(o, "vms", "Virtual machines", true);
	for (i = 0; i < r->iv.b->wl.n; i++) {
		const struct ha_workload *w = &r->iv.b->wl.w[i];
		const struct ha_kvm *k = &w->kvm;
		struct ha_vm_rates v;
		double vmm_mem;

		if (w->class != HOSTACCT_CLASS_KVM)
			continue;
		v = ha_vm_rates(&r->iv, w);
		/*
		 * Below 0 only by the RSS counters' drift (without
		 * --exact-mem) or a guest page mapped by two stage-2 roots.
		 */
		vmm_mem = (double)mem_held(w) - k->guest_resident;
		ha_out_row(o);
		ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
		ha_out_u64(o, "kvm_nr_vcpus", "VCPUS", k->nr_vcpus, HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", v.cpus, HA_U_FIXED2);
		ha_out_dbl(o, "vcpu_busy_cpus", "BUSY", v.busy, HA_U_FIXED2);
		ha_out_dbl(o, "cpu_eff_pct", "CPU-EFF%",
			   k->nr_vcpus ? 100 * v.busy / k->nr_vcpus : 0, HA_U_PCT);
		ha_out_dbl(o, "guest_cpus", "GUEST", v.guest, HA_U_FIXED2);
		ha_out_dbl(o, "overhead_cpus", "OVERHEAD", v.overhead, HA_U_FIXED2);
		ha_out_dbl(o, "halt_poll_cpus", "HALTPOLL", v.halt_poll, HA_U_FIXED2);
		ha_out_u64(o, "kvm_guest_mem_bytes", "GUEST-RAM", k->guest_mem, HA_U_BYTES);
		ha_out_u64(o, "kvm_guest_resident_bytes", "RESIDENT", k->guest_resident,
			   HA_U_BYTES);
		ha_out_dbl(o, "mem_eff_pct", "MEM-EFF%",
			   k->guest_mem ? 100.0 * k->guest_resident / k->guest_mem : 0,
			   HA_U_PCT);
		ha_out_u64(o, "vmm_overhead_bytes", "VMM-MEM", vmm_mem > 0 ? vmm_mem : 0,
			   HA_U_BYTES);
		ha_out_str(o, "name", "NAME", w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

static void section_containers(struct ha_out *o, const struct rep *r)
{
	size_t i;

	ha_out_section(o, "containers", "Containers", true);
	for (i = 0; i < r->iv.b->wl.n; i++) {
		const struct ha_workload *w = &r->iv.b->wl.w[i];
		const struct ha_cg *cg = &r->iv.b->cg[i];
		struct ha_ctr_rates v;
		double limit;
		uint64_t mlim;

		if (w->class != HOSTACCT_CLASS_CONTAINER)
			continue;
		v = ha_ctr_rates(&r->iv, w);
		limit = cg->limit_cpus;
		mlim = ctr_mem_limit(cg);

		ha_out_row(o);
		ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", v.cpus, HA_U_FIXED2);
		if (limit > 0)
			ha_out_dbl(o, "cpu_limit_cpus", "LIMIT", limit, HA_U_FIXED2);
		else
			ha_out_none(o, "cpu_limit_cpus", "LIMIT");
		/* no limit: the share of the host */
		ha_out_dbl(o, "cpu_eff_pct", "CPU-EFF%",
			   100 * v.cpus / (limit > 0 ? limit : r->iv.b->host.nr_cpus),
			   HA_U_PCT);
		ha_out_u64(o, "throttled_periods", "THROTTLED",
			   (uint64_t)v.throttled_periods, HA_U_NONE);
		ha_out_dbl(o, "throttled_s", "THR(s)", v.throttled_s, HA_U_FIXED2);
		if (cg->has_memory) {
			ha_out_u64(o, "mem_cgroup_bytes", "MEM.CUR", cg->mem_current,
				   HA_U_BYTES);
			if (mlim != UINT64_MAX)
				ha_out_u64(o, "mem_limit_bytes", "MEM.MAX", mlim, HA_U_BYTES);
			else
				ha_out_none(o, "mem_limit_bytes", "MEM.MAX");
			ha_out_dbl(o, "mem_eff_pct", "MEM-EFF%", 100.0 * cg->mem_current /
				   (mlim != UINT64_MAX ? mlim : r->iv.b->host.mem_total),
				   HA_U_PCT);
			ha_out_u64(o, "mem_anon_bytes", "ANON", cg->mem_anon, HA_U_BYTES);
			ha_out_u64(o, "mem_file_bytes", "FILE", cg->mem_file, HA_U_BYTES);
		} else {
			ha_out_none(o, "mem_cgroup_bytes", "MEM.CUR");
			ha_out_none(o, "mem_limit_bytes", "MEM.MAX");
			ha_out_none(o, "mem_eff_pct", "MEM-EFF%");
			ha_out_none(o, "mem_anon_bytes", "ANON");
			ha_out_none(o, "mem_file_bytes", "FILE");
		}
		if (cg->has_psi) {
			ha_out_dbl(o, "psi_cpu_some_avg10", "PSI-CPU", cg->psi_cpu_some10,
				   HA_U_FIXED2);
			ha_out_dbl(o, "psi_mem_some_avg10", "PSI-MEM", cg->psi_mem_some10,
				   HA_U_FIXED2);
		} else {
			ha_out_none(o, "psi_cpu_some_avg10", "PSI-CPU");
			ha_out_none(o, "psi_mem_some_avg10", "PSI-MEM");
		}
		ha_out_str(o, "name", "NAME", w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

struct native_rate {
	const struct ha_workload *w;
	double cpus;
};

static int cmp_native(const void *a, const void *b)
{
	const struct native_rate *x = a, *y = b;

	if (x->cpus != y->cpus)
		return x->cpus < y->cpus ? 1 : -1;
	return x->w->id < y->w->id ? -1 : 1;
}

static void section_natives(struct ha_out *o, const struct rep *r)
{
	struct native_rate *v = calloc(r->iv.b->wl.n + 1, sizeof(*v));
	size_t i, n = 0;
	char title[96];

	for (i = 0; v && i < r->iv.b->wl.n; i++) {
		const struct ha_workload *w = &r->iv.b->wl.w[i];

		if (w->class != HOSTACCT_CLASS_NATIVE)
			continue;
		v[n].w = w;
		v[n++].cpus = ha_wl_cpus(&r->iv, w);
	}
	if (v)
		qsort(v, n, sizeof(*v), cmp_native);
	if (r->natives != HA_NATIVES_ALL && n > r->natives)
		snprintf(title, sizeof(title), "Native processes (top %u of %zu by CPU)",
			 r->natives, n);
	else
		snprintf(title, sizeof(title), "Native processes (%zu)", n);
	ha_out_section(o, "natives", title, true);
	for (i = 0; i < n && (r->natives == HA_NATIVES_ALL || i < r->natives); i++) {
		ha_out_row(o);
		ha_out_u64(o, "id", "PID", v[i].w->id, HA_U_NONE);
		ha_out_u64(o, "nr_threads", "THREADS", v[i].w->nr_threads, HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", v[i].cpus, HA_U_FIXED2);
		ha_out_dbl(o, "host_pct", "%HOST", 100 * v[i].cpus / r->iv.b->host.nr_cpus,
			   HA_U_PCT);
		ha_out_u64(o, "mem_rss_bytes", "RSS", rss(v[i].w), HA_U_BYTES);
		ha_out_str(o, "name", "NAME", v[i].w->name);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
	free(v);
}

/* What VMs and limited containers reserved but did not use. */
static void section_idle_reserved(struct ha_out *o, const struct rep *r)
{
	double vm_cpus = 0, vm_bytes = 0, ct_cpus = 0, ct_bytes = 0;
	size_t i;

	for (i = 0; i < r->iv.b->wl.n; i++) {
		const struct ha_workload *w = &r->iv.b->wl.w[i];
		const struct ha_cg *cg = &r->iv.b->cg[i];

		if (w->class == HOSTACCT_CLASS_KVM) {
			struct ha_vm_rates v = ha_vm_rates(&r->iv, w);

			vm_cpus += fmax(0, w->kvm.nr_vcpus - v.busy);
			if (w->kvm.guest_mem > w->kvm.guest_resident)
				vm_bytes += w->kvm.guest_mem - w->kvm.guest_resident;
		} else if (w->class == HOSTACCT_CLASS_CONTAINER) {
			uint64_t mlim = ctr_mem_limit(cg);

			if (cg->limit_cpus > 0)
				ct_cpus += fmax(0, cg->limit_cpus -
						ha_ctr_rates(&r->iv, w).cpus);
			if (cg->has_memory && mlim != UINT64_MAX && mlim > cg->mem_current)
				ct_bytes += mlim - cg->mem_current;
		}
	}
	ha_out_section(o, "idle_reserved", "Idle reserved capacity (reserved but unused)", false);
	ha_out_dbl(o, "vm_cpus", "VMs: CPUs", vm_cpus, HA_U_FIXED2);
	ha_out_u64(o, "vm_bytes", "VMs: memory", vm_bytes, HA_U_BYTES);
	ha_out_dbl(o, "container_cpus", "containers: CPUs", ct_cpus, HA_U_FIXED2);
	ha_out_u64(o, "container_bytes", "containers: memory", ct_bytes, HA_U_BYTES);
	ha_out_dbl(o, "total_cpus", "total: CPUs", vm_cpus + ct_cpus, HA_U_FIXED2);
	ha_out_u64(o, "total_bytes", "total: memory", vm_bytes + ct_bytes, HA_U_BYTES);
	ha_out_section_end(o);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The models' trade-offs, measured on this host. */
static void section_tradeoffs(struct ha_out *o, const struct rep *r)
{
	static const uint32_t order[] = {
		HOSTACCT_CLASS_NATIVE, HOSTACCT_CLASS_KVM, HOSTACCT_CLASS_CONTAINER,
	};
	double *ages = calloc(r->iv.b->wl.n + 1, sizeof(*ages));
	size_t i, k;

	ha_out_section(o, "tradeoffs", "Trade-offs by class, measured", true);
	for (k = 0; ages && k < sizeof(order) / sizeof(order[0]); k++) {
		uint32_t c = order[k];
		double used = 0, reserved = 0, used_res = 0, overhead = 0;
		const char *iso = c == HOSTACCT_CLASS_NATIVE ? "none (host namespaces)" :
				  c == HOSTACCT_CLASS_KVM ? "own kernel" : "-";
		char *ctr_iso = NULL;
		size_t n = 0;

		for (i = 0; i < r->iv.b->wl.n; i++) {
			const struct ha_workload *w = &r->iv.b->wl.w[i];

			if (w->class != c)
				continue;
			ages[n++] = w->start_ns < r->iv.b->host.timestamp_ns ?
				(r->iv.b->host.timestamp_ns - w->start_ns) / 1e9 : 0;
			if (c == HOSTACCT_CLASS_KVM) {
				struct ha_vm_rates v = ha_vm_rates(&r->iv, w);

				used += ha_wl_cpus(&r->iv, w);
				reserved += w->kvm.nr_vcpus;
				used_res += v.busy;
				overhead += v.overhead;
			} else if (c == HOSTACCT_CLASS_CONTAINER) {
				double u = ha_ctr_rates(&r->iv, w).cpus;

				used += u;
				if (r->iv.b->cg[i].limit_cpus > 0) {
					reserved += r->iv.b->cg[i].limit_cpus;
					used_res += u;
				}
				/* the first container's, read here only */
				if (!ctr_iso) {
					ctr_iso = ha_isolation(c, w->leader_pid);
					iso = ctr_iso;
				}
			} else {
				used += ha_wl_cpus(&r->iv, w);
			}
		}
		qsort(ages, n, sizeof(*ages), cmp_double);

		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(c));
		ha_out_u64(o, "count", "COUNT", n, HA_U_NONE);
		ha_out_dbl(o, "used_cpus", "USED", used, HA_U_FIXED2);
		if (reserved > 0) {
			ha_out_dbl(o, "reserved_cpus", "RESERVED", reserved, HA_U_FIXED2);
			ha_out_dbl(o, "efficiency_pct", "EFF%", 100 * used_res / reserved,
				   HA_U_PCT);
		} else {
			ha_out_none(o, "reserved_cpus", "RESERVED");
			ha_out_none(o, "efficiency_pct", "EFF%");
		}
		if (c == HOSTACCT_CLASS_KVM && n)
			ha_out_dbl(o, "overhead_cpus", "OVERHEAD", overhead, HA_U_FIXED2);
		else
			ha_out_none(o, "overhead_cpus", "OVERHEAD");
		if (n)
			ha_out_dbl(o, "median_age_s", "MEDIAN-AGE(s)",
				   n % 2 ? ages[n / 2] : (ages[n / 2 - 1] + ages[n / 2]) / 2,
				   HA_U_FIXED2);
		else
			ha_out_none(o, "median_age_s", "MEDIAN-AGE(s)");
		ha_print_life(o, &r->iv.b->host.cls[c]);
		ha_out_str(o, "isolation", "ISOLATION", n ? iso : "-");
		ha_out_row_end(o);
		free(ctr_iso);
	}
	ha_out_section_end(o);
	free(ages);
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct report [-i SECONDS | --since-boot | -- COMMAND [ARGS]]\n"
		"                       [--natives N|all] [--exact-mem]\n"
		"                       [-j | --csv --section NAME | --prometheus]\n"
		"\n"
		"Takes two snapshots and reports over the interval between them: the\n"
		"host split by class, each VM's CPU and memory efficiency, each\n"
		"container against its limits, the busiest native processes, reserved\n"
		"but idle capacity, and the trade-offs of the three models as\n"
		"measured here.\n"
		"\n"
		"  -i, --interval SECONDS   snapshots SECONDS apart (default 5; 500ms, 2m)\n"
		"      --since-boot         from boot (workloads: over their lifetime)\n"
		"  -- COMMAND [ARGS]        a snapshot, COMMAND run to its end, a snapshot:\n"
		"                           what the host did while it ran (its exit\n"
		"                           status is the report's when it fails)\n"
		"      --natives N|all      native processes to list (default 10)\n"
		"      --exact-mem          exact RSS counters (VMM own memory to the\n"
		"                           page; sums per-CPU parts, slower)\n"
		"      --section NAME       only this table: host, split, reconcile, vms,\n"
		"                           containers, natives, idle_reserved, tradeoffs\n"
		"  -j, --json               JSON, every section (--section is for tables)\n"
		"      --csv                CSV of the table --section names\n"
		"      --prometheus         one snapshot in Prometheus text format (the\n"
		"                           series hostacct serve would answer with)\n");
}

/*
 * Run @argv to its end, its output on our stderr so that it cannot mix
 * with the report. Return: its exit status, or 127/126 if it could not be
 * started, 128 + signal if it was killed.
 */
static int run_command(char **argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ha_err("report: fork: %s", strerror(errno));
		return 126;
	}
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		ha_err("report: cannot run '%s': %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 126;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void report_print(const struct rep *r)
{
	struct ha_out *o = ha_out_new(ha_opts.format, stdout);

	section_host(o, r);
	section_split(o, r);
	section_vms(o, r);
	section_containers(o, r);
	section_natives(o, r);
	section_idle_reserved(o, r);
	section_tradeoffs(o, r);
	ha_out_finish(o);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "since-boot", no_argument, NULL, 'B' },
		{ "natives", required_argument, NULL, HA_OPT_NATIVES },
		{ "section", required_argument, NULL, HA_OPT_SECTION },
		{ "prometheus", no_argument, NULL, HA_OPT_PROMETHEUS },
		{ "exact-mem", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sections[] = {
		"host", "split", "reconcile", "vms", "containers", "natives",
		"idle_reserved", "tradeoffs", NULL,
	};
	struct rep r = { .natives = HA_NATIVES_DEFAULT };
	struct ha_filter f = { 0 };
	struct timespec t0;
	bool since_boot = false, prom = false, interval = false;
	struct ha_snap a = { 0 }, b = { 0 };
	char **command = NULL;
	int c, ret = 1, cmd_rc = 0;
	double secs = 5;
	struct timespec ts;
	struct ha_nl h;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "i:", longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'i':
			if (ha_parse_seconds(optarg, &secs)) {
				ha_err("report: bad interval '%s' (a duration such as 5, 0.5, 500ms, 1m)",
				       optarg);
				return 2;
			}
			interval = true;
			break;
		case 'B':
			since_boot = true;
			break;
		case HA_OPT_NATIVES:
			if (ha_parse_natives("report", optarg, &r.natives))
				return 2;
			break;
		case HA_OPT_SECTION:
			ha_opts.section = optarg;
			break;
		case HA_OPT_PROMETHEUS:
			prom = true;
			break;
		case 'X':
			f.exact_mem = true;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") || interval || since_boot || prom) {
			ha_err("report: unexpected argument '%s' (a command goes after '--', instead of -i or --since-boot)",
			       argv[optind]);
			return 2;
		}
		command = &argv[optind];
	}
	if (!prom && ha_section_check("report", sections))
		return 2;

	if (ha_nl_open_or_report(&h))
		return 1;
	if (prom) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (!ha_snap_take(&h, &f, &b, false)) {
			ha_prom_write(stdout, &b, r.natives);
			ha_prom_write_meta(stdout, &t0, false);
			ret = 0;
		}
		goto out;
	}

	/*
	 * Both snapshots wait until processes reaped before them are charged
	 * (SYNC): what exited before the first one is not in the interval,
	 * what exited before the second one is.
	 */
	if (!since_boot) {
		if (ha_snap_take(&h, &f, &a, true))
			goto out;
		if (command) {
			cmd_rc = run_command(command);
		} else {
			ts.tv_sec = (time_t)secs;
			ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
	}
	if (ha_snap_take(&h, &f, &b, !since_boot))
		goto out;

	ha_interval_init(&r.iv, since_boot ? NULL : &a, &b);
	report_print(&r);
	ret = cmd_rc;
out:
	ha_snap_free(&a);
	ha_snap_free(&b);
	ha_nl_close(&h);
	return ret;
}
