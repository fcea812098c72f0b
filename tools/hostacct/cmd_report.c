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
#include <time.h>

#include "hostacct.h"

struct rep {
	const struct ha_snap *a;	/* earlier snapshot, NULL: boot */
	const struct ha_snap *b;	/* later snapshot */
	double t;			/* interval, seconds */
	unsigned int top;		/* natives shown, 0: all */
};

static double delta(uint64_t now, uint64_t then)
{
	return now > then ? (double)(now - then) : 0.0;
}

/* Interval of a workload: the report's, or its lifetime since boot. */
static double wl_seconds(const struct rep *r, const struct ha_workload *w)
{
	double age;

	if (r->a)
		return r->t;
	age = delta(r->b->host.timestamp_ns, w->start_ns) / 1e9;
	return age > 0.001 ? age : 0.001;
}

/* The same workload in the earlier snapshot, if any. */
static const struct ha_workload *before(const struct rep *r,
					const struct ha_workload *w,
					size_t *idx)
{
	return r->a ? ha_snap_find(r->a, w, idx) : NULL;
}

/* CPUs used by @w during the interval */
static double wl_cpus(const struct rep *r, const struct ha_workload *w)
{
	const struct ha_workload *p = before(r, w, NULL);

	return delta(w->cpu_ns, p ? p->cpu_ns : 0) / 1e9 / wl_seconds(r, w);
}

static uint64_t rss(const struct ha_workload *w)
{
	return w->rss_anon + w->rss_file + w->rss_shmem;
}

/* VM rates */
struct vm_rate {
	double busy;		/* vCPU threads' runtime minus halt polling */
	double guest;
	double overhead;
	double halt_poll;
};

static struct vm_rate vm_rate(const struct rep *r, const struct ha_workload *w)
{
	const struct ha_workload *p = before(r, w, NULL);
	const struct ha_kvm *k = &w->kvm, *pk = p ? &p->kvm : NULL;
	double s = wl_seconds(r, w);
	struct vm_rate v;
	double vcpu, poll;

	vcpu = delta(k->vcpu_ns, pk ? pk->vcpu_ns : 0);
	poll = delta(k->halt_poll_ns, pk ? pk->halt_poll_ns : 0);
	v.busy = (vcpu > poll ? vcpu - poll : 0) / 1e9 / s;
	v.guest = delta(k->guest_ns, pk ? pk->guest_ns : 0) / 1e9 / s;
	v.overhead = delta(k->overhead_ns, pk ? pk->overhead_ns : 0) / 1e9 / s;
	v.halt_poll = poll / 1e9 / s;
	return v;
}

/* Container CPU: cgroupfs usage (reaped members included) if readable. */
static double ctr_cpus(const struct rep *r, const struct ha_workload *w,
		       size_t bi)
{
	const struct ha_cg *cb = &r->b->cg[bi];
	size_t ai;

	if (cb->has_cpu_stat) {
		if (!r->a)
			return cb->usage_usec / 1e6 / wl_seconds(r, w);
		if (before(r, w, &ai) && r->a->cg[ai].has_cpu_stat)
			return delta(cb->usage_usec, r->a->cg[ai].usage_usec) /
			       1e6 / r->t;
	}
	return wl_cpus(r, w);
}

static uint64_t ctr_mem_limit(const struct ha_cg *cg)
{
	return cg->mem_max != UINT64_MAX ? cg->mem_max : cg->mem_high;
}

static void section_host(struct ha_out *o, const struct rep *r)
{
	const struct ha_host *h = &r->b->host;

	ha_out_section(o, "host", "Host", false);
	ha_out_str(o, "kernel_release", "kernel", h->kernel_release);
	ha_out_u64(o, "nr_cpus_online", "online CPUs", h->nr_cpus, HA_U_NONE);
	ha_out_u64(o, "mem_total_bytes", "memory", h->mem_total, HA_U_BYTES);
	ha_out_dbl(o, "interval_s", r->a ? "interval (s)" : "since boot (s)",
		   r->t, HA_U_FIXED2);
	ha_out_section_end(o);
}

/*
 * Host split: CPUs per class (reaped processes included) and idle, memory
 * per class and free. Over the interval classes + idle = online CPUs.
 */
static void section_split(struct ha_out *o, const struct rep *r)
{
	const struct ha_host *hb = &r->b->host;
	const struct ha_host *ha = r->a ? &r->a->host : NULL;
	double host = hb->nr_cpus, sum = 0, mem_sum = 0, st_total = 0;
	uint64_t mem[HOSTACCT_CLASS_MAX + 1] = { 0 };
	uint32_t count[HOSTACCT_CLASS_MAX + 1] = { 0 };
	double idle;
	size_t i;
	uint32_t c;

	for (i = 0; i < r->b->wl.n; i++) {
		const struct ha_workload *w = &r->b->wl.w[i];

		count[w->class]++;
		mem[w->class] += w->has_mem_cgroup ? w->mem_cgroup : rss(w);
	}
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++)
		mem_sum += mem[c];
	/* guest and guest_nice are already inside user and nice */
	for (c = 0; c < HA_CPU_NSTATES; c++)
		if (c != HA_CPU_GUEST && c != HA_CPU_GUEST_NICE)
			st_total += delta(hb->cpu[c], ha ? ha->cpu[c] : 0);
	idle = (delta(hb->cpu[HA_CPU_IDLE], ha ? ha->cpu[HA_CPU_IDLE] : 0) +
		delta(hb->cpu[HA_CPU_IOWAIT], ha ? ha->cpu[HA_CPU_IOWAIT] : 0)) /
	       1e9 / r->t;

	ha_out_section(o, "split", "Host split (CPUs used over the interval; memory now)", true);
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		double cpus = delta(hb->cls[c].cpu_ns, ha ? ha->cls[c].cpu_ns : 0) /
			      1e9 / r->t;

		sum += cpus;
		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(c));
		ha_out_u64(o, "workloads", "WORKLOADS", count[c], HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", cpus, HA_U_FIXED2);
		ha_out_dbl(o, "host_pct", "%HOST", 100 * cpus / host, HA_U_PCT);
		if (c == HOSTACCT_CLASS_KERNEL) {
			/* kernel memory and page cache: what no class holds */
			double k = (double)hb->mem_total - hb->mem_free - mem_sum;

			ha_out_u64(o, "mem_bytes", "MEMORY", k > 0 ? k : 0, HA_U_BYTES);
			ha_out_dbl(o, "mem_pct", "%MEM", 100 * (k > 0 ? k : 0) / hb->mem_total,
				   HA_U_PCT);
		} else {
			ha_out_u64(o, "mem_bytes", "MEMORY", mem[c], HA_U_BYTES);
			ha_out_dbl(o, "mem_pct", "%MEM", 100.0 * mem[c] / hb->mem_total,
				   HA_U_PCT);
		}
		ha_out_row_end(o);
	}
	ha_out_row(o);
	ha_out_str(o, "class", "CLASS", "idle");
	ha_out_none(o, "workloads", "WORKLOADS");
	ha_out_dbl(o, "cpus", "CPUS", idle, HA_U_FIXED2);
	ha_out_dbl(o, "host_pct", "%HOST", 100 * idle / host, HA_U_PCT);
	ha_out_u64(o, "mem_bytes", "MEMORY", hb->mem_free, HA_U_BYTES);
	ha_out_dbl(o, "mem_pct", "%MEM", 100.0 * hb->mem_free / hb->mem_total, HA_U_PCT);
	ha_out_row_end(o);
	ha_out_section_end(o);

	/*
	 * How the split adds up: classes + idle against the online CPUs, and
	 * what /proc/stat's tick-sampled states add up to (in a VM that loses
	 * ticks, less than the CPUs).
	 */
	ha_out_section(o, "reconcile", "Reconciliation", false);
	ha_out_dbl(o, "classes_plus_idle_cpus", "classes + idle (CPUs)", sum + idle,
		   HA_U_FIXED2);
	ha_out_u64(o, "online_cpus", "online CPUs", hb->nr_cpus, HA_U_NONE);
	ha_out_dbl(o, "proc_stat_cpus", "/proc/stat states, tick-sampled (CPUs)",
		   st_total / 1e9 / r->t, HA_U_FIXED2);
	ha_out_section_end(o);
}

static void section_vms(struct ha_out *o, const struct rep *r)
{
	size_t i;

	ha_out_section(o, "vms", "Virtual machines", true);
	for (i = 0; i < r->b->wl.n; i++) {
		const struct ha_workload *w = &r->b->wl.w[i];
		const struct ha_kvm *k = &w->kvm;
		struct vm_rate v;
		double vmm_mem;

		if (w->class != HOSTACCT_CLASS_KVM)
			continue;
		v = vm_rate(r, w);
		vmm_mem = (double)rss(w) - k->guest_resident;
		ha_out_row(o);
		ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
		ha_out_u64(o, "nr_vcpus", "VCPUS", k->nr_vcpus, HA_U_NONE);
		ha_out_dbl(o, "vcpu_busy_cpus", "BUSY", v.busy, HA_U_FIXED2);
		ha_out_dbl(o, "cpu_eff_pct", "CPU-EFF%",
			   k->nr_vcpus ? 100 * v.busy / k->nr_vcpus : 0, HA_U_PCT);
		ha_out_dbl(o, "guest_cpus", "GUEST", v.guest, HA_U_FIXED2);
		ha_out_dbl(o, "overhead_cpus", "OVERHEAD", v.overhead, HA_U_FIXED2);
		ha_out_dbl(o, "halt_poll_cpus", "HALTPOLL", v.halt_poll, HA_U_FIXED2);
		ha_out_u64(o, "guest_mem_bytes", "GUEST-RAM", k->guest_mem, HA_U_BYTES);
		ha_out_u64(o, "guest_resident_bytes", "RESIDENT", k->guest_resident,
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
	size_t i, ai;

	ha_out_section(o, "containers", "Containers", true);
	for (i = 0; i < r->b->wl.n; i++) {
		const struct ha_workload *w = &r->b->wl.w[i];
		const struct ha_cg *cg = &r->b->cg[i];
		const struct ha_cg *ca = NULL;
		double cpus, limit;
		uint64_t mlim;

		if (w->class != HOSTACCT_CLASS_CONTAINER)
			continue;
		if (before(r, w, &ai))
			ca = &r->a->cg[ai];
		cpus = ctr_cpus(r, w, i);
		limit = cg->limit_cpus;
		mlim = ctr_mem_limit(cg);

		ha_out_row(o);
		ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", cpus, HA_U_FIXED2);
		if (limit > 0)
			ha_out_dbl(o, "cpu_limit_cpus", "LIMIT", limit, HA_U_FIXED2);
		else
			ha_out_none(o, "cpu_limit_cpus", "LIMIT");
		/* no limit: the share of the host */
		ha_out_dbl(o, "cpu_eff_pct", "CPU-EFF%",
			   100 * cpus / (limit > 0 ? limit : r->b->host.nr_cpus), HA_U_PCT);
		ha_out_u64(o, "throttled_periods", "THROTTLED",
			   (uint64_t)delta(cg->nr_throttled, ca ? ca->nr_throttled : 0),
			   HA_U_NONE);
		ha_out_dbl(o, "throttled_s", "THR(s)",
			   delta(cg->throttled_usec, ca ? ca->throttled_usec : 0) / 1e6,
			   HA_U_FIXED2);
		if (cg->has_memory) {
			ha_out_u64(o, "mem_current_bytes", "MEM.CUR", cg->mem_current,
				   HA_U_BYTES);
			if (mlim != UINT64_MAX)
				ha_out_u64(o, "mem_limit_bytes", "MEM.MAX", mlim, HA_U_BYTES);
			else
				ha_out_none(o, "mem_limit_bytes", "MEM.MAX");
			ha_out_dbl(o, "mem_eff_pct", "MEM-EFF%", 100.0 * cg->mem_current /
				   (mlim != UINT64_MAX ? mlim : r->b->host.mem_total),
				   HA_U_PCT);
			ha_out_u64(o, "mem_anon_bytes", "ANON", cg->mem_anon, HA_U_BYTES);
			ha_out_u64(o, "mem_file_bytes", "FILE", cg->mem_file, HA_U_BYTES);
		} else {
			ha_out_none(o, "mem_current_bytes", "MEM.CUR");
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
	struct native_rate *v = calloc(r->b->wl.n + 1, sizeof(*v));
	size_t i, n = 0;
	char title[96];

	for (i = 0; v && i < r->b->wl.n; i++) {
		const struct ha_workload *w = &r->b->wl.w[i];

		if (w->class != HOSTACCT_CLASS_NATIVE)
			continue;
		v[n].w = w;
		v[n++].cpus = wl_cpus(r, w);
	}
	if (v)
		qsort(v, n, sizeof(*v), cmp_native);
	if (r->top && n > r->top)
		snprintf(title, sizeof(title), "Native processes (top %u of %zu by CPU)",
			 r->top, n);
	else
		snprintf(title, sizeof(title), "Native processes (%zu)", n);
	ha_out_section(o, "natives", title, true);
	for (i = 0; i < n && (!r->top || i < r->top); i++) {
		ha_out_row(o);
		ha_out_u64(o, "pid", "PID", v[i].w->id, HA_U_NONE);
		ha_out_u64(o, "nr_threads", "THREADS", v[i].w->nr_threads, HA_U_NONE);
		ha_out_dbl(o, "cpus", "CPUS", v[i].cpus, HA_U_FIXED2);
		ha_out_dbl(o, "host_pct", "%HOST", 100 * v[i].cpus / r->b->host.nr_cpus,
			   HA_U_PCT);
		ha_out_u64(o, "rss_bytes", "RSS", rss(v[i].w), HA_U_BYTES);
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

	for (i = 0; i < r->b->wl.n; i++) {
		const struct ha_workload *w = &r->b->wl.w[i];
		const struct ha_cg *cg = &r->b->cg[i];

		if (w->class == HOSTACCT_CLASS_KVM) {
			struct vm_rate v = vm_rate(r, w);

			vm_cpus += fmax(0, w->kvm.nr_vcpus - v.busy);
			vm_bytes += delta(w->kvm.guest_mem, w->kvm.guest_resident);
		} else if (w->class == HOSTACCT_CLASS_CONTAINER) {
			uint64_t mlim = ctr_mem_limit(cg);

			if (cg->limit_cpus > 0)
				ct_cpus += fmax(0, cg->limit_cpus - ctr_cpus(r, w, i));
			if (cg->has_memory && mlim != UINT64_MAX)
				ct_bytes += delta(mlim, cg->mem_current);
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
	double *ages = calloc(r->b->wl.n + 1, sizeof(*ages));
	size_t i, k;

	ha_out_section(o, "tradeoffs", "Trade-offs by class, measured", true);
	for (k = 0; ages && k < sizeof(order) / sizeof(order[0]); k++) {
		uint32_t c = order[k];
		double used = 0, reserved = 0, used_res = 0, overhead = 0;
		const char *iso = c == HOSTACCT_CLASS_NATIVE ? "none (host namespaces)" :
				  c == HOSTACCT_CLASS_KVM ? "own kernel" : "-";
		size_t n = 0;

		for (i = 0; i < r->b->wl.n; i++) {
			const struct ha_workload *w = &r->b->wl.w[i];

			if (w->class != c)
				continue;
			ages[n++] = delta(r->b->host.timestamp_ns, w->start_ns) / 1e9;
			if (c == HOSTACCT_CLASS_KVM) {
				struct vm_rate v = vm_rate(r, w);

				used += wl_cpus(r, w);
				reserved += w->kvm.nr_vcpus;
				used_res += v.busy;
				overhead += v.overhead;
			} else if (c == HOSTACCT_CLASS_CONTAINER) {
				double u = ctr_cpus(r, w, i);

				used += u;
				if (r->b->cg[i].limit_cpus > 0) {
					reserved += r->b->cg[i].limit_cpus;
					used_res += u;
				}
				if (!strcmp(iso, "-") && r->b->isolation[i])
					iso = r->b->isolation[i];
			} else {
				used += wl_cpus(r, w);
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
		ha_out_str(o, "isolation", "ISOLATION", n ? iso : "-");
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
	free(ages);
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct report [-i SECONDS] [--since-boot] [-n N | --all]\n"
		"                       [-j | --csv | --prometheus]\n"
		"\n"
		"Takes two snapshots SECONDS apart (default 5; 500ms, 2m also work)\n"
		"and reports over that interval: the host split by class, each VM's\n"
		"CPU and memory efficiency, each container against its limits, the\n"
		"busiest native processes, reserved but idle capacity, and the\n"
		"trade-offs of the three models as measured here.\n"
		"\n"
		"  -i, --interval SECONDS   interval between the snapshots\n"
		"      --since-boot         from boot (workloads: over their lifetime)\n"
		"  -n, --top N              native processes to list (default 10)\n"
		"      --all                list every native process\n"
		"  -j, --json | --csv       machine-readable output\n"
		"      --prometheus         one snapshot in Prometheus text format\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "since-boot", no_argument, NULL, 'B' },
		{ "top", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'A' },
		{ "prometheus", no_argument, NULL, HA_OPT_PROMETHEUS },
		{ NULL, 0, NULL, 0 },
	};
	struct rep r = { .top = 10 };
	struct ha_snap a, b;
	bool since_boot = false, prom = false;
	double secs = 5;
	struct timespec ts;
	struct ha_out *o;
	struct ha_nl h;
	int c;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "i:n:", longopts,
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
			break;
		case 'B':
			since_boot = true;
			break;
		case 'n':
			if (ha_parse_u32(optarg, &r.top) || !r.top) {
				ha_err("report: bad count '%s'", optarg);
				return 2;
			}
			break;
		case 'A':
			r.top = 0;
			break;
		case HA_OPT_PROMETHEUS:
			prom = true;
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
		ha_err("report: unexpected argument '%s'", argv[optind]);
		return 2;
	}

	if (ha_nl_open_or_report(&h))
		return 1;
	if (prom) {
		if (ha_snap_take(&h, NULL, &b)) {
			ha_nl_close(&h);
			ha_snap_free(&b);
			return 1;
		}
		ha_nl_close(&h);
		ha_prom_write(stdout, &b);
		ha_snap_free(&b);
		return 0;
	}

	if (!since_boot) {
		if (ha_snap_take(&h, NULL, &a))
			goto fail_a;
		ts.tv_sec = (time_t)secs;
		ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (ha_snap_take(&h, NULL, &b))
		goto fail_b;
	ha_nl_close(&h);

	r.a = since_boot ? NULL : &a;
	r.b = &b;
	r.t = (since_boot ? b.host.timestamp_ns :
	       delta(b.host.timestamp_ns, a.host.timestamp_ns)) / 1e9;
	if (r.t <= 0)
		r.t = 1e-9;

	o = ha_out_new(ha_opts.format, stdout);
	section_host(o, &r);
	section_split(o, &r);
	section_vms(o, &r);
	section_containers(o, &r);
	section_natives(o, &r);
	section_idle_reserved(o, &r);
	section_tradeoffs(o, &r);
	ha_out_finish(o);

	if (!since_boot)
		ha_snap_free(&a);
	ha_snap_free(&b);
	return 0;

fail_b:
	ha_snap_free(&b);
	if (!since_boot)
		ha_snap_free(&a);
	ha_nl_close(&h);
	return 1;
fail_a:
	ha_snap_free(&a);
	ha_nl_close(&h);
	return 1;
}
