// SPDX-License-Identifier: GPL-2.0
/*
 * HOSTACCT_CMD_HOST_GET: facts about the whole host, read the same way
 * /proc/stat and /proc/meminfo read them, so user space can reconcile the
 * two exactly.
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

static int hostacct_host_fill(struct sk_buff *skb)
{
	struct hostacct_host_cpu c;
	struct sysinfo si;
	u64 unit;

	si_meminfo(&si);
	unit = si.mem_unit;
	hostacct_host_cpu(&c);

	if (nla_put_string(skb, HOSTACCT_A_HOST_KERNEL_RELEASE,
			   init_utsname()->release) ||
	    nla_put_string(skb, HOSTACCT_A_HOST_MODULE_VERSION,
			   HOSTACCT_VERSION) ||
	    hostacct_put_u64(skb, HOSTACCT_A_HOST_TIMESTAMP_NS,
			     ktime_get_boottime_ns()) ||
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

int hostacct_host_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = hostacct_nl_check_perm(skb, info->extack);
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

	err = hostacct_host_fill(msg);
	if (err)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}
