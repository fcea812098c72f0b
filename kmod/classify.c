// SPDX-License-Identifier: GPL-2.0
/*
 * Which cgroups host containers.
 *
 * A container is the top cgroup of a process tree that runs in its own pid
 * namespace. For every process outside the initial pid namespace, its
 * container cgroup is the root of its cgroup namespace when it has one of
 * its own (what docker, podman, containerd and systemd-nspawn set up on
 * cgroup v2), otherwise the cgroup it runs in. The root cgroup is never a
 * container. When container cgroups nest, the outermost one wins, so every
 * task belongs to at most one container and nested cgroups roll up into
 * their container. Every task of a container cgroup's subtree is part of
 * the container, namespaced or not (a runtime shim or a launcher that
 * stayed in the host pid namespace counts too), except VMMs, which are
 * always KVM workloads.
 *
 * The set is collected once at the start of a request, walking all thread
 * groups under RCU in batches; each entry holds a cgroup reference until
 * the request ends. Cgroup names are not consulted: a systemd service or a
 * runtime cgroup whose processes share the host pid namespace is native.
 */

#include <linux/cgroup.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "hostacct.h"

/* More containers than this on one host are counted as native processes. */
#define HOSTACCT_MAX_CTRS	65536U

/* Index of the first entry with id >= @id. */
static unsigned int hostacct_ctrs_pos(const struct hostacct_ctrs *s, u64 id)
{
	unsigned int lo = 0, hi = s->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct hostacct_ctr *hostacct_ctrs_find(struct hostacct_ctrs *s, u64 id)
{
	unsigned int i = hostacct_ctrs_pos(s, id);

	return i < s->nr && s->v[i].id == id ? &s->v[i] : NULL;
}

/**
 * hostacct_ctrs_lookup - the container a cgroup belongs to
 * @s: containers of this request
 * @cgrp: a task's cgroup
 *
 * Context: rcu_read_lock() held (or a reference on @cgrp).
 * Return: the outermost container whose cgroup is @cgrp or one of its
 * ancestors, or NULL.
 */
struct hostacct_ctr *hostacct_ctrs_lookup(struct hostacct_ctrs *s,
					  struct cgroup *cgrp)
{
	struct hostacct_ctr *c;
	int level;

	if (!s->nr)
		return NULL;

	for (level = 1; level <= cgrp->level; level++) {
		c = hostacct_ctrs_find(s, cgroup_id(cgroup_ancestor(cgrp, level)));
		if (c)
			return c;
	}
	return NULL;
}

/**
 * hostacct_container_cgroup - the container cgroup of a namespaced process
 * @p: a process in a non-initial pid namespace
 *
 * Context: rcu_read_lock() held; takes task_lock(@p), which keeps
 * p->nsproxy and its cgroup namespace (pinning its root css_set) alive.
 * Return: the cgroup, or NULL if it is the root cgroup.
 */
struct cgroup *hostacct_container_cgroup(struct task_struct *p)
{
	struct cgroup *cgrp = task_dfl_cgroup(p);
	struct cgroup *root;

	task_lock(p);
	if (p->nsproxy) {
		root = p->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
		if (root->level > 0 && cgroup_is_descendant(cgrp, root))
			cgrp = root;
	}
	task_unlock(p);

	return cgroup_parent(cgrp) ? cgrp : NULL;
}

/*
 * Note @p's container, if it has one. Context: rcu_read_lock() held.
 * Return: 0, or -ENOSPC when a new entry needs a larger array.
 */
static int hostacct_ctrs_note(struct hostacct_ctrs *s, struct task_struct *p)
{
	struct pid_namespace *ns;
	struct hostacct_ctr *c;
	struct cgroup *cgrp;
	unsigned int i;
	u64 id;

	if (p->flags & PF_KTHREAD)
		return 0;
	ns = task_active_pid_ns(p);
	if (!ns || ns == &init_pid_ns)
		return 0;
	cgrp = hostacct_container_cgroup(p);
	if (!cgrp)
		return 0;

	id = cgroup_id(cgrp);
	i = hostacct_ctrs_pos(s, id);
	if (i == s->nr || s->v[i].id != id) {
		if (s->nr == s->cap)
			return s->cap < HOSTACCT_MAX_CTRS ? -ENOSPC : 0;
		if (!cgroup_tryget(cgrp))
			return 0;	/* being removed */
		memmove(&s->v[i + 1], &s->v[i], (s->nr - i) * sizeof(*c));
		c = &s->v[i];
		memset(c, 0, sizeof(*c));
		c->cgrp = cgrp;
		c->id = id;
		hostacct_usage_init(&c->usage);
		s->nr++;
	}
	c = &s->v[i];
	if (READ_ONCE(ns->child_reaper) == p)
		c->init_pid = task_tgid_nr(p);
	return 0;
}

static int hostacct_ctrs_grow(struct hostacct_ctrs *s)
{
	unsigned int cap = s->cap ? min(s->cap * 2, HOSTACCT_MAX_CTRS) : 16;
	struct hostacct_ctr *v;

	v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	hostacct_mem_charge((s64)(cap - s->cap) * sizeof(*v));
	if (s->nr)
		memcpy(v, s->v, s->nr * sizeof(*v));
	kvfree(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

/* Drop containers nested in another container: the outer one owns them. */
static void hostacct_ctrs_prune(struct hostacct_ctrs *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->nr; i++) {
		struct cgroup *cgrp = s->v[i].cgrp;
		int level;

		for (level = 1; level < cgrp->level; level++) {
			if (hostacct_ctrs_find(s, cgroup_id(cgroup_ancestor(cgrp, level)))) {
				s->v[i].nested = true;
				break;
			}
		}
	}
	for (i = 0; i < s->nr; i++) {
		if (s->v[i].nested)
			cgroup_put(s->v[i].cgrp);
		else
			s->v[n++] = s->v[i];
	}
	s->nr = n;
}

/**
 * hostacct_ctrs_collect - find the containers of the host
 * @s: zeroed set to fill; release it with hostacct_ctrs_release()
 *
 * Context: process context, may sleep between batches.
 * Return: 0 or -errno.
 */
int hostacct_ctrs_collect(struct hostacct_ctrs *s)
{
	pid_t cursor = 1;
	unsigned int n;
	int err;

	for (;;) {
		bool more = true, grow = false;

		rcu_read_lock();
		for (n = 0; n < HOSTACCT_WALK_BATCH; n++) {
			struct task_struct *p = hostacct_next_tgid(&cursor);

			if (!p) {
				more = false;
				break;
			}
			if (hostacct_ctrs_note(s, p) == -ENOSPC) {
				grow = true;
				break;
			}
			cursor++;
		}
		rcu_read_unlock();

		if (!more)
			break;
		if (grow) {
			err = hostacct_ctrs_grow(s);
			if (err)
				return err;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}

	/* Nested containers roll up into the outermost one. */
	hostacct_ctrs_prune(s);
	/* Their members keep their class when they exit (exit.c). */
	for (n = 0; n < s->nr; n++)
		hostacct_exit_note_ctr(s->v[n].id);
	return 0;
}

void hostacct_ctrs_release(struct hostacct_ctrs *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		cgroup_put(s->v[i].cgrp);
	kvfree(s->v);
	hostacct_mem_charge(-(s64)s->cap * sizeof(*s->v));
	memset(s, 0, sizeof(*s));
}
