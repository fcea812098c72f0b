// SPDX-License-Identifier: GPL-2.0
/*
 * Counters a monitoring system can trust: every cumulative counter never
 * decreases for one identity, whatever exits, however many containers and
 * VMMs there are, across CPU hotplug; and the class totals are exact
 * against independent sources (cgroupfs cpu.stat, wait4() rusage).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "client.h"
#include "util.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_FARM		CG_ROOT "/hostacct-farm"
#define BIT_CLASS(c)	(1U << (c))

static const char *const state_names[10] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq",
	"steal", "guest", "guest_nice",
};

/* ---- what one snapshot showed, to compare with the next ---- */

struct seen {
	uint32_t class;
	uint64_t id, start;
	uint64_t cpu, user, system, guest, vcpu, kguest, overhead;
	uint64_t vcpu_ns[64];
	uint32_t vcpu_tid[64];
	int nr_vcpu;
};

struct history {
	struct seen *v;
	size_t n;
	struct hc_host host;
	bool have_host;
	unsigned long decreases;
	unsigned long compared;
};

static struct seen *hist_find(struct history *h, const struct hc_wl *w)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->v[i].class == w->class && h->v[i].id == w->id &&
		    h->v[i].start == w->start_ns)
			return &h->v[i];
	return NULL;
}

#define MONO(meta, old, now, what, who)					\
	do {								\
		(meta)->compared++;					\
		if ((now) < (old)) {					\
			(meta)->decreases++;				\
			TH_LOG("decrease: %s of %s: %llu -> %llu", what, who,	\
			       (unsigned long long)(old),		\
			       (unsigned long long)(now));		\
		}							\
	} while (0)

/*
 * Compare a snapshot with the previous one: every counter of every
 * workload seen before under the same identity (class, id, start time),
 * of every class and of the host must be >= its old value.
 */
static void hist_check(struct __test_metadata *_metadata, struct history *h,
		       const struct hc_host *host, const struct hc_wls *l)
{
	struct seen *nv = calloc(l->n + 1, sizeof(*nv));
	char who[300];
	size_t i;
	int c, k;

	ASSERT_NE(NULL, nv);
	if (h->have_host) {
		for (k = 0; k < 10; k++)
			MONO(h, h->host.cpu[k], host->cpu[k], state_names[k], "the host");
		MONO(h, h->host.timestamp_ns, host->timestamp_ns, "timestamp", "the host");
		for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
			MONO(h, h->host.cls[c].cpu_ns, host->cls[c].cpu_ns, "cpu", "a class");
			MONO(h, h->host.cls[c].exited_ns, host->cls[c].exited_ns,
			     "exited cpu", "a class");
		}
	}
	for (i = 0; i < l->n; i++) {
		const struct hc_wl *w = &l->v[i];
		struct seen *s = &nv[i], *old;

		s->class = w->class;
		s->id = w->id;
		/* the kernel row and containers: one identity each */
		s->start = w->class == HOSTACCT_CLASS_NATIVE ||
			   w->class == HOSTACCT_CLASS_KVM ? w->start_ns : 0;
		s->cpu = w->cpu_ns;
		s->user = w->user_ns;
		s->system = w->system_ns;
		s->guest = w->guest_ns;
		s->vcpu = w->vcpu_ns;
		s->kguest = w->kvm_guest_ns;
		s->overhead = w->overhead_ns;
		s->nr_vcpu = w->nr_vcpu_entries < 64 ? w->nr_vcpu_entries : 64;
		for (k = 0; k < s->nr_vcpu; k++) {
			s->vcpu_ns[k] = w->vcpus[k].cpu_ns;
			s->vcpu_tid[k] = w->vcpus[k].tid;
		}
		old = hist_find(h, &(struct hc_wl){ .class = s->class, .id = s->id,
						     .start_ns = s->start });
		if (!old)
			continue;
		snprintf(who, sizeof(who), "%u:%llu (%s)", w->class,
			 (unsigned long long)w->id, w->name);
		MONO(h, old->cpu, s->cpu, "cpu", who);
		MONO(h, old->user, s->user, "user", who);
		MONO(h, old->system, s->system, "system", who);
		MONO(h, old->guest, s->guest, "guest", who);
		MONO(h, old->vcpu, s->vcpu, "vcpu", who);
		MONO(h, old->kguest, s->kguest, "vm guest", who);
		MONO(h, old->overhead, s->overhead, "vm overhead", who);
		for (k = 0; k < s->nr_vcpu && k < old->nr_vcpu; k++)
			if (s->vcpu_tid[k] == old->vcpu_tid[k])
				MONO(h, old->vcpu_ns[k], s->vcpu_ns[k], "a vCPU", who);
	}
	free(h->v);
	h->v = nv;
	h->n = l->n;
	h->host = *host;
	h->have_host = true;
}

static void hist_free(struct history *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* ---- the farm's containers ---- */

/* Freeze (1) or thaw (0) the farm and wait until it says so. */
static int farm_freeze(int on)
{
	uint64_t v;

	if (write_file(CG_FARM "/cgroup.freeze", on ? "1" : "0"))
		return -1;
	for (;;) {
		if (keyed_file_u64(CG_FARM "/cgroup.events", "frozen", &v))
			return -1;
		if (v == (uint64_t)on)
			return 0;
		usleep(10000);
	}
}

/* The cgroup ids and cpu.stat usage (ns) of the farm's containers. */
static int farm_read(uint64_t *ids, uint64_t *usage_ns, int n)
{
	char path[256];
	uint64_t us;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CG_FARM "/c%d", i);
		if (cgroup_id_of(path, &ids[i]))
			return -1;
		snprintf(path, sizeof(path), CG_FARM "/c%d/cpu.stat", i);
		if (keyed_file_u64(path, "usage_usec", &us))
			return -1;
		usage_ns[i] = us * 1000;
	}
	return 0;
}

static int count_listed(const struct hc_wls *l, const uint64_t *ids, int n)
{
	size_t i;
	int k, found = 0;

	for (k = 0; k < n; k++)
		for (i = 0; i < l->n; i++)
			if (l->v[i].class == HOSTACCT_CLASS_CONTAINER &&
			    l->v[i].id == ids[k]) {
				found++;
				break;
			}
	return found;
}

FIXTURE(ctr) {
	struct hc h;
};

FIXTURE_SETUP(ctr)
{
	ASSERT_EQ(0, hc_open(&self->h));
}

FIXTURE_TEARDOWN(ctr)
{
	hc_close(&self->h);
}

/*
 * 300 containers, 12 of them with members forking and exiting all the
 * time, natives churning beside them: 60 snapshots, no counter ever
 * decreases and every container is listed each time; the container
 * class gained exactly what the containers' own cgroups counted.
 */
TEST_F_TIMEOUT(ctr, containers_at_scale_monotonic, 1500)
{
	const char *scale = getenv("HA_SCALE");
	int n = scale && !strcmp(scale, "small") ? 60 : 300;
	uint64_t *ids = calloc(n, sizeof(*ids));
	uint64_t *u0 = calloc(n, sizeof(*u0)), *u1 = calloc(n, sizeof(*u1));
	struct fixture farm, churn, alt;
	struct history hist = { 0 };
	struct hc_host h0, h1, host;
	double sum0 = 0, sum1 = 0, ledger;
	char count[16];
	int round, i;

	ASSERT_NE(NULL, u1);
	snprintf(count, sizeof(count), "%d", n);
	ASSERT_EQ(0, fixture_run(&farm, "ctrfarm", "--dir", CG_FARM, "--count", count,
			   "--churn", "12", NULL));
	ASSERT_EQ(0, fixture_run(&churn, "churn", NULL));
	ASSERT_EQ(0, fixture_run(&alt, "burner", "--threads", "1", "--alternate", "5", NULL));

	/* The container class against cpu.stat: frozen, nothing moves. */
	ASSERT_EQ(0, farm_freeze(1));
	ASSERT_EQ(0, hc_host_get_sync(&self->h, &h0));
	ASSERT_EQ(0, farm_read(ids, u0, n));
	ASSERT_EQ(0, farm_freeze(0));

	for (round = 0; round < 60; round++) {
		struct hc_wls l = { 0 };

		ASSERT_EQ(0, hc_host_get(&self->h, &host));
		ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &l));
		EXPECT_EQ(n, count_listed(&l, ids, n)) TH_LOG("round %d", round);
		hist_check(_metadata, &hist, &host, &l);
		hc_wls_free(&l);
	}

	ASSERT_EQ(0, farm_freeze(1));
	ASSERT_EQ(0, hc_host_get_sync(&self->h, &h1));
	ASSERT_EQ(0, farm_read(ids, u1, n));
	ASSERT_EQ(0, farm_freeze(0));
	for (i = 0; i < n; i++) {
		sum0 += u0[i];
		sum1 += u1[i];
	}
	ledger = (double)h1.cls[HOSTACCT_CLASS_CONTAINER].cpu_ns -
		 h0.cls[HOSTACCT_CLASS_CONTAINER].cpu_ns;
	TH_LOG("%lu counters compared, %lu decreases; container class +%.0f ns, cpu.stat of the %d containers +%.0f ns (%+.3f %%)",
	       hist.compared, hist.decreases, ledger, n, sum1 - sum0,
	       100 * (ledger - (sum1 - sum0)) / (sum1 - sum0));
	EXPECT_EQ(0, hist.decreases);
	EXPECT_LT(0, hist.compared);
	/*
	 * cpu.stat adds the same runtime deltas to the cgroup that the
	 * module charges to the class: they agree up to cpu.stat's
	 * truncation to a microsecond per cgroup.
	 */
	EXPECT_LT(1e9, sum1 - sum0);
	EXPECT_TRUE(ledger >= (sum1 - sum0) - n * 1000.0 &&
		    ledger <= (sum1 - sum0) * 1.001 + n * 1000.0);

	hist_free(&hist);
	fixture_stop(&alt);
	fixture_stop(&churn);
	fixture_stop(&farm);
	free(ids);
	free(u0);
	free(u1);
}

/*
 * 70 VMMs, seen by a query, then killed while processes churn: their CPU
 * time after the query is charged to the kvm class, none of it lost to
 * another class; no class total ever decreases.
 */
TEST_F_TIMEOUT(ctr, vmms_keep_their_class, 1500)
{
	const char *scale = getenv("HA_SCALE");
	int n = scale && !strcmp(scale, "small") ? 10 : 70;
	struct fixture *vm = calloc(n, sizeof(*vm)), churn;
	uint64_t *seen = calloc(n, sizeof(*seen));
	struct history hist = { 0 };
	struct hc_host h0, h1;
	struct hc_wls l = { 0 };
	double after = 0, gained;
	int i, found = 0;

	ASSERT_NE(NULL, seen);
	ASSERT_EQ(0, fixture_run(&churn, "churn", NULL));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, fixture_run(&vm[i], "tinyvm", "--vcpus", "1", "--mem-mb",
				   "4", "--touch-mb", "1", "--busy", "0", NULL));

	/*
	 * The class total first, then each VMM's CPU time: what a VMM used
	 * after its dump entry is all after the class total too.
	 */
	ASSERT_EQ(0, hc_host_get(&self->h, &h0));
	ASSERT_EQ(0, hc_dump(&self->h, BIT_CLASS(HOSTACCT_CLASS_KVM), 0, 0, &l));
	hist_check(_metadata, &hist, &h0, &l);
	for (i = 0; i < n; i++) {
		struct hc_wl *w = hc_wls_find(&l, HOSTACCT_CLASS_KVM, vm[i].pid);

		found += !!w;
		seen[i] = w ? w->cpu_ns : 0;
	}
	EXPECT_EQ(n, found);

	/* kill and reap them: wait4() says what each used in all */
	for (i = 0; i < n; i++)
		kill(vm[i].pid, SIGKILL);
	for (i = 0; i < n; i++) {
		struct rusage ru;
		int status;

		ASSERT_EQ(vm[i].pid, wait4(vm[i].pid, &status, 0, &ru));
		after += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
			 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3 -
			 (double)seen[i];
		close(vm[i].out);
		vm[i].pid = 0;
	}
	ASSERT_EQ(0, hc_host_get_sync(&self->h, &h1));
	hist_check(_metadata, &hist, &h1, &(struct hc_wls){ 0 });
	gained = (double)h1.cls[HOSTACCT_CLASS_KVM].cpu_ns -
		 h0.cls[HOSTACCT_CLASS_KVM].cpu_ns;
	TH_LOG("kvm class +%.0f ns after the query; the %d VMMs used %.0f ns more before they died",
	       gained, n, after);
	EXPECT_EQ(0, hist.decreases);
	/* rusage is truncated to a microsecond per process */
	EXPECT_GE(gained, after - n * 2000.0);
	EXPECT_LE(0, after);
	hc_wls_free(&l);
	hist_free(&hist);
	fixture_stop(&churn);
	free(vm);
	free(seen);
}

static int cpu_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_file(path, on ? "1" : "0");
}

/*
 * A CPU taken offline and online again between snapshots: every HOST_GET
 * counter stays monotonic, below 2^62, and grows by no more than the
 * CPUs can have spent in the time between.
 */
TEST_F_TIMEOUT(ctr, cpu_hotplug_monotonic, 600)
{
	long possible = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t tick = 1000000000ULL / 250;
	struct history hist = { 0 };
	struct hc_host prev, cur;
	struct fixture burner;
	int round, step, k;

	ASSERT_LE(2, possible);
	ASSERT_EQ(0, fixture_run(&burner, "burner", "--threads", "2", "--forever", NULL));
	ASSERT_EQ(0, hc_host_get(&self->h, &prev));
	hist_check(_metadata, &hist, &prev, &(struct hc_wls){ 0 });
	for (round = 0; round < 3; round++) {
		for (step = 0; step < 2; step++) {
			ASSERT_EQ(0, cpu_online(1, step));
			ASSERT_EQ(0, hc_host_get(&self->h, &cur));
			hist_check(_metadata, &hist, &cur, &(struct hc_wls){ 0 });
			EXPECT_EQ(step ? possible : possible - 1, cur.nr_cpus);
			for (k = 0; k < 10; k++) {
				uint64_t dt = cur.timestamp_ns - prev.timestamp_ns;

				EXPECT_GT(1ULL << 62, cur.cpu[k]) TH_LOG("%s", state_names[k]);
				/*
				 * Each CPU spends at most the elapsed time in a
				 * state, plus a tick of sampling and the samples'
				 * spans (midpoints).
				 */
				EXPECT_LE(cur.cpu[k] - prev.cpu[k],
					  possible * (dt + 2 * tick + cur.sample_ns +
						      prev.sample_ns))
					TH_LOG("%s +%llu in %llu ns", state_names[k],
					       (unsigned long long)(cur.cpu[k] - prev.cpu[k]),
					       (unsigned long long)dt);
			}
			prev = cur;
		}
	}
	EXPECT_EQ(0, hist.decreases);
	cpu_online(1, 1);
	hist_free(&hist);
	fixture_stop(&burner);
}

/*
 * A process whose user:system ratio keeps changing: over 100 snapshots
 * neither share decreases, and they add up to its runtime.
 */
TEST_F_TIMEOUT(ctr, split_monotonic_ratio_change, 600)
{
	struct history hist = { 0 };
	uint64_t run, dpct = 0;
	struct fixture alt;
	struct hc_host host;
	struct hc_wl w;
	int i;

	ASSERT_EQ(0, fixture_run(&alt, "burner", "--threads", "2", "--alternate", "3", NULL));
	ASSERT_EQ(0, hc_host_get(&self->h, &host));
	for (i = 0; i < 100; i++) {
		struct hc_wls one = { 0 };

		ASSERT_EQ(0, hc_dump(&self->h, 0, alt.pid, 0, &one));
		ASSERT_EQ(1, one.n);
		w = one.v[0];
		/* definitional: the shares add up to the runtime */
		EXPECT_EQ(w.cpu_ns, w.user_ns + w.system_ns);
		hist_check(_metadata, &hist, &host, &one);
		hc_wls_free(&one);
	}
	/* both phases ran, so both shares grew */
	ASSERT_EQ(0, proc_runtime_ns(alt.pid, &run, NULL));
	EXPECT_LT(0, w.system_ns);
	EXPECT_LT(0, w.user_ns);
	dpct = 100 * w.system_ns / w.cpu_ns;
	TH_LOG("%lu comparisons, %lu decreases; system %llu %% of %llu ns",
	       hist.compared, hist.decreases, (unsigned long long)dpct,
	       (unsigned long long)w.cpu_ns);
	EXPECT_EQ(0, hist.decreases);
	EXPECT_LE(w.cpu_ns, run);
	hist_free(&hist);
	fixture_stop(&alt);
}

TEST_HARNESS_MAIN
