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
 * kernfs_path() cuts a path that does not fit without saying so (each
 * component is scnprintf()ed into the rest of the buffer, on 6.1 as on
 * 6.12), so a path that fills the buffer is taken as cut: a caller never
 * sends a path that names a different cgroup.
 *
 * Return: length of the path, or -errno (-E2BIG: longer than @len - 2).
 */
int hostacct_cgroup_path(struct cgroup *cgrp, char *buf, size_t len)
{
	int ret = kernfs_path(cgrp->kn, buf, len);

	if (ret >= 0 && (size_t)ret >= len - 1)
		ret = -E2BIG;
	if (ret < 0)
		buf[0] = '\0';
	return ret;
}

/**
 * hostacct_cgroup_name - a cgroup's own directory name
 * @cgrp: cgroup below the root (referenced, or under RCU)
 * @buf: buffer
 * @len: its size (names are at most NAME_MAX bytes)
 *
 * Its path relative to its parent, without the slash: kernfs_name() is
 * not exported, and kernfs_path_from_node() reads the name under the
 * rename lock.
 */
void hostacct_cgroup_name(struct cgroup *cgrp, char *buf, size_t len)
{
	struct cgroup *parent = cgroup_parent(cgrp);
	int ret = -EINVAL;

	if (parent)
		ret = kernfs_path_from_node(cgrp->kn, parent->kn, buf, len);
	if (ret < 0 || buf[0] != '/')
		buf[0] = '\0';
	else
		memmove(buf, buf + 1, strlen(buf));
}
