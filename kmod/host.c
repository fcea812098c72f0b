// SPDX-License-Identifier: GPL-2.0
/*
 * HOSTACCT_CMD_HOST_GET: facts about the whole host, read the same way
 * /proc/stat and /proc/meminfo read them, so user space can reconcile the
 * two exactly, and the CPU time of each workload class (live thread groups
 * from a walk, reaped ones from exit.c), so the classes plus idle add up to
 * the host over any interval.
 */

#include <linux/cpumask.h>
#include <linux/kernel_stat.h>
#include <linux/mm.h>
#include <linux/tick.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "hostacct.h"

struct hostacct_host_cpu {
	u64 user;
	u64 nice;
	u64 system;
	u64 idle;
	u64 iowait;
	u64 irq;
	u64 softirq;
	u64 steal;
	u64 guest;
	u64 guest_nice;
};

/* Idle and iowait as fs/proc/stat.c computes them under NO_HZ. */
static u64 hostacct_cpu_idle(const struct kernel_cpustat *kcs, int cpu)
{
	u64 us = -1ULL;

	if (cpu_online(cpu))
		us = get_cpu_idle_time_us(cpu, NULL);
	if (us == -1ULL)
		return kcs->cpustat[CPUTIME_IDLE];
	return us * NSEC_PER_USEC;
}

static u64 hostacct_cpu_iowait(const struct kernel_cpustat *kcs, int cpu)
{
	u64 us = -1ULL;

	if (cpu_online(cpu))
		us = get_cpu_iowait_time_us(cpu, NULL);
	if (us == -1ULL)
		return kcs->cpustat[CPUTIME_IOWAIT];
	return us * NSEC_PER_USEC;
}

static void hostacct_host_cpu(struct hostacct_host_cpu *c)
{
	struct kernel_cpustat kcs;
	int cpu;

	memset(c, 0, sizeof(*c));
	for_each_possible_cpu(cpu) {
		const u64 *st = kcs.cpustat;

		kcpustat_cpu_fetch(&kcs, cpu);
		c->user += st[CPUTIME_USER];
		c->nice += st[CPUTIME_NICE];
		c->system += st[CPUTIME_SYSTEM];
		c->idle += hostacct_cpu_idle(&kcs, cpu);
		c->iowait += hostacct_cpu_iowait(&kcs, cpu);
		c->irq += st[CPUTIME_IRQ];
		c->softirq += st[CPUTIME_SOFTIRQ];
		c->steal += st[CPUTIME_STEAL];
		c->guest += st[CPUTIME_GUEST];
		c->guest_nice += st[CPUTIME_GUEST_NICE];
	}
}

static int hostacct_put_u64(struct sk_buff *skb, int type, u64 val)
{
	return nla_put_u64_64bit(skb, type, val, HOSTACCT_A_HOST_PAD);
}

/*
 * The class totals are read thread group by thread group during a walk;
 * the host's CPU states and the timestamp are taken before and after it
 * and reported for the middle of the walk, so that over an interval the
 * classes and idle cover the same span of time however long the walks
 * take.
 */
struct hostacct_host_snap {
	u64 t0;
	struct hostacct_host_cpu c0;
};

static void hostacct_host_cpu_mid(const struct hostacct_host_snap *s,
				  struct hostacct_host_cpu *c, u64 *ts)
{
	const u64 *a = (const u64 *)&s->c0;
	u64 *b = (u64 *)c, t1 = ktime_get_boottime_ns();
	unsigned int i;

	hostacct_host_cpu(c);
	for (i = 0; i < sizeof(*c) / sizeof(u64); i++)
		b[i] = a[i] + (b[i] - a[i]) / 2;
	*ts = s->t0 + (t1 - s->t0) / 2;
}

static int hostacct_host_fill(struct sk_buff *skb,
			      const struct hostacct_host_snap *snap)
{
	struct hostacct_host_cpu c;
	struct sysinfo si;
	u64 unit, ts;

	si_meminfo(&si);
	unit = si.mem_unit;
	hostacct_host_cpu_mid(snap, &c, &ts);

	if (nla_put_string(skb, HOSTACCT_A_HOST_KERNEL_RELEASE,
			   init_utsname()->release) ||
	    nla_put_string(skb, HOSTACCT_A_HOST_MODULE_VERSION,
			   HOSTACCT_VERSION) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_TIMESTAMP_NS, ts) ||
	    nla_put_u32(skb, HOSTACCT_A_HOST_NR_CPUS_ONLINE, num_online_cpus()) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_TOTAL_BYTES,
			     si.totalram * unit) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_FREE_BYTES,
			     si.freeram * unit) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES,
			     (u64)si_mem_available() << PAGE_SHIFT) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_USER_NS, c.user) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_NICE_NS, c.nice) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_SYSTEM_NS, c.system) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_IDLE_NS, c.idle) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_IOWAIT_NS, c.iowait) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_IRQ_NS, c.irq) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_SOFTIRQ_NS, c.softirq) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_STEAL_NS, c.steal) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_GUEST_NS, c.guest) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_CPU_GUEST_NICE_NS,
			     c.guest_nice))
		return -EMSGSIZE;

	return 0;
}

static int hostacct_class_put(struct sk_buff *skb, u32 class,
			      const struct hostacct_class_total *t)
{
	u64 exited = hostacct_exit_class_cpu(class);
	struct nlattr *nest;

	nest = nla_nest_start(skb, HOSTACCT_A_HOST_CLASS_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_CLASS, class) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_CLASS_STATS_CPU_NS,
			      t->cpu_ns + exited, HOSTACCT_A_CLASS_STATS_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_CLASS_STATS_EXITED_CPU_NS,
			      exited, HOSTACCT_A_CLASS_STATS_PAD) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_WORKLOADS,
			t->nr_workloads) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_PROCS, t->nr_procs) ||
	    nla_put_u32(skb, HOSTACCT_A_CLASS_STATS_NR_THREADS, t->nr_threads)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int hostacct_host_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct hostacct_class_total totals[HOSTACCT_CLASS_MAX + 1] = {};
	struct hostacct_host_snap snap;
	struct sk_buff *msg;
	u32 class;
	void *hdr;
	int err;

	err = hostacct_nl_check_perm(skb, info->extack);
	if (err)
		return err;

	snap.t0 = ktime_get_boottime_ns();
	hostacct_host_cpu(&snap.c0);
	err = hostacct_class_totals(totals);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &hostacct_nl_family, 0,
				HOSTACCT_CMD_HOST_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	err = hostacct_host_fill(msg, &snap);
	for (class = HOSTACCT_CLASS_KERNEL; !err && class <= HOSTACCT_CLASS_MAX;
	     class++)
		err = hostacct_class_put(msg, class, &totals[class]);
	if (err)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}
