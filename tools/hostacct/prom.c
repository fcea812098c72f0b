// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4) of one snapshot: cumulative
 * counters as *_total, current values as gauges, units in the names.
 * Rates and efficiency are PromQL's job, e.g.
 *   rate(hostacct_vm_vcpu_seconds_total[5m]) / hostacct_vm_vcpus
 *
 * Nothing a workload controls can break a scrape: label values are valid
 * UTF-8 (ha_clean_str()) and escaped. Cardinality is bounded: every VM
 * and container is a series, native processes only the top N by CPU
 * time (the class totals count them all).
 */

#include <stdlib.h>
#include <string.h>

#include "hostacct.h"

static void metric(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: valid UTF-8, with \\, " and newline escaped. */
static void label(FILE *f, const char *key, const char *val, bool last)
{
	char *clean = ha_clean_str(val, false), *c;

	fprintf(f, "%s=\"", key);
	for (c = clean; *c; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', f);
		if (*c == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*c, f);
	}
	fputs(last ? "\"" : "\",", f);
	free(clean);
}

static void wl_labels(FILE *f, const struct ha_workload *w)
{
	char id[32];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)w->id);
	fputc('{', f);
	label(f, "class", ha_class_name(w->class), false);
	label(f, "id", id, false);
	label(f, "name", w->name, true);
	fputc('}', f);
}

/*
 * A sample's value, printed exactly: nanoseconds as seconds with nine
 * decimals (a double's 15 digits would drop nanoseconds after a day of
 * CPU time, and whole seconds after a host-year), counts and bytes as
 * integers, ratios as doubles.
 */
struct prom_val {
	enum { PV_NS, PV_INT, PV_DBL } kind;
	uint64_t u;
	double d;
};

static void prom_print(FILE *f, struct prom_val v)
{
	switch (v.kind) {
	case PV_NS:
		fprintf(f, " %llu.%09llu\n", (unsigned long long)(v.u / 1000000000ULL),
			(unsigned long long)(v.u % 1000000000ULL));
		break;
	case PV_INT:
		fprintf(f, " %llu\n", (unsigned long long)v.u);
		break;
	default:
		fprintf(f, " %.17g\n", v.d);
	}
}

#define NS(x)	((struct prom_val){ .kind = PV_NS, .u = (x) })
#define INT(x)	((struct prom_val){ .kind = PV_INT, .u = (x) })
#define DBL(x)	((struct prom_val){ .kind = PV_DBL, .d = (x) })

typedef struct prom_val (*wl_value)(const struct ha_workload *w,
				    const struct ha_cg *cg, bool *present);

/* What one exposition prints: the snapshot and which workloads. */
struct prom_ctx {
	FILE *f;
	const struct ha_snap *s;
	const bool *shown;		/* parallel to s->wl.w */
	uint64_t boot_epoch_ns;		/* boot, in ns since the Unix epoch */
};

static void wl_metric(const struct prom_ctx *p, const char *name,
		      const char *type, const char *help, uint32_t class,
		      wl_value fn)
{
	const struct ha_snap *s = p->s;
	bool header = false;
	size_t i;

	for (i = 0; i < s->wl.n; i++) {
		const struct ha_workload *w = &s->wl.w[i];
		bool present = true;
		struct prom_val v;

		if (!p->shown[i] || (class && w->class != class))
			continue;
		v = fn(w, &s->cg[i], &present);
		if (!present)
			continue;
		if (!header) {
			metric(p->f, name, type, help);
			header = true;
		}
		fputs(name, p->f);
		wl_labels(p->f, w);
		prom_print(p->f, v);
	}
}

#define WL_VALUE(fn, expr)						\
static struct prom_val fn(const struct ha_workload *w,			\
			  const struct ha_cg *cg, bool *present)	\
{									\
	(void)w; (void)cg; (void)present;				\
	return (expr);							\
}

WL_VALUE(v_cpu, NS((*present = w->has_cpu) ? w->cpu_ns : 0))
WL_VALUE(v_user, NS((*present = w->has_cpu) ? w->user_ns : 0))
WL_VALUE(v_system, NS((*present = w->has_cpu) ? w->system_ns : 0))
WL_VALUE(v_guest, NS((*present = w->has_cpu) ? w->guest_ns : 0))
WL_VALUE(v_rss_anon, INT(w->rss_anon))
WL_VALUE(v_rss_file, INT(w->rss_file))
WL_VALUE(v_rss_shmem, INT(w->rss_shmem))
WL_VALUE(v_swap, INT(w->swap))
WL_VALUE(v_hugetlb, INT((*present = w->hugetlb > 0) ? w->hugetlb : 0))
WL_VALUE(v_procs, INT(w->nr_procs))
WL_VALUE(v_threads, INT(w->nr_threads))
WL_VALUE(v_vcpus, INT(w->kvm.nr_vcpus))
WL_VALUE(v_vcpu_s, NS(w->kvm.vcpu_ns))
WL_VALUE(v_vm_guest_s, NS(w->kvm.guest_ns))
WL_VALUE(v_vm_overhead_s, NS(w->kvm.overhead_ns))
WL_VALUE(v_vm_poll_s, NS(w->kvm.halt_poll_ns))
WL_VALUE(v_vm_mem, INT(w->kvm.guest_mem))
WL_VALUE(v_vm_resident, INT(w->kvm.guest_resident))
WL_VALUE(v_vm_device, INT(w->kvm.device_mem))
WL_VALUE(v_cg_usage, NS((*present = w->cs.ok) ? w->cs.usage_usec * 1000 : 0))
WL_VALUE(v_cg_limit, DBL((*present = cg->limit_cpus > 0) ? cg->limit_cpus : 0))
WL_VALUE(v_cg_throttled, INT((*present = w->cs.ok) ? w->cs.nr_throttled : 0))
WL_VALUE(v_cg_throttled_s, NS((*present = w->cs.ok) ? w->cs.throttled_usec * 1000 : 0))
WL_VALUE(v_cg_mem, INT((*present = cg->has_memory) ? cg->mem_current : 0))
WL_VALUE(v_cg_mem_max, INT((*present = cg->has_memory && cg->mem_max != UINT64_MAX) ?
			   cg->mem_max : 0))
WL_VALUE(v_cg_anon, INT((*present = cg->has_memory) ? cg->mem_anon : 0))
WL_VALUE(v_cg_file, INT((*present = cg->has_memory) ? cg->mem_file : 0))

/* Boot time as /proc/stat's btime has it (what ps(1) adds start times to). */
static uint64_t boot_epoch_ns(void)
{
	unsigned long long btime = 0;
	char line[256];
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime * 1000000000ULL;
}

static int cmp_native_cpu(const void *a, const void *b)
{
	const struct ha_workload *x = *(const struct ha_workload *const *)a;
	const struct ha_workload *y = *(const struct ha_workload *const *)b;

	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns < y->cpu_ns ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Which workloads get series: all but native processes, and the @natives
 * natives with the most CPU time (lifetime, so that the set is stable
 * from scrape to scrape); HA_NATIVES_ALL: every one.
 */
static bool *prom_select(const struct ha_snap *s, uint32_t natives)
{
	const struct ha_workload **nat = calloc(s->wl.n + 1, sizeof(*nat));
	bool *shown = calloc(s->wl.n + 1, sizeof(*shown));
	size_t i, n = 0;

	if (!nat || !shown) {
		ha_err("out of memory");
		exit(1);
	}
	for (i = 0; i < s->wl.n; i++) {
		if (s->wl.w[i].class != HOSTACCT_CLASS_NATIVE)
			shown[i] = true;
		else
			nat[n++] = &s->wl.w[i];
	}
	if (natives != HA_NATIVES_ALL && n > natives)
		qsort(nat, n, sizeof(*nat), cmp_native_cpu);
	for (i = 0; i < n && (natives == HA_NATIVES_ALL || i < natives); i++)
		shown[nat[i] - s->wl.w] = true;
	free(nat);
	return shown;
}

static void start_time(const struct prom_ctx *p)
{
	const struct ha_snap *s = p->s;
	bool header = false;
	size_t i;

	for (i = 0; i < s->wl.n; i++) {
		if (!p->shown[i])
			continue;
		if (!header) {
			metric(p->f, "hostacct_workload_start_time_seconds", "gauge",
			       "Start of the oldest member, seconds since the Unix epoch.");
			header = true;
		}
		fputs("hostacct_workload_start_time_seconds", p->f);
		wl_labels(p->f, &s->wl.w[i]);
		prom_print(p->f, NS(p->boot_epoch_ns + s->wl.w[i].start_ns));
	}
}

/* --natives N|all */
int ha_parse_natives(const char *cmd, const char *arg, uint32_t *natives)
{
	if (!strcmp(arg, "all")) {
		*natives = HA_NATIVES_ALL;
		return 0;
	}
	if (ha_parse_u32(arg, natives) || *natives == HA_NATIVES_ALL) {
		ha_err("%s: bad --natives '%s' (a count, or all)", cmd, arg);
		return 2;
	}
	return 0;
}

/*
 * What describes the exporter itself, printed whether or not a snapshot
 * was taken; the scrape's duration counts from @start (CLOCK_MONOTONIC,
 * taken before the snapshot) to now.
 */
void ha_prom_write_meta(FILE *f, const struct timespec *start, bool error)
{
	struct timespec now;
	double duration;

	clock_gettime(CLOCK_MONOTONIC, &now);
	duration = (double)(now.tv_sec - start->tv_sec) +
		   (now.tv_nsec - start->tv_nsec) / 1e9;
	metric(f, "hostacct_build_info", "gauge",
	       "The hostacct tool's version and netlink family version; value 1.");
	fprintf(f, "hostacct_build_info{version=\"%s\",family_version=\"%u\"} 1\n",
		HOSTACCT_TOOL_VERSION, HOSTACCT_FAMILY_VERSION);
	metric(f, "hostacct_scrape_duration_seconds", "gauge",
	       "Time the snapshot and its exposition took.");
	fprintf(f, "hostacct_scrape_duration_seconds %.6f\n", duration);
	metric(f, "hostacct_scrape_error", "gauge",
	       "1 if no snapshot could be taken (module not loaded, no permission), else 0.");
	fprintf(f, "hostacct_scrape_error %d\n", error ? 1 : 0);
}

/*
 * A class histogram as a Prometheus histogram: buckets at 1, 2.5 and 5 of
 * each decade from 100 us to 100 s (bounds of the module's, so each count
 * is exact), +Inf, the sum and the count: 22 series.
 */
static void class_hist(FILE *f, const char *name, uint32_t class,
		       const struct ha_hist *h)
{
	static const uint64_t mult[] = { 100, 250, 500 };
	uint64_t decade, le;
	size_t i;

	for (decade = 100000; decade <= 100000000000ULL; decade *= 10) {
		for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
			le = decade * mult[i] / 100;
			if (le > 100000000000ULL)
				break;
			fprintf(f, "%s_bucket{class=\"%s\",le=\"%.9g\"} %llu\n", name,
				ha_class_name(class), le / 1e9,
				(unsigned long long)ha_hist_le(h, le));
		}
	}
	fprintf(f, "%s_bucket{class=\"%s\",le=\"+Inf\"} %llu\n", name,
		ha_class_name(class), (unsigned long long)ha_hist_le(h, UINT64_MAX));
	fprintf(f, "%s_sum{class=\"%s\"}", name, ha_class_name(class));
	prom_print(f, NS(h->sum_ns));
	fprintf(f, "%s_count{class=\"%s\"} %llu\n", name, ha_class_name(class),
		(unsigned long long)h->count);
}

static void class_hists(FILE *f, const struct ha_host *h)
{
	uint32_t c;

	if (!h->has_class_stats || !h->cls[HOSTACCT_CLASS_NATIVE].has_life)
		return;
	metric(f, "hostacct_workload_startup_seconds", "histogram",
	       "Start-up of workloads since the module was loaded: VM, VMM exec to first guest entry; container, its making to its payload's exec; native, fork to first exec.");
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++)
		class_hist(f, "hostacct_workload_startup_seconds", c, &h->cls[c].startup);
	metric(f, "hostacct_workload_shutdown_seconds", "histogram",
	       "Shut-down of workloads since the module was loaded: the first stop signal to the exit of the last thread (a container: of its last task).");
	for (c = HOSTACCT_CLASS_NATIVE; c <= HOSTACCT_CLASS_MAX; c++)
		class_hist(f, "hostacct_workload_shutdown_seconds", c, &h->cls[c].shutdown);
}

void ha_prom_write(FILE *f, const struct ha_snap *s, uint32_t natives)
{
	const struct ha_host *h = &s->host;
	struct prom_ctx p = {
		.f = f,
		.s = s,
		.shown = prom_select(s, natives),
		.boot_epoch_ns = boot_epoch_ns(),
	};
	uint32_t c;
	int i;

	metric(f, "hostacct_host_info", "gauge",
	       "The host's kernel release and the module's version; value 1.");
	fputs("hostacct_host_info{", f);
	label(f, "kernel_release", h->kernel_release, false);
	label(f, "module_version", h->module_version, true);
	fputs("} 1\n", f);
	metric(f, "hostacct_host_boot_time_seconds", "gauge",
	       "Boot time, seconds since the Unix epoch (/proc/stat btime).");
	fputs("hostacct_host_boot_time_seconds", f);
	prom_print(f, NS(p.boot_epoch_ns));

	metric(f, "hostacct_host_cpus", "gauge", "Online CPUs.");
	fprintf(f, "hostacct_host_cpus %u\n", h->nr_cpus);
	metric(f, "hostacct_host_cpu_seconds_total", "counter",
	       "CPU time of all CPUs by state, as /proc/stat: user and nice include guest time.");
	for (i = 0; i < HA_CPU_GUEST; i++) {
		fprintf(f, "hostacct_host_cpu_seconds_total{state=\"%s\"}",
			ha_cpu_state_names[i]);
		prom_print(f, NS(h->cpu[i]));
	}
	/* apart, as node_exporter does: sum() over states must not count it twice */
	metric(f, "hostacct_host_cpu_guest_seconds_total", "counter",
	       "Guest time of all CPUs (already part of user and nice).");
	fputs("hostacct_host_cpu_guest_seconds_total{mode=\"user\"}", f);
	prom_print(f, NS(h->cpu[HA_CPU_GUEST]));
	fputs("hostacct_host_cpu_guest_seconds_total{mode=\"nice\"}", f);
	prom_print(f, NS(h->cpu[HA_CPU_GUEST_NICE]));
	metric(f, "hostacct_host_memory_bytes", "gauge",
	       "Host memory: total, available and free, as /proc/meminfo.");
	fprintf(f, "hostacct_host_memory_bytes{type=\"total\"} %llu\n",
		(unsigned long long)h->mem_total);
	fprintf(f, "hostacct_host_memory_bytes{type=\"available\"} %llu\n",
		(unsigned long long)h->mem_available);
	fprintf(f, "hostacct_host_memory_bytes{type=\"free\"} %llu\n",
		(unsigned long long)h->mem_free);
	if (h->has_class_stats) {
		metric(f, "hostacct_class_cpu_seconds_total", "counter",
		       "CPU time of each workload class, reaped processes included.");
		for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
			fprintf(f, "hostacct_class_cpu_seconds_total{class=\"%s\"}",
				ha_class_name(c));
			prom_print(f, NS(h->cls[c].cpu_ns));
		}
		metric(f, "hostacct_class_workloads", "gauge",
		       "Workloads of each class.");
		for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
			fprintf(f, "hostacct_class_workloads{class=\"%s\"} %u\n",
				ha_class_name(c), h->cls[c].nr_workloads);
		metric(f, "hostacct_class_processes", "gauge",
		       "Processes (thread groups) of each class.");
		for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++)
			fprintf(f, "hostacct_class_processes{class=\"%s\"} %u\n",
				ha_class_name(c), h->cls[c].nr_procs);
		class_hists(f, h);
	}

	wl_metric(&p, "hostacct_workload_cpu_seconds_total", "counter",
		  "CPU time of the workload's threads (precise runtime).", 0, v_cpu);
	wl_metric(&p, "hostacct_workload_cpu_user_seconds_total", "counter",
		  "User share of the CPU time, guest included.", 0, v_user);
	wl_metric(&p, "hostacct_workload_cpu_system_seconds_total", "counter",
		  "System share of the CPU time.", 0, v_system);
	wl_metric(&p, "hostacct_workload_cpu_guest_seconds_total", "counter",
		  "Time the workload's threads ran guest code (part of user).", 0, v_guest);
	wl_metric(&p, "hostacct_workload_memory_rss_anon_bytes", "gauge",
		  "Resident anonymous memory.", 0, v_rss_anon);
	wl_metric(&p, "hostacct_workload_memory_rss_file_bytes", "gauge",
		  "Resident file-backed memory.", 0, v_rss_file);
	wl_metric(&p, "hostacct_workload_memory_rss_shmem_bytes", "gauge",
		  "Resident shared memory.", 0, v_rss_shmem);
	wl_metric(&p, "hostacct_workload_memory_swap_bytes", "gauge",
		  "Swapped-out memory.", 0, v_swap);
	wl_metric(&p, "hostacct_workload_memory_hugetlb_bytes", "gauge",
		  "hugetlbfs pages mapped (not in RSS); only workloads that map some.",
		  0, v_hugetlb);
	wl_metric(&p, "hostacct_workload_processes", "gauge",
		  "Processes (thread groups) of the workload.", 0, v_procs);
	wl_metric(&p, "hostacct_workload_threads", "gauge",
		  "Threads of the workload.", 0, v_threads);
	start_time(&p);

	wl_metric(&p, "hostacct_vm_vcpus", "gauge", "vCPUs of the VMs a VMM holds.",
		  HOSTACCT_CLASS_KVM, v_vcpus);
	wl_metric(&p, "hostacct_vm_vcpu_seconds_total", "counter",
		  "Runtime of the vCPU threads.", HOSTACCT_CLASS_KVM, v_vcpu_s);
	wl_metric(&p, "hostacct_vm_guest_seconds_total", "counter",
		  "Guest time of the vCPU threads.", HOSTACCT_CLASS_KVM, v_vm_guest_s);
	wl_metric(&p, "hostacct_vm_overhead_seconds_total", "counter",
		  "VMM CPU time that is not guest time.", HOSTACCT_CLASS_KVM,
		  v_vm_overhead_s);
	wl_metric(&p, "hostacct_vm_halt_poll_seconds_total", "counter",
		  "Time vCPUs polled before halting.", HOSTACCT_CLASS_KVM, v_vm_poll_s);
	wl_metric(&p, "hostacct_vm_guest_memory_bytes", "gauge",
		  "Configured guest RAM: the host memory behind the RAM memory slots.",
		  HOSTACCT_CLASS_KVM, v_vm_mem);
	wl_metric(&p, "hostacct_vm_guest_resident_bytes", "gauge",
		  "Guest RAM mapped in the stage-2 page tables.", HOSTACCT_CLASS_KVM,
		  v_vm_resident);
	wl_metric(&p, "hostacct_vm_device_memory_bytes", "gauge",
		  "Host memory behind ROM, flash and display memory slots.",
		  HOSTACCT_CLASS_KVM, v_vm_device);

	wl_metric(&p, "hostacct_container_cpu_usage_seconds_total", "counter",
		  "cpu.stat usage of the container's cgroup.", HOSTACCT_CLASS_CONTAINER,
		  v_cg_usage);
	wl_metric(&p, "hostacct_container_cpu_limit_cpus", "gauge",
		  "cpu.max quota / period, when set.", HOSTACCT_CLASS_CONTAINER, v_cg_limit);
	wl_metric(&p, "hostacct_container_cpu_throttled_periods_total", "counter",
		  "cpu.stat nr_throttled.", HOSTACCT_CLASS_CONTAINER, v_cg_throttled);
	wl_metric(&p, "hostacct_container_cpu_throttled_seconds_total", "counter",
		  "cpu.stat throttled time.", HOSTACCT_CLASS_CONTAINER, v_cg_throttled_s);
	wl_metric(&p, "hostacct_container_memory_current_bytes", "gauge",
		  "memory.current of the container's cgroup.", HOSTACCT_CLASS_CONTAINER,
		  v_cg_mem);
	wl_metric(&p, "hostacct_container_memory_max_bytes", "gauge",
		  "memory.max, when set.", HOSTACCT_CLASS_CONTAINER, v_cg_mem_max);
	wl_metric(&p, "hostacct_container_memory_anon_bytes", "gauge",
		  "memory.stat anon.", HOSTACCT_CLASS_CONTAINER, v_cg_anon);
	wl_metric(&p, "hostacct_container_memory_file_bytes", "gauge",
		  "memory.stat file (page cache).", HOSTACCT_CLASS_CONTAINER, v_cg_file);
	free((void *)p.shown);
}
