// SPDX-License-Identifier: GPL-2.0
/*
 * Cumulative CPU time that never goes backwards: per thread group, and
 * per class.
 *
 * Every thread group a query meets gets an entry (struct hostacct_tg),
 * keyed by its signal_struct, that remembers how much of its CPU time has
 * been charged to a class so far. A query charges what was used since
 * (to the class the thread group has now); the free of the thread group
 * (sched_process_free, probes.c) charges the rest, to the class it had
 * last, and drops the entry. So a class total is the sum of deltas, each
 * charged once: it never decreases, whatever exits, changes class (a
 * process that creates a VM, or joins a container) or is reaped late (the
 * free runs an RCU grace period after release; with lazy RCU that can be
 * seconds). A thread group that no query met is charged whole at its
 * free, to the class classify.c gives it then.
 *
 * The entry also keeps the split of the precise runtime into guest,
 * other user and system time, the way cputime_adjust() keeps
 * prev_cputime for /proc/PID/stat: the tick-sampled ratio sets a target,
 * and no share may decrease, so each share is monotonic and they add up
 * to the runtime.
 *
 * Locking: entries live in an rhashtable; lookups and inserts run under
 * RCU (queries, in the walk's read section) and removal in the free
 * probe, which runs a grace period after the thread group left the pid
 * table: no query can still be looking at it then. Entries are freed
 * after a grace period. charged is updated with cmpxchg, the split under
 * the entry's spinlock. Class totals are per-CPU counters.
 *
 * Memory: one entry (struct hostacct_tg, about 100 bytes) per thread group
 * that a query met and that still exists; none for processes that live
 * and die between two queries.
 */

#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "hostacct.h"

enum {
	HOSTACCT_SPLIT_GUEST,
	HOSTACCT_SPLIT_USER,	/* user time that is not guest time */
	HOSTACCT_SPLIT_SYSTEM,
	HOSTACCT_SPLIT_N
};

struct hostacct_tg {
	struct rhash_head node;
	const void *sig;	/* key: compared, never dereferenced */
	u64 start_ns;		/* tells a reused signal_struct apart */
	atomic64_t charged;	/* CPU time charged to a class so far */
	u32 class;		/* the class it was last charged to */
	spinlock_t lock;	/* protects prev */
	u64 prev[HOSTACCT_SPLIT_N];
	struct rcu_head rcu;
};

static const struct rhashtable_params hostacct_tg_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct hostacct_tg, sig),
	.head_offset = offsetof(struct hostacct_tg, node),
	.automatic_shrinking = true,
};

struct hostacct_class_ns {
	u64 charged[HOSTACCT_CLASS_MAX + 1];
	u64 exited[HOSTACCT_CLASS_MAX + 1];
};

static DEFINE_PER_CPU(struct hostacct_class_ns, hostacct_class_ns);
static struct rhashtable hostacct_tgs;
static struct kmem_cache *hostacct_tg_cache;

/* Make @pool hold HOSTACCT_WALK_BATCH entries. Context: may sleep. */
int hostacct_ledger_refill(struct hostacct_ledger_pool *pool)
{
	while (pool->nr < ARRAY_SIZE(pool->v)) {
		struct hostacct_tg *e = kmem_cache_alloc(hostacct_tg_cache,
							 GFP_KERNEL);

		if (!e)
			return -ENOMEM;
		hostacct_mem_charge(sizeof(*e));
		pool->v[pool->nr++] = e;
	}
	return 0;
}

static void hostacct_tg_free(struct hostacct_tg *e)
{
	kmem_cache_free(hostacct_tg_cache, e);
	hostacct_mem_charge(-(s64)sizeof(*e));
}

void hostacct_ledger_drain(struct hostacct_ledger_pool *pool)
{
	while (pool->nr)
		hostacct_tg_free(pool->v[--pool->nr]);
}

static void hostacct_tg_free_rcu(struct rcu_head *head)
{
	hostacct_tg_free(container_of(head, struct hostacct_tg, rcu));
}

/**
 * hostacct_ledger_get - the ledger entry of a thread group, made if new
 * @pool: preallocated entries (a walk batch visits at most as many
 *	thread groups as it holds)
 * @p: thread group leader
 *
 * Context: rcu_read_lock() held; the entry stays valid until it is
 * dropped.
 * Return: the entry, or NULL if it could not be inserted (the thread
 * group is then charged whole when it is freed).
 */
struct hostacct_tg *hostacct_ledger_get(struct hostacct_ledger_pool *pool,
					struct task_struct *p)
{
	const void *sig = p->signal;
	struct hostacct_tg *e, *old;

	e = rhashtable_lookup(&hostacct_tgs, &sig, hostacct_tg_params);
	if (e)
		return e->start_ns == p->start_boottime ? e : NULL;
	if (!pool->nr) {
		hostacct_count(HOSTACCT_CNT_LEDGER_FULL);
		return NULL;
	}

	e = pool->v[--pool->nr];
	e->sig = sig;
	e->start_ns = p->start_boottime;
	atomic64_set(&e->charged, 0);
	e->class = HOSTACCT_CLASS_NATIVE;
	spin_lock_init(&e->lock);
	memset(e->prev, 0, sizeof(e->prev));

	old = rhashtable_lookup_get_insert_fast(&hostacct_tgs, &e->node,
						hostacct_tg_params);
	if (!old)
		return e;
	pool->v[pool->nr++] = e;
	if (IS_ERR(old)) {
		hostacct_count(HOSTACCT_CNT_LEDGER_FULL);
		return NULL;
	}
	/* Another request inserted it first. */
	return old->start_ns == p->start_boottime ? old : NULL;
}

/* Charge @e up to @cpu ns to @class. Return what was charged now. */
static u64 hostacct_charge(struct hostacct_tg *e, u64 cpu, u32 class)
{
	s64 old = atomic64_read(&e->charged);

	do {
		if (cpu <= (u64)old)
			return 0;
	} while (!atomic64_try_cmpxchg(&e->charged, &old, cpu));

	this_cpu_add(hostacct_class_ns.charged[class], cpu - old);
	return cpu - old;
}

/**
 * hostacct_ledger_charge - charge what a thread group used since last time
 * @e: its entry
 * @u: its usage now (one thread group)
 * @class: the class it belongs to now
 *
 * Context: rcu_read_lock() held.
 */
void hostacct_ledger_charge(struct hostacct_tg *e,
			    const struct hostacct_usage *u, u32 class)
{
	/*
	 * The class it has now, also when nothing is charged (a child that
	 * has not run yet): what it uses until its free goes there.
	 */
	WRITE_ONCE(e->class, class);
	hostacct_charge(e, u->cpu_ns, class);
}

/*
 * Split @rt into shares by the sampled ratio @raw, without any share
 * going below @prev (cputime_adjust() for more than two shares): what
 * @rt adds over the previous split goes to the shares that are below
 * their target, in proportion to how far below they are. With two shares
 * this is exactly cputime_adjust().
 */
static void hostacct_adjust(u64 rt, const u64 raw[HOSTACCT_SPLIT_N],
			    u64 prev[HOSTACCT_SPLIT_N])
{
	u64 target[HOSTACCT_SPLIT_N], below[HOSTACCT_SPLIT_N];
	u64 total = 0, sum = 0, gap = 0, add, given = 0;
	int i;

	for (i = 0; i < HOSTACCT_SPLIT_N; i++) {
		total += raw[i];
		sum += prev[i];
	}
	if (rt <= sum)
		return;

	/* No samples yet: all of it is user time, as cputime_adjust() does. */
	if (!total) {
		prev[HOSTACCT_SPLIT_USER] += rt - sum;
		return;
	}
	target[HOSTACCT_SPLIT_GUEST] = mul_u64_u64_div_u64(raw[HOSTACCT_SPLIT_GUEST],
							   rt, total);
	target[HOSTACCT_SPLIT_SYSTEM] = mul_u64_u64_div_u64(raw[HOSTACCT_SPLIT_SYSTEM],
							    rt, total);
	target[HOSTACCT_SPLIT_SYSTEM] = min(target[HOSTACCT_SPLIT_SYSTEM],
					    rt - min(target[HOSTACCT_SPLIT_GUEST], rt));
	target[HOSTACCT_SPLIT_USER] = rt - min(target[HOSTACCT_SPLIT_GUEST], rt) -
				      target[HOSTACCT_SPLIT_SYSTEM];

	for (i = 0; i < HOSTACCT_SPLIT_N; i++) {
		below[i] = target[i] > prev[i] ? target[i] - prev[i] : 0;
		gap += below[i];
	}
	/* gap > 0: the targets add up to rt, the previous shares to less. */
	add = rt - sum;
	for (i = 0; i < HOSTACCT_SPLIT_N; i++) {
		u64 d = mul_u64_u64_div_u64(add, below[i], gap);

		prev[i] += d;
		given += d;
	}
	/* Rounding: the rest goes to a share that was below its target. */
	for (i = 0; i < HOSTACCT_SPLIT_N; i++) {
		if (below[i]) {
			prev[i] += add - given;
			break;
		}
	}
}

/**
 * hostacct_ledger_split - a thread group's user, system and guest time
 * @e: its entry, or NULL (then the split is of this reading only)
 * @u: its usage now
 * @s: out: the shares of @u->cpu_ns
 *
 * Context: rcu_read_lock() held.
 */
void hostacct_ledger_split(struct hostacct_tg *e,
			   const struct hostacct_usage *u,
			   struct hostacct_cpu_split *s)
{
	u64 raw[HOSTACCT_SPLIT_N], prev[HOSTACCT_SPLIT_N] = {};

	raw[HOSTACCT_SPLIT_GUEST] = u->gtime_ns;
	raw[HOSTACCT_SPLIT_USER] = u->utime_ns > u->gtime_ns ?
				   u->utime_ns - u->gtime_ns : 0;
	raw[HOSTACCT_SPLIT_SYSTEM] = u->stime_ns;

	if (e) {
		spin_lock(&e->lock);
		hostacct_adjust(u->cpu_ns, raw, e->prev);
		memcpy(prev, e->prev, sizeof(prev));
		spin_unlock(&e->lock);
	} else {
		hostacct_adjust(u->cpu_ns, raw, prev);
	}
	s->guest = prev[HOSTACCT_SPLIT_GUEST];
	s->user = prev[HOSTACCT_SPLIT_GUEST] + prev[HOSTACCT_SPLIT_USER];
	s->system = prev[HOSTACCT_SPLIT_SYSTEM];
}

/*
 * The final CPU time of a freed thread group. The group leader is freed
 * after every other thread of the group was released, so signal_struct
 * holds their totals - as of each release. A parent can reap a zombie
 * that is still switching out for the last time; that last bit of
 * runtime reaches the task but not signal_struct (nor wait4()'s rusage),
 * while cgroup accounting counts it. By the free, an RCU grace period
 * later, the leader's own runtime is final: when it exceeds the group's
 * total, the leader ran alone, and its runtime is the total. This never
 * counts more than the leader's missed tail.
 */
static u64 hostacct_final_cpu(struct task_struct *p)
{
	return max(READ_ONCE(p->signal->sum_sched_runtime),
		   READ_ONCE(p->se.sum_exec_runtime));
}

/**
 * hostacct_ledger_exit - charge a reaped thread group's last CPU time
 * @p: the task being freed (sched_process_free)
 *
 * Context: an RCU callback (softirq or rcuo kthread).
 */
void hostacct_ledger_exit(struct task_struct *p)
{
	const void *sig = p->signal;
	struct hostacct_tg *e;
	u64 ns, final;
	u32 class;

	if (!thread_group_leader(p))
		return;

	final = hostacct_final_cpu(p);
	rcu_read_lock();
	e = rhashtable_lookup(&hostacct_tgs, &sig, hostacct_tg_params);
	if (e && e->start_ns == p->start_boottime) {
		class = READ_ONCE(e->class);
		ns = hostacct_charge(e, final, class);
		hostacct_count(HOSTACCT_CNT_EXIT_SEEN);
	} else {
		class = hostacct_classify_exited(p);
		this_cpu_add(hostacct_class_ns.charged[class], final);
		ns = final;
		hostacct_count(HOSTACCT_CNT_EXIT_UNSEEN);
	}
	this_cpu_add(hostacct_class_ns.exited[class], ns);
	if (e && !rhashtable_remove_fast(&hostacct_tgs, &e->node,
					 hostacct_tg_params))
		call_rcu(&e->rcu, hostacct_tg_free_rcu);
	rcu_read_unlock();
}

static u64 hostacct_class_sum(u32 class, bool exited)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct hostacct_class_ns *c = per_cpu_ptr(&hostacct_class_ns, cpu);

		sum += exited ? READ_ONCE(c->exited[class]) :
				READ_ONCE(c->charged[class]);
	}
	return sum;
}

/* CPU time charged to @class since the module was loaded. */
u64 hostacct_ledger_class_cpu(u32 class)
{
	return hostacct_class_sum(class, false);
}

/* The part of it charged when thread groups were freed. */
u64 hostacct_ledger_class_exited(u32 class)
{
	return hostacct_class_sum(class, true);
}

int __init hostacct_ledger_init(void)
{
	int err;

	hostacct_tg_cache = KMEM_CACHE(hostacct_tg, 0);
	if (!hostacct_tg_cache)
		return -ENOMEM;
	err = rhashtable_init(&hostacct_tgs, &hostacct_tg_params);
	if (err)
		kmem_cache_destroy(hostacct_tg_cache);
	return err;
}

static void hostacct_tg_destroy(void *ptr, void *arg)
{
	hostacct_tg_free(ptr);
}

/*
 * Context: the probes are unregistered and no request runs; called last
 * on unload, after hostacct_classify_exit().
 */
void hostacct_ledger_destroy(void)
{
	rhashtable_free_and_destroy(&hostacct_tgs, hostacct_tg_destroy, NULL);
	/*
	 * Entries dropped by the free probe and by the container sweep wait
	 * for a grace period; their callbacks are module code and use the
	 * cache: wait for all of them, once.
	 */
	rcu_barrier();
	kmem_cache_destroy(hostacct_tg_cache);
}
