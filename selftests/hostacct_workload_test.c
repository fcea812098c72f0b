// SPDX-License-Identifier: GPL-2.0
/*
 * Per-workload accounting against independent truth: procfs (stat,
 * schedstat, status), cgroupfs (cpu.stat, memory.current) and what the
 * fixtures did (threads burned, memory touched, vCPUs created).
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "client.h"
#include "util.h"

static unsigned int vm_worker_kthreads(uint64_t *runtime_ns);

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_TEST		CG_ROOT "/hostacct-test"
#define MiB		(1024ULL * 1024)
#define PF_KTHREAD	0x00200000

#define BIT_CLASS(c)	(1U << (c))

/* |a - b| <= pct % of b + abs */
static int close_to(double a, double b, double pct, double abs)
{
	double d = a > b ? a - b : b - a;

	return d <= b * pct / 100.0 + abs;
}

/*
 * How far an O(1) RSS counter may lag its exact value, in bytes (see
 * kmod/compat.h): 6.2+ per-CPU counters hold up to batch - 1 pages per
 * CPU, batch = max(32, 2 * CPUs); 6.1 threads cache up to 64 events.
 */
static double rss_lag_bytes(unsigned int threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long batch = cpus * 2 > 32 ? cpus * 2 : 32;
	long page = sysconf(_SC_PAGESIZE);
	long pcpu = (batch - 1) * cpus, split = 64L * threads;

	return (double)(pcpu > split ? pcpu : split) * page;
}

static uint64_t rss_of(const struct hc_wl *w)
{
	return w->rss_anon + w->rss_file + w->rss_shmem;
}

static int cmp_key(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* How many (class, id) pairs of a dump appear more than once. */
static int duplicates(struct hc_wls *l)
{
	uint64_t (*keys)[2] = calloc(l->n + 1, sizeof(*keys));
	size_t i;
	int dup = 0;

	for (i = 0; i < l->n; i++) {
		keys[i][0] = l->v[i].class;
		keys[i][1] = l->v[i].id;
	}
	qsort(keys, l->n, sizeof(*keys), cmp_key);
	for (i = 1; i < l->n; i++)
		dup += !cmp_key(keys[i - 1], keys[i]);
	free(keys);
	return dup;
}

static int count_of(struct hc_wls *l, uint32_t class, uint64_t id)
{
	size_t i;
	int n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i].class == class && l->v[i].id == id;
	return n;
}

/* An integer "key=value" of a fixture's ready line. */
static long ready_val(const struct fixture *f, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(f->ready, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static int container_start(struct fixture *f, const char *name, bool nested,
			   const char *burn_ms)
{
	char cg[256], burner[512];

	snprintf(cg, sizeof(cg), CG_TEST "/%s", name);
	snprintf(burner, sizeof(burner), "%s", fixture_path("burner"));
	/*
	 * hostacct counts a member's CPU time from its start, cpu.stat from
	 * when it joined the cgroup: the shim's fork and join (tens of ms on
	 * a debug kernel) must stay well below 2 % of what the burner burns.
	 */
	if (nested)
		return fixture_run(f, "container", "--cgroup", cg, "--cpu-max",
			     "50000 100000", "--mem-max", "268435456",
			     "--nested", "--", burner, "--threads", "2",
			     "--ms", burn_ms, NULL);
	return fixture_run(f, "container", "--cgroup", cg, "--cpu-max",
		     "50000 100000", "--mem-max", "268435456", "--", burner,
		     "--threads", "2", "--ms", burn_ms, NULL);
}

static int self_cgroup_id(uint64_t *id)
{
	char buf[512], path[600];

	if (read_file_str("/proc/self/cgroup", buf, sizeof(buf)) ||
	    strncmp(buf, "0::", 3))
		return -1;
	snprintf(path, sizeof(path), CG_ROOT "%s", buf + 3);
	return cgroup_id_of(path, id);
}

FIXTURE(wl) {
	struct hc h;
	struct hc_wls l;
};

FIXTURE_SETUP(wl)
{
	ASSERT_EQ(0, hc_open(&self->h));
	mkdir(CG_TEST, 0755);
	ASSERT_EQ(0, write_file(CG_TEST "/cgroup.subtree_control", "+cpu +memory"));
	memset(&self->l, 0, sizeof(self->l));
}

FIXTURE_TEARDOWN(wl)
{
	hc_wls_free(&self->l);
	hc_close(&self->h);
}

TEST_F_TIMEOUT(wl, native_burner_matches_procfs, 120)
{
	uint64_t run, stat_ns, rss_kb, cgid;
	struct hc_wls exact = { 0 };
	unsigned int threads;
	struct proc_stat ps;
	struct hc_wl *w, *x;
	struct fixture f;

	ASSERT_EQ(0, fixture_run(&f, "burner", "--threads", "2", "--ms", "1000", NULL));
	ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
	ASSERT_EQ(0, hc_dump_exact(&self->h, 0, f.pid, 0, &exact));
	/* The burner sleeps now: its counters are frozen. */
	ASSERT_EQ(0, proc_runtime_ns(f.pid, &run, &threads));
	ASSERT_EQ(0, proc_stat_cputime_ns(f.pid, &stat_ns));
	ASSERT_EQ(0, proc_stat_fields(f.pid, 0, &ps));
	ASSERT_EQ(0, proc_status_kb(f.pid, "VmRSS", &rss_kb));

	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_NATIVE, f.pid));
	w = hc_wls_find(&self->l, HOSTACCT_CLASS_NATIVE, f.pid);
	ASSERT_NE(NULL, w);
	EXPECT_STREQ("burner", w->name);
	EXPECT_EQ(f.pid, w->leader_pid);
	EXPECT_EQ(1, w->nr_procs);
	EXPECT_EQ(3, w->nr_threads);
	EXPECT_EQ(threads, w->nr_threads);
	EXPECT_GE(w->cpu_ns, 980000000ULL);
	TH_LOG("cpu: hostacct %llu ns, schedstat %llu ns (%+.3f %%), stat %llu ns",
	       (unsigned long long)w->cpu_ns, (unsigned long long)run,
	       100.0 * ((double)w->cpu_ns - run) / run,
	       (unsigned long long)stat_ns);
	EXPECT_TRUE(close_to(w->cpu_ns, run, 2, 0));
	EXPECT_TRUE(close_to(w->cpu_ns, stat_ns, 2, 10e6));
	/*
	 * /proc/PID/stat splits the same runtime by the same tick samples
	 * (cputime_adjust()); it prints each share truncated to a tick. Both
	 * splits start from no earlier state here (nothing read the burner's
	 * times before), so they agree up to that truncation.
	 */
	TH_LOG("user %llu / stat %llu, system %llu / stat %llu ns",
	       (unsigned long long)w->user_ns, (unsigned long long)ps.utime_ns,
	       (unsigned long long)w->system_ns, (unsigned long long)ps.stime_ns);
	EXPECT_TRUE(close_to(w->user_ns, ps.utime_ns, 0, ps.tick_ns));
	EXPECT_TRUE(close_to(w->system_ns, ps.stime_ns, 0, ps.tick_ns));
	/* definitional: the shares add up to the precise runtime */
	EXPECT_EQ(w->cpu_ns, w->user_ns + w->system_ns);
	EXPECT_EQ(0, w->guest_ns);
	EXPECT_EQ(ps.guest_ns, w->guest_ns);

	/* exact RSS as /proc/PID/status sums it; the O(1) read within its lag */
	ASSERT_EQ(1, exact.n);
	x = &exact.v[0];
	TH_LOG("rss: exact %llu, O(1) %llu, VmRSS %llu kB, lag bound %.0f",
	       (unsigned long long)rss_of(x), (unsigned long long)rss_of(w),
	       (unsigned long long)rss_kb, rss_lag_bytes(threads));
	EXPECT_TRUE(close_to(rss_of(x), rss_kb * 1024.0, 0, rss_lag_bytes(threads)));
	EXPECT_TRUE(close_to(rss_of(w), rss_of(x), 0, rss_lag_bytes(threads)));
	EXPECT_GE(rss_of(x), 1);
	ASSERT_EQ(0, self_cgroup_id(&cgid));
	EXPECT_EQ(cgid, w->cgroup_id);

	/* start time: field 22 of /proc/PID/stat, in clock ticks */
	EXPECT_TRUE(close_to(w->start_ns / (1e9 / sysconf(_SC_CLK_TCK)),
			     ps.start_ticks, 0, 1));
	hc_wls_free(&exact);
	fixture_stop(&f);
}

TEST_F_TIMEOUT(wl, memory_toucher_matches_status, 120)
{
	uint64_t anon_kb, file_kb, shmem_kb;
	struct hc_wls exact = { 0 };
	struct hc_wl *w, *x;
	struct fixture f;
	double lag;
	glob_t g;

	ASSERT_EQ(0, glob("/usr/src/linux-source-*.tar.xz", 0, NULL, &g));
	ASSERT_EQ(0, fixture_run(&f, "toucher", "--anon-mb", "64", "--file",
			   g.gl_pathv[0], "--file-mb", "32", "--shmem-mb", "16",
			   NULL));
	globfree(&g);
	ASSERT_EQ(0, hc_dump(&self->h, BIT_CLASS(HOSTACCT_CLASS_NATIVE), 0, 0,
			     &self->l));
	ASSERT_EQ(0, hc_dump_exact(&self->h, 0, f.pid, 0, &exact));
	ASSERT_EQ(0, proc_status_kb(f.pid, "RssAnon", &anon_kb));
	ASSERT_EQ(0, proc_status_kb(f.pid, "RssFile", &file_kb));
	ASSERT_EQ(0, proc_status_kb(f.pid, "RssShmem", &shmem_kb));

	w = hc_wls_find(&self->l, HOSTACCT_CLASS_NATIVE, f.pid);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(1, exact.n);
	x = &exact.v[0];
	lag = rss_lag_bytes(w->nr_threads);
	TH_LOG("anon %llu/%llu file %llu/%llu shmem %llu/%llu (exact/status), lag bound %.0f",
	       (unsigned long long)x->rss_anon, (unsigned long long)anon_kb * 1024,
	       (unsigned long long)x->rss_file, (unsigned long long)file_kb * 1024,
	       (unsigned long long)x->rss_shmem, (unsigned long long)shmem_kb * 1024,
	       lag);
	/* what the fixture touched */
	EXPECT_GE(x->rss_anon, 64 * MiB);
	EXPECT_GE(x->rss_file, 32 * MiB);
	EXPECT_GE(x->rss_shmem, 16 * MiB);
	EXPECT_TRUE(close_to(x->rss_anon, anon_kb * 1024.0, 0, lag));
	EXPECT_TRUE(close_to(x->rss_file, file_kb * 1024.0, 0, lag));
	EXPECT_TRUE(close_to(x->rss_shmem, shmem_kb * 1024.0, 0, lag));
	/* the O(1) read lags the exact one by at most its bound */
	EXPECT_TRUE(close_to(w->rss_anon, x->rss_anon, 0, lag));
	EXPECT_TRUE(close_to(w->rss_file, x->rss_file, 0, lag));
	EXPECT_TRUE(close_to(w->rss_shmem, x->rss_shmem, 0, lag));
	hc_wls_free(&exact);
	fixture_stop(&f);
}

static void check_container(struct __test_metadata *_metadata,
			    struct hc *h, struct hc_wls *l, bool nested)
{
	uint64_t usage_us, mem0, mem1, inner_id;
	char cg[128], file[192];
	struct hc_wls byp = { 0 };
	struct fixture f;
	struct hc_wl *c;
	long shim, init, id;

	snprintf(cg, sizeof(cg), CG_TEST "/%s", nested ? "nested" : "flat");
	ASSERT_EQ(0, container_start(&f, nested ? "nested" : "flat", nested, "1500"));
	shim = ready_val(&f, "shim");
	init = ready_val(&f, "init");
	id = ready_val(&f, "id");

	snprintf(file, sizeof(file), "%s/memory.current", cg);
	ASSERT_EQ(0, read_file_u64(file, &mem0));
	ASSERT_EQ(0, hc_dump(h, 0, 0, 0, l));
	snprintf(file, sizeof(file), "%s/memory.current", cg);
	ASSERT_EQ(0, read_file_u64(file, &mem1));
	snprintf(file, sizeof(file), "%s/cpu.stat", cg);
	ASSERT_EQ(0, keyed_file_u64(file, "usage_usec", &usage_us));

	EXPECT_EQ(1, count_of(l, HOSTACCT_CLASS_CONTAINER, id));
	c = hc_wls_find(l, HOSTACCT_CLASS_CONTAINER, id);
	ASSERT_NE(NULL, c);
	EXPECT_STREQ(cg + strlen(CG_ROOT), c->cgroup_path);
	EXPECT_STREQ(cg + strlen(CG_ROOT), c->name);
	EXPECT_EQ(id, c->cgroup_id);
	EXPECT_EQ(init, c->leader_pid);
	EXPECT_EQ(2, c->nr_procs);		/* shim and init */
	EXPECT_EQ(4, c->nr_threads);		/* shim, burner + 2 threads */
	EXPECT_EQ(0, count_of(l, HOSTACCT_CLASS_NATIVE, shim));
	EXPECT_EQ(0, count_of(l, HOSTACCT_CLASS_NATIVE, init));
	EXPECT_EQ(1, count_of(l, HOSTACCT_CLASS_NATIVE, f.pid)); /* runtime */

	/*
	 * A container's CPU time is its cgroup's cpu.stat (the tool reads
	 * it): the module sends none, rather than a second ledger.
	 */
	EXPECT_FALSE(c->has_cpu);
	EXPECT_GE(usage_us, 1480000);
	TH_LOG("memory.current %llu..%llu, hostacct %llu",
	       (unsigned long long)mem0, (unsigned long long)mem1,
	       (unsigned long long)c->mem_cgroup);
	EXPECT_TRUE(c->has_mem_cgroup);
	EXPECT_LE(c->mem_cgroup, (mem0 > mem1 ? mem0 : mem1) + 65536);
	EXPECT_GE(c->mem_cgroup + 65536, mem0 < mem1 ? mem0 : mem1);

	/* The pid filter finds the container from any member. */
	ASSERT_EQ(0, hc_dump(h, 0, init, 0, &byp));
	ASSERT_EQ(1, byp.n);
	EXPECT_EQ(HOSTACCT_CLASS_CONTAINER, byp.v[0].class);
	EXPECT_EQ(id, byp.v[0].id);
	hc_wls_free(&byp);

	if (nested) {
		snprintf(file, sizeof(file), "%s/inner", cg);
		ASSERT_EQ(0, cgroup_id_of(file, &inner_id));
		EXPECT_EQ(0, count_of(l, HOSTACCT_CLASS_CONTAINER, inner_id));
	}
	fixture_stop(&f);
}

TEST_F_TIMEOUT(wl, container_matches_cgroupfs, 120)
{
	check_container(_metadata, &self->h, &self->l, false);
}

TEST_F_TIMEOUT(wl, nested_container_rolls_up, 120)
{
	check_container(_metadata, &self->h, &self->l, true);
}

static int parse_tids(const char *ready, pid_t *tids, int max)
{
	const char *p = strstr(ready, "tids=");
	int n = 0;

	if (!p)
		return 0;
	p += 5;
	while (n < max && *p >= '0' && *p <= '9') {
		tids[n++] = strtol(p, (char **)&p, 10);
		if (*p == ',')
			p++;
	}
	return n;
}

/*
 * Until every thread of @pid is in stopped state (after a SIGSTOP: a vCPU
 * thread stops only once it left the guest); the test's timeout bounds
 * the wait.
 */
static int wait_stopped(pid_t pid)
{
	char path[300], buf[1024], *p;
	struct dirent *d;
	bool all;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	for (;;) {
		dir = opendir(path);
		if (!dir)
			return -1;
		all = true;
		while (all && (d = readdir(dir))) {
			char stat[600];

			if (d->d_name[0] == '.')
				continue;
			snprintf(stat, sizeof(stat), "%s/%s/stat", path, d->d_name);
			if (read_file_str(stat, buf, sizeof(buf)))
				continue;
			p = strrchr(buf, ')');
			all = p && (p[2] == 'T' || p[2] == 't');
		}
		closedir(dir);
		if (all)
			return 0;
		usleep(10000);
	}
}

/* Until cgroup @cg reports "frozen 1" in cgroup.events. */
static int wait_frozen(const char *cg)
{
	char path[256];
	uint64_t v;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	for (;;) {
		if (keyed_file_u64(path, "frozen", &v))
			return -1;
		if (v == 1)
			return 0;
		usleep(10000);
	}
}

static uint64_t thread_runtime_ns(pid_t pid, pid_t tid)
{
	unsigned long long run = 0;
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%llu", &run) != 1)
			run = 0;
		fclose(f);
	}
	return run;
}

TEST_F_TIMEOUT(wl, kvm_vm_matches_fixture, 300)
{
	uint64_t vsum = 0, vmm_run, workers_run, ram_rss, busy_run, ts_user, ts_sys;
	double guest_want;
	unsigned int threads;
	struct proc_stat ps;
	struct fixture f;
	struct hc_wl *w;
	pid_t tids[8];
	int i, n;

	/* the manifest runs this program only where /dev/kvm exists */
	ASSERT_EQ(0, access("/dev/kvm", R_OK | W_OK));
	ASSERT_EQ(0, fixture_run(&f, "tinyvm", "--vcpus", "2", "--mem-mb", "256",
			   "--touch-mb", "64", "--busy", "0", NULL));
	n = parse_tids(f.ready, tids, 8);
	ASSERT_EQ(2, n);
	/* vCPU 0 spins in the guest: wait until it ran 300 ms, then freeze */
	while (thread_runtime_ns(f.pid, tids[0]) < 300000000ULL)
		usleep(20000);
	kill(f.pid, SIGSTOP);
	ASSERT_EQ(0, wait_stopped(f.pid));

	ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_KVM, f.pid));
	EXPECT_EQ(0, count_of(&self->l, HOSTACCT_CLASS_NATIVE, f.pid));
	w = hc_wls_find(&self->l, HOSTACCT_CLASS_KVM, f.pid);
	ASSERT_NE(NULL, w);
	ASSERT_TRUE(w->has_kvm);
	EXPECT_EQ(1, w->nr_vms);
	EXPECT_EQ(2, w->nr_vcpus);
	/* what the fixture configured: one slot of 256 MiB */
	EXPECT_EQ(256 * MiB, w->guest_mem);
	/*
	 * main + 2 vCPU threads + KVM's NX recovery worker: a thread of the
	 * VMM on 6.12, a kernel thread counted as the VM's on 6.1
	 */
	ASSERT_EQ(0, proc_runtime_ns(f.pid, &vmm_run, &threads));
	EXPECT_EQ(threads + vm_worker_kthreads(&workers_run), w->nr_threads);
	EXPECT_LE(3, w->nr_threads);
	ASSERT_EQ(2, w->nr_vcpu_entries);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(i, w->vcpus[i].id);
		EXPECT_EQ(tids[i], w->vcpus[i].tid);
		EXPECT_EQ(thread_runtime_ns(f.pid, tids[i]), w->vcpus[i].cpu_ns);
		vsum += thread_runtime_ns(f.pid, tids[i]);
		/* a vCPU's guest time is its thread's: field 43, in ticks */
		ASSERT_EQ(0, proc_stat_fields(f.pid, tids[i], &ps));
		EXPECT_TRUE(close_to(w->vcpus[i].guest_ns, ps.guest_ns, 0, ps.tick_ns));
	}
	busy_run = thread_runtime_ns(f.pid, tids[0]);
	ASSERT_EQ(0, proc_stat_fields(f.pid, 0, &ps));
	ASSERT_EQ(0, smaps_rss_of_size(f.pid, 256 * 1024, &ram_rss));
	TH_LOG("guest %llu ns (field 43: %llu), busy vCPU %llu ns, VMM %llu ns (schedstat %llu), overhead %llu ns",
	       (unsigned long long)w->kvm_guest_ns, (unsigned long long)ps.guest_ns,
	       (unsigned long long)busy_run, (unsigned long long)w->cpu_ns,
	       (unsigned long long)vmm_run, (unsigned long long)w->overhead_ns);
	TH_LOG("resident %llu of %llu, guest RAM mapping's Rss (smaps) %llu",
	       (unsigned long long)w->guest_resident,
	       (unsigned long long)w->guest_mem, (unsigned long long)ram_rss);
	EXPECT_EQ(vsum, w->vcpu_ns);
	/* a kernel thread working for the VM is system time of it (6.1) */
	EXPECT_TRUE(close_to(w->cpu_ns, vmm_run + workers_run, 2, 0));
	/*
	 * The guest share: the kernel samples guest time at ticks, as part of
	 * user time, and the module splits the precise runtime by those
	 * samples, so guest / user is the sampled guest / user: guest ticks
	 * from /proc/PID/stat field 43, user ticks (unscaled) from taskstats.
	 * Field 43 is truncated to a tick. (Under emulation most of a
	 * spinning vCPU's ticks are not sampled as guest: hostacct shows
	 * what the kernel sampled, so no bound from vCPU 0's runtime holds.)
	 */
	ASSERT_EQ(0, taskstats_tgid(f.pid, &ts_user, &ts_sys));
	guest_want = (double)w->user_ns * ps.guest_ns / ts_user;
	TH_LOG("taskstats: user %llu system %llu ns; guest expected %.0f +- %.0f ns",
	       (unsigned long long)ts_user, (unsigned long long)ts_sys, guest_want,
	       (double)w->user_ns * ps.tick_ns / ts_user);
	EXPECT_TRUE(close_to(w->kvm_guest_ns, guest_want, 0,
			     (double)w->user_ns * ps.tick_ns / ts_user + 1));
	EXPECT_LE(w->kvm_guest_ns, vmm_run);
	EXPECT_GT(ps.guest_ns, 0);
	EXPECT_GT(w->vcpus[0].guest_ns, w->vcpus[1].guest_ns);
	/* definitional: the guest share of the workload is the VM's, and
	 * guest and overhead are the two shares of the runtime */
	EXPECT_EQ(w->guest_ns, w->kvm_guest_ns);
	EXPECT_EQ(w->cpu_ns, w->kvm_guest_ns + w->overhead_ns);
	/* user and system like /proc/PID/stat's, up to its tick truncation */
	EXPECT_TRUE(close_to(w->user_ns, ps.utime_ns, 0, ps.tick_ns));
	EXPECT_TRUE(close_to(w->system_ns, ps.stime_ns + workers_run, 0, ps.tick_ns));
	/*
	 * Resident guest RAM: what the stage-2 page tables map can only be
	 * resident in the guest RAM mapping (smaps), and is all of it but
	 * the untouched parts of the transparent huge pages (2 MiB) that
	 * back the two ends of the touched range (6.1 maps them as 4 KiB
	 * pages, 6.12 as 2 MiB).
	 */
	EXPECT_GE(ram_rss, 64 * MiB);
	EXPECT_LE(w->guest_resident, ram_rss + 8 * 4096);
	EXPECT_GE(w->guest_resident + 2 * 2 * MiB, ram_rss);
	EXPECT_GE(w->rss_anon, 64 * MiB);
	EXPECT_EQ(0, count_of(&self->l, HOSTACCT_CLASS_NATIVE, tids[0]));
	fixture_stop(&f);
}

/*
 * A vCPU list is complete or says it is not. @w: a VMM's workload; @n:
 * the fixture's vCPUs; @tids: the first of their threads. Return: the
 * number of entries.
 */
static int check_vcpu_list(struct __test_metadata *_metadata,
			   const struct hc_wl *w, int n, const pid_t *tids,
			   int ntids)
{
	int i, kept = w->nr_vcpu_entries < 64 ? w->nr_vcpu_entries : 64;

	EXPECT_EQ(n, w->nr_vcpus);
	EXPECT_LT(0, w->nr_vcpu_entries);
	EXPECT_LE(w->nr_vcpu_entries, n);
	/* partial exactly when flagged */
	EXPECT_EQ(w->nr_vcpu_entries < n, w->vcpus_truncated);
	/* the entries are vCPUs 0.. in order, each with its thread */
	for (i = 0; i < kept; i++) {
		EXPECT_EQ(i, w->vcpus[i].id);
		if (i < ntids) {
			EXPECT_EQ(tids[i], w->vcpus[i].tid);
		}
	}
	return w->nr_vcpu_entries;
}

/*
 * VMMs with more vCPUs than a message holds: the totals count every
 * vCPU, the list is what fits, and HOSTACCT_A_KVM_VCPUS_TRUNCATED says
 * when it is partial. A do reply is one NLMSG_GOODSIZE message (135 vCPUs
 * fitted in the test guests); a dump message is as large as the reader's
 * buffer allows, at most 32 KiB (this client reads with 64 KiB): 64 vCPUs
 * fit, 600 do not.
 */
TEST_F_TIMEOUT(wl, many_vcpus_never_silently_dropped, 900)
{
	static const int sizes[] = { 64, 600 };
	struct hc_wl *w, one;
	struct fixture f;
	pid_t tids[64];
	char arg[16];
	int s, ntids, dumped, got;

	ASSERT_EQ(0, access("/dev/kvm", R_OK | W_OK));
	for (s = 0; s < 2; s++) {
		snprintf(arg, sizeof(arg), "%d", sizes[s]);
		ASSERT_EQ(0, fixture_run(&f, "tinyvm", "--vcpus", arg, "--mem-mb",
					 "16", "--touch-mb", "1", "--busy", "", NULL));
		ntids = parse_tids(f.ready, tids, 64);
		ASSERT_EQ(64, ntids);
		/* frozen: do and dump see the same totals */
		kill(f.pid, SIGSTOP);
		ASSERT_EQ(0, wait_stopped(f.pid));

		hc_wls_free(&self->l);
		memset(&self->l, 0, sizeof(self->l));
		ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
		w = hc_wls_find(&self->l, HOSTACCT_CLASS_KVM, f.pid);
		ASSERT_NE(NULL, w);
		dumped = check_vcpu_list(_metadata, w, sizes[s], tids, ntids);
		if (sizes[s] == 64) {
			EXPECT_EQ(64, dumped);
		} else {
			EXPECT_TRUE(w->vcpus_truncated);
		}

		memset(&one, 0, sizeof(one));
		ASSERT_EQ(0, hc_get(&self->h, HOSTACCT_CLASS_KVM, f.pid, &one));
		got = check_vcpu_list(_metadata, &one, sizes[s], tids, ntids);
		if (sizes[s] == 600) {
			EXPECT_TRUE(one.vcpus_truncated);
		}
		EXPECT_LE(got, dumped);
		EXPECT_EQ(w->vcpu_ns, one.vcpu_ns);
		EXPECT_EQ(w->cpu_ns, one.cpu_ns);
		TH_LOG("%d vCPUs: %d listed in a dump, %d in a do reply",
		       sizes[s], dumped, got);
		fixture_stop(&f);
	}
}

static int is_kthread(pid_t pid)
{
	char path[64], buf[1024], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file_str(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	for (i = 3; i < 9; i++)		/* field 9: flags */
		p = strchr(p, ' ') + 1;
	return (strtoul(p, NULL, 10) & PF_KTHREAD) != 0;
}

/*
 * A kernel thread that works for a VM: vhost's workers (vhost-PID) and
 * 6.1's KVM NX recovery thread (kvm-nx-lpage-recovery, cut to 15
 * characters). The admin guide counts them as threads of their VM.
 */
static bool is_vm_worker(pid_t pid)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_file_str(path, comm, sizeof(comm)))
		return false;
	return !strncmp(comm, "vhost-", 6) || !strncmp(comm, "kvm-nx-lpage", 12);
}

/*
 * Kernel threads in /proc that work for a VM (only one VM runs at a
 * time), and their summed runtime (schedstat).
 */
static unsigned int vm_worker_kthreads(uint64_t *runtime_ns)
{
	struct dirent *d;
	unsigned int n = 0, nt;
	DIR *dir = opendir("/proc");
	uint64_t ns;

	*runtime_ns = 0;
	while (dir && (d = readdir(dir))) {
		pid_t pid = atoi(d->d_name);

		if (pid > 0 && is_kthread(pid) == 1 && is_vm_worker(pid)) {
			n++;
			if (!proc_runtime_ns(pid, &ns, &nt))
				*runtime_ns += ns;
		}
	}
	if (dir)
		closedir(dir);
	return n;
}

/* Threads of process @pid in /proc, 0 if it is gone. */
static unsigned int count_threads(pid_t pid)
{
	unsigned int n = 0;
	struct dirent *t;
	char path[64];
	DIR *td;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	td = opendir(path);
	while (td && (t = readdir(td)))
		if (t->d_name[0] != '.')
			n++;
	if (td)
		closedir(td);
	return n;
}

/* Thread groups (pids) and threads in /proc. */
static size_t list_procs(pid_t *pids, size_t max, unsigned int *threads)
{
	struct dirent *d, *t;
	size_t n = 0;
	DIR *dir = opendir("/proc"), *td;
	char path[300];

	*threads = 0;
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (n < max)
			pids[n++] = atoi(d->d_name);
		snprintf(path, sizeof(path), "/proc/%s/task", d->d_name);
		td = opendir(path);
		while (td && (t = readdir(td)))
			if (t->d_name[0] != '.')
				(*threads)++;
		if (td)
			closedir(td);
	}
	if (dir)
		closedir(dir);
	return n;
}

TEST_F_TIMEOUT(wl, every_task_in_exactly_one_workload, 300)
{
	static pid_t pids[8192];
	unsigned int t0, t1, sum = 0, kthreads = 0, workers = 0;
	struct fixture ctr, vm, burner;
	int *tally;
	size_t n, i;

	ASSERT_EQ(0, container_start(&ctr, "partition", false, "20"));
	ASSERT_EQ(0, fixture_run(&burner, "burner", "--threads", "3", "--ms", "10", NULL));
	ASSERT_EQ(0, fixture_run(&vm, "tinyvm", "--vcpus", "2", NULL));

	list_procs(pids, 8192, &t0);
	ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
	n = list_procs(pids, 8192, &t1);

	for (i = 0; i < self->l.n; i++)
		sum += self->l.v[i].nr_threads;
	EXPECT_EQ(0, duplicates(&self->l));
	TH_LOG("/proc: %u then %u threads; workloads: %u threads in %zu rows",
	       t0, t1, sum, self->l.n);
	EXPECT_LE(sum, (t0 > t1 ? t0 : t1) + 2);
	EXPECT_GE(sum + 2, t0 < t1 ? t0 : t1);

	/*
	 * The pid filter names the one workload of each process; each
	 * workload must hold as many processes as name it.
	 */
	tally = calloc(self->l.n, sizeof(*tally));
	ASSERT_NE(NULL, tally);
	for (i = 0; i < n; i++) {
		struct hc_wls one = { 0 };
		struct hc_wl *w;
		int k = is_kthread(pids[i]);

		if (hc_dump(&self->h, 0, pids[i], 0, &one)) {
			hc_wls_free(&one);
			continue;	/* exited meanwhile */
		}
		EXPECT_EQ(1, one.n);
		if (one.n != 1)
			continue;
		/* only the tiny VMM runs a VM here: its worker is its thread */
		if (k == 1 && one.v[0].class == HOSTACCT_CLASS_KVM &&
		    is_vm_worker(pids[i])) {
			EXPECT_EQ(vm.pid, one.v[0].id);
			workers++;
			hc_wls_free(&one);
			continue;
		}
		kthreads += k == 1;
		if (k == 1) {
			EXPECT_EQ(HOSTACCT_CLASS_KERNEL, one.v[0].class);
		} else {
			EXPECT_NE(HOSTACCT_CLASS_KERNEL, one.v[0].class);
		}
		w = hc_wls_find(&self->l, one.v[0].class, one.v[0].id);
		if (w)
			tally[w - self->l.v]++;
		hc_wls_free(&one);
	}
	for (i = 0; i < self->l.n; i++) {
		struct hc_wl *w = &self->l.v[i];

		if (w->class == HOSTACCT_CLASS_KERNEL) {
			EXPECT_TRUE(close_to(tally[i], w->nr_procs, 0, 2));
			EXPECT_TRUE(close_to(kthreads, w->nr_procs, 0, 2));
		} else {
			EXPECT_EQ(w->nr_procs, tally[i]) TH_LOG("%s %llu",
				w->name, (unsigned long long)w->id);
		}
	}
	free(tally);
	/* the VMM's threads, and the kernel threads that work for its VM */
	for (i = 0; i < self->l.n; i++)
		if (self->l.v[i].class == HOSTACCT_CLASS_KVM &&
		    self->l.v[i].id == (uint64_t)vm.pid) {
			EXPECT_EQ(count_threads(vm.pid) + workers, self->l.v[i].nr_threads);
		}
	TH_LOG("kernel threads working for the VM: %u", workers);
	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_KERNEL, 0));
	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_NATIVE, getpid()));
	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_CONTAINER,
			      ready_val(&ctr, "id")));
	EXPECT_EQ(1, count_of(&self->l, HOSTACCT_CLASS_KVM, vm.pid));
	fixture_stop(&burner);
	fixture_stop(&vm);
	fixture_stop(&ctr);
}

/* Every field equal (memory.current may move by a few pages). */
static int same_workload(const struct hc_wl *a, const struct hc_wl *b)
{
	struct hc_wl x = *a, y = *b;

	if (!close_to(x.mem_cgroup, y.mem_cgroup, 0, 65536))
		return 0;
	x.mem_cgroup = y.mem_cgroup = 0;
	return !memcmp(&x, &y, sizeof(x));
}

TEST_F_TIMEOUT(wl, filters_and_doit_agree_with_dump, 300)
{
	struct fixture ctr, vm, burner;
	struct hc_wl *refs[4], d;
	char freeze[192];
	uint64_t ids[4];
	uint32_t classes[4];
	pid_t pids[4];
	int nref = 0, i;
	uint64_t root_id;
	size_t k;

	ASSERT_EQ(0, cgroup_id_of(CG_ROOT, &root_id));
	ASSERT_EQ(0, container_start(&ctr, "agree", false, "20"));
	ASSERT_EQ(0, fixture_run(&burner, "burner", "--threads", "2", "--ms", "200", NULL));
	ASSERT_EQ(0, fixture_run(&vm, "tinyvm", "--vcpus", "2", NULL));
	kill(vm.pid, SIGSTOP);
	snprintf(freeze, sizeof(freeze), CG_TEST "/agree/cgroup.freeze");
	ASSERT_EQ(0, write_file(freeze, "1"));
	/* events, not a sleep: the VMM stopped, the container frozen */
	ASSERT_EQ(0, wait_stopped(vm.pid));
	ASSERT_EQ(0, wait_frozen(CG_TEST "/agree"));

	ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
	classes[nref] = HOSTACCT_CLASS_NATIVE;
	ids[nref] = burner.pid;
	pids[nref++] = burner.pid;
	classes[nref] = HOSTACCT_CLASS_CONTAINER;
	ids[nref] = ready_val(&ctr, "id");
	pids[nref++] = ready_val(&ctr, "init");
	classes[nref] = HOSTACCT_CLASS_KVM;
	ids[nref] = vm.pid;
	pids[nref++] = vm.pid;
	for (i = 0; i < nref; i++) {
		struct hc_wls byp = { 0 }, bycg = { 0 }, bymask = { 0 };
		struct hc_wl *w;

		refs[i] = hc_wls_find(&self->l, classes[i], ids[i]);
		ASSERT_NE(NULL, refs[i]);

		ASSERT_EQ(0, hc_get(&self->h, classes[i], ids[i], &d));
		EXPECT_TRUE(same_workload(refs[i], &d)) TH_LOG("do: %s", d.name);

		ASSERT_EQ(0, hc_dump(&self->h, 0, pids[i], 0, &byp));
		ASSERT_EQ(1, byp.n);
		EXPECT_TRUE(same_workload(refs[i], &byp.v[0]));

		ASSERT_EQ(0, hc_dump(&self->h, 0, 0, refs[i]->cgroup_id, &bycg));
		w = hc_wls_find(&bycg, classes[i], ids[i]);
		ASSERT_NE(NULL, w);
		EXPECT_TRUE(same_workload(refs[i], w));
		/* kernel threads live in the root cgroup only */
		for (k = 0; k < bycg.n; k++)
			if (refs[i]->cgroup_id != root_id)
				EXPECT_NE(HOSTACCT_CLASS_KERNEL, bycg.v[k].class);

		ASSERT_EQ(0, hc_dump(&self->h, BIT_CLASS(classes[i]), 0, 0, &bymask));
		w = hc_wls_find(&bymask, classes[i], ids[i]);
		ASSERT_NE(NULL, w);
		EXPECT_TRUE(same_workload(refs[i], w));
		for (k = 0; k < bymask.n; k++)
			EXPECT_EQ(classes[i], bymask.v[k].class);

		hc_wls_free(&byp);
		hc_wls_free(&bycg);
		hc_wls_free(&bymask);
	}

	/* The kernel row: same identity by every route (kthreads run on). */
	ASSERT_EQ(0, hc_get(&self->h, HOSTACCT_CLASS_KERNEL, 0, &d));
	EXPECT_STREQ("kernel", d.name);
	EXPECT_EQ(2, d.leader_pid);
	EXPECT_NE(NULL, hc_wls_find(&self->l, HOSTACCT_CLASS_KERNEL, 0));

	write_file(freeze, "0");
	fixture_stop(&burner);
	fixture_stop(&vm);
	fixture_stop(&ctr);
}

/*
 * 5,000 processes and 20,000 threads while another process forks and
 * exits (HA_SCALE=small, for the debug kernel: a tenth of that).
 */
TEST_F_TIMEOUT(wl, dump_at_scale_under_churn, 900)
{
	struct fixture many, single, churn;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	const char *scale = getenv("HA_SCALE");
	bool small = scale && !strcmp(scale, "small");
	unsigned int want_procs = small ? 500 : 5000;
	unsigned int want_threads = small ? 2000 : 20000;
	int round;

	write_file("/proc/sys/kernel/pid_max", "4194304");
	write_file("/proc/sys/kernel/threads-max", "200000");
	setrlimit(RLIMIT_NPROC, &rl);

	ASSERT_EQ(0, fixture_run(&many, "spawner", "--procs", small ? "100" : "1000",
			   "--threads", "16", NULL));
	ASSERT_EQ(0, fixture_run(&single, "spawner", "--procs", small ? "400" : "4000", NULL));
	ASSERT_EQ(0, fixture_run(&churn, "churn", NULL));

	for (round = 0; round < 3; round++) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
		unsigned int threads = 0, natives = 0;
		size_t i;

		hc_wls_free(&self->l);
		ASSERT_EQ(0, hc_dump(&self->h, 0, 0, 0, &self->l));
		for (i = 0; i < self->l.n; i++) {
			threads += self->l.v[i].nr_threads;
			natives += self->l.v[i].class == HOSTACCT_CLASS_NATIVE;
		}
		EXPECT_EQ(0, duplicates(&self->l));
		TH_LOG("round %d: %zu workloads, %u natives, %u threads, %.1f ms, %d messages",
		       round, self->l.n, natives, threads,
		       (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6, self->h.nmsgs);
		EXPECT_GE(natives, want_procs);
		EXPECT_GE(threads, want_threads);
	}
	fixture_stop(&churn);
	fixture_stop(&single);
	fixture_stop(&many);
}

TEST_HARNESS_MAIN
