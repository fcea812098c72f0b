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

#include <json-c/json.h>
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
	struct ha_arena strings = { 0 };
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
	EXPECT_EQ(-EINVAL, ha_parse_workload(nlh, &w, &strings));

	/* an unknown class */
	nlh = msg_new(buf, HOSTACCT_CMD_WORKLOAD_GET);
	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_CLASS, 9);
	EXPECT_EQ(-EINVAL, ha_parse_workload(nlh, &w, &strings));

	/* no host facts at all */
	nlh = msg_new(buf, HOSTACCT_CMD_HOST_GET);
	EXPECT_EQ(-EINVAL, ha_parse_host(nlh, &h));
	ha_arena_free(&strings);
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
	struct ha_arena strings = { 0 };
	char buf[4096];
	struct ha_workload w;

	ASSERT_EQ(0, ha_parse_workload(vm_message(buf), &w, &strings));
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
	ha_arena_free(&strings);
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

/*
 * Every attribute of a WORKLOAD_GET reply with a value of its own (no two
 * alike, above 32 bits where the type is u64), and where each must come
 * out: its JSON and CSV key, its table column, its Prometheus series.
 */
struct field {
	uint16_t attr;		/* 0: a nest member, see kvm */
	bool kvm;		/* in the KVM nest */
	bool u32;
	uint64_t val;
	const char *key;	/* JSON and CSV */
	const char *hdr;	/* table column, or NULL */
	const char *prom;	/* Prometheus family, or NULL */
	bool prom_ns;		/* printed as seconds */
};

#define B 7000000000000ULL	/* above 2^32 */

static const struct field fields[] = {
	{ HOSTACCT_A_WORKLOAD_ID, 0, 0, 4242, "id", "ID" },
	{ HOSTACCT_A_WORKLOAD_LEADER_PID, 0, 1, 4243, "leader_pid" },
	{ HOSTACCT_A_WORKLOAD_CGROUP_ID, 0, 0, B + 1, "cgroup_id" },
	{ HOSTACCT_A_WORKLOAD_CONTAINER_ID, 0, 0, B + 2, "container_id" },
	{ HOSTACCT_A_WORKLOAD_NR_PROCS, 0, 1, 4244, "nr_procs", "PROCS",
	  "hostacct_workload_processes" },
	{ HOSTACCT_A_WORKLOAD_NR_THREADS, 0, 1, 4245, "nr_threads", "THREADS",
	  "hostacct_workload_threads" },
	{ HOSTACCT_A_WORKLOAD_START_TIME_NS, 0, 0, B + 3, "start_time_ns", NULL,
	  "hostacct_workload_start_time_seconds", true },
	{ HOSTACCT_A_WORKLOAD_CPU_NS, 0, 0, B + 4, "cpu_ns", "CPU(s)",
	  "hostacct_workload_cpu_seconds_total", true },
	{ HOSTACCT_A_WORKLOAD_CPU_USER_NS, 0, 0, B + 5, "cpu_user_ns", NULL,
	  "hostacct_workload_cpu_user_seconds_total", true },
	{ HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS, 0, 0, B + 6, "cpu_system_ns", NULL,
	  "hostacct_workload_cpu_system_seconds_total", true },
	{ HOSTACCT_A_WORKLOAD_CPU_GUEST_NS, 0, 0, B + 7, "cpu_guest_ns", NULL,
	  "hostacct_workload_cpu_guest_seconds_total", true },
	{ HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES, 0, 0, B + 8, "mem_rss_anon_bytes",
	  NULL, "hostacct_workload_memory_rss_anon_bytes" },
	{ HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES, 0, 0, B + 9, "mem_rss_file_bytes",
	  NULL, "hostacct_workload_memory_rss_file_bytes" },
	{ HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES, 0, 0, B + 10, "mem_rss_shmem_bytes",
	  NULL, "hostacct_workload_memory_rss_shmem_bytes" },
	{ HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES, 0, 0, B + 11, "mem_swap_bytes", NULL,
	  "hostacct_workload_memory_swap_bytes" },
	{ HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES, 0, 0, B + 12, "mem_cgroup_bytes",
	  "MEM.CUR" },
	{ HOSTACCT_A_WORKLOAD_MEM_HUGETLB_BYTES, 0, 0, B + 22, "mem_hugetlb_bytes",
	  NULL, "hostacct_workload_memory_hugetlb_bytes" },
	{ HOSTACCT_A_KVM_NR_VMS, 1, 1, 4246, "kvm_nr_vms" },
	{ HOSTACCT_A_KVM_NR_VCPUS, 1, 1, 4247, "kvm_nr_vcpus", "VCPUS",
	  "hostacct_vm_vcpus" },
	{ HOSTACCT_A_KVM_GUEST_MEM_BYTES, 1, 0, B + 13, "kvm_guest_mem_bytes",
	  "GUEST-RAM", "hostacct_vm_guest_memory_bytes" },
	{ HOSTACCT_A_KVM_GUEST_RESIDENT_BYTES, 1, 0, B + 14, "kvm_guest_resident_bytes",
	  NULL, "hostacct_vm_guest_resident_bytes" },
	{ HOSTACCT_A_KVM_VCPU_NS, 1, 0, B + 15, "kvm_vcpu_ns", NULL,
	  "hostacct_vm_vcpu_seconds_total", true },
	{ HOSTACCT_A_KVM_GUEST_NS, 1, 0, B + 16, "kvm_guest_ns", NULL,
	  "hostacct_vm_guest_seconds_total", true },
	{ HOSTACCT_A_KVM_OVERHEAD_NS, 1, 0, B + 17, "kvm_overhead_ns", NULL,
	  "hostacct_vm_overhead_seconds_total", true },
	{ HOSTACCT_A_KVM_HALT_POLL_NS, 1, 0, B + 18, "kvm_halt_poll_ns", NULL,
	  "hostacct_vm_halt_poll_seconds_total", true },
	{ HOSTACCT_A_KVM_DEVICE_MEM_BYTES, 1, 0, B + 23, "kvm_device_mem_bytes",
	  NULL, "hostacct_vm_device_memory_bytes" },
	{ HOSTACCT_A_WORKLOAD_CPU_WORKERS_NS, 0, 0, B + 24, "cpu_workers_ns" },
};

#define NAME		"vm-\"a\",b"
#define CGPATH		"/machine.slice/vm-a.scope"

/* A VMM's message with every attribute set (vCPUs: id 7, tid 4248...). */
static struct nlmsghdr *full_message(char *buf)
{
	struct nlmsghdr *nlh = msg_new(buf, HOSTACCT_CMD_WORKLOAD_GET);
	struct nlattr *kvm, *vcpu;
	size_t i;

	mnl_attr_put_u32(nlh, HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_CLASS_KVM);
	mnl_attr_put_strz(nlh, HOSTACCT_A_WORKLOAD_NAME, NAME);
	mnl_attr_put_strz(nlh, HOSTACCT_A_WORKLOAD_CGROUP_PATH, CGPATH);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].kvm)
			continue;
		if (fields[i].u32)
			mnl_attr_put_u32(nlh, fields[i].attr, fields[i].val);
		else
			put_u64(nlh, fields[i].attr, fields[i].val);
	}
	kvm = mnl_attr_nest_start(nlh, HOSTACCT_A_WORKLOAD_KVM);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!fields[i].kvm)
			continue;
		if (fields[i].u32)
			mnl_attr_put_u32(nlh, fields[i].attr, fields[i].val);
		else
			put_u64(nlh, fields[i].attr, fields[i].val);
	}
	vcpu = mnl_attr_nest_start(nlh, HOSTACCT_A_KVM_VCPU);
	mnl_attr_put_u32(nlh, HOSTACCT_A_VCPU_ID, 7);
	mnl_attr_put_u32(nlh, HOSTACCT_A_VCPU_TID, 4248);
	put_u64(nlh, HOSTACCT_A_VCPU_CPU_NS, B + 19);
	put_u64(nlh, HOSTACCT_A_VCPU_GUEST_NS, B + 20);
	put_u64(nlh, HOSTACCT_A_VCPU_HALT_POLL_NS, B + 21);
	mnl_attr_nest_end(nlh, vcpu);
	mnl_attr_nest_end(nlh, kvm);
	return nlh;
}

/* Split a CSV line into at most @max fields (quotes understood). */
static int csv_split(const char *line, char fields_out[][128], int max)
{
	int n = 0, k = 0;
	bool q = false;

	for (; *line && *line != '\n' && n < max; line++) {
		if (q && *line == '"' && line[1] == '"') {
			fields_out[n][k++] = '"';
			line++;
		} else if (*line == '"') {
			q = !q;
		} else if (!q && *line == ',') {
			fields_out[n++][k] = 0;
			k = 0;
		} else if (k < 127) {
			fields_out[n][k++] = *line;
		}
	}
	fields_out[n][k] = 0;
	return n + 1;
}

/* Split a table line on runs of two or more blanks. */
static int table_split(const char *line, char cells[][128], int max)
{
	int n = 0, k = 0;

	while (*line == ' ')
		line++;
	for (; *line && *line != '\n' && n < max; line++) {
		if (line[0] == ' ' && line[1] == ' ') {
			if (k) {
				cells[n++][k] = 0;
				k = 0;
			}
			continue;
		}
		if (k < 127 && !(line[0] == ' ' && !k))
			cells[n][k++] = *line;
	}
	if (k)
		cells[n++][k] = 0;
	return n;
}

/* /proc/stat btime, read here independently of prom.c */
static uint64_t btime_ns(void)
{
	unsigned long long bt = 0;
	char line[256];
	FILE *f = fopen("/proc/stat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6))
			bt = strtoull(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return bt * 1000000000ULL;
}

TEST(field_mapping_every_format)
{
	static char hdrs[64][128], cells[64][128];
	char buf[8192], *json, *table, *csv, *prom, *nl, want[64], *p;
	struct json_object *root, *o, *v, *vc;
	struct ha_arena strings = { 0 };
	struct ha_snap s = { 0 };
	struct ha_workload w;
	int nh, nc, i, k;
	size_t n;
	FILE *f;

	ASSERT_EQ(0, ha_parse_workload(full_message(buf), &w, &strings));

	/* JSON: every key, its exact value */
	json = render(HA_FMT_JSON, &w);
	root = json_tokener_parse(json);
	ASSERT_NE(NULL, root) TH_LOG("%s", json);
	ASSERT_EQ(1, json_object_array_length(root));
	o = json_object_array_get_idx(root, 0);
	for (n = 0; n < sizeof(fields) / sizeof(fields[0]); n++) {
		ASSERT_TRUE(json_object_object_get_ex(o, fields[n].key, &v))
			TH_LOG("no key %s", fields[n].key);
		EXPECT_EQ(fields[n].val, json_object_get_uint64(v))
			TH_LOG("%s", fields[n].key);
	}
	ASSERT_TRUE(json_object_object_get_ex(o, "class", &v));
	EXPECT_STREQ("kvm", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "name", &v));
	EXPECT_STREQ(NAME, json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "cgroup_path", &v));
	EXPECT_STREQ(CGPATH, json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "kvm_vcpus", &v));
	ASSERT_EQ(1, json_object_array_length(v));
	vc = json_object_array_get_idx(v, 0);
	ASSERT_TRUE(json_object_object_get_ex(vc, "tid", &v));
	EXPECT_EQ(4248, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(vc, "cpu_ns", &v));
	EXPECT_EQ(B + 19, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(vc, "guest_ns", &v));
	EXPECT_EQ(B + 20, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(vc, "halt_poll_ns", &v));
	EXPECT_EQ(B + 21, json_object_get_uint64(v));
	json_object_put(root);

	/* CSV: the same keys in the header, the same exact values below */
	csv = render(HA_FMT_CSV, &w);
	nl = strchr(csv, '\n');
	ASSERT_NE(NULL, nl);
	nh = csv_split(csv, hdrs, 64);
	nc = csv_split(nl + 1, cells, 64);
	EXPECT_EQ(nh, nc);
	for (n = 0; n < sizeof(fields) / sizeof(fields[0]); n++) {
		for (i = 0; i < nh && strcmp(hdrs[i], fields[n].key); i++)
			;
		ASSERT_LT(i, nh) TH_LOG("no CSV column %s", fields[n].key);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)fields[n].val);
		EXPECT_STREQ(want, cells[i]) TH_LOG("CSV %s", fields[n].key);
	}
	for (i = 0; i < nh && strcmp(hdrs[i], "name"); i++)
		;
	ASSERT_LT(i, nh);
	EXPECT_STREQ(NAME, cells[i]);

	/* table: each column under its header, in human units */
	table = render(HA_FMT_TABLE, &w);
	nl = strchr(table, '\n');
	ASSERT_NE(NULL, nl);
	nh = table_split(table, hdrs, 64);
	nc = table_split(nl + 1, cells, 64);
	EXPECT_EQ(nh, nc) TH_LOG("%s", table);
	for (n = 0; n < sizeof(fields) / sizeof(fields[0]); n++) {
		if (!fields[n].hdr)
			continue;
		for (i = 0; i < nh && strcmp(hdrs[i], fields[n].hdr); i++)
			;
		ASSERT_LT(i, nh) TH_LOG("no column %s", fields[n].hdr);
		if (!strcmp(fields[n].hdr, "CPU(s)"))
			ha_fmt_seconds(want, sizeof(want), fields[n].val);
		else if (strstr(fields[n].key, "_bytes"))
			ha_fmt_bytes(want, sizeof(want), fields[n].val);
		else
			snprintf(want, sizeof(want), "%llu",
				 (unsigned long long)fields[n].val);
		EXPECT_STREQ(want, cells[i]) TH_LOG("column %s", fields[n].hdr);
	}

	/* Prometheus: each family with this workload's labels, exactly */
	s.wl.w = &w;
	s.wl.n = 1;
	s.cg = calloc(1, sizeof(*s.cg));
	s.host.nr_cpus = 1;
	prom = NULL;
	f = open_memstream(&prom, &n);
	ha_prom_write(f, &s, HA_NATIVES_DEFAULT);
	fclose(f);
	for (k = 0; k < (int)(sizeof(fields) / sizeof(fields[0])); k++) {
		uint64_t val = fields[k].val;
		char series[256];

		if (!fields[k].prom)
			continue;
		/* start times are since the epoch: boot (btime) + since boot */
		if (!strcmp(fields[k].prom, "hostacct_workload_start_time_seconds"))
			val += btime_ns();
		snprintf(series, sizeof(series), "\n%s{class=\"kvm\",id=\"4242\",", fields[k].prom);
		p = strstr(prom, series);
		ASSERT_NE(NULL, p) TH_LOG("no series %s", fields[k].prom);
		p = strchr(p + 1, '}');
		ASSERT_NE(NULL, p);
		if (fields[k].prom_ns)
			snprintf(want, sizeof(want), "} %llu.%09llu\n",
				 (unsigned long long)(val / 1000000000ULL),
				 (unsigned long long)(val % 1000000000ULL));
		else
			snprintf(want, sizeof(want), "} %llu\n",
				 (unsigned long long)val);
		EXPECT_EQ(0, strncmp(p, want, strlen(want)))
			TH_LOG("%s: want '%s'", fields[k].prom, want);
	}
	free(s.cg);
	free(prom);
	free(json);
	free(table);
	free(csv);
	ha_workload_free(&w);
}

/* ---- rates between two snapshots (rates.c) ---- */

static struct ha_workload wl(uint32_t class, uint64_t id, uint64_t start,
			     uint64_t cpu)
{
	struct ha_workload w;

	memset(&w, 0, sizeof(w));
	w.class = class;
	w.id = id;
	w.start_ns = start;
	w.cpu_ns = cpu;
	w.has_cpu = true;
	w.name = "";
	w.cgroup_path = "";
	return w;
}

static int cmp_wl(const void *a, const void *b)
{
	const struct ha_workload *x = a, *y = b;

	if (x->class != y->class)
		return x->class < y->class ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* A snapshot at @ts of @n workloads (kept sorted, as ha_snap_take does). */
static void snap(struct ha_snap *s, uint64_t ts, struct ha_workload *w, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->host.timestamp_ns = ts;
	s->host.nr_cpus = 4;
	if (n)
		qsort(w, n, sizeof(*w), cmp_wl);
	s->wl.w = w;
	s->wl.n = n;
	s->cg = calloc(n + 1, sizeof(*s->cg));
}

#define S 1000000000ULL

TEST(rates_identity_and_interval)
{
	struct ha_workload a[4], b[5];
	struct ha_snap sa, sb;
	struct ha_interval iv;
	size_t i;

	/* t = 100 s and 110 s */
	a[0] = wl(HOSTACCT_CLASS_NATIVE, 10, 5 * S, 20 * S);	/* runs on */
	a[1] = wl(HOSTACCT_CLASS_NATIVE, 11, 6 * S, 30 * S);	/* becomes a VMM */
	a[2] = wl(HOSTACCT_CLASS_NATIVE, 12, 7 * S, 40 * S);	/* exits, pid reused */
	a[3] = wl(HOSTACCT_CLASS_NATIVE, 13, 8 * S, 50 * S);	/* exits */
	b[0] = wl(HOSTACCT_CLASS_NATIVE, 10, 5 * S, 25 * S);
	b[1] = wl(HOSTACCT_CLASS_KVM, 11, 6 * S, 32 * S);
	b[2] = wl(HOSTACCT_CLASS_NATIVE, 12, 105 * S, 3 * S);	/* new, same pid */
	b[3] = wl(HOSTACCT_CLASS_NATIVE, 14, 102 * S, 4 * S);	/* new */
	b[4] = wl(HOSTACCT_CLASS_CONTAINER, 99, 1 * S, 7 * S);	/* new container */
	snap(&sa, 100 * S, a, 4);
	snap(&sb, 110 * S, b, 5);
	ha_interval_init(&iv, &sa, &sb);
	EXPECT_EQ(10.0, iv.secs);

	for (i = 0; i < sb.wl.n; i++) {
		const struct ha_workload *w = &sb.wl.w[i];
		double cpus = ha_wl_cpus(&iv, w);

		switch (w->id) {
		case 10:	/* delta: 5 s in 10 s */
			EXPECT_EQ(0.5, cpus);
			break;
		case 11:	/* changed class: starts from zero, not 32 s */
			EXPECT_EQ(0.0, cpus);
			break;
		case 12:	/* a new process on a reused pid: its whole 3 s */
			EXPECT_EQ(0.3, cpus);
			break;
		case 14:
			EXPECT_EQ(0.4, cpus);
			break;
		case 99:	/* older than the interval, not in it before */
			EXPECT_EQ(0.0, cpus);
			break;
		}
	}

	/* since boot: each workload over its own life */
	ha_interval_init(&iv, NULL, &sb);
	for (i = 0; i < sb.wl.n; i++)
		if (sb.wl.w[i].id == 10)
			EXPECT_EQ(25.0 / 105, ha_wl_cpus(&iv, &sb.wl.w[i]));
	free(sa.cg);
	free(sb.cg);
}

TEST(rates_vm_and_container)
{
	struct ha_workload a[2], b[2];
	struct ha_snap sa, sb;
	struct ha_interval iv;
	struct ha_vm_rates v;
	struct ha_ctr_rates c;

	a[0] = wl(HOSTACCT_CLASS_KVM, 20, 1 * S, 10 * S);
	a[0].kvm.vcpu_ns = 8 * S;
	a[0].kvm.halt_poll_ns = 1 * S;
	a[0].kvm.guest_ns = 6 * S;
	a[0].kvm.overhead_ns = 4 * S;
	b[0] = a[0];
	b[0].cpu_ns = 14 * S;
	b[0].kvm.vcpu_ns = 11 * S;	/* +3 s of vCPU threads */
	b[0].kvm.halt_poll_ns = 2 * S;	/* +1 s of it polling */
	b[0].kvm.guest_ns = 7 * S;
	b[0].kvm.overhead_ns = 7 * S;
	a[1] = wl(HOSTACCT_CLASS_CONTAINER, 30, 1 * S, 100 * S);
	a[1].cs.ok = true;
	a[1].cs.nr_throttled = 10;
	a[1].cs.throttled_usec = 2000000;
	b[1] = a[1];
	b[1].cpu_ns = 102 * S;
	b[1].cs.nr_throttled = 30;
	b[1].cs.throttled_usec = 3500000;
	snap(&sa, 100 * S, a, 2);
	snap(&sb, 104 * S, b, 2);
	ha_interval_init(&iv, &sa, &sb);

	v = ha_vm_rates(&iv, &sb.wl.w[0]);
	EXPECT_EQ(1.0, v.cpus);
	EXPECT_EQ(0.5, v.busy);		/* (3 - 1) / 4 */
	EXPECT_EQ(0.25, v.halt_poll);
	EXPECT_EQ(0.25, v.guest);
	EXPECT_EQ(0.75, v.overhead);
	c = ha_ctr_rates(&iv, &sb.wl.w[1]);
	EXPECT_EQ(0.5, c.cpus);
	EXPECT_EQ(20, c.throttled_periods);
	EXPECT_EQ(1.5, c.throttled_s);
	free(sa.cg);
	free(sb.cg);
}

TEST(rates_host_split_adds_up)
{
	struct ha_snap sa, sb;
	struct ha_interval iv;
	struct ha_split sp;
	double sum;

	snap(&sa, 100 * S, NULL, 0);
	snap(&sb, 110 * S, NULL, 0);
	sa.host.nr_cpus = sb.host.nr_cpus = 4;
	sb.host.cls[HOSTACCT_CLASS_KERNEL].cpu_ns = 1 * S;
	sb.host.cls[HOSTACCT_CLASS_NATIVE].cpu_ns = 10 * S;
	sb.host.cls[HOSTACCT_CLASS_KVM].cpu_ns = 5 * S;
	sb.host.cls[HOSTACCT_CLASS_CONTAINER].cpu_ns = 4 * S;
	sb.host.cpu[HA_CPU_IDLE] = 15 * S;
	sb.host.cpu[HA_CPU_IOWAIT] = 3 * S;
	sb.host.cpu[HA_CPU_IRQ] = 1 * S;	/* not apart: inside tasks' time */
	sb.host.sample_ns = S / 10;
	sa.host.sample_ns = S / 10;
	ha_interval_init(&iv, &sa, &sb);
	ha_host_split(&iv, &sp);
	EXPECT_EQ(0.1, sp.cls[HOSTACCT_CLASS_KERNEL]);
	EXPECT_EQ(1.0, sp.cls[HOSTACCT_CLASS_NATIVE]);
	EXPECT_EQ(1.8, sp.idle);
	EXPECT_EQ(0.0, sp.irq);
	sum = sp.cls[1] + sp.cls[2] + sp.cls[3] + sp.cls[4] + sp.idle + sp.no_task;
	EXPECT_TRUE(sum > 3.999999 && sum < 4.000001);
	/* 4 CPUs - 2.0 in classes - 1.8 idle */
	EXPECT_TRUE(sp.no_task > 0.199999 && sp.no_task < 0.200001);
	EXPECT_TRUE(sp.uncertainty > 0.039999 && sp.uncertainty < 0.040001);

	/* with irq time apart, it is a row of its own */
	sb.host.irq_apart = true;
	ha_host_split(&iv, &sp);
	EXPECT_EQ(0.1, sp.irq);
	EXPECT_TRUE(sp.no_task > 0.099999 && sp.no_task < 0.100001);
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

/* ---- what workloads control cannot break an output ---- */

TEST(utf8_sequences)
{
	uint32_t cp;

	EXPECT_EQ(1, ha_utf8_seq("a", &cp));
	EXPECT_EQ(2, ha_utf8_seq("\xc3\xa9", &cp));
	EXPECT_EQ(0xe9, cp);
	EXPECT_EQ(3, ha_utf8_seq("\xe2\x82\xac", &cp));
	EXPECT_EQ(0x20ac, cp);
	EXPECT_EQ(4, ha_utf8_seq("\xf0\x9f\x98\x80", &cp));
	EXPECT_EQ(0, ha_utf8_seq("\xff", &cp));
	EXPECT_EQ(0, ha_utf8_seq("\xc0\xaf", &cp));		/* overlong '/' */
	EXPECT_EQ(0, ha_utf8_seq("\xe0\x80\xaf", &cp));	/* overlong */
	EXPECT_EQ(0, ha_utf8_seq("\xed\xa0\x80", &cp));	/* surrogate */
	EXPECT_EQ(0, ha_utf8_seq("\xf4\x90\x80\x80", &cp));	/* > U+10FFFF */
	EXPECT_EQ(0, ha_utf8_seq("\xe2\x82", &cp));		/* cut short */
	EXPECT_EQ(0, ha_utf8_seq("\x80", &cp));
}

/* Every byte of @s is part of well-formed UTF-8. */
static bool valid_utf8(const char *s)
{
	uint32_t cp;
	size_t n;

	for (; *s; s += n) {
		n = ha_utf8_seq(s, &cp);
		if (!n)
			return false;
	}
	return true;
}

/* No byte that could drive a terminal, but the line ends. */
static bool no_control(const char *s)
{
	uint32_t cp;
	size_t n;

	for (; *s; s += n) {
		n = ha_utf8_seq(s, &cp);
		if (!n || (cp < 0x20 && cp != '\n') || cp == 0x7f ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
	}
	return true;
}

#define EVIL	"\xff\"\\\n\x1b[31m\xc2\x9b" "2J\xe2\x82\xac"

TEST(untrusted_names_every_format)
{
	struct json_object *root, *v;
	struct ha_workload w;
	struct ha_snap s = { 0 };
	char *out, *p;
	size_t len;
	FILE *f;

	memset(&w, 0, sizeof(w));
	w.class = HOSTACCT_CLASS_NATIVE;
	w.id = 77;
	w.has_cpu = true;
	w.name = EVIL;
	w.cgroup_path = "/a,b\r" EVIL;

	/* table: nothing that moves a cursor, names still readable */
	out = render(HA_FMT_TABLE, &w);
	EXPECT_TRUE(no_control(out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "?\"\\??[31m?2J\xe2\x82\xac"));
	free(out);

	/* JSON: valid UTF-8, the name intact but for the invalid byte */
	out = render(HA_FMT_JSON, &w);
	EXPECT_TRUE(valid_utf8(out));
	root = json_tokener_parse(out);
	ASSERT_NE(NULL, root) TH_LOG("%s", out);
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(root, 0),
					      "name", &v));
	EXPECT_STREQ("\xef\xbf\xbd\"\\\n\x1b[31m\xc2\x9b" "2J\xe2\x82\xac",
		     json_object_get_string(v));
	json_object_put(root);
	free(out);

	/* CSV: valid UTF-8, the fields quoted, one header and one row */
	out = render(HA_FMT_CSV, &w);
	EXPECT_TRUE(valid_utf8(out));
	EXPECT_NE(NULL, strstr(out, ",\"\xef\xbf\xbd\"\"\\\n\x1b[31m"));
	EXPECT_NE(NULL, strstr(out, ",\"/a,b\r"));
	free(out);

	/* Prometheus: valid UTF-8, escaped, on one line */
	s.wl.w = &w;
	s.wl.n = 1;
	s.cg = calloc(1, sizeof(*s.cg));
	s.host.nr_cpus = 1;
	out = NULL;
	f = open_memstream(&out, &len);
	ha_prom_write(f, &s, HA_NATIVES_DEFAULT);
	fclose(f);
	EXPECT_TRUE(valid_utf8(out));
	p = strstr(out, "hostacct_workload_cpu_seconds_total{");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, strncmp(p, "hostacct_workload_cpu_seconds_total{class=\"native\",id=\"77\",name=\"\xef\xbf\xbd\\\"\\\\\\n\x1b[31m",
			     strlen("hostacct_workload_cpu_seconds_total{class=\"native\",id=\"77\",name=\"\xef\xbf\xbd\\\"\\\\\\n\x1b[31m")))
		TH_LOG("%.120s", p);
	free(out);
	free(s.cg);
}

/* Series per workload family: natives bounded, the busiest kept. */
TEST(prometheus_natives_bounded)
{
	static struct ha_workload w[506];
	struct ha_snap s = { 0 };
	uint32_t limits[] = { 0, 10, HA_NATIVES_ALL };
	size_t len, i, k;
	char *out, *p;
	FILE *f;

	for (i = 0; i < 500; i++)	/* natives 0..499, CPU = 1000 + id */
		w[i] = wl(HOSTACCT_CLASS_NATIVE, 1000 + i, S, (1000 + i) * 1000);
	w[500] = wl(HOSTACCT_CLASS_KERNEL, 0, 0, 5);
	w[501] = wl(HOSTACCT_CLASS_KVM, 1, S, 1);
	w[502] = wl(HOSTACCT_CLASS_KVM, 2, S, 1);
	w[503] = wl(HOSTACCT_CLASS_CONTAINER, 3, S, 1);
	w[504] = wl(HOSTACCT_CLASS_CONTAINER, 4, S, 1);
	w[505] = wl(HOSTACCT_CLASS_CONTAINER, 5, S, 1);
	snap(&s, 10 * S, w, 506);
	for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
		size_t natives = 0, others = 0, want;

		out = NULL;
		f = open_memstream(&out, &len);
		ha_prom_write(f, &s, limits[k]);
		fclose(f);
		for (p = out; (p = strstr(p, "\nhostacct_workload_cpu_seconds_total{")); p++) {
			if (!strncmp(p + 37, "class=\"native\"", 14)) {
				unsigned int id = atoi(p + 37 + 19);

				natives++;
				/* only the busiest: ids 1490..1499 with 10 */
				if (limits[k] == 10)
					EXPECT_LE(1490, id) TH_LOG("native %u", id);
			} else {
				others++;
			}
		}
		want = limits[k] == HA_NATIVES_ALL ? 500 : limits[k];
		EXPECT_EQ(want, natives) TH_LOG("--natives %u", limits[k]);
		EXPECT_EQ(6, others);
		free(out);
	}
	free(s.cg);
}

TEST(csv_one_table_per_invocation)
{
	char *out = NULL;
	size_t len, lines = 0;
	FILE *f = open_memstream(&out, &len);
	struct ha_out *o;
	const char *c;

	ha_opts.format = HA_FMT_CSV;
	ha_opts.section = "second";
	o = ha_out_new(HA_FMT_CSV, f);
	ha_out_section(o, "first", "First", true);
	ha_out_row(o);
	ha_out_u64(o, "a", "A", 1, HA_U_NONE);
	ha_out_row_end(o);
	ha_out_section_end(o);
	ha_out_section(o, "second", "Second", true);
	ha_out_row(o);
	ha_out_u64(o, "b", "B", 2, HA_U_NONE);
	ha_out_u64(o, "b_ns", "B(s)", 3000000000ULL, HA_U_NS_S);
	ha_out_row_end(o);
	ha_out_row(o);
	ha_out_u64(o, "b", "B", 4, HA_U_NONE);
	ha_out_u64(o, "b_ns", "B(s)", 5, HA_U_NS_S);
	ha_out_row_end(o);
	ha_out_section_end(o);
	ha_out_finish(o);
	fclose(f);
	EXPECT_STREQ("b,b_ns\n2,3000000000\n4,5\n", out);
	for (c = out; *c; c++)
		lines += *c == '\n';
	EXPECT_EQ(3, lines);
	free(out);

	/* a command with several tables: CSV needs --section, names checked */
	ha_opts.section = NULL;
	EXPECT_EQ(2, ha_section_check("report", (const char *const[]){ "x", "y", NULL }));
	EXPECT_EQ(0, ha_section_check("show", (const char *const[]){ "x", NULL }));
	ha_opts.section = "z";
	EXPECT_EQ(2, ha_section_check("report", (const char *const[]){ "x", "y", NULL }));
	ha_opts.section = "y";
	EXPECT_EQ(0, ha_section_check("report", (const char *const[]){ "x", "y", NULL }));
}

/* The series count the admin guide gives for a host shape. */
TEST(prometheus_series_count)
{
	static struct ha_workload w[26];
	struct ha_snap s = { 0 };
	struct timespec t0;
	size_t len, i, series = 0;
	char *out, *line;
	FILE *f;

	w[0] = wl(HOSTACCT_CLASS_KERNEL, 0, 0, 5);
	for (i = 1; i <= 20; i++)
		w[i] = wl(HOSTACCT_CLASS_NATIVE, 100 + i, S, i);
	w[21] = wl(HOSTACCT_CLASS_KVM, 1, S, 1);
	w[22] = wl(HOSTACCT_CLASS_KVM, 2, S, 1);
	for (i = 23; i < 26; i++) {
		w[i] = wl(HOSTACCT_CLASS_CONTAINER, i, S, 0);
		w[i].has_cpu = false;		/* the tool reads cpu.stat */
		w[i].cs.ok = true;
	}
	snap(&s, 10 * S, w, 26);
	s.host.has_class_stats = true;
	for (i = HOSTACCT_CLASS_KERNEL; i <= HOSTACCT_CLASS_MAX; i++)
		s.host.cls[i].has_life = true;	/* start-up and shut-down histograms */
	for (i = 0; i < 26; i++) {
		if (s.wl.w[i].class != HOSTACCT_CLASS_CONTAINER)
			continue;
		s.cg[i].limit_cpus = 1;
		s.cg[i].has_memory = true;
		s.cg[i].mem_max = 1 << 30;
	}
	out = NULL;
	f = open_memstream(&out, &len);
	ha_prom_write(f, &s, HA_NATIVES_DEFAULT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ha_prom_write_meta(f, &t0, false);
	fclose(f);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		series += line[0] != '#';
	/*
	 * 31 + 2 x 3 x 22 (start-up and shut-down histograms of three
	 * classes) + 11 x (kernel + 10 natives) + 19 x VMs + 15 x containers
	 * (no hugetlbfs pages: no hugetlb series)
	 */
	EXPECT_EQ(31 + 2 * 3 * 22 + 11 * 11 + 19 * 2 + 15 * 3, series);
	free(out);
	free(s.cg);
}

/* Arena strings stay intact across chunks, also one larger than a chunk. */
TEST(arena_strings_survive_growth)
{
	struct ha_arena a = { 0 };
	const char *v[20000], *big = NULL;
	char want[32], *huge;
	int i;

	huge = malloc(100000);
	ASSERT_NE(NULL, huge);
	memset(huge, 'x', 99999);
	huge[99999] = 0;
	for (i = 0; i < 20000; i++) {
		snprintf(want, sizeof(want), "workload-%d", i);
		v[i] = ha_arena_str(&a, want);
		ASSERT_NE(NULL, v[i]);
		if (i == 10000) {
			big = ha_arena_str(&a, huge);
			ASSERT_NE(NULL, big);
		}
	}
	for (i = 0; i < 20000; i++) {
		snprintf(want, sizeof(want), "workload-%d", i);
		ASSERT_STREQ(want, v[i]);
	}
	EXPECT_STREQ(huge, big);
	EXPECT_STREQ("", ha_arena_str(&a, ""));
	ha_arena_free(&a);
	EXPECT_EQ(NULL, a.head);
	free(huge);
}

TEST_HARNESS_MAIN
