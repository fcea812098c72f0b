// SPDX-License-Identifier: GPL-2.0
/*
 * What the module holds and does, in debugfs (hostacct/):
 *   alloc_bytes       bytes allocated now: requests' transient state, the
 *                     ledger entries (one per thread group a query met)
 *                     and the container registry
 *   alloc_peak_bytes  the most ever (writing 0 resets it to now)
 *   counters          exits of thread groups a query saw / none saw,
 *                     ledger inserts that failed, containers a fork
 *                     could not register (GFP_ATOMIC failed), lifecycle
 *                     entries not made, events sent (to at least one
 *                     subscriber) and lost before sending
 *   probes            per probe: calls, and the ns spent in them
 *                     (local_clock() around the probe's work)
 * Static data (per-CPU counters) is in the module's size.
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "hostacct.h"

static atomic64_t hostacct_alloc_now;
static atomic64_t hostacct_alloc_peak;
static DEFINE_PER_CPU(unsigned long[__HOSTACCT_CNT_MAX], hostacct_counts);

struct hostacct_probe_cost {
	u64 calls;
	u64 ns;
};

static DEFINE_PER_CPU(struct hostacct_probe_cost[__HOSTACCT_PROBE_MAX],
		      hostacct_probe_costs);
static struct dentry *hostacct_debugfs;

/* Account @delta bytes allocated (> 0) or freed (< 0). */
void hostacct_mem_charge(s64 delta)
{
	s64 now = atomic64_add_return(delta, &hostacct_alloc_now);
	s64 peak = atomic64_read(&hostacct_alloc_peak);

	while (now > peak) {
		s64 old = atomic64_cmpxchg(&hostacct_alloc_peak, peak, now);

		if (old == peak)
			break;
		peak = old;
	}
}

/* Count one event of @what (HOSTACCT_CNT_*). Context: any. */
void hostacct_count(unsigned int what)
{
	this_cpu_inc(hostacct_counts[what]);
}

/* Count one call of probe @probe that took @ns. Context: any. */
void hostacct_probe_time(unsigned int probe, u64 ns)
{
	/* this_cpu ops: a probe interrupted by another loses nothing */
	this_cpu_inc(hostacct_probe_costs[probe].calls);
	this_cpu_add(hostacct_probe_costs[probe].ns, ns);
}

static int hostacct_alloc_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}

static int hostacct_peak_set(void *data, u64 val)
{
	if (val)
		return -EINVAL;
	atomic64_set(&hostacct_alloc_peak, atomic64_read(&hostacct_alloc_now));
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(hostacct_alloc_fops, hostacct_alloc_get, NULL, "%llu\n");
DEFINE_DEBUGFS_ATTRIBUTE(hostacct_peak_fops, hostacct_alloc_get,
			 hostacct_peak_set, "%llu\n");

static int hostacct_counters_show(struct seq_file *m, void *v)
{
	static const char *const names[__HOSTACCT_CNT_MAX] = {
		[HOSTACCT_CNT_EXIT_SEEN] = "exits_seen",
		[HOSTACCT_CNT_EXIT_UNSEEN] = "exits_unseen",
		[HOSTACCT_CNT_LEDGER_FULL] = "ledger_insert_failed",
		[HOSTACCT_CNT_CTR_ATOMIC_FAIL] = "container_register_failed",
		[HOSTACCT_CNT_LIFE_ATOMIC_FAIL] = "lifecycle_entry_failed",
		[HOSTACCT_CNT_EVENT_SENT] = "events_sent",
		[HOSTACCT_CNT_EVENT_DROPPED] = "events_dropped",
	};
	unsigned int i;
	int cpu;

	for (i = 0; i < __HOSTACCT_CNT_MAX; i++) {
		unsigned long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(hostacct_counts, cpu)[i];
		seq_printf(m, "%s %lu\n", names[i], sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hostacct_counters);

static int hostacct_probes_show(struct seq_file *m, void *v)
{
	static const char *const names[__HOSTACCT_PROBE_MAX] = {
		[HOSTACCT_PROBE_FORK] = "fork",
		[HOSTACCT_PROBE_EXEC] = "exec",
		[HOSTACCT_PROBE_EXIT] = "exit",
		[HOSTACCT_PROBE_FREE] = "free",
		[HOSTACCT_PROBE_SIGNAL] = "signal",
		[HOSTACCT_PROBE_POPULATED] = "populated",
		[HOSTACCT_PROBE_VCPU_FIRST] = "vcpu_first",
	};
	unsigned int i;
	int cpu;

	for (i = 0; i < __HOSTACCT_PROBE_MAX; i++) {
		u64 calls = 0, ns = 0;

		for_each_possible_cpu(cpu) {
			const struct hostacct_probe_cost *c =
				&per_cpu(hostacct_probe_costs, cpu)[i];

			calls += READ_ONCE(c->calls);
			ns += READ_ONCE(c->ns);
		}
		seq_printf(m, "%s calls=%llu ns=%llu\n", names[i], calls, ns);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hostacct_probes);

void __init hostacct_debugfs_init(void)
{
	hostacct_debugfs = debugfs_create_dir("hostacct", NULL);
	debugfs_create_file_unsafe("alloc_bytes", 0400, hostacct_debugfs,
				   &hostacct_alloc_now, &hostacct_alloc_fops);
	debugfs_create_file_unsafe("alloc_peak_bytes", 0600, hostacct_debugfs,
				   &hostacct_alloc_peak, &hostacct_peak_fops);
	debugfs_create_file("counters", 0400, hostacct_debugfs, NULL,
			    &hostacct_counters_fops);
	debugfs_create_file("probes", 0400, hostacct_debugfs, NULL,
			    &hostacct_probes_fops);
}

void hostacct_debugfs_exit(void)
{
	debugfs_remove_recursive(hostacct_debugfs);
}
