// SPDX-License-Identifier: GPL-2.0
/*
 * What the module holds: bytes allocated by requests now and at most, in
 * debugfs (hostacct/alloc_bytes, hostacct/alloc_peak_bytes; writing 0 to
 * the peak resets it), so benchmarks can show that memory does not grow
 * with the number of tasks beyond a request's transient state. Static data
 * (the exit tables, per-CPU counters) is in the module's size.
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>

#include "hostacct.h"

static atomic64_t hostacct_alloc_now;
static atomic64_t hostacct_alloc_peak;
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

void __init hostacct_debugfs_init(void)
{
	hostacct_debugfs = debugfs_create_dir("hostacct", NULL);
	debugfs_create_file_unsafe("alloc_bytes", 0400, hostacct_debugfs,
				   &hostacct_alloc_now, &hostacct_alloc_fops);
	debugfs_create_file_unsafe("alloc_peak_bytes", 0600, hostacct_debugfs,
				   &hostacct_alloc_peak, &hostacct_peak_fops);
}

void hostacct_debugfs_exit(void)
{
	debugfs_remove_recursive(hostacct_debugfs);
}
