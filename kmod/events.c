// SPDX-License-Identifier: GPL-2.0
/*
 * Workload start and stop notifications, one multicast group per class.
 *
 * The probes (lifecycle.c, classify.c) run in atomic context: under a
 * sighand or css_set lock, with interrupts off on the way into a guest.
 * So they only fill in a small record of what happened, and only when
 * the class's group has a listener; records go on one lock-free list in
 * the order they were posted, and an ordered work item turns them into
 * messages in process context, where a cgroup's path can be looked up.
 * A start is posted before the stop of the same workload (the stop
 * happens after the start), and the one list keeps them in that order.
 *
 * Loss is never silent: every event of a class takes the next sequence
 * number of that class, including the ones that could not be sent (no
 * memory for the record, more than HOSTACCT_EVENTS_MAX_PENDING waiting,
 * no memory for the message), so a subscriber counts the gaps. A
 * subscriber that does not read sees ENOBUFS from its socket and the gap
 * after it; the others are not affected (netlink clones the message per
 * socket). Nothing here prints or warns: the counters are in debugfs.
 */

#include <linux/cgroup.h>
#include <linux/llist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "hostacct.h"

/* Records allowed to wait for the worker; more are dropped and counted. */
#define HOSTACCT_EVENTS_MAX_PENDING	16384

/* Group index of each class, in hostacct_nl_mcgrps order; -1: none. */
static const int hostacct_class_group[HOSTACCT_CLASS_MAX + 1] = {
	[0] = -1,
	[HOSTACCT_CLASS_KERNEL] = -1,
	[HOSTACCT_CLASS_NATIVE] = HOSTACCT_MCGRP_IDX_NATIVE,
	[HOSTACCT_CLASS_KVM] = HOSTACCT_MCGRP_IDX_KVM,
	[HOSTACCT_CLASS_CONTAINER] = HOSTACCT_MCGRP_IDX_CONTAINER,
};

static LLIST_HEAD(hostacct_events);
static atomic_t hostacct_events_pending;
static atomic64_t hostacct_events_dropped[HOSTACCT_CLASS_MAX + 1];
static u64 hostacct_events_seq[HOSTACCT_CLASS_MAX + 1];	/* the worker's */
static struct workqueue_struct *hostacct_events_wq;
static bool hostacct_events_on;
static char *hostacct_events_path;	/* the worker's, PATH_MAX */

static void hostacct_events_work_fn(struct work_struct *work);
static DECLARE_WORK(hostacct_events_work, hostacct_events_work_fn);

/**
 * hostacct_events_wanted - whether anyone listens to a class's events
 * @class: enum hostacct_class
 *
 * Context: any.
 */
bool hostacct_events_wanted(u32 class)
{
	int grp = class <= HOSTACCT_CLASS_MAX ? hostacct_class_group[class] : -1;

	return grp >= 0 && READ_ONCE(hostacct_events_on) &&
	       genl_has_listeners(&hostacct_nl_family, &init_net, grp);
}

static void hostacct_events_drop(u32 class)
{
	atomic64_inc(&hostacct_events_dropped[class]);
	hostacct_count(HOSTACCT_CNT_EVENT_DROPPED);
}

/**
 * hostacct_event_new - a record for an event of a class, if wanted
 * @class: enum hostacct_class
 * @path: the cgroup path to send, or NULL to look it up from cgroup_id
 *	when the event is sent
 *
 * Context: any; does not sleep.
 * Return: a zeroed record with @class set, or NULL when nobody listens
 * or the event is lost (counted).
 */
struct hostacct_event *hostacct_event_new(u32 class, const char *path)
{
	size_t len = path ? strlen(path) + 1 : 0;
	struct hostacct_event *ev;

	if (!hostacct_events_wanted(class))
		return NULL;
	if (atomic_inc_return(&hostacct_events_pending) > HOSTACCT_EVENTS_MAX_PENDING) {
		atomic_dec(&hostacct_events_pending);
		hostacct_events_drop(class);
		return NULL;
	}
	ev = kzalloc(sizeof(*ev) + len, GFP_ATOMIC | __GFP_NOWARN);
	if (!ev) {
		atomic_dec(&hostacct_events_pending);
		hostacct_events_drop(class);
		return NULL;
	}
	ev->class = class;
	ev->time_ns = ktime_get_boottime_ns();
	if (len)
		memcpy(ev->path, path, len);
	return ev;
}

/**
 * hostacct_event_post - queue a filled record for sending
 * @ev: from hostacct_event_new(); consumed
 *
 * Context: any; does not sleep.
 */
void hostacct_event_post(struct hostacct_event *ev)
{
	llist_add(&ev->node, &hostacct_events);
	queue_work(hostacct_events_wq, &hostacct_events_work);
}

/* The directory name of @path (a container's name), or NULL. */
static const char *hostacct_path_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

static int hostacct_event_fill(struct sk_buff *skb,
			       const struct hostacct_event *ev,
			       const char *path, u64 seq)
{
	const char *name = ev->comm[0] ? ev->comm : NULL;

	if (!name && path)
		name = hostacct_path_name(path);
	if (nla_put_u32(skb, HOSTACCT_A_WORKLOAD_CLASS, ev->class) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_ID, ev->id,
			      HOSTACCT_A_WORKLOAD_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_EVENT_SEQ, seq,
			      HOSTACCT_A_WORKLOAD_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_EVENT_TIME_NS,
			      ev->time_ns, HOSTACCT_A_WORKLOAD_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_START_TIME_NS,
			      ev->start_ns, HOSTACCT_A_WORKLOAD_PAD) ||
	    (name && nla_put_string(skb, HOSTACCT_A_WORKLOAD_NAME, name)) ||
	    (ev->pid && nla_put_u32(skb, HOSTACCT_A_WORKLOAD_LEADER_PID, ev->pid)) ||
	    (ev->cgroup_id &&
	     nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_CGROUP_ID,
			       ev->cgroup_id, HOSTACCT_A_WORKLOAD_PAD)) ||
	    (path && nla_put_string(skb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, path)) ||
	    (ev->changed &&
	     nla_put_u32(skb, HOSTACCT_A_WORKLOAD_CHANGED_CLASS, ev->changed)) ||
	    ((ev->have & HOSTACCT_EV_CPU) &&
	     nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_CPU_NS, ev->cpu_ns,
			       HOSTACCT_A_WORKLOAD_PAD)) ||
	    ((ev->have & HOSTACCT_EV_STARTUP) &&
	     nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_STARTUP_NS,
			       ev->startup_ns, HOSTACCT_A_WORKLOAD_PAD)) ||
	    ((ev->have & HOSTACCT_EV_SHUTDOWN) &&
	     nla_put_u64_64bit(skb, HOSTACCT_A_WORKLOAD_SHUTDOWN_NS,
			       ev->shutdown_ns, HOSTACCT_A_WORKLOAD_PAD)))
		return -EMSGSIZE;
	return 0;
}

/*
 * The path to send with @ev: its own copy, else the path of its cgroup if
 * that still exists (a process's cgroup outlives it, nearly always).
 * Context: process, may sleep.
 */
static const char *hostacct_event_path(const struct hostacct_event *ev)
{
	struct cgroup *cgrp;
	int len;

	if (ev->path[0])
		return ev->path;
	if (!ev->cgroup_id)
		return NULL;
	cgrp = cgroup_get_from_id(ev->cgroup_id);
	if (IS_ERR_OR_NULL(cgrp))
		return NULL;
	len = hostacct_cgroup_path(cgrp, hostacct_events_path, PATH_MAX);
	cgroup_put(cgrp);
	return len > 0 ? hostacct_events_path : NULL;
}

static void hostacct_event_send(struct hostacct_event *ev)
{
	int grp = hostacct_class_group[ev->class];
	struct sk_buff *skb;
	const char *path;
	size_t len;
	void *hdr;
	u64 seq;

	/* the events lost before this one come first in the numbering */
	hostacct_events_seq[ev->class] +=
		atomic64_xchg(&hostacct_events_dropped[ev->class], 0);
	seq = ++hostacct_events_seq[ev->class];

	path = hostacct_event_path(ev);
	/*
	 * Sized to fit: a subscriber's receive buffer is charged the size
	 * of what it queues, so a small message leaves room for many.
	 */
	len = path ? strlen(path) + 1 : 0;
	skb = genlmsg_new(10 * nla_total_size_64bit(sizeof(u64)) +
			  3 * nla_total_size(sizeof(u32)) +
			  nla_total_size(max_t(size_t, len, TASK_COMM_LEN)) +
			  nla_total_size(len), GFP_KERNEL);
	if (!skb)
		goto lost;
	hdr = genlmsg_put(skb, 0, 0, &hostacct_nl_family, 0, ev->cmd);
	if (!hdr || hostacct_event_fill(skb, ev, path, seq)) {
		nlmsg_free(skb);
		goto lost;
	}
	genlmsg_end(skb, hdr);
	/*
	 * A subscriber whose socket is full is not an error here: netlink
	 * marks the socket (its next read fails with ENOBUFS) and the gap in
	 * the numbers tells it how many it missed.
	 */
	if (!genlmsg_multicast(&hostacct_nl_family, skb, 0, grp, GFP_KERNEL))
		hostacct_count(HOSTACCT_CNT_EVENT_SENT);
	return;
lost:
	hostacct_count(HOSTACCT_CNT_EVENT_DROPPED);
}

static void hostacct_events_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&hostacct_events));
	struct hostacct_event *ev, *next;

	llist_for_each_entry_safe(ev, next, list, node) {
		hostacct_event_send(ev);
		kfree(ev);
		atomic_dec(&hostacct_events_pending);
		cond_resched();
	}
}

int __init hostacct_events_init(void)
{
	hostacct_events_path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!hostacct_events_path)
		return -ENOMEM;
	hostacct_events_wq = alloc_ordered_workqueue("hostacct_events", 0);
	if (!hostacct_events_wq) {
		kfree(hostacct_events_path);
		return -ENOMEM;
	}
	return 0;
}

/* Once the family is registered: records may be made from now on. */
void hostacct_events_start(void)
{
	WRITE_ONCE(hostacct_events_on, true);
}

/*
 * Context: the probes are unregistered (no record is made any more) and
 * the family is still registered: what is queued is sent, then the
 * worker goes.
 */
void hostacct_events_exit(void)
{
	WRITE_ONCE(hostacct_events_on, false);
	destroy_workqueue(hostacct_events_wq);	/* drains it */
	hostacct_events_work_fn(NULL);		/* nothing is left; to be sure */
	kfree(hostacct_events_path);
}
