// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4) of one snapshot: cumulative
 * counters as *_total, current values as gauges, units in the names.
 * Rates and efficiency are PromQL's job, e.g.
 *   rate(hostacct_vm_vcpu_seconds_total[5m]) / hostacct_vm_vcpus
 */

#include <string.h>

#include "hostacct.h"

static void metric(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped. */
static void label(FILE *f, const char *key, const char *val, bool last)
{
	fprintf(f, "%s=\"", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fputc('\\', f);
		if (*val == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*val, f);
	}
	fputs(last ? "\"" : "\",", f);
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

static void wl_metric(FILE *f, const struct ha_snap *s, const char *name,
		      const char *type, const char *help, uint32_t class,
		      wl_value fn)
{
	bool header = false;
	size_t i;

	for (i = 0; i < s->wl.n; i++) {
		const struct ha_workload *w = &s->wl.w[i];
		bool present = true;
		struct prom_val v;

		if (class && w->class != class)
			continue;
		v = fn(w, &s->cg[i], &present);
		if (!present)
			continue;
		if (!header) {
			metric(f, name, type, help);
			header = true;
		}
		fputs(name, f);
		wl_labels(f, w);
		prom_print(f, v);
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
WL_VALUE(v_procs, INT(w->nr_procs))
WL_VALUE(v_threads, INT(w->nr_threads))
WL_VALUE(v_start, NS(w->start_ns))
WL_VALUE(v_vcpus, INT(w->kvm.nr_vcpus))
WL_VALUE(v_vcpu_s, NS(w->kvm.vcpu_ns))
WL_VALUE(v_vm_guest_s, NS(w->kvm.guest_ns))
WL_VALUE(v_vm_overhead_s, NS(w->kvm.overhead_ns))
WL_VALUE(v_vm_poll_s, NS(w->kvm.halt_poll_ns))
WL_VALUE(v_vm_mem, INT(w->kvm.guest_mem))
WL_VALUE(v_vm_resident, INT(w->kvm.guest_resident))
WL_VALUE(v_cg_usage, NS((*present = w->cs.ok) ? w->cs.usage_usec * 1000 : 0))
WL_VALUE(v_cg_limit, DBL((*present = cg->limit_cpus > 0) ? cg->limit_cpus : 0))
WL_VALUE(v_cg_throttled, INT((*present = w->cs.ok) ? w->cs.nr_throttled : 0))
WL_VALUE(v_cg_throttled_s, NS((*present = w->cs.ok) ? w->cs.throttled_usec * 1000 : 0))
WL_VALUE(v_cg_mem, INT((*present = cg->has_memory) ? cg->mem_current : 0))
WL_VALUE(v_cg_mem_max, INT((*present = cg->has_memory && cg->mem_max != UINT64_MAX) ?
			   cg->mem_max : 0))
WL_VALUE(v_cg_anon, INT((*present = cg->has_memory) ? cg->mem_anon : 0))
WL_VALUE(v_cg_file, INT((*present = cg->has_memory) ? cg->mem_file : 0))

void ha_prom_write(FILE *f, const struct ha_snap *s)
{
	const struct ha_host *h = &s->host;
	uint32_t c;
	int i;

	metric(f, "hostacct_host_cpus", "gauge", "Online CPUs.");
	fprintf(f, "hostacct_host_cpus %u\n", h->nr_cpus);
	metric(f, "hostacct_host_cpu_seconds_total", "counter",
	       "CPU time of all CPUs by state, as /proc/stat (user includes guest).");
	for (i = 0; i < HA_CPU_NSTATES; i++) {
		fprintf(f, "hostacct_host_cpu_seconds_total{state=\"%s\"}",
			ha_cpu_state_names[i]);
		prom_print(f, NS(h->cpu[i]));
	}
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
	}

	wl_metric(f, s, "hostacct_workload_cpu_seconds_total", "counter",
		  "CPU time of the workload's threads (precise runtime).", 0, v_cpu);
	wl_metric(f, s, "hostacct_workload_cpu_user_seconds_total", "counter",
		  "User share of the CPU time, guest included.", 0, v_user);
	wl_metric(f, s, "hostacct_workload_cpu_system_seconds_total", "counter",
		  "System share of the CPU time.", 0, v_system);
	wl_metric(f, s, "hostacct_workload_cpu_guest_seconds_total", "counter",
		  "Time the workload's threads ran guest code (part of user).", 0, v_guest);
	wl_metric(f, s, "hostacct_workload_memory_rss_anon_bytes", "gauge",
		  "Resident anonymous memory.", 0, v_rss_anon);
	wl_metric(f, s, "hostacct_workload_memory_rss_file_bytes", "gauge",
		  "Resident file-backed memory.", 0, v_rss_file);
	wl_metric(f, s, "hostacct_workload_memory_rss_shmem_bytes", "gauge",
		  "Resident shared memory.", 0, v_rss_shmem);
	wl_metric(f, s, "hostacct_workload_memory_swap_bytes", "gauge",
		  "Swapped-out memory.", 0, v_swap);
	wl_metric(f, s, "hostacct_workload_processes", "gauge",
		  "Processes (thread groups) of the workload.", 0, v_procs);
	wl_metric(f, s, "hostacct_workload_threads", "gauge",
		  "Threads of the workload.", 0, v_threads);
	wl_metric(f, s, "hostacct_workload_start_time_seconds", "gauge",
		  "Start of the oldest member, seconds since boot.", 0, v_start);

	wl_metric(f, s, "hostacct_vm_vcpus", "gauge", "vCPUs of the VMs a VMM holds.",
		  HOSTACCT_CLASS_KVM, v_vcpus);
	wl_metric(f, s, "hostacct_vm_vcpu_seconds_total", "counter",
		  "Runtime of the vCPU threads.", HOSTACCT_CLASS_KVM, v_vcpu_s);
	wl_metric(f, s, "hostacct_vm_guest_seconds_total", "counter",
		  "Guest time of the vCPU threads.", HOSTACCT_CLASS_KVM, v_vm_guest_s);
	wl_metric(f, s, "hostacct_vm_overhead_seconds_total", "counter",
		  "VMM CPU time that is not guest time.", HOSTACCT_CLASS_KVM,
		  v_vm_overhead_s);
	wl_metric(f, s, "hostacct_vm_halt_poll_seconds_total", "counter",
		  "Time vCPUs polled before halting.", HOSTACCT_CLASS_KVM, v_vm_poll_s);
	wl_metric(f, s, "hostacct_vm_guest_memory_bytes", "gauge",
		  "Configured guest RAM (memory slots of address space 0).",
		  HOSTACCT_CLASS_KVM, v_vm_mem);
	wl_metric(f, s, "hostacct_vm_guest_resident_bytes", "gauge",
		  "Guest RAM mapped in the stage-2 page tables.", HOSTACCT_CLASS_KVM,
		  v_vm_resident);

	wl_metric(f, s, "hostacct_container_cpu_usage_seconds_total", "counter",
		  "cpu.stat usage of the container's cgroup.", HOSTACCT_CLASS_CONTAINER,
		  v_cg_usage);
	wl_metric(f, s, "hostacct_container_cpu_limit_cpus", "gauge",
		  "cpu.max quota / period, when set.", HOSTACCT_CLASS_CONTAINER, v_cg_limit);
	wl_metric(f, s, "hostacct_container_cpu_throttled_periods_total", "counter",
		  "cpu.stat nr_throttled.", HOSTACCT_CLASS_CONTAINER, v_cg_throttled);
	wl_metric(f, s, "hostacct_container_cpu_throttled_seconds_total", "counter",
		  "cpu.stat throttled time.", HOSTACCT_CLASS_CONTAINER, v_cg_throttled_s);
	wl_metric(f, s, "hostacct_container_memory_current_bytes", "gauge",
		  "memory.current of the container's cgroup.", HOSTACCT_CLASS_CONTAINER,
		  v_cg_mem);
	wl_metric(f, s, "hostacct_container_memory_max_bytes", "gauge",
		  "memory.max, when set.", HOSTACCT_CLASS_CONTAINER, v_cg_mem_max);
	wl_metric(f, s, "hostacct_container_memory_anon_bytes", "gauge",
		  "memory.stat anon.", HOSTACCT_CLASS_CONTAINER, v_cg_anon);
	wl_metric(f, s, "hostacct_container_memory_file_bytes", "gauge",
		  "memory.stat file (page cache).", HOSTACCT_CLASS_CONTAINER, v_cg_file);
}
