// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct host: the host's CPU time per state and memory, as the module
 * reads them (the same sources as /proc/stat and /proc/meminfo).
 */

#include <getopt.h>
#include <stdlib.h>

#include "hostacct.h"

static void host_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct host [-j|--json] [-p|--pretty] [--csv --section host|classes]\n"
		"\n"
		"Kernel release, online CPUs, memory, and cumulative CPU time per\n"
		"state summed over all CPUs (user includes guest, nice includes\n"
		"guest_nice), read by the kernel module; then the CPU time of each\n"
		"workload class since boot.\n"
		"\n"
		"      --section NAME   only this table (host or classes); CSV needs it\n");
}

void ha_print_host(struct ha_out *o, const char *key, const struct ha_host *h)
{
	static const char *const cpu_hdr[HA_CPU_NSTATES] = {
		"CPU user (s)", "CPU nice (s)", "CPU system (s)",
		"CPU idle (s)", "CPU iowait (s)", "CPU irq (s)",
		"CPU softirq (s)", "CPU steal (s)", "CPU guest (s)",
		"CPU guest_nice (s)",
	};
	char k[32];
	int i;

	ha_out_section(o, key, "Host", false);
	ha_out_str(o, "kernel_release", "kernel release", h->kernel_release);
	ha_out_str(o, "module_version", "module version", h->module_version);
	ha_out_u64(o, "timestamp_ns", "uptime (s)", h->timestamp_ns, HA_U_NS_S);
	ha_out_u64(o, "nr_cpus_online", "online CPUs", h->nr_cpus, HA_U_NONE);
	ha_out_u64(o, "mem_total_bytes", "memory total", h->mem_total, HA_U_BYTES);
	ha_out_u64(o, "mem_available_bytes", "memory available",
		   h->mem_available, HA_U_BYTES);
	ha_out_u64(o, "mem_free_bytes", "memory free", h->mem_free, HA_U_BYTES);
	for (i = 0; i < HA_CPU_NSTATES; i++) {
		snprintf(k, sizeof(k), "cpu_%s_ns", ha_cpu_state_names[i]);
		ha_out_u64(o, k, cpu_hdr[i], h->cpu[i], HA_U_NS_S);
	}
	if (h->has_class_stats)
		ha_print_class_stats(o, h);
	ha_out_section_end(o);
}

/*
 * Start-up and shut-down of a class: median and p95 of what the module
 * measured since it was loaded (read from its histograms, so each within
 * half a bucket, about 12 %).
 */
void ha_print_life(struct ha_out *o, const struct ha_class_stats *cs)
{
	static const char *const keys[2][3] = {
		{ "startup_count", "startup_p50_s", "startup_p95_s" },
		{ "shutdown_count", "shutdown_p50_s", "shutdown_p95_s" },
	};
	static const char *const hdrs[2][2] = {
		{ "START-UP", "START-P95" },
		{ "SHUT-DOWN", "SHUT-P95" },
	};
	int k;

	for (k = 0; k < 2; k++) {
		const struct ha_hist *hh = k ? &cs->shutdown : &cs->startup;

		if (!cs->has_life) {
			ha_out_none(o, keys[k][0], NULL);
			ha_out_none(o, keys[k][1], hdrs[k][0]);
			ha_out_none(o, keys[k][2], hdrs[k][1]);
			continue;
		}
		ha_out_u64(o, keys[k][0], NULL, hh->count, HA_U_NONE);
		if (hh->count) {
			ha_out_dbl(o, keys[k][1], hdrs[k][0],
				   ha_hist_quantile(hh, 0.5) / 1e9, HA_U_DUR_S);
			ha_out_dbl(o, keys[k][2], hdrs[k][1],
				   ha_hist_quantile(hh, 0.95) / 1e9, HA_U_DUR_S);
		} else {
			ha_out_none(o, keys[k][1], hdrs[k][0]);
			ha_out_none(o, keys[k][2], hdrs[k][1]);
		}
	}
}

/* JSON: a "classes" array inside the host object; tables: a section. */
void ha_print_class_stats(struct ha_out *o, const struct ha_host *h)
{
	uint32_t c;

	ha_out_nest(o, "classes", true);
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		const struct ha_class_stats *cs = &h->cls[c];

		ha_out_nest(o, NULL, false);
		ha_out_str(o, "class", NULL, ha_class_name(c));
		ha_out_u64(o, "cpu_ns", NULL, cs->cpu_ns, HA_U_NONE);
		ha_out_u64(o, "exited_cpu_ns", NULL, cs->exited_ns, HA_U_NONE);
		ha_out_u64(o, "nr_workloads", NULL, cs->nr_workloads, HA_U_NONE);
		ha_out_u64(o, "nr_procs", NULL, cs->nr_procs, HA_U_NONE);
		ha_out_u64(o, "nr_threads", NULL, cs->nr_threads, HA_U_NONE);
		if (c != HOSTACCT_CLASS_KERNEL)
			ha_print_life(o, cs);
		ha_out_nest_end(o);
	}
	ha_out_nest_end(o);
}

static void host_class_table(struct ha_out *o, const struct ha_host *h)
{
	uint32_t c;

	ha_out_section(o, "classes", "CPU time by class since boot (reaped processes included)", true);
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		const struct ha_class_stats *cs = &h->cls[c];

		ha_out_row(o);
		ha_out_str(o, "class", "CLASS", ha_class_name(c));
		ha_out_u64(o, "nr_workloads", "WORKLOADS", cs->nr_workloads, HA_U_NONE);
		ha_out_u64(o, "nr_procs", "PROCS", cs->nr_procs, HA_U_NONE);
		ha_out_u64(o, "nr_threads", "THREADS", cs->nr_threads, HA_U_NONE);
		ha_out_u64(o, "cpu_ns", "CPU(s)", cs->cpu_ns, HA_U_NS_S);
		ha_out_u64(o, "exited_cpu_ns", "EXITED(s)", cs->exited_ns, HA_U_NS_S);
		ha_print_life(o, c == HOSTACCT_CLASS_KERNEL ? &(struct ha_class_stats){ 0 } : cs);
		ha_out_row_end(o);
	}
	ha_out_section_end(o);
}

int cmd_host(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "section", required_argument, NULL, HA_OPT_SECTION },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const sections[] = { "host", "classes", NULL };
	struct ha_host host;
	struct ha_out *o;
	struct ha_nl h;
	int c;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		if (c == HA_OPT_SECTION) {
			ha_opts.section = optarg;
			continue;
		}
		if (c == 'h') {
			host_usage(stdout);
			return 0;
		}
		host_usage(stderr);
		return 2;
	}
	if (optind < argc) {
		ha_err("host: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (ha_section_check("host", sections))
		return 2;

	if (ha_nl_open_or_report(&h))
		return 1;
	if (ha_get_host(&h, &host, false)) {
		ha_nl_close(&h);
		return 1;
	}
	ha_nl_close(&h);

	o = ha_out_new(ha_opts.format, stdout);
	/* JSON: the host object is the document, classes an array in it */
	ha_print_host(o, ha_opts.format == HA_FMT_JSON ? NULL : "host", &host);
	if (ha_opts.format != HA_FMT_JSON && host.has_class_stats)
		host_class_table(o, &host);
	ha_out_finish(o);
	return 0;
}
