// SPDX-License-Identifier: GPL-2.0
/*
 * hc_dump: the independent libnl-genl-3 client's view of a dump, one JSON
 * object per line, with the attribute names of the YNL spec (dashes made
 * underscores). The CLI test compares it field by field with
 * `hostacct show -j`, so a field the CLI maps wrongly cannot hide.
 *
 *   hc_dump [--exact]
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "client.h"

static void str(const char *key, const char *s)
{
	printf("\"%s\":\"", key);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	printf("\",");
}

int main(int argc, char **argv)
{
	bool exact = argc > 1 && !strcmp(argv[1], "--exact");
	struct hc_wls l = { 0 };
	struct hc h;
	size_t i;
	int k;

	if (hc_open(&h))
		return 1;
	if ((exact ? hc_dump_exact(&h, 0, 0, 0, &l) : hc_dump(&h, 0, 0, 0, &l)))
		return 1;
	for (i = 0; i < l.n; i++) {
		const struct hc_wl *w = &l.v[i];

		printf("{\"class\":%u,\"id\":%llu,", w->class,
		       (unsigned long long)w->id);
		str("name", w->name);
		printf("\"leader_pid\":%u,\"cgroup_id\":%llu,", w->leader_pid,
		       (unsigned long long)w->cgroup_id);
		if (w->cgroup_path[0])
			str("cgroup_path", w->cgroup_path);
		if (w->container_id)
			printf("\"container_id\":%llu,",
			       (unsigned long long)w->container_id);
		printf("\"nr_procs\":%u,\"nr_threads\":%u,\"start_time_ns\":%llu,",
		       w->nr_procs, w->nr_threads, (unsigned long long)w->start_ns);
		if (w->has_cpu)
			printf("\"cpu_ns\":%llu,\"cpu_user_ns\":%llu,\"cpu_system_ns\":%llu,\"cpu_guest_ns\":%llu,",
			       (unsigned long long)w->cpu_ns,
			       (unsigned long long)w->user_ns,
			       (unsigned long long)w->system_ns,
			       (unsigned long long)w->guest_ns);
		if (w->has_mem_cgroup)
			printf("\"mem_cgroup_bytes\":%llu,",
			       (unsigned long long)w->mem_cgroup);
		if (w->has_kvm) {
			printf("\"kvm\":{\"nr_vms\":%u,\"nr_vcpus\":%u,\"guest_mem_bytes\":%llu,\"device_mem_bytes\":%llu,\"guest_resident_bytes\":%llu,\"vcpu_ns\":%llu,\"guest_ns\":%llu,\"overhead_ns\":%llu,\"halt_poll_ns\":%llu,\"vcpus\":[",
			       w->nr_vms, w->nr_vcpus,
			       (unsigned long long)w->guest_mem,
			       (unsigned long long)w->device_mem,
			       (unsigned long long)w->guest_resident,
			       (unsigned long long)w->vcpu_ns,
			       (unsigned long long)w->kvm_guest_ns,
			       (unsigned long long)w->overhead_ns,
			       (unsigned long long)w->halt_poll_ns);
			for (k = 0; k < w->nr_vcpu_entries && k < 64; k++)
				printf("%s{\"id\":%u,\"tid\":%u,\"cpu_ns\":%llu,\"guest_ns\":%llu,\"halt_poll_ns\":%llu}",
				       k ? "," : "", w->vcpus[k].id, w->vcpus[k].tid,
				       (unsigned long long)w->vcpus[k].cpu_ns,
				       (unsigned long long)w->vcpus[k].guest_ns,
				       (unsigned long long)w->vcpus[k].halt_poll_ns);
			printf("]},");
		}
		printf("\"mem_rss_anon_bytes\":%llu,\"mem_rss_file_bytes\":%llu,\"mem_rss_shmem_bytes\":%llu,\"mem_swap_bytes\":%llu,\"mem_hugetlb_bytes\":%llu}\n",
		       (unsigned long long)w->rss_anon,
		       (unsigned long long)w->rss_file,
		       (unsigned long long)w->rss_shmem,
		       (unsigned long long)w->swap,
		       (unsigned long long)w->hugetlb);
	}
	hc_wls_free(&l);
	hc_close(&h);
	return 0;
}
