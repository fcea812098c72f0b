// SPDX-License-Identifier: GPL-2.0
/*
 * Rates: what happened between two snapshots, for report, top and serve.
 *
 * The kernel's counters are cumulative; a rate is the difference of one
 * workload's counter between the two snapshots divided by the interval,
 * in CPUs (1.0 = one CPU busy for the whole interval). "One workload" is
 * one identity: (class, id) plus the start time for processes (a reused
 * pid is another process). A workload found in the later snapshot only:
 *  - started inside the interval: all of its counters belong to it;
 *  - older (it changed class, or a container cgroup that became one):
 *    its counters start from their value now, its rates are 0 for this
 *    interval, not its lifetime total;
 * and without an earlier snapshot (--since-boot) the rates are averages
 * over each workload's life.
 *
 * The host split divides the interval's CPU time into the classes, idle,
 * the states the kernel keeps apart from tasks (irq and softirq with
 * CONFIG_IRQ_TIME_ACCOUNTING, steal with paravirt steal accounting) and
 * what remains: time in no task (the idle loop outside the idle clock,
 * interrupts taken while idle), so the rows sum to CPUs x interval.
 */

#include <math.h>
#include <string.h>

#include "hostacct.h"

static double ha_delta(uint64_t now, uint64_t then)
{
	return now > then ? (double)(now - then) : 0.0;
}

void ha_interval_init(struct ha_interval *iv, const struct ha_snap *a,
		      const struct ha_snap *b)
{
	iv->a = a;
	iv->b = b;
	iv->secs = (a ? ha_delta(b->host.timestamp_ns, a->host.timestamp_ns) :
		    (double)b->host.timestamp_ns) / 1e9;
	if (iv->secs <= 0)
		iv->secs = 1e-9;
}

void ha_wl_rate(const struct ha_interval *iv, const struct ha_workload *w,
		struct ha_wl_rate *r)
{
	memset(r, 0, sizeof(*r));
	if (!iv->a) {
		/* since boot: the average over the workload's life */
		r->basis = HA_BASIS_LIFETIME;
		r->secs = fmax(ha_delta(iv->b->host.timestamp_ns, w->start_ns) / 1e9,
			       1e-3);
		return;
	}
	r->secs = iv->secs;
	r->prev = ha_snap_find(iv->a, w, &r->prev_idx);
	if (r->prev)
		r->basis = HA_BASIS_DELTA;
	else if (w->start_ns != UINT64_MAX && w->start_ns >= iv->a->host.timestamp_ns)
		r->basis = HA_BASIS_LIFETIME;
	else
		r->basis = HA_BASIS_NEW;
}

double ha_rate(const struct ha_wl_rate *r, uint64_t now, uint64_t then)
{
	switch (r->basis) {
	case HA_BASIS_DELTA:
		return ha_delta(now, then) / r->secs;
	case HA_BASIS_LIFETIME:
		return now / r->secs;
	default:
		return 0;
	}
}

double ha_wl_cpus(const struct ha_interval *iv, const struct ha_workload *w)
{
	struct ha_wl_rate r;

	ha_wl_rate(iv, w, &r);
	return ha_rate(&r, w->cpu_ns, r.prev ? r.prev->cpu_ns : 0) / 1e9;
}

struct ha_vm_rates ha_vm_rates(const struct ha_interval *iv,
			       const struct ha_workload *w)
{
	const struct ha_kvm *k = &w->kvm, *pk;
	struct ha_vm_rates v;
	struct ha_wl_rate r;
	double vcpu, poll;

	ha_wl_rate(iv, w, &r);
	pk = r.prev ? &r.prev->kvm : NULL;
	vcpu = ha_rate(&r, k->vcpu_ns, pk ? pk->vcpu_ns : 0);
	poll = ha_rate(&r, k->halt_poll_ns, pk ? pk->halt_poll_ns : 0);
	v.busy = fmax(vcpu - poll, 0) / 1e9;
	v.guest = ha_rate(&r, k->guest_ns, pk ? pk->guest_ns : 0) / 1e9;
	v.overhead = ha_rate(&r, k->overhead_ns, pk ? pk->overhead_ns : 0) / 1e9;
	v.halt_poll = poll / 1e9;
	v.cpus = ha_rate(&r, w->cpu_ns, r.prev ? r.prev->cpu_ns : 0) / 1e9;
	return v;
}

struct ha_ctr_rates ha_ctr_rates(const struct ha_interval *iv,
				 const struct ha_workload *w)
{
	const struct ha_cpustat *c = &w->cs, *p;
	struct ha_ctr_rates v;
	struct ha_wl_rate r;

	ha_wl_rate(iv, w, &r);
	p = r.prev && r.prev->cs.ok ? &r.prev->cs : NULL;
	v.cpus = ha_rate(&r, w->cpu_ns, r.prev ? r.prev->cpu_ns : 0) / 1e9;
	/* counts over the interval, not per second */
	v.throttled_periods = ha_rate(&r, c->nr_throttled, p ? p->nr_throttled : 0) *
			      r.secs;
	v.throttled_s = ha_rate(&r, c->throttled_usec, p ? p->throttled_usec : 0) *
			r.secs / 1e6;
	return v;
}

/* CPUs of host state @i over the interval */
static double ha_state_cpus(const struct ha_interval *iv, int i)
{
	const struct ha_host *hb = &iv->b->host;
	const struct ha_host *ha = iv->a ? &iv->a->host : NULL;

	return ha_delta(hb->cpu[i], ha ? ha->cpu[i] : 0) / 1e9 / iv->secs;
}

void ha_host_split(const struct ha_interval *iv, struct ha_split *sp)
{
	const struct ha_host *hb = &iv->b->host;
	const struct ha_host *ha = iv->a ? &iv->a->host : NULL;
	double sum = 0, st = 0;
	uint32_t c;
	int i;

	memset(sp, 0, sizeof(*sp));
	sp->capacity = hb->nr_cpus;
	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		sp->cls[c] = ha_delta(hb->cls[c].cpu_ns, ha ? ha->cls[c].cpu_ns : 0) /
			     1e9 / iv->secs;
		sum += sp->cls[c];
	}
	sp->idle = ha_state_cpus(iv, HA_CPU_IDLE) + ha_state_cpus(iv, HA_CPU_IOWAIT);
	sum += sp->idle;
	sp->irq_apart = hb->irq_apart;
	sp->steal_apart = hb->steal_apart;
	if (hb->irq_apart) {
		sp->irq = ha_state_cpus(iv, HA_CPU_IRQ) + ha_state_cpus(iv, HA_CPU_SOFTIRQ);
		sum += sp->irq;
	}
	if (hb->steal_apart) {
		sp->steal = ha_state_cpus(iv, HA_CPU_STEAL);
		sum += sp->steal;
	}
	sp->accounted = sum;
	sp->no_task = sp->capacity - sum;
	/* guest and guest_nice are already inside user and nice */
	for (i = 0; i < HA_CPU_NSTATES; i++)
		if (i != HA_CPU_GUEST && i != HA_CPU_GUEST_NICE)
			st += ha_state_cpus(iv, i);
	sp->proc_stat = st;
	/* the midpoints of two samples: the rows' uncertainty, in CPUs */
	sp->uncertainty = sp->capacity * (hb->sample_ns + (ha ? ha->sample_ns : 0)) /
			  2e9 / iv->secs;
}
