// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct show: one row per workload, sorted by CPU time.
 */

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "hostacct.h"

static void show_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct show [--class LIST] [--pid PID] [--cgroup PATH] [--exact-mem] [-j]\n"
		"\n"
		"One row per workload, sorted by cumulative CPU time:\n"
		"  kernel     all kernel threads\n"
		"  native     a process that is not a VMM and not in a container\n"
		"  kvm        a VMM process holding a KVM VM\n"
		"  container  the processes of a container's cgroup subtree\n"
		"\n"
		"  -c, --class LIST    only these classes (comma-separated)\n"
		"  -P, --pid PID       only the workload that contains PID\n"
		"  -g, --cgroup PATH   only workloads in this cgroup subtree\n"
		"                      (path below the cgroup2 mount, e.g. /machine.slice)\n"
		"      --exact-mem     exact RSS counters (sums per-CPU parts; slower)\n"
		"  -j, --json          JSON with every counter (vCPUs included)\n"
		"      --csv           CSV with every counter but the vCPUs\n");
}

static int cmp_cpu_desc(const void *a, const void *b)
{
	const struct ha_workload *x = *(const struct ha_workload *const *)a;
	const struct ha_workload *y = *(const struct ha_workload *const *)b;

	if (x->cpu_ns != y->cpu_ns)
		return x->cpu_ns < y->cpu_ns ? 1 : -1;
	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The workloads by CPU time, as an index: a workload is 1.5 KiB, a
 * pointer 8 bytes, and the sort moves what it sorts. Free the result.
 */
const struct ha_workload **ha_sort_by_cpu(const struct ha_snapshot *s)
{
	const struct ha_workload **idx = malloc((s->n + 1) * sizeof(*idx));
	size_t i;

	if (!idx) {
		ha_err("out of memory");
		exit(1);
	}
	for (i = 0; i < s->n; i++)
		idx[i] = &s->w[i];
	qsort(idx, s->n, sizeof(*idx), cmp_cpu_desc);
	return idx;
}

/*
 * One workload. JSON and CSV carry every counter under the name of its
 * netlink attribute (the YNL spec's, dashes made underscores; a VM's with
 * a kvm_ prefix) and in its unit; the table shows a selection in human
 * units. Key NULL: table only; header NULL: not in the table.
 */
void ha_print_workload(struct ha_out *o, const struct ha_workload *w)
{
	const struct ha_kvm *k = &w->kvm;
	size_t i;

	ha_out_row(o);
	ha_out_str(o, "class", "CLASS", ha_class_name(w->class));
	ha_out_u64(o, "id", "ID", w->id, HA_U_NONE);
	ha_out_u64(o, "nr_procs", "PROCS", w->nr_procs, HA_U_NONE);
	ha_out_u64(o, "nr_threads", "THREADS", w->nr_threads, HA_U_NONE);
	if (w->has_cpu)
		ha_out_u64(o, "cpu_ns", "CPU(s)", w->cpu_ns, HA_U_NS_S);
	else
		ha_out_none(o, "cpu_ns", "CPU(s)");
	ha_out_u64(o, NULL, "RSS", w->rss_anon + w->rss_file + w->rss_shmem,
		   HA_U_BYTES);
	if (w->has_kvm) {
		ha_out_u64(o, "kvm_nr_vcpus", "VCPUS", k->nr_vcpus, HA_U_NONE);
		ha_out_u64(o, "kvm_guest_mem_bytes", "GUEST-RAM", k->guest_mem,
			   HA_U_BYTES);
	} else {
		ha_out_none(o, "kvm_nr_vcpus", "VCPUS");
		ha_out_none(o, "kvm_guest_mem_bytes", "GUEST-RAM");
	}
	if (w->has_mem_cgroup)
		ha_out_u64(o, "mem_cgroup_bytes", "MEM.CUR", w->mem_cgroup,
			   HA_U_BYTES);
	else
		ha_out_none(o, "mem_cgroup_bytes", "MEM.CUR");
	ha_out_str(o, "name", "NAME", w->name);

	ha_out_u64(o, "leader_pid", NULL, w->leader_pid, HA_U_NONE);
	ha_out_u64(o, "cgroup_id", NULL, w->cgroup_id, HA_U_NONE);
	if (w->cgroup_path[0])
		ha_out_str(o, "cgroup_path", NULL, w->cgroup_path);
	else
		ha_out_none(o, "cgroup_path", NULL);
	if (w->container_id)
		ha_out_u64(o, "container_id", NULL, w->container_id, HA_U_NONE);
	else
		ha_out_none(o, "container_id", NULL);
	ha_out_u64(o, "start_time_ns", NULL, w->start_ns, HA_U_NONE);
	if (w->has_cpu) {
		ha_out_u64(o, "cpu_user_ns", NULL, w->user_ns, HA_U_NONE);
		ha_out_u64(o, "cpu_system_ns", NULL, w->system_ns, HA_U_NONE);
		ha_out_u64(o, "cpu_guest_ns", NULL, w->guest_ns, HA_U_NONE);
		ha_out_u64(o, "cpu_workers_ns", NULL, w->workers_ns, HA_U_NONE);
	} else {
		ha_out_none(o, "cpu_user_ns", NULL);
		ha_out_none(o, "cpu_system_ns", NULL);
		ha_out_none(o, "cpu_guest_ns", NULL);
		ha_out_none(o, "cpu_workers_ns", NULL);
	}
	ha_out_u64(o, "mem_rss_anon_bytes", NULL, w->rss_anon, HA_U_NONE);
	ha_out_u64(o, "mem_rss_file_bytes", NULL, w->rss_file, HA_U_NONE);
	ha_out_u64(o, "mem_rss_shmem_bytes", NULL, w->rss_shmem, HA_U_NONE);
	ha_out_u64(o, "mem_swap_bytes", NULL, w->swap, HA_U_NONE);
	ha_out_u64(o, "mem_hugetlb_bytes", NULL, w->hugetlb, HA_U_NONE);
	if (w->has_kvm) {
		ha_out_u64(o, "kvm_nr_vms", NULL, k->nr_vms, HA_U_NONE);
		ha_out_u64(o, "kvm_device_mem_bytes", NULL, k->device_mem, HA_U_NONE);
		ha_out_u64(o, "kvm_guest_resident_bytes", NULL, k->guest_resident,
			   HA_U_NONE);
		ha_out_u64(o, "kvm_vcpu_ns", NULL, k->vcpu_ns, HA_U_NONE);
		ha_out_u64(o, "kvm_guest_ns", NULL, k->guest_ns, HA_U_NONE);
		ha_out_u64(o, "kvm_overhead_ns", NULL, k->overhead_ns, HA_U_NONE);
		ha_out_u64(o, "kvm_halt_poll_ns", NULL, k->halt_poll_ns, HA_U_NONE);
		ha_out_u64(o, "kvm_vcpus_truncated", NULL, k->vcpus_truncated,
			   HA_U_NONE);
		/* JSON only: one object per vCPU */
		ha_out_nest(o, "kvm_vcpus", true);
		for (i = 0; i < k->nr_vcpu_entries; i++) {
			const struct ha_vcpu *v = &k->vcpus[i];

			ha_out_nest(o, NULL, false);
			ha_out_u64(o, "id", NULL, v->id, HA_U_NONE);
			ha_out_u64(o, "tid", NULL, v->tid, HA_U_NONE);
			ha_out_u64(o, "cpu_ns", NULL, v->cpu_ns, HA_U_NONE);
			ha_out_u64(o, "guest_ns", NULL, v->guest_ns, HA_U_NONE);
			ha_out_u64(o, "halt_poll_ns", NULL, v->halt_poll_ns,
				   HA_U_NONE);
			ha_out_nest_end(o);
		}
		ha_out_nest_end(o);
	} else {
		ha_out_none(o, "kvm_nr_vms", NULL);
		ha_out_none(o, "kvm_device_mem_bytes", NULL);
		ha_out_none(o, "kvm_guest_resident_bytes", NULL);
		ha_out_none(o, "kvm_vcpu_ns", NULL);
		ha_out_none(o, "kvm_guest_ns", NULL);
		ha_out_none(o, "kvm_overhead_ns", NULL);
		ha_out_none(o, "kvm_halt_poll_ns", NULL);
		ha_out_none(o, "kvm_vcpus_truncated", NULL);
	}
	ha_out_row_end(o);
}

int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "class", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'P' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "exact-mem", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ha_workload **idx;
	struct ha_snapshot s = { 0 };
	struct ha_filter f = { 0 };
	const char *cgroup = NULL;
	struct ha_out *o;
	struct ha_nl h;
	size_t i;
	int c, ret;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "c:P:g:",
				longopts, NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'c':
			if (ha_class_mask_parse(optarg, &f.class_mask)) {
				ha_err("show: bad class list '%s' (classes: kernel, native, kvm, container)",
				       optarg);
				return 2;
			}
			break;
		case 'P':
			if (ha_parse_u32(optarg, &f.pid) || !f.pid) {
				ha_err("show: bad pid '%s'", optarg);
				return 2;
			}
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 'X':
			f.exact_mem = true;
			break;
		case 'h':
			show_usage(stdout);
			return 0;
		default:
			show_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		ha_err("show: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (cgroup) {
		ret = ha_cgroup_id(ha_cgroup_root(), cgroup, &f.cgroup_id);
		if (ret) {
			ha_err("show: no cgroup '%s' under %s: %s", cgroup,
			       ha_cgroup_root(), strerror(-ret));
			return 1;
		}
	}

	if (ha_nl_open_or_report(&h))
		return 1;
	ret = ha_get_workloads(&h, &f, &s);
	ha_nl_close(&h);
	if (ret) {
		ha_snapshot_free(&s);
		return 1;
	}

	idx = ha_sort_by_cpu(&s);
	o = ha_out_new(ha_opts.format, stdout);
	ha_out_section(o, NULL, NULL, true);
	for (i = 0; i < s.n; i++)
		ha_print_workload(o, idx[i]);
	ha_out_section_end(o);
	ha_out_finish(o);
	/* The vCPU list is printed in JSON only; say where it is partial. */
	for (i = 0; i < s.n; i++) {
		const struct ha_workload *w = idx[i];

		if (ha_opts.format == HA_FMT_JSON && w->has_kvm &&
		    w->kvm.vcpus_truncated)
			ha_err("note: VMM %u: %zu of %u vCPUs listed; the kernel's reply had no room for the others (their totals are in kvm_nr_vcpus and kvm_vcpu_ns)",
			       w->leader_pid, w->kvm.nr_vcpu_entries,
			       w->kvm.nr_vcpus);
	}
	free(idx);
	ha_snapshot_free(&s);
	return 0;
}
