// SPDX-License-Identifier: GPL-2.0
/*
 * The hostacct generic netlink family: resolution, HOST_GET against
 * procfs, strict validation of malformed requests (errno and extack),
 * privilege and network namespace checks, load/unload cycles.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>

#include "kselftest_harness.h"
#include "client.h"
#include "util.h"

FIXTURE(nl) {
	struct hc h;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, hc_open(&self->h)) {
		TH_LOG("family '%s' not found: is the module loaded?",
		       HOSTACCT_FAMILY_NAME);
	}
}

FIXTURE_TEARDOWN(nl)
{
	hc_close(&self->h);
}

/* The controller lists the family with its version and commands. */
TEST_F(nl, family_resolves)
{
	struct nl_cache *cache;
	struct genl_family *fam;

	ASSERT_GT(self->h.family, GENL_MIN_ID);
	ASSERT_EQ(0, genl_ctrl_alloc_cache(self->h.sk, &cache));
	fam = genl_ctrl_search_by_name(cache, HOSTACCT_FAMILY_NAME);
	ASSERT_NE(NULL, fam);
	EXPECT_EQ(HOSTACCT_FAMILY_VERSION, genl_family_get_version(fam));
	EXPECT_EQ(self->h.family, genl_family_get_id(fam));
	genl_family_put(fam);
	nl_cache_free(cache);
}

/* /proc/stat "cpu" line in ns (USER_HZ ticks, truncated by the kernel). */
static void proc_stat_ns(uint64_t ns[10])
{
	unsigned long long t[10] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int i;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6],
			 &t[7], &t[8], &t[9]) != 10)
		memset(t, 0, sizeof(t));
	if (f)
		fclose(f);
	for (i = 0; i < 10; i++)
		ns[i] = t[i] * (1000000000ULL / hz);
}

/*
 * Whether the running kernel's configuration (/boot/config-RELEASE, or
 * .config of its build tree) sets @opt=y; -1 if neither is there.
 */
static int kconfig_enabled(const char *opt)
{
	char path[160], line[256], want[96];
	struct utsname uts;
	int found = 0;
	FILE *f;

	if (uname(&uts))
		return -1;
	snprintf(path, sizeof(path), "/boot/config-%s", uts.release);
	f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "/lib/modules/%s/build/.config",
			 uts.release);
		f = fopen(path, "re");
	}
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%s=y\n", opt);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, want);
	fclose(f);
	return found;
}

TEST_F(nl, host_get_matches_procfs)
{
	static const char *const names[10] = {
		"user", "nice", "system", "idle", "iowait", "irq", "softirq",
		"steal", "guest", "guest_nice",
	};
	uint64_t before[10], after[10], tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	uint64_t boot0, boot1, meminfo_total, meminfo_avail;
	struct hc_host host;
	struct utsname uts;
	char version[64] = "";
	int i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	boot0 = clock_ns(CLOCK_BOOTTIME);
	proc_stat_ns(before);
	ASSERT_EQ(0, hc_host_get(&self->h, &host));
	proc_stat_ns(after);
	boot1 = clock_ns(CLOCK_BOOTTIME);

	/*
	 * Same sources as /proc/stat: each state lies between the two reads,
	 * allowing the truncation to ticks (one tick per CPU).
	 */
	for (i = 0; i < 10; i++) {
		EXPECT_LE(before[i], host.cpu[i]) TH_LOG("%s", names[i]);
		EXPECT_GE(after[i] + ncpu * tick, host.cpu[i]) TH_LOG("%s", names[i]);
	}
	EXPECT_LE(host.cpu[8], host.cpu[0]);	/* guest is part of user */
	EXPECT_LE(host.cpu[9], host.cpu[1]);
	EXPECT_GT(host.cpu[3], 0);

	EXPECT_EQ(ncpu, host.nr_cpus);
	ASSERT_EQ(0, meminfo_kb("MemTotal", &meminfo_total));
	EXPECT_EQ(meminfo_total * 1024, host.mem_total);
	ASSERT_EQ(0, meminfo_kb("MemAvailable", &meminfo_avail));
	/* MemAvailable moves; 2 % of total is generous for this quiet guest. */
	EXPECT_LE(llabs((long long)(meminfo_avail * 1024 - host.mem_available)),
		  (long long)(host.mem_total / 50));
	EXPECT_LE(host.mem_free, host.mem_total);

	ASSERT_EQ(0, uname(&uts));
	EXPECT_STREQ(uts.release, host.release);
	ASSERT_EQ(0, read_file_str("/sys/module/hostacct/version", version,
				   sizeof(version)));
	EXPECT_STREQ(version, host.module_version);
	EXPECT_LE(boot0, host.timestamp_ns);
	EXPECT_GE(boot1, host.timestamp_ns);
	/* the sample's span lies inside the request's */
	EXPECT_LE(host.sample_ns, boot1 - boot0);
	EXPECT_EQ(HOSTACCT_CLASS_MAX, host.nr_classes);
	for (i = HOSTACCT_CLASS_KERNEL; i <= HOSTACCT_CLASS_MAX; i++)
		EXPECT_LE(host.cls[i].exited_ns, host.cls[i].cpu_ns);
	/* this test process is one native workload, counted */
	EXPECT_LE(1, host.cls[HOSTACCT_CLASS_NATIVE].nr_workloads);
	EXPECT_LE(1, host.cls[HOSTACCT_CLASS_KERNEL].nr_workloads);
	/* the kernel's configuration says whether irq, steal time are apart */
	EXPECT_EQ(kconfig_enabled("CONFIG_IRQ_TIME_ACCOUNTING"), host.irq_apart);
	EXPECT_EQ(kconfig_enabled("CONFIG_PARAVIRT_TIME_ACCOUNTING"),
		  host.steal_apart);
}

/* SYNC is the one attribute HOST_GET takes, and it waits, then answers. */
TEST_F(nl, host_get_sync)
{
	struct hc_host a, b;

	ASSERT_EQ(0, hc_host_get(&self->h, &a));
	ASSERT_EQ(0, hc_host_get_sync(&self->h, &b));
	EXPECT_LT(a.timestamp_ns, b.timestamp_ns);
	EXPECT_LE(a.cpu[3], b.cpu[3]);
	EXPECT_LE(a.cls[HOSTACCT_CLASS_NATIVE].cpu_ns,
		  b.cls[HOSTACCT_CLASS_NATIVE].cpu_ns);
}

/* Build a raw request: nlmsghdr + genlmsghdr + @attrs. */
static size_t raw_req(struct hc *h, void *buf, uint8_t cmd, uint16_t flags,
		      const void *attrs, size_t alen, uint32_t seq)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *g = (void *)((char *)buf + NLMSG_HDRLEN);

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = h->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = HOSTACCT_FAMILY_VERSION;
	memcpy((char *)buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
	return nlh->nlmsg_len;
}

struct raw_attr {
	struct nlattr nla;
	unsigned char data[16];
};

/* An attribute of @type with @len payload bytes (rounded up). */
static size_t mkattr(struct raw_attr *a, uint16_t type, const void *data,
		     uint16_t len)
{
	memset(a, 0, sizeof(*a));
	a->nla.nla_type = type;
	a->nla.nla_len = NLA_HDRLEN + len;
	memcpy(a->data, data, len);
	return NLA_ALIGN(a->nla.nla_len);
}

#define ATTR_OFFSET (NLMSG_HDRLEN + GENL_HDRLEN)

TEST_F(nl, unknown_attribute_rejected)
{
	uint32_t v = 1;
	char buf[256];
	struct raw_attr a;
	size_t alen = mkattr(&a, 200, &v, 4);
	size_t len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET, NLM_F_ACK,
			     &a, alen, 101);

	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("Unknown attribute type", self->h.extack);
	EXPECT_TRUE(self->h.has_offs);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);
}

TEST_F(nl, reply_attribute_in_request_rejected)
{
	char buf[256];
	struct raw_attr a;
	size_t alen = mkattr(&a, HOSTACCT_A_HOST_KERNEL_RELEASE, "x", 2);
	size_t len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET, NLM_F_ACK,
			     &a, alen, 102);

	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("Unsupported attribute", self->h.extack);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);
}

/* A u32 attribute sent as one byte, a u64 as four: wrong type. */
TEST_F(nl, wrong_type_rejected)
{
	uint8_t b = 1;
	uint32_t v = 1;
	char buf[256];
	struct raw_attr a;
	size_t alen, len;

	alen = mkattr(&a, HOSTACCT_A_WORKLOAD_CLASS_MASK, &b, 1);
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP,
		      &a, alen, 103);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("invalid attribute length", self->h.extack);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);

	alen = mkattr(&a, HOSTACCT_A_WORKLOAD_CGROUP_ID, &v, 4);
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP,
		      &a, alen, 104);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("invalid attribute length", self->h.extack);
}

/* An attribute longer than its type (oversize), and a value out of range. */
TEST_F(nl, oversize_and_out_of_range_rejected)
{
	uint64_t big = 1;
	uint32_t class = HOSTACCT_CLASS_MAX + 1, mask = 1U << 31;
	char buf[256];
	struct raw_attr a;
	size_t alen, len;

	alen = mkattr(&a, HOSTACCT_A_WORKLOAD_PID, &big, 8);
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP,
		      &a, alen, 105);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("invalid attribute length", self->h.extack);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);

	alen = mkattr(&a, HOSTACCT_A_WORKLOAD_CLASS, &class, 4);
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_ACK,
		      &a, alen, 106);
	EXPECT_EQ(-ERANGE, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_NE(0, self->h.extack[0]);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);

	alen = mkattr(&a, HOSTACCT_A_WORKLOAD_CLASS_MASK, &mask, 4);
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP,
		      &a, alen, 107);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_NE(0, self->h.extack[0]);
	EXPECT_EQ(ATTR_OFFSET, self->h.offs);
}

/* An attribute whose length runs past the end of the message. */
TEST_F(nl, truncated_rejected)
{
	uint32_t v = 1;
	char buf[256];
	struct raw_attr a;
	size_t len;

	mkattr(&a, HOSTACCT_A_WORKLOAD_PID, &v, 4);
	a.nla.nla_len = 64;	/* claims 60 bytes of payload; 4 follow */
	len = raw_req(&self->h, buf, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP,
		      &a, 8, 108);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("bytes leftover after parsing attributes", self->h.extack);

	/* A message too short for the genetlink header: the core's EINVAL. */
	len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET, NLM_F_ACK, NULL, 0, 109);
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, NLMSG_HDRLEN + 4, NULL, NULL));
}

TEST_F(nl, header_checks)
{
	char buf[256];
	size_t len;

	/* genlmsghdr.reserved must be 0 */
	len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET, NLM_F_ACK, NULL, 0, 110);
	((struct genlmsghdr *)(buf + NLMSG_HDRLEN))->reserved = 1;
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", self->h.extack);

	/* NLM_F_REPLACE means nothing to a get request */
	len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET,
		      NLM_F_ACK | NLM_F_REPLACE, NULL, 0, 111);
	EXPECT_EQ(-EINVAL, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	EXPECT_NE(0, self->h.extack[0]);
}

/*
 * Commands the family does not have, and a dump of the do-only HOST_GET,
 * are refused by the genetlink core before the module is called: it
 * answers EOPNOTSUPP and attaches no extack message (6.1 and 6.12).
 */
TEST_F(nl, unknown_command_and_dump_of_do_only)
{
	char buf[256];
	size_t len;

	len = raw_req(&self->h, buf, 99, NLM_F_ACK, NULL, 0, 112);
	EXPECT_EQ(-EOPNOTSUPP, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	len = raw_req(&self->h, buf, 0, NLM_F_ACK, NULL, 0, 113);
	EXPECT_EQ(-EOPNOTSUPP, hc_talk_raw(&self->h, buf, len, NULL, NULL));
	len = raw_req(&self->h, buf, HOSTACCT_CMD_HOST_GET, NLM_F_DUMP, NULL, 0, 114);
	EXPECT_EQ(-EOPNOTSUPP, hc_talk_raw(&self->h, buf, len, NULL, NULL));
}

TEST_F(nl, workload_request_semantics)
{
	struct nl_msg *msg;
	struct hc_wl w;

	/* do without id: missing attribute, named */
	msg = hc_msg(&self->h, HOSTACCT_CMD_WORKLOAD_GET, 0);
	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_NATIVE);
	EXPECT_EQ(-EINVAL, hc_talk(&self->h, msg, NULL, NULL));
	EXPECT_TRUE(self->h.has_miss);
	EXPECT_EQ(HOSTACCT_A_WORKLOAD_ID, self->h.miss_type);
	EXPECT_STREQ("hostacct: missing attribute: id", self->h.extack);

	/* a dump filter in a do request */
	msg = hc_msg(&self->h, HOSTACCT_CMD_WORKLOAD_GET, 0);
	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_NATIVE);
	nla_put_u64(msg, HOSTACCT_A_WORKLOAD_ID, getpid());
	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_PID, getpid());
	EXPECT_EQ(-EINVAL, hc_talk(&self->h, msg, NULL, NULL));
	EXPECT_STREQ("hostacct: this attribute filters dumps only", self->h.extack);
	EXPECT_TRUE(self->h.has_offs);

	/*
	 * class/id in a dump. Dump errors come in NLMSG_DONE, which carries
	 * the attribute offset only on newer kernels (6.12 yes, 6.1 no).
	 */
	msg = hc_msg(&self->h, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP);
	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_NATIVE);
	EXPECT_EQ(-EINVAL, hc_talk(&self->h, msg, NULL, NULL));
	EXPECT_NE(0, self->h.extack[0]);
	if (self->h.has_offs)
		EXPECT_EQ(ATTR_OFFSET, self->h.offs);

	/* unknown workloads: ENOENT with a message */
	EXPECT_EQ(-ENOENT, hc_get(&self->h, HOSTACCT_CLASS_NATIVE, 4194303, &w));
	EXPECT_STREQ("hostacct: no workload of this class with this id",
		     self->h.extack);
	EXPECT_EQ(-ENOENT, hc_get(&self->h, HOSTACCT_CLASS_CONTAINER, 12345678, &w));
	EXPECT_EQ(-ENOENT, hc_get(&self->h, HOSTACCT_CLASS_KERNEL, 7, &w));
	EXPECT_EQ(-ENOENT, hc_get(&self->h, HOSTACCT_CLASS_KVM, getpid(), &w));
	EXPECT_EQ(0, hc_get(&self->h, HOSTACCT_CLASS_NATIVE, getpid(), &w));
	EXPECT_EQ(0, hc_get(&self->h, HOSTACCT_CLASS_KERNEL, 0, &w));

	/* unknown cgroup id and pid filters */
	msg = hc_msg(&self->h, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP);
	nla_put_u64(msg, HOSTACCT_A_WORKLOAD_CGROUP_ID, 0xfffffffffULL);
	EXPECT_EQ(-ENOENT, hc_talk(&self->h, msg, NULL, NULL));
	EXPECT_STREQ("hostacct: no cgroup with this id", self->h.extack);
	msg = hc_msg(&self->h, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP);
	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_PID, 4194303);
	EXPECT_EQ(-ENOENT, hc_talk(&self->h, msg, NULL, NULL));
	EXPECT_STREQ("hostacct: no process with this pid", self->h.extack);
}

/* Run @fn in a child; return its exit status. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * 0 if HOST_GET, a dump and a do request are all refused with EPERM and
 * exactly @msg, and the dump listed nothing.
 */
static int expect_eperm(const char *msg)
{
	struct hc_wls l = { 0 };
	struct hc_host host;
	struct hc_wl w;
	struct hc h;

	if (hc_open(&h))
		return 10;
	if (hc_host_get(&h, &host) != -EPERM || strcmp(h.extack, msg))
		return 11;
	if (hc_dump(&h, 0, 0, 0, &l) != -EPERM || strcmp(h.extack, msg))
		return 12;
	if (l.n)
		return 13;
	if (hc_get(&h, HOSTACCT_CLASS_KERNEL, 0, &w) != -EPERM ||
	    strcmp(h.extack, msg))
		return 14;
	hc_close(&h);
	return 0;
}

static const char cap_msg[] =
	"hostacct: CAP_NET_ADMIN in the initial user namespace is required";

static int unprivileged_user(void)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 20;
	return expect_eperm(cap_msg);
}

static int userns_root(void)
{
	/* Full capabilities, but in a child user namespace only. */
	if (unshare(CLONE_NEWUSER))
		return 30;
	return expect_eperm(cap_msg);
}

TEST(unprivileged_callers_get_eperm)
{
	EXPECT_EQ(0, in_child(unprivileged_user));
	EXPECT_EQ(0, in_child(userns_root));
}

static const char pidns_msg[] =
	"hostacct: callers outside the initial pid namespace are refused: replies carry host pids their /proc does not show";
static const char cgns_msg[] =
	"hostacct: callers in a cgroup namespace below the root cgroup are refused: replies carry absolute cgroup paths";

static int in_pidns(void)
{
	return expect_eperm(pidns_msg);
}

static int pidns_root(void)
{
	/* the caller's children are the new namespace's tasks */
	if (unshare(CLONE_NEWPID))
		return 60;
	return in_child(in_pidns);
}

/* A cgroup namespace rooted at the root cgroup sees the host's paths. */
static int cgns_at_root(void)
{
	struct hc_host host;
	struct hc h;

	if (write_file("/sys/fs/cgroup/cgroup.procs", "0"))
		return 70;
	if (unshare(CLONE_NEWCGROUP))
		return 71;
	if (hc_open(&h) || hc_host_get(&h, &host))
		return 72;
	hc_close(&h);
	return 0;
}

static int cgns_below_root(void)
{
	if (write_file("/sys/fs/cgroup/hostacct-nl-cgns/cgroup.procs", "0"))
		return 80;
	if (unshare(CLONE_NEWCGROUP))
		return 81;
	return expect_eperm(cgns_msg);
}

/* Callers see what their /proc shows: namespaced callers are refused. */
TEST(namespaced_callers_get_eperm)
{
	EXPECT_EQ(0, in_child(pidns_root));
	ASSERT_TRUE(mkdir("/sys/fs/cgroup/hostacct-nl-cgns", 0755) == 0 ||
		    errno == EEXIST);
	EXPECT_EQ(0, in_child(cgns_below_root));
	EXPECT_EQ(0, in_child(cgns_at_root));
	EXPECT_EQ(0, rmdir("/sys/fs/cgroup/hostacct-nl-cgns"));
}

static int other_netns(void)
{
	struct hc h;

	if (unshare(CLONE_NEWNET))
		return 40;
	if (hc_open(&h) != -ENOENT)
		return 41;
	return 0;
}

TEST(family_absent_in_other_netns)
{
	EXPECT_EQ(0, in_child(other_netns));
}

static int module_loaded(void)
{
	return access("/sys/module/hostacct", F_OK) == 0;
}

FIXTURE(module) {
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

/* 20 unload/load cycles; each load answers, each unload removes the family. */
TEST_F_TIMEOUT(module, load_unload_cycles, 300)
{
	const char *ko = getenv("HOSTACCT_KO");
	struct hc_host host;
	struct hc h;
	int i, fd;

	if (!ko)
		SKIP(return, "HOSTACCT_KO not set");
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, syscall(SYS_delete_module, "hostacct", O_NONBLOCK))
			TH_LOG("rmmod %d: %s", i, strerror(errno));
		ASSERT_FALSE(module_loaded());
		ASSERT_EQ(-ENOENT, hc_open(&h));

		fd = open(ko, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0))
			TH_LOG("insmod %d: %s", i, strerror(errno));
		close(fd);
		ASSERT_EQ(0, hc_open(&h));
		ASSERT_EQ(0, hc_host_get(&h, &host));
		hc_close(&h);
	}
}

TEST_HARNESS_MAIN
