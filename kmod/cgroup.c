// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup facts: paths and memory cgroup usage.
 */

#include <linux/cgroup.h>
#include <linux/kernfs.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>

#include "hostacct.h"

/**
 * hostacct_cgroup_memory - memory.current of a cgroup
 * @cgrp: cgroup (referenced, or under RCU)
 * @bytes: out: usage in bytes
 *
 * Reads the memory cgroup's page counter, exactly what memory.current
 * shows. The counter exists only where the memory controller is enabled
 * for @cgrp; elsewhere usage is charged to an ancestor and reporting that
 * would mislead.
 *
 * Return: true if @cgrp has its own memory controller state.
 */
bool hostacct_cgroup_memory(struct cgroup *cgrp, u64 *bytes)
{
#ifdef CONFIG_MEMCG
	struct cgroup_subsys_state *css;
	bool ret = false;

	rcu_read_lock();
	css = rcu_dereference(cgrp->subsys[memory_cgrp_id]);
	if (css) {
		struct mem_cgroup *memcg = mem_cgroup_from_css(css);

		*bytes = (u64)page_counter_read(&memcg->memory) << PAGE_SHIFT;
		ret = true;
	}
	rcu_read_unlock();
	return ret;
#else
	return false;
#endif
}

/**
 * hostacct_cgroup_path - path of a cgroup below the cgroup v2 root
 * @cgrp: cgroup (referenced, or under RCU)
 * @buf: buffer
 * @len: its size
 *
 * Does not sleep (kernfs takes a spinlock), unlike cgroup_path_ns().
 * Return: length of the path, or -errno (-E2BIG: truncated).
 */
int hostacct_cgroup_path(struct cgroup *cgrp, char *buf, size_t len)
{
	return kernfs_path(cgrp->kn, buf, len);
}
