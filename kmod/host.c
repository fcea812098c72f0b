// SPDX-License-Identifier: GPL-2.0
/*
 * HOSTACCT_CMD_HOST_GET: facts about the whole host and the CPU time of
 * each workload class.
 *
 * CPU states are read from the sources /proc/stat reads (kernel_cpustat,
 * the NO_HZ idle and iowait clocks), per CPU, and accumulated by the
 * module so that they never decrease: each CPU's value of each state adds
 * only what its source gained since the previous HOST_GET (a source that
 * went down - iowait time that became idle time at the end of a sleep -
 * adds nothing until it is above its old value again). Idle and iowait
 * always come from the NO_HZ clocks, which keep their value while a CPU
 * is offline; /proc/stat falls back to the tick counts for offline CPUs,
 * and so its idle goes down when a CPU goes offline. The first HOST_GET
 * after the module is loaded starts each state at the value /proc/stat
 * shows.
 *
 * The class totals come from a walk over every thread group (the same
 * classification as WORKLOAD_GET; ledger.c charges what each used since
 * the last query). The CPU states and the timestamp are sampled before and
 * after the walk and reported for its middle, so that over an interval the
 * classes and the states cover the same span of time however long the
 * walks take; HOSTACCT_A_HOST_SAMPLE_NS says how long that span was.
 */

#include <linux/cpumask.h>
#include <linux/kernel_stat.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tick.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "hostacct.h"

enum {
	HOSTACCT_CPU_USER,
	HOSTACCT_CPU_NICE,
	HOSTACCT_CPU_SYSTEM,
	HOSTACCT_CPU_IDLE,
	HOSTACCT_CPU_IOWAIT,
	HOSTACCT_CPU_IRQ,
	HOSTACCT_CPU_SOFTIRQ,
	HOSTACCT_CPU_STEAL,
	HOSTACCT_CPU_GUEST,
	HOSTACCT_CPU_GUEST_NICE,
	HOSTACCT_CPU_NSTATES
};

/* The attribute of each state, in the order above. */
static const int hostacct_cpu_attr[HOSTACCT_CPU_NSTATES] = {
	HOSTACCT_A_HOST_CPU_USER_NS,
	HOSTACCT_A_HOST_CPU_NICE_NS,
	HOSTACCT_A_HOST_CPU_SYSTEM_NS,
	HOSTACCT_A_HOST_CPU_IDLE_NS,
	HOSTACCT_A_HOST_CPU_IOWAIT_NS,
	HOSTACCT_A_HOST_CPU_IRQ_NS,
	HOSTACCT_A_HOST_CPU_SOFTIRQ_NS,
	HOSTACCT_A_HOST_CPU_STEAL_NS,
	HOSTACCT_A_HOST_CPU_GUEST_NS,
	HOSTACCT_A_HOST_CPU_GUEST_NICE_NS,
};

/* kernel_cpustat index of each state but idle and iowait */
static const int hostacct_cpustat_idx[HOSTACCT_CPU_NSTATES] = {
	[HOSTACCT_CPU_USER] = CPUTIME_USER,
	[HOSTACCT_CPU_NICE] = CPUTIME_NICE,
	[HOSTACCT_CPU_SYSTEM] = CPUTIME_SYSTEM,
	[HOSTACCT_CPU_IDLE] = CPUTIME_IDLE,
	[HOSTACCT_CPU_IOWAIT] = CPUTIME_IOWAIT,
	[HOSTACCT_CPU_IRQ] = CPUTIME_IRQ,
	[HOSTACCT_CPU_SOFTIRQ] = CPUTIME_SOFTIRQ,
	[HOSTACCT_CPU_STEAL] = CPUTIME_STEAL,
	[HOSTACCT_CPU_GUEST] = CPUTIME_GUEST,
	[HOSTACCT_CPU_GUEST_NICE] = CPUTIME_GUEST_NICE,
};

/**
 * struct hostacct_cpu_acc - one CPU's monotonic view of its CPU states
 * @high: the highest value each state's source has shown
 * @acc: what the module reports for the state
 */
struct hostacct_cpu_acc {
	u64 high[HOSTACCT_CPU_NSTATES];
	u64 acc[HOSTACCT_CPU_NSTATES];
};

/* Serializes HOST_GET: the accumulators and the sample order. */
static DEFINE_MUTEX(hostacct_host_lock);
static struct hostacct_cpu_acc __percpu *hostacct_cpu_acc;
static bool hostacct_cpu_primed;

/* The NO_HZ clock of idle or iowait, or the tick count without NO_HZ. */
static u64 hostacct_sleep_ns(const struct kernel_cpustat *kcs, int cpu,
			     int state)
{
	u64 us = state == HOSTACCT_CPU_IDLE ? get_cpu_idle_time_us(cpu, NULL) :
					      get_cpu_iowait_time_us(cpu, NULL);

	if (us == -1ULL)
		return kcs->cpustat[hostacct_cpustat_idx[state]];
	return us * NSEC_PER_USEC;
}

/*
 * Bring every CPU's accumulators up to date and sum them into @sum.
 * Context: hostacct_host_lock held.
 */
static void hostacct_cpu_sample(u64 sum[HOSTACCT_CPU_NSTATES])
{
	struct kernel_cpustat kcs;
	int cpu, i;

	memset(sum, 0, HOSTACCT_CPU_NSTATES * sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct hostacct_cpu_acc *a = per_cpu_ptr(hostacct_cpu_acc, cpu);

		kcpustat_cpu_fetch(&kcs, cpu);
		for (i = 0; i < HOSTACCT_CPU_NSTATES; i++) {
			u64 v = kcs.cpustat[hostacct_cpustat_idx[i]];

			if (i == HOSTACCT_CPU_IDLE || i == HOSTACCT_CPU_IOWAIT)
				v = hostacct_sleep_ns(&kcs, cpu, i);
			if (!hostacct_cpu_primed) {
				a->acc[i] = v;
				a->high[i] = v;
			} else if (v > a->high[i]) {
				a->acc[i] += v - a->high[i];
				a->high[i] = v;
			}
			sum[i] += a->acc[i];
		}
	}
	hostacct_cpu_primed = true;
}

static int hostacct_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, HOSTACCT_A_HOST_PAD);
}

/**
 * struct hostacct_host_req - one HOST_GET
 * @walk: the walk over thread groups
 * @cl: classification state
 * @pool: ledger entries for the walk
 * @ctr_ids: containers met (sorted), to count them once each
 * @nr_ctrs: entries in @ctr_ids
 * @cap_ctrs: room in @ctr_ids
 * @cls: per class: workloads, processes, threads met
 */
struct hostacct_host_req {
	struct hostacct_walk walk;
	struct hostacct_classifier cl;
	struct hostacct_ledger_pool pool;
	u64 *ctr_ids;
	unsigned int nr_ctrs;
	unsigned int cap_ctrs;
	struct {
		u32 nr_workloads;
		u32 nr_procs;
		u32 nr_threads;
	} cls[HOSTACCT_CLASS_MAX + 1];
};

/* Room for every container a batch can add. */
static int hostacct_host_batch(struct hostacct_walk *w)
{
	struct hostacct_host_req *r = container_of(w, struct hostacct_host_req, walk);
	unsigned int cap;
	u64 *v;
	int err;

	err = hostacct_classifier_refill(&r->cl);
	if (!err)
		err = hostacct_ledger_refill(&r->pool);
	if (err || r->nr_ctrs + HOSTACCT_WALK_BATCH <= r->cap_ctrs)
		return err;

	cap = max(2 * r->cap_ctrs, r->nr_ctrs + HOSTACCT_WALK_BATCH);
	v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	hostacct_mem_charge((s64)(cap - r->cap_ctrs) * sizeof(*v));
	if (r->nr_ctrs)
		memcpy(v, r->ctr_ids, r->nr_ctrs * sizeof(*v));
	kvfree(r->ctr_ids);
	r->ctr_ids = v;
	r->cap_ctrs = cap;
	return 0;
}

/* Whether container @id was met before in this walk; note it if not. */
static bool hostacct_host_ctr_seen(struct hostacct_host_req *r, u64 id)
{
	unsigned int lo = 0, hi = r->nr_ctrs;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (r->ctr_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->nr_ctrs && r->ctr_ids[lo] == id)
		return true;
	memmove(&r->ctr_ids[lo + 1], &r->ctr_ids[lo],
		(r->nr_ctrs - lo) * sizeof(*r->ctr_ids));
	r->ctr_ids[lo] = id;
	r->nr_ctrs++;
	return false;
}

struct hostacct_host_mm {
	hostacct_file_is_kvm_t is_kvm;
	bool vmm;
};

static void hostacct_host_mm(struct task_struct *mt, void *arg)
{
	struct hostacct_host_mm *m = arg;

	m->vmm = hostacct_kvm_is_vmm(mt, m->is_kvm);
}

/* The class totals' visitor: classify, charge, count. */
static int hostacct_host_visit(struct hostacct_walk *w, struct task_struct *p)
{
	struct hostacct_host_req *r = container_of(w, struct hostacct_host_req, walk);
	struct hostacct_host_mm m = { .is_kvm = r->cl.is_kvm };
	struct hostacct_class_info ci;
	struct hostacct_usage u;
	struct hostacct_tg *e;
	bool first;

	if (!(p->flags & PF_KTHREAD))
		hostacct_with_task_mm(p, hostacct_host_mm, &m);
	hostacct_classify(&r->cl, p, m.vmm, &ci);

	hostacct_usage_init(&u);
	hostacct_usage_add_cpu(&u, p);
	e = hostacct_ledger_get(&r->pool, p);
	/* Charged to the class of the process it works for: a thread of it. */
	if ((p->flags & PF_KTHREAD) &&
	    hostacct_ledger_helper(&r->pool, e, p, &ci.class)) {
		r->cls[ci.class].nr_threads++;
		return 0;
	}
	if (e)
		hostacct_ledger_charge(e, &u, ci.class);
	if (m.vmm)
		hostacct_kvm_adopt_workers(&r->pool, e, p, r->cl.is_kvm);

	switch (ci.class) {
	case HOSTACCT_CLASS_CONTAINER:
		first = !hostacct_host_ctr_seen(r, ci.ctr_id);
		break;
	case HOSTACCT_CLASS_KERNEL:
		first = !r->cls[ci.class].nr_procs;
		break;
	default:
		first = true;
	}
	r->cls[ci.class].nr_workloads += first;
	r->cls[ci.class].nr_procs++;
	r->cls[ci.class].nr_threads += u.nr_threads;
	return 0;
}

static int hostacct_class_put(struct sk_buff *skb, u32 class,
			      const struct hostacct_host_req *r)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, HOSTACCT_A_HOST_CLASS_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_CLASS, class) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_CLASS_STATS_CPU_NS,
			      hostacct_ledger_class_cpu(class),
			      HOSTACCT_A_CLASS_STATS_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_CLASS_STATS_EXITED_CPU_NS,
			      hostacct_ledger_class_exited(class),
			      HOSTACCT_A_CLASS_STATS_PAD) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_WORKLOADS,
			r->cls[class].nr_workloads) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_PROCS,
			r->cls[class].nr_procs) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_THREADS,
			r->cls[class].nr_threads) ||
	    hostacct_life_put_stats(skb, class)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int hostacct_host_fill(struct sk_buff *skb,
			      const struct hostacct_host_req *r,
			      const u64 cpu[HOSTACCT_CPU_NSTATES], u64 ts,
			      u64 span)
{
	struct sysinfo si;
	u64 unit;
	u32 class;
	int i;

	si_meminfo(&si);
	unit = si.mem_unit;

	if (nla_put_string(skb, HOSTACCT_A_HOST_KERNEL_RELEASE,
			   init_utsname()->release) ||
	    nla_put_string(skb, HOSTACCT_A_HOST_MODULE_VERSION,
			   HOSTACCT_VERSION) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_TIMESTAMP_NS, ts) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_SAMPLE_NS, span) ||
	    nla_put_u32(skb, HOSTACCT_A_HOST_NR_CPUS_ONLINE, num_online_cpus()) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_TOTAL_BYTES,
			     si.totalram * unit) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_FREE_BYTES,
			     si.freeram * unit) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES,
			     (u64)si_mem_available() << PAGE_SHIFT))
		return -EMSGSIZE;
	for (i = 0; i < HOSTACCT_CPU_NSTATES; i++)
		if (hostacct_put_u64(skb, hostacct_cpu_attr[i], cpu[i]))
			return -EMSGSIZE;
	/* Which states the kernel keeps apart from the tasks' runtime. */
	if ((IS_ENABLED(CONFIG_IRQ_TIME_ACCOUNTING) &&
	     nla_put_flag(skb, HOSTACCT_A_HOST_IRQ_TIME_APART)) ||
	    (IS_ENABLED(CONFIG_PARAVIRT_TIME_ACCOUNTING) &&
	     nla_put_flag(skb, HOSTACCT_A_HOST_STEAL_TIME_APART)))
		return -EMSGSIZE;
	for (class = HOSTACCT_CLASS_KERNEL; class <= HOSTACCT_CLASS_MAX; class++)
		if (hostacct_class_put(skb, class, r))
			return -EMSGSIZE;
	return 0;
}

int hostacct_host_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 c0[HOSTACCT_CPU_NSTATES], c1[HOSTACCT_CPU_NSTATES], t0, t1;
	struct hostacct_host_req *r;
	struct sk_buff *msg;
	void *hdr;
	int err, i;

	err = hostacct_nl_check_perm(skb, info->extack);
	if (err)
		return err;

	/*
	 * SYNC: processes reaped before this request are charged when their
	 * free runs, an RCU grace period later (lazy RCU: up to seconds).
	 * Wait for it, so that a caller who reaped them sees their time.
	 */
	if (nla_get_flag(info->attrs[HOSTACCT_A_HOST_SYNC]))
		rcu_barrier();

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	hostacct_mem_charge(sizeof(*r));
	r->walk.cursor = 1;
	r->walk.last = PID_MAX_LIMIT;
	r->walk.batch = hostacct_host_batch;
	r->walk.visit = hostacct_host_visit;
	err = hostacct_classifier_start(&r->cl);
	if (err)
		goto out;

	mutex_lock(&hostacct_host_lock);
	t0 = ktime_get_boottime_ns();
	hostacct_cpu_sample(c0);
	err = hostacct_walk(&r->walk);
	hostacct_cpu_sample(c1);
	t1 = ktime_get_boottime_ns();
	mutex_unlock(&hostacct_host_lock);
	if (err)
		goto out;
	hostacct_ctrs_sweep();

	/* c1 >= c0: the accumulators never decrease */
	for (i = 0; i < HOSTACCT_CPU_NSTATES; i++)
		c0[i] += (c1[i] - c0[i]) / 2;

	err = -ENOMEM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE + hostacct_life_stats_size(),
			  GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put_reply(msg, info, &hostacct_nl_family, 0,
				HOSTACCT_CMD_HOST_GET);
	err = hdr ? hostacct_host_fill(msg, r, c0, t0 + (t1 - t0) / 2,
				       t1 - t0) : -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
out:
	hostacct_classifier_end(&r->cl);
	hostacct_ledger_drain(&r->pool);
	kvfree(r->ctr_ids);
	hostacct_mem_charge(-(s64)(sizeof(*r) + r->cap_ctrs * sizeof(u64)));
	kfree(r);
	return err;
}

int __init hostacct_host_init(void)
{
	hostacct_cpu_acc = alloc_percpu(struct hostacct_cpu_acc);
	return hostacct_cpu_acc ? 0 : -ENOMEM;
}

void hostacct_host_exit(void)
{
	free_percpu(hostacct_cpu_acc);
}
