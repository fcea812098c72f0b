// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the CLI's parsing and formatting; no kernel module needed.
 * Messages are built in memory with libmnl, as the kernel would send them.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "hostacct.h"

TEST(parse_numbers)
{
	uint64_t v;
	uint32_t u;

	EXPECT_EQ(0, ha_parse_u64("0", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, ha_parse_u64("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_EQ(-EINVAL, ha_parse_u64("18446744073709551616", &v));
	EXPECT_EQ(-EINVAL, ha_parse_u64("", &v));
	EXPECT_EQ(-EINVAL, ha_parse_u64("-1", &v));
	EXPECT_EQ(-EINVAL, ha_parse_u64("12a", &v));
	EXPECT_EQ(-EINVAL, ha_parse_u64(" 1", &v));
	EXPECT_EQ(0, ha_parse_u32("4294967295", &u));
	EXPECT_EQ(-EINVAL, ha_parse_u32("4294967296", &u));
}

TEST(parse_durations)
{
	double s;

	EXPECT_EQ(0, ha_parse_seconds("5", &s));
	EXPECT_EQ(5.0, s);
	EXPECT_EQ(0, ha_parse_seconds("0.5", &s));
	EXPECT_EQ(0.5, s);
	EXPECT_EQ(0, ha_parse_seconds("250ms", &s));
	EXPECT_EQ(0.25, s);
	EXPECT_EQ(0, ha_parse_seconds("2m", &s));
	EXPECT_EQ(120.0, s);
	EXPECT_EQ(0, ha_parse_seconds("3s", &s));
	EXPECT_EQ(3.0, s);
	EXPECT_EQ(-EINVAL, ha_parse_seconds("0", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("-1", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("abc", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("5x", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("1e9", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("", &s));
	EXPECT_EQ(-EINVAL, ha_parse_seconds("nan", &s));
}

TEST(format_bytes)
{
	char b[32];

	EXPECT_STREQ("0B", ha_fmt_bytes(b, sizeof(b), 0));
	EXPECT_STREQ("1023B", ha_fmt_bytes(b, sizeof(b), 1023));
	EXPECT_STREQ("1.0K", ha_fmt_bytes(b, sizeof(b), 1024));
	EXPECT_STREQ("1.5K", ha_fmt_bytes(b, sizeof(b), 1536));
	EXPECT_STREQ("10K", ha_fmt_bytes(b, sizeof(b), 10 * 1024));
	EXPECT_STREQ("256M", ha_fmt_bytes(b, sizeof(b), 256ULL << 20));
	EXPECT_STREQ("3.0G", ha_fmt_bytes(b, sizeof(b), 3ULL << 30));
	EXPECT_STREQ("2.0E", ha_fmt_bytes(b, sizeof(b), 2ULL << 60));
	EXPECT_STREQ("1.50", ha_fmt_seconds(b, sizeof(b), 1500000000ULL));
}

TEST(classes)
{
	uint32_t c, mask;

	EXPECT_EQ(0, ha_class_parse("kvm", &c));
	EXPECT_EQ(HOSTACCT_CLASS_KVM, c);
	EXPECT_EQ(0, ha_class_parse("Container", &c));
	EXPECT_EQ(HOSTACCT_CLASS_CONTAINER, c);
	EXPECT_EQ(-EINVAL, ha_class_parse("vmx", &c));
	EXPECT_EQ(0, ha_class_mask_parse("native,kvm", &mask));
	EXPECT_EQ((1U << HOSTACCT_CLASS_NATIVE) | (1U << HOSTACCT_CLASS_KVM), mask);
	EXPECT_EQ(-EINVAL, ha_class_mask_parse("native,,bogus", &mask));
	EXPECT_EQ(-EINVAL, ha_class_mask_parse(",", &mask));
	EXPECT_STREQ("kernel", ha_class_name(HOSTACCT_CLASS_KERNEL));
	EXPECT_STREQ("unknown", ha_class_name(77));
}

/* A generic netlink message as the kernel sends it. */
static struct nlmsghdr *msg_new(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 30;
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* A u64 attribute preceded by its pad, as nla_put_u64_64bit() may do. */
static void put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	mnl_attr_put(nlh, HOSTACCT_A_WORKLOAD_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

TEST(parse_host_message)
{
	char buf[4096];
	struct nlmsghdr *nlh = msg_new(buf, HOSTACCT_CMD_HOST_GET);
	struct ha_host h;

	mnl_attr_put_strz(nlh, HOSTACCT_A_HOST_KERNEL_RELEASE, "6.1.0-test");
	mnl_attr_put_strz(nlh, HOSTACCT_A_HOST_MODULE_VERSION, "0.1.0");
	mnl_attr_put_u32(nlh, HOSTACCT_A_HOST_NR_CPUS_ONLINE, 4);
	put_u64(nlh, HOSTACCT_A_HOST_MEM_TOTAL_BYTES, 8ULL << 30);
	put_u64(nlh, HOSTACCT_A_HOST_CPU_IDLE_NS, 123456789);
	put_u64(nlh, HOSTACCT_A_HOST_CPU_GUEST_NICE_NS, 7);
	mnl_attr_put_u32(nlh, 250, 1);		/* from a newer module: skipped */

	ASSERT_EQ(0, ha_parse_host(nlh, &h));
	EXPECT_STREQ("6.1.0-test", h.kernel_release);
	EXPECT_STREQ("0.1.0", h.module_version);
	EXPECT_EQ(4, h.nr_cpus);
	EXPECT_EQ(8ULL << 30, h.mem_total);
	EXPECT_EQ(123456789, h.cpu[HA_CPU_IDLE]);
	EXPECT_EQ(7, h.cpu[HA_CPU_GUEST_NICE]);
	EXPECT_EQ(0, h.cpu[HA_CPU_USER]);
}

TEST(parse_rejects_malformed_attributes)
{
	char buf[4096];
	struct nlmsghdr *nlh;
	struct ha_workload w;
	struct ha_host h;

	/* a u64 counter of 4 bytes */
	nlh = msg_new(buf, HOSTACCT_CMD_HOST_GET);
	mnl_attr_put_u32(nlh, HOSTACCT_A_HOST_NR_CPUS_ONLINE, 4);
	mnl_attr_put_u32(nlh, HOSTACCT_A_HOST_MEM_TOTAL_BYTES, 1);
	EXPECT_EQ(-EINVAL, ha_parse_host(nlh, &h));

	/* a string without its NUL */
	nlh = msg_new(buf, HOSTACCT_CMD_WORKLOAD_GET);
	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_NATIVE);
	mnl_attr_put(nlh, HOSTACCT_A_WORKLOAD_NAME, 3, "abc");
	EXPECT_EQ(-EINVAL, ha_parse_workload(nlh, &w));

	/* an unknown class */
	nlh = msg_new(buf, HOSTACCT_CMD_WORKLOAD_GET);
	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_CLASS, 9);
	EXPECT_EQ(-EINVAL, ha_parse_workload(nlh, &w));

	/* no host facts at all */
	nlh = msg_new(buf, HOSTACCT_CMD_HOST_GET);
	EXPECT_EQ(-EINVAL, ha_parse_host(nlh, &h));
}

static struct nlmsghdr *vm_message(char *buf)
{
	struct nlmsghdr *nlh = msg_new(buf, HOSTACCT_CMD_WORKLOAD_GET);
	struct nlattr *kvm, *vcpu;
	int i;

	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_KVM);
	put_u64(nlh, HOSTACCT_A_WORKLOAD_ID, 4242);
	mnl_attr_put_strz(nlh, HOSTACCT_A_WORKLOAD_NAME, "qemu, \"x\"");
	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_NR_THREADS, 5);
	put_u64(nlh, HOSTACCT_A_WORKLOAD_CPU_NS, 3000000000ULL);
	put_u64(nlh, HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES, 64ULL << 20);
	kvm = mnl_attr_nest_start(nlh, HOSTACCT_A_WORKLOAD_KVM);
	mnl_attr_put_u32(nlh, HOSTACCT_A_KVM_NR_VCPUS, 2);
	put_u64(nlh, HOSTACCT_A_KVM_GUEST_MEM_BYTES, 256ULL << 20);
	for (i = 0; i < 2; i++) {
		vcpu = mnl_attr_nest_start(nlh, HOSTACCT_A_KVM_VCPU);
		mnl_attr_put_u32(nlh, HOSTACCT_A_VCPU_ID, i);
		mnl_attr_put_u32(nlh, HOSTACCT_A_VCPU_TID, 100 + i);
		put_u64(nlh, HOSTACCT_A_VCPU_GUEST_NS, 1000 * (i + 1));
		mnl_attr_nest_end(nlh, vcpu);
	}
	mnl_attr_nest_end(nlh, kvm);
	return nlh;
}

TEST(parse_vm_workload)
{
	char buf[4096];
	struct ha_workload w;

	ASSERT_EQ(0, ha_parse_workload(vm_message(buf), &w));
	EXPECT_EQ(HOSTACCT_CLASS_KVM, w.class);
	EXPECT_EQ(4242, w.id);
	EXPECT_STREQ("qemu, \"x\"", w.name);
	EXPECT_EQ(5, w.nr_threads);
	EXPECT_EQ(3000000000ULL, w.cpu_ns);
	EXPECT_TRUE(w.has_kvm);
	EXPECT_FALSE(w.has_mem_cgroup);
	EXPECT_EQ(2, w.kvm.nr_vcpus);
	EXPECT_EQ(256ULL << 20, w.kvm.guest_mem);
	ASSERT_EQ(2, w.kvm.nr_vcpu_entries);
	EXPECT_EQ(101, w.kvm.vcpus[1].tid);
	EXPECT_EQ(2000, w.kvm.vcpus[1].guest_ns);
	ha_workload_free(&w);
}

/* Render one workload in @fmt into a string. */
static char *render(enum ha_format fmt, const struct ha_workload *w)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct ha_out *o = ha_out_new(fmt, f);

	ha_out_section(o, NULL, NULL, true);
	ha_print_workload(o, w);
	ha_out_section_end(o);
	ha_out_finish(o);
	fclose(f);
	return out;
}

TEST(output_formats_agree)
{
	char buf[4096], *json, *table, *csv;
	struct ha_workload w;

	ASSERT_EQ(0, ha_parse_workload(vm_message(buf), &w));

	json = render(HA_FMT_JSON, &w);
	/* numbers are numbers, units are in the keys, vCPUs are listed */
	EXPECT_NE(NULL, strstr(json, "\"cpu_ns\":3000000000"));
	EXPECT_NE(NULL, strstr(json, "\"class\":\"kvm\""));
	EXPECT_NE(NULL, strstr(json, "\"name\":\"qemu, \\\"x\\\"\""));
	EXPECT_NE(NULL, strstr(json, "\"guest_mem_bytes\":268435456"));
	EXPECT_NE(NULL, strstr(json, "\"mem_cgroup_bytes\":null"));
	EXPECT_NE(NULL, strstr(json, "\"tid\":101"));
	EXPECT_EQ('[', json[0]);

	table = render(HA_FMT_TABLE, &w);
	EXPECT_NE(NULL, strstr(table, "CLASS"));
	EXPECT_NE(NULL, strstr(table, "3.00"));		/* CPU seconds */
	EXPECT_NE(NULL, strstr(table, "256M"));		/* guest RAM */
	EXPECT_NE(NULL, strstr(table, "64M"));		/* RSS */
	EXPECT_EQ(NULL, strstr(table, "tid"));		/* JSON-only detail */
	/* header and row have the same width up to the name column */
	EXPECT_EQ(strstr(table, "NAME") - table,
		  strstr(table, "qemu") - (strchr(table, '\n') + 1));

	csv = render(HA_FMT_CSV, &w);
	EXPECT_EQ(0, strncmp(csv, "class,id,nr_procs,nr_threads,cpu_ns,", 36));
	EXPECT_NE(NULL, strstr(csv, "kvm,4242,0,5,3.00,67108864,2,268435456,,"));
	EXPECT_NE(NULL, strstr(csv, "\"qemu, \"\"x\"\"\""));

	free(json);
	free(table);
	free(csv);
	ha_workload_free(&w);
}

TEST(cgroup_path_resolution)
{
	char root[] = "/tmp/hostacct-unit-XXXXXX", path[128], file[160];
	uint64_t a, b, c;
	struct stat st;

	ASSERT_NE(NULL, mkdtemp(root));
	snprintf(path, sizeof(path), "%s/a", root);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/a/b", root);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(0, stat(path, &st));

	EXPECT_EQ(0, ha_cgroup_id(root, "a/b", &a));
	EXPECT_EQ(0, ha_cgroup_id(root, "/a/b", &b));
	EXPECT_EQ(0, ha_cgroup_id(root, path, &c));
	EXPECT_EQ(a, b);
	EXPECT_EQ(a, c);
	EXPECT_EQ(-ENOENT, ha_cgroup_id(root, "/nope", &a));
	snprintf(file, sizeof(file), "%s/f", path);
	fclose(fopen(file, "w"));
	EXPECT_EQ(-ENOTDIR, ha_cgroup_id(root, "/a/b/f", &a));

	unlink(file);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", root);
	rmdir(path);
	rmdir(root);
}

TEST_HARNESS_MAIN
