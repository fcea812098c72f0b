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
 * after a grace period. charged is updated with cmpxchg, the split, the
 * helpers and the workers' times under the entry's spinlock, taken with
 * bottom halves off: the free probe takes it too, from an RCU callback.
 * Class totals are per-CPU counters.
 *
 * Kernel workers: a kernel thread that works in a process's address
 * space (6.1's vhost-PID workers, kthread_use_mm() on the VMM's mm) works
 * for that process. The first query that meets it with an mm makes it a
 * helper of the mm's owner: a struct hostacct_helper pins the kernel
 * thread and sits on the owner's entry. From then on its CPU time is
 * charged to the owner's class and added to the owner's workload, read
 * live when the owner is visited; when it is freed, what it used is kept
 * in the owner's entry (helpers_done), so the owner's total never drops.
 * A kernel thread that KVM runs for a VM without the VMM's mm (6.1's NX
 * recovery thread) is adopted the same way when the VMM is visited
 * (kvm.c).
 * Worker threads of the thread group itself (io_uring workers; vhost and
 * KVM's recovery thread since 6.4, PF_USER_WORKER) are counted in the
 * same total, so a VM's worker time reads the same on both kernels.
 * Each helper record is on its owner's list (under the owner's lock)
 * until either one is freed; the kernel thread's entry keeps a pointer
 * to it until the kernel thread is freed.
 *
 * Memory: one entry (struct hostacct_tg, 136 bytes) per thread group
 * that a query met and that still exists; none for processes that live
 * and die between two queries; one helper record (56 bytes) per kernel
 * thread working for a process.
 */

#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "compat.h"
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
	spinlock_t lock;	/* protects prev, helpers, the workers' times, dead */
	u64 prev[HOSTACCT_SPLIT_N];
	struct list_head helpers;	/* kernel threads working for it */
	u64 helpers_done;	/* CPU time of its freed helpers */
	u64 threads_done;	/* ... of its freed worker threads */
	u64 threads_seen;	/* the most its worker threads were seen using */
	bool dead;		/* freed: no helper joins it any more */
	struct hostacct_helper *helper;	/* set once, when it is a helper */
	struct rcu_head rcu;
};

/**
 * struct hostacct_helper - a kernel thread working for a thread group
 * @task: the kernel thread, pinned
 * @tg: its ledger entry (valid while on @owner's list)
 * @owner: the entry of the thread group it works for; NULL once that
 *	one is freed. Written under the owner's lock, read under RCU.
 * @node: in @owner's helpers
 * @owner_tgid: its leader's pid (in the initial pid namespace)
 * @base: the CPU time it had been charged before it became a helper
 */
struct hostacct_helper {
	struct task_struct *task;
	struct hostacct_tg *tg;
	struct hostacct_tg *owner;
	pid_t owner_tgid;
	struct list_head node;
	u64 base;
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
static int hostacct_ledger_fill(struct hostacct_ledger_pool *pool)
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

static void hostacct_ledger_find_helpers(struct hostacct_ledger_pool *pool);

/*
 * Make @pool hold HOSTACCT_WALK_BATCH entries before a batch of a walk;
 * before its first batch, find the kernel-thread helpers first.
 * Context: may sleep.
 */
int hostacct_ledger_refill(struct hostacct_ledger_pool *pool)
{
	int err = hostacct_ledger_fill(pool);

	if (!err && !pool->helpers_found) {
		hostacct_ledger_find_helpers(pool);
		pool->helpers_found = true;
		err = hostacct_ledger_fill(pool);
	}
	return err;
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
	INIT_LIST_HEAD(&e->helpers);
	e->helpers_done = 0;
	e->threads_done = 0;
	e->threads_seen = 0;
	e->dead = false;
	e->helper = NULL;

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
 * The thread group whose address space kernel thread @k works in, or
 * NULL. Context: RCU; takes task_lock(@k).
 */
struct task_struct *hostacct_ledger_served(struct task_struct *k)
{
	struct task_struct *owner = NULL;

	task_lock(k);
#ifdef CONFIG_MEMCG
	if (k->mm)
		owner = rcu_dereference(k->mm->owner);
#endif
	task_unlock(k);
	if (!owner || (owner->flags & PF_KTHREAD))
		return NULL;
	return owner->group_leader;
}

/* Make kernel thread @k (entry @ek) a helper of @eo's thread group @owner. */
static void hostacct_helper_link(struct hostacct_tg *eo,
				 struct task_struct *owner,
				 struct hostacct_tg *ek, struct task_struct *k)
{
	struct hostacct_helper *h;

	h = kmalloc(sizeof(*h), GFP_ATOMIC | __GFP_NOWARN);
	if (!h) {
		hostacct_count(HOSTACCT_CNT_LEDGER_FULL);
		return;
	}
	get_task_struct(k);
	h->task = k;
	h->tg = ek;
	h->owner_tgid = task_tgid_nr(owner);
	h->base = atomic64_read(&ek->charged);
	spin_lock_bh(&eo->lock);
	/* Another request may have made it a helper first. */
	if (eo->dead || cmpxchg(&ek->helper, NULL, h)) {
		spin_unlock_bh(&eo->lock);
		put_task_struct(k);
		kfree(h);
		return;
	}
	h->owner = eo;
	list_add(&h->node, &eo->helpers);
	spin_unlock_bh(&eo->lock);
	hostacct_mem_charge(sizeof(*h));
}

/*
 * Make kernel thread @k (entry @ek) a helper of the thread group whose
 * address space it works in, if it works in one. Context: RCU.
 */
static void hostacct_helper_join(struct hostacct_ledger_pool *pool,
				 struct hostacct_tg *ek, struct task_struct *k)
{
	struct task_struct *owner = hostacct_ledger_served(k);
	struct hostacct_tg *eo;

	if (!owner)
		return;
	eo = hostacct_ledger_get(pool, owner);
	if (eo)
		hostacct_helper_link(eo, owner, ek, k);
}

/**
 * hostacct_ledger_adopt - make a kernel thread work for a thread group
 * @pool: preallocated entries
 * @eo: the thread group's entry, or NULL
 * @owner: its leader
 * @k: a kernel thread that works for it without using its address space
 *	(6.1's KVM NX recovery thread, kvm.c)
 *
 * Context: rcu_read_lock() held, no task_lock().
 */
void hostacct_ledger_adopt(struct hostacct_ledger_pool *pool,
			   struct hostacct_tg *eo, struct task_struct *owner,
			   struct task_struct *k)
{
	struct hostacct_tg *ek;

	if (!eo)
		return;
	ek = hostacct_ledger_get(pool, k);
	if (ek && !READ_ONCE(ek->helper))
		hostacct_helper_link(eo, owner, ek, k);
}

/**
 * hostacct_ledger_owner - the thread group a kernel thread works for
 * @k: a kernel thread
 *
 * Context: rcu_read_lock() held.
 * Return: its leader, or NULL.
 */
struct task_struct *hostacct_ledger_owner(struct task_struct *k)
{
	struct task_struct *owner = hostacct_ledger_served(k);
	const void *sig = k->signal;
	struct hostacct_helper *h;
	struct hostacct_tg *e, *eo;

	if (owner)
		return owner;
	e = rhashtable_lookup(&hostacct_tgs, &sig, hostacct_tg_params);
	h = e ? READ_ONCE(e->helper) : NULL;
	eo = h ? READ_ONCE(h->owner) : NULL;
	if (!eo)
		return NULL;
	owner = pid_task(find_pid_ns(h->owner_tgid, &init_pid_ns), PIDTYPE_TGID);
	/* the entry outlives its pid by a grace period: the same process? */
	return owner && owner->start_boottime == eo->start_ns ? owner : NULL;
}

/*
 * hostacct_ledger_find_helpers - make kernel threads helpers before a walk
 * @pool: preallocated entries
 *
 * A kernel thread has a higher pid than the process it works for, so a
 * walk meets the owner first: without this, a query would count a new
 * helper from the next query on, and a query of one workload never. Only
 * where workers are kernel threads (6.1: vhost); elsewhere the walk
 * finds the rare kernel thread that borrows an mm. O(processes), a flag
 * test each.
 *
 * Context: process context; takes rcu_read_lock().
 */
static void hostacct_ledger_find_helpers(struct hostacct_ledger_pool *pool)
{
#ifdef HOSTACCT_KTHREAD_WORKERS
	struct task_struct *k;
	struct hostacct_tg *e;

	rcu_read_lock();
	for_each_process(k) {
		if (!(k->flags & PF_KTHREAD) || !READ_ONCE(k->mm))
			continue;
		e = hostacct_ledger_get(pool, k);
		if (e && !READ_ONCE(e->helper))
			hostacct_helper_join(pool, e, k);
	}
	rcu_read_unlock();
#endif
}

/**
 * hostacct_ledger_helper - whether a kernel thread works for a workload
 * @pool: preallocated entries
 * @ek: the kernel thread's entry, or NULL
 * @k: the kernel thread
 * @owner_class: out: the class of the thread group it works for
 *
 * Charges it to the class of the thread group it works for when it does;
 * its time reaches that workload through hostacct_ledger_workers(), and
 * it counts as one of that workload's threads.
 *
 * Context: rcu_read_lock() held.
 * Return: true if it is a helper (it is then no part of the kernel class).
 */
bool hostacct_ledger_helper(struct hostacct_ledger_pool *pool,
			    struct hostacct_tg *ek, struct task_struct *k,
			    u32 *owner_class)
{
	struct hostacct_helper *h;
	struct hostacct_tg *owner;
	u32 class;

	if (!ek)
		return false;
	h = READ_ONCE(ek->helper);
	if (!h) {
		hostacct_helper_join(pool, ek, k);
		h = READ_ONCE(ek->helper);
		if (!h)
			return false;
	}
	owner = READ_ONCE(h->owner);
	if (!owner)
		return false;
	class = READ_ONCE(owner->class);
	*owner_class = class;
	WRITE_ONCE(ek->class, class);
	hostacct_charge(ek, READ_ONCE(k->se.sum_exec_runtime), class);
	return true;
}

/**
 * hostacct_ledger_workers - CPU time of the kernel workers of a thread group
 * @e: its entry, or NULL
 * @threads: the runtime of its live worker threads (PF_USER_WORKER,
 *	PF_IO_WORKER), hostacct_usage_add_cpu()'s workers_ns
 * @helpers: out: the part its kernel-thread helpers used, which is not in
 *	the thread group's own runtime
 * @nr_helpers: out: its live kernel-thread helpers
 *
 * Its worker threads and its kernel-thread helpers, those freed included.
 * Charges the helpers to @e's class as of now. A worker thread that
 * exited is in neither list nor total between its release and its free;
 * the most the worker threads were seen using is what counts meanwhile,
 * so the total never drops. A thread group that never had a worker takes
 * no lock: each of the fields read first only grows from 0 once it has.
 *
 * Context: rcu_read_lock() held.
 * Return: nanoseconds, @helpers included.
 */
u64 hostacct_ledger_workers(struct hostacct_tg *e, u64 threads,
			    u64 *helpers, unsigned int *nr_helpers)
{
	struct hostacct_helper *h;

	*helpers = 0;
	*nr_helpers = 0;
	if (!e || (!threads && !READ_ONCE(e->threads_seen) &&
		   !READ_ONCE(e->threads_done) && !READ_ONCE(e->helpers_done) &&
		   list_empty_careful(&e->helpers)))
		return threads;

	spin_lock_bh(&e->lock);
	threads += e->threads_done;
	e->threads_seen = max(e->threads_seen, threads);
	threads = e->threads_seen;
	*helpers = e->helpers_done;
	list_for_each_entry(h, &e->helpers, node) {
		u64 rt = READ_ONCE(h->task->se.sum_exec_runtime);

		WRITE_ONCE(h->tg->class, e->class);
		hostacct_charge(h->tg, rt, e->class);
		*helpers += rt > h->base ? rt - h->base : 0;
		(*nr_helpers)++;
	}
	spin_unlock_bh(&e->lock);
	return threads + *helpers;
}

/* A worker thread of a live thread group is freed: keep its time. */
static void hostacct_worker_exit(struct task_struct *t)
{
	const void *sig = t->signal;
	struct hostacct_tg *e;

	/*
	 * t holds a reference on its signal_struct until after this probe,
	 * so an entry with this key is its thread group's.
	 */
	rcu_read_lock();
	e = rhashtable_lookup(&hostacct_tgs, &sig, hostacct_tg_params);
	if (e) {
		spin_lock_bh(&e->lock);
		e->threads_done += READ_ONCE(t->se.sum_exec_runtime);
		spin_unlock_bh(&e->lock);
	}
	rcu_read_unlock();
}

static void hostacct_helper_free(struct hostacct_helper *h)
{
	put_task_struct(h->task);
	kfree(h);
	hostacct_mem_charge(-(s64)sizeof(*h));
}

/*
 * Helper @h's kernel thread is freed, having used @final in all: what it
 * used as a helper stays with its owner. Context: RCU.
 */
static void hostacct_helper_exit(struct hostacct_helper *h, u64 final)
{
	struct hostacct_tg *owner = READ_ONCE(h->owner);

	if (owner) {
		spin_lock_bh(&owner->lock);
		if (h->owner) {
			owner->helpers_done += final > h->base ? final - h->base : 0;
			list_del(&h->node);
		}
		spin_unlock_bh(&owner->lock);
	}
	hostacct_helper_free(h);
}

/* @e's thread group is freed: its helpers work for nobody now. */
static void hostacct_helpers_orphan(struct hostacct_tg *e)
{
	struct hostacct_helper *h, *tmp;

	spin_lock_bh(&e->lock);
	e->dead = true;
	list_for_each_entry_safe(h, tmp, &e->helpers, node) {
		list_del(&h->node);
		WRITE_ONCE(h->owner, NULL);
	}
	spin_unlock_bh(&e->lock);
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
		spin_lock_bh(&e->lock);
		hostacct_adjust(u->cpu_ns, raw, e->prev);
		memcpy(prev, e->prev, sizeof(prev));
		spin_unlock_bh(&e->lock);
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

	if (!thread_group_leader(p)) {
		if (p->flags & HOSTACCT_PF_WORKER)
			hostacct_worker_exit(p);
		return;
	}

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
	if (e && e->start_ns == p->start_boottime) {
		hostacct_helpers_orphan(e);
		if (e->helper)
			hostacct_helper_exit(e->helper, final);
	}
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
	struct hostacct_tg *e = ptr;

	/* Owners' lists are not walked any more: only the records go. */
	if (e->helper)
		hostacct_helper_free(e->helper);
	hostacct_tg_free(e);
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
