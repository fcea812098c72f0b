// SPDX-License-Identifier: GPL-2.0
/*
 * Reply parsing: every attribute's type and length is checked before use;
 * attributes this tool does not know (a newer module) are skipped.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "hostacct.h"

const char *const ha_cpu_state_names[HA_CPU_NSTATES] = {
	"user", "nice", "system", "idle", "iowait", "irq", "softirq",
	"steal", "guest", "guest_nice",
};

static const char *const class_names[] = {
	[HOSTACCT_CLASS_KERNEL] = "kernel",
	[HOSTACCT_CLASS_NATIVE] = "native",
	[HOSTACCT_CLASS_KVM] = "kvm",
	[HOSTACCT_CLASS_CONTAINER] = "container",
};

const char *ha_class_name(uint32_t class)
{
	if (class >= HOSTACCT_CLASS_KERNEL && class <= HOSTACCT_CLASS_MAX)
		return class_names[class];
	return "unknown";
}

int ha_class_parse(const char *s, uint32_t *class)
{
	uint32_t c;

	for (c = HOSTACCT_CLASS_KERNEL; c <= HOSTACCT_CLASS_MAX; c++) {
		if (!strcasecmp(s, class_names[c])) {
			*class = c;
			return 0;
		}
	}
	/* Friendly aliases */
	if (!strcasecmp(s, "vm") || !strcasecmp(s, "vms")) {
		*class = HOSTACCT_CLASS_KVM;
		return 0;
	}
	if (!strcasecmp(s, "containers")) {
		*class = HOSTACCT_CLASS_CONTAINER;
		return 0;
	}
	return -EINVAL;
}

/* "native,kvm" -> mask of 1 << class */
int ha_class_mask_parse(const char *list, uint32_t *mask)
{
	char *copy = strdup(list), *tok, *save = NULL;
	uint32_t class;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (ha_class_parse(tok, &class)) {
			ret = -EINVAL;
			break;
		}
		*mask |= 1U << class;
	}
	if (!*mask)
		ret = -EINVAL;
	free(copy);
	return ret;
}

/* ---- typed attribute tables ---- */

struct ha_attr_spec {
	enum mnl_attr_data_type type;
	size_t off;		/* offset of the field in the struct */
	size_t size;		/* field size (strings: buffer size) */
};

#define U32(st, f)	{ MNL_TYPE_U32, offsetof(st, f), sizeof(uint32_t) }
#define U64(st, f)	{ MNL_TYPE_U64, offsetof(st, f), sizeof(uint64_t) }
#define STR(st, f)	{ MNL_TYPE_NUL_STRING, offsetof(st, f), sizeof(((st *)0)->f) }

static const struct ha_attr_spec host_spec[HOSTACCT_A_HOST_MAX + 1] = {
	[HOSTACCT_A_HOST_KERNEL_RELEASE] = STR(struct ha_host, kernel_release),
	[HOSTACCT_A_HOST_MODULE_VERSION] = STR(struct ha_host, module_version),
	[HOSTACCT_A_HOST_TIMESTAMP_NS] = U64(struct ha_host, timestamp_ns),
	[HOSTACCT_A_HOST_SAMPLE_NS] = U64(struct ha_host, sample_ns),
	[HOSTACCT_A_HOST_NR_CPUS_ONLINE] = U32(struct ha_host, nr_cpus),
	[HOSTACCT_A_HOST_MEM_TOTAL_BYTES] = U64(struct ha_host, mem_total),
	[HOSTACCT_A_HOST_MEM_FREE_BYTES] = U64(struct ha_host, mem_free),
	[HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES] = U64(struct ha_host, mem_available),
	[HOSTACCT_A_HOST_CPU_USER_NS] = U64(struct ha_host, cpu[HA_CPU_USER]),
	[HOSTACCT_A_HOST_CPU_NICE_NS] = U64(struct ha_host, cpu[HA_CPU_NICE]),
	[HOSTACCT_A_HOST_CPU_SYSTEM_NS] = U64(struct ha_host, cpu[HA_CPU_SYSTEM]),
	[HOSTACCT_A_HOST_CPU_IDLE_NS] = U64(struct ha_host, cpu[HA_CPU_IDLE]),
	[HOSTACCT_A_HOST_CPU_IOWAIT_NS] = U64(struct ha_host, cpu[HA_CPU_IOWAIT]),
	[HOSTACCT_A_HOST_CPU_IRQ_NS] = U64(struct ha_host, cpu[HA_CPU_IRQ]),
	[HOSTACCT_A_HOST_CPU_SOFTIRQ_NS] = U64(struct ha_host, cpu[HA_CPU_SOFTIRQ]),
	[HOSTACCT_A_HOST_CPU_STEAL_NS] = U64(struct ha_host, cpu[HA_CPU_STEAL]),
	[HOSTACCT_A_HOST_CPU_GUEST_NS] = U64(struct ha_host, cpu[HA_CPU_GUEST]),
	[HOSTACCT_A_HOST_CPU_GUEST_NICE_NS] = U64(struct ha_host, cpu[HA_CPU_GUEST_NICE]),
};

static const struct ha_attr_spec workload_spec[HOSTACCT_A_WORKLOAD_MAX + 1] = {
	[HOSTACCT_A_WORKLOAD_CLASS] = U32(struct ha_workload, class),
	[HOSTACCT_A_WORKLOAD_ID] = U64(struct ha_workload, id),
	[HOSTACCT_A_WORKLOAD_LEADER_PID] = U32(struct ha_workload, leader_pid),
	[HOSTACCT_A_WORKLOAD_CGROUP_ID] = U64(struct ha_workload, cgroup_id),
	[HOSTACCT_A_WORKLOAD_CONTAINER_ID] = U64(struct ha_workload, container_id),
	[HOSTACCT_A_WORKLOAD_NR_PROCS] = U32(struct ha_workload, nr_procs),
	[HOSTACCT_A_WORKLOAD_NR_THREADS] = U32(struct ha_workload, nr_threads),
	[HOSTACCT_A_WORKLOAD_START_TIME_NS] = U64(struct ha_workload, start_ns),
	[HOSTACCT_A_WORKLOAD_CPU_NS] = U64(struct ha_workload, cpu_ns),
	[HOSTACCT_A_WORKLOAD_CPU_USER_NS] = U64(struct ha_workload, user_ns),
	[HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS] = U64(struct ha_workload, system_ns),
	[HOSTACCT_A_WORKLOAD_CPU_GUEST_NS] = U64(struct ha_workload, guest_ns),
	[HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES] = U64(struct ha_workload, rss_anon),
	[HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES] = U64(struct ha_workload, rss_file),
	[HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES] = U64(struct ha_workload, rss_shmem),
	[HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES] = U64(struct ha_workload, swap),
	[HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES] = U64(struct ha_workload, mem_cgroup),
	[HOSTACCT_A_WORKLOAD_MEM_HUGETLB_BYTES] = U64(struct ha_workload, hugetlb),
	[HOSTACCT_A_WORKLOAD_CPU_WORKERS_NS] = U64(struct ha_workload, workers_ns),
};

static const struct ha_attr_spec kvm_spec[HOSTACCT_A_KVM_MAX + 1] = {
	[HOSTACCT_A_KVM_NR_VMS] = U32(struct ha_kvm, nr_vms),
	[HOSTACCT_A_KVM_NR_VCPUS] = U32(struct ha_kvm, nr_vcpus),
	[HOSTACCT_A_KVM_GUEST_MEM_BYTES] = U64(struct ha_kvm, guest_mem),
	[HOSTACCT_A_KVM_GUEST_RESIDENT_BYTES] = U64(struct ha_kvm, guest_resident),
	[HOSTACCT_A_KVM_DEVICE_MEM_BYTES] = U64(struct ha_kvm, device_mem),
	[HOSTACCT_A_KVM_VCPU_NS] = U64(struct ha_kvm, vcpu_ns),
	[HOSTACCT_A_KVM_GUEST_NS] = U64(struct ha_kvm, guest_ns),
	[HOSTACCT_A_KVM_OVERHEAD_NS] = U64(struct ha_kvm, overhead_ns),
	[HOSTACCT_A_KVM_HALT_POLL_NS] = U64(struct ha_kvm, halt_poll_ns),
};

static const struct ha_attr_spec vcpu_spec[HOSTACCT_A_VCPU_MAX + 1] = {
	[HOSTACCT_A_VCPU_ID] = U32(struct ha_vcpu, id),
	[HOSTACCT_A_VCPU_TID] = U32(struct ha_vcpu, tid),
	[HOSTACCT_A_VCPU_CPU_NS] = U64(struct ha_vcpu, cpu_ns),
	[HOSTACCT_A_VCPU_GUEST_NS] = U64(struct ha_vcpu, guest_ns),
	[HOSTACCT_A_VCPU_HALT_POLL_NS] = U64(struct ha_vcpu, halt_poll_ns),
};

/*
 * Store a scalar attribute described by @spec into @obj.
 * Return: 1 if stored, 0 if not described (skipped), -EINVAL if malformed.
 */
static int ha_attr_store(const struct nlattr *attr,
			 const struct ha_attr_spec *spec, unsigned int max,
			 void *obj)
{
	unsigned int type = mnl_attr_get_type(attr);
	const struct ha_attr_spec *s;
	char *field;

	if (type > max || !spec[type].size)
		return 0;
	s = &spec[type];
	if (mnl_attr_validate(attr, s->type) < 0)
		return -EINVAL;
	field = (char *)obj + s->off;
	switch (s->type) {
	case MNL_TYPE_U32:
		*(uint32_t *)field = mnl_attr_get_u32(attr);
		break;
	case MNL_TYPE_U64:
		*(uint64_t *)field = mnl_attr_get_u64(attr);
		break;
	case MNL_TYPE_NUL_STRING:
		snprintf(field, s->size, "%s", mnl_attr_get_str(attr));
		break;
	default:
		return 0;
	}
	return 1;
}

static const struct ha_attr_spec class_stats_spec[HOSTACCT_A_CLASS_STATS_MAX + 1] = {
	[HOSTACCT_A_CLASS_STATS_CPU_NS] = U64(struct ha_class_stats, cpu_ns),
	[HOSTACCT_A_CLASS_STATS_EXITED_CPU_NS] = U64(struct ha_class_stats, exited_ns),
	[HOSTACCT_A_CLASS_STATS_NR_WORKLOADS] = U32(struct ha_class_stats, nr_workloads),
	[HOSTACCT_A_CLASS_STATS_NR_PROCS] = U32(struct ha_class_stats, nr_procs),
	[HOSTACCT_A_CLASS_STATS_NR_THREADS] = U32(struct ha_class_stats, nr_threads),
};

struct ha_bucket {
	uint64_t gt, le, count;
};

static const struct ha_attr_spec bucket_spec[HOSTACCT_A_BUCKET_MAX + 1] = {
	[HOSTACCT_A_BUCKET_GT_NS] = U64(struct ha_bucket, gt),
	[HOSTACCT_A_BUCKET_LE_NS] = U64(struct ha_bucket, le),
	[HOSTACCT_A_BUCKET_COUNT] = U64(struct ha_bucket, count),
};

static const struct ha_attr_spec hist_spec[HOSTACCT_A_HIST_MAX + 1] = {
	[HOSTACCT_A_HIST_COUNT] = U64(struct ha_hist, count),
	[HOSTACCT_A_HIST_SUM_NS] = U64(struct ha_hist, sum_ns),
};

/* A histogram nest; buckets out of order or beyond HA_HIST_MAX are malformed. */
static int ha_parse_hist(const struct nlattr *nest, struct ha_hist *h)
{
	const struct nlattr *attr, *battr;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	mnl_attr_for_each_nested(attr, nest) {
		struct ha_bucket b = { 0 };

		if (mnl_attr_get_type(attr) != HOSTACCT_A_HIST_BUCKET) {
			if (ha_attr_store(attr, hist_spec, HOSTACCT_A_HIST_MAX, h) < 0)
				return -EINVAL;
			continue;
		}
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 || h->n == HA_HIST_MAX)
			return -EINVAL;
		mnl_attr_for_each_nested(battr, attr)
			if (ha_attr_store(battr, bucket_spec, HOSTACCT_A_BUCKET_MAX, &b) < 0)
				return -EINVAL;
		if (b.le <= b.gt || (h->n && b.gt < h->b[h->n - 1].le))
			return -EINVAL;
		h->b[h->n].gt = b.gt;
		h->b[h->n].le = b.le;
		h->b[h->n].count = b.count;
		h->n++;
	}
	return 0;
}

/*
 * The @q quantile (0..1) of @h, in ns, as Prometheus' histogram_quantile()
 * reads one: linear inside the bucket that holds it; the +Inf bucket
 * answers its lower bound. -1 when @h is empty.
 */
double ha_hist_quantile(const struct ha_hist *h, double q)
{
	double rank, seen = 0, total = 0;
	uint32_t i;

	for (i = 0; i < h->n; i++)
		total += h->b[i].count;
	if (!total)
		return -1;
	rank = q * total;
	for (i = 0; i < h->n; i++) {
		double c = h->b[i].count;

		if (seen + c >= rank && c > 0) {
			if (h->b[i].le == UINT64_MAX)
				return h->b[i].gt;
			return h->b[i].gt + (h->b[i].le - h->b[i].gt) * ((rank - seen) / c);
		}
		seen += c;
	}
	return h->b[h->n - 1].le == UINT64_MAX ? h->b[h->n - 1].gt : h->b[h->n - 1].le;
}

/* Durations of @h that are at most @bound (a bound of the module's). */
uint64_t ha_hist_le(const struct ha_hist *h, uint64_t bound)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < h->n && h->b[i].le <= bound; i++)
		n += h->b[i].count;
	return n;
}

static int ha_parse_class_stats(const struct nlattr *nest, struct ha_host *h)
{
	struct ha_class_stats cs = { 0 };
	const struct nlattr *attr;
	uint32_t class = 0;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EINVAL;
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case HOSTACCT_A_CLASS_STATS_CLASS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EINVAL;
			class = mnl_attr_get_u32(attr);
			continue;
		case HOSTACCT_A_CLASS_STATS_STARTUP:
			if (ha_parse_hist(attr, &cs.startup))
				return -EINVAL;
			cs.has_life = true;
			continue;
		case HOSTACCT_A_CLASS_STATS_SHUTDOWN:
			if (ha_parse_hist(attr, &cs.shutdown))
				return -EINVAL;
			cs.has_life = true;
			continue;
		}
		if (ha_attr_store(attr, class_stats_spec,
				  HOSTACCT_A_CLASS_STATS_MAX, &cs) < 0)
			return -EINVAL;
	}
	if (class < HOSTACCT_CLASS_KERNEL || class > HOSTACCT_CLASS_MAX)
		return 0;	/* a class this tool does not know */
	h->cls[class] = cs;
	h->has_class_stats = true;
	return 0;
}

int ha_parse_host(const struct nlmsghdr *nlh, struct ha_host *h)
{
	const struct nlattr *attr;

	memset(h, 0, sizeof(*h));
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case HOSTACCT_A_HOST_CLASS_STATS:
			if (ha_parse_class_stats(attr, h))
				return -EINVAL;
			continue;
		case HOSTACCT_A_HOST_IRQ_TIME_APART:
			h->irq_apart = true;
			continue;
		case HOSTACCT_A_HOST_STEAL_TIME_APART:
			h->steal_apart = true;
			continue;
		}
		if (ha_attr_store(attr, host_spec, HOSTACCT_A_HOST_MAX, h) < 0)
			return -EINVAL;
	}
	return h->nr_cpus ? 0 : -EINVAL;
}

static int ha_parse_vcpu(const struct nlattr *nest, struct ha_kvm *k)
{
	struct ha_vcpu *v, *vcpus;
	const struct nlattr *attr;

	vcpus = realloc(k->vcpus, (k->nr_vcpu_entries + 1) * sizeof(*vcpus));
	if (!vcpus)
		return -ENOMEM;
	k->vcpus = vcpus;
	v = &vcpus[k->nr_vcpu_entries++];
	memset(v, 0, sizeof(*v));
	mnl_attr_for_each_nested(attr, nest) {
		if (ha_attr_store(attr, vcpu_spec, HOSTACCT_A_VCPU_MAX, v) < 0)
			return -EINVAL;
	}
	return 0;
}

static int ha_parse_kvm(const struct nlattr *nest, struct ha_kvm *k)
{
	const struct nlattr *attr;
	int ret;

	mnl_attr_for_each_nested(attr, nest) {
		if (mnl_attr_get_type(attr) == HOSTACCT_A_KVM_VCPU) {
			if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
				return -EINVAL;
			ret = ha_parse_vcpu(attr, k);
			if (ret)
				return ret;
			continue;
		}
		if (mnl_attr_get_type(attr) == HOSTACCT_A_KVM_VCPUS_TRUNCATED) {
			k->vcpus_truncated = true;
			continue;
		}
		if (ha_attr_store(attr, kvm_spec, HOSTACCT_A_KVM_MAX, k) < 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * A string attribute into the arena: *@field stays as it was (never NULL)
 * unless the attribute is a valid NUL-terminated string.
 */
static int ha_parse_str(const struct nlattr *attr, struct ha_arena *strings,
			const char **field)
{
	const char *str;

	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return -EINVAL;
	str = ha_arena_str(strings, mnl_attr_get_str(attr));
	if (!str)
		return -ENOMEM;
	*field = str;
	return 0;
}

/*
 * One WORKLOAD_GET message into @w; its strings are copied into
 * @strings, which must outlive @w.
 */
int ha_parse_workload(const struct nlmsghdr *nlh, struct ha_workload *w,
		      struct ha_arena *strings)
{
	const struct nlattr *attr;
	int ret;

	memset(w, 0, sizeof(*w));
	w->name = "";
	w->cgroup_path = "";
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case HOSTACCT_A_WORKLOAD_NAME:
			ret = ha_parse_str(attr, strings, &w->name);
			if (ret)
				goto err;
			continue;
		case HOSTACCT_A_WORKLOAD_CGROUP_PATH:
			ret = ha_parse_str(attr, strings, &w->cgroup_path);
			if (ret)
				goto err;
			continue;
		case HOSTACCT_A_WORKLOAD_KVM:
			if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
				goto inval;
			ret = ha_parse_kvm(attr, &w->kvm);
			if (ret)
				goto err;
			w->has_kvm = true;
			continue;
		case HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES:
			w->has_mem_cgroup = true;
			break;
		case HOSTACCT_A_WORKLOAD_CPU_NS:
			w->has_cpu = true;
			break;
		}
		if (ha_attr_store(attr, workload_spec, HOSTACCT_A_WORKLOAD_MAX, w) < 0)
			goto inval;
	}
	if (w->class < HOSTACCT_CLASS_KERNEL || w->class > HOSTACCT_CLASS_MAX)
		goto inval;
	return 0;

inval:
	ret = -EINVAL;
err:
	ha_workload_free(w);
	return ret;
}

static const struct ha_attr_spec event_spec[HOSTACCT_A_WORKLOAD_MAX + 1] = {
	[HOSTACCT_A_WORKLOAD_CLASS] = U32(struct ha_event, class),
	[HOSTACCT_A_WORKLOAD_ID] = U64(struct ha_event, id),
	[HOSTACCT_A_WORKLOAD_EVENT_SEQ] = U64(struct ha_event, seq),
	[HOSTACCT_A_WORKLOAD_EVENT_TIME_NS] = U64(struct ha_event, time_ns),
	[HOSTACCT_A_WORKLOAD_START_TIME_NS] = U64(struct ha_event, start_ns),
	[HOSTACCT_A_WORKLOAD_NAME] = STR(struct ha_event, name),
	[HOSTACCT_A_WORKLOAD_LEADER_PID] = U32(struct ha_event, leader_pid),
	[HOSTACCT_A_WORKLOAD_CGROUP_ID] = U64(struct ha_event, cgroup_id),
	[HOSTACCT_A_WORKLOAD_CGROUP_PATH] = STR(struct ha_event, cgroup_path),
	[HOSTACCT_A_WORKLOAD_CHANGED_CLASS] = U32(struct ha_event, changed_class),
	[HOSTACCT_A_WORKLOAD_CPU_NS] = U64(struct ha_event, cpu_ns),
	[HOSTACCT_A_WORKLOAD_STARTUP_NS] = U64(struct ha_event, startup_ns),
	[HOSTACCT_A_WORKLOAD_SHUTDOWN_NS] = U64(struct ha_event, shutdown_ns),
};

/* A start or stop notification into @ev. Return: 0, or -EINVAL. */
int ha_parse_event(const struct nlmsghdr *nlh, struct ha_event *ev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	memset(ev, 0, sizeof(*ev));
	if (g->cmd != HOSTACCT_CMD_WORKLOAD_START_NTF &&
	    g->cmd != HOSTACCT_CMD_WORKLOAD_STOP_NTF)
		return -EINVAL;
	ev->stop = g->cmd == HOSTACCT_CMD_WORKLOAD_STOP_NTF;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case HOSTACCT_A_WORKLOAD_CPU_NS:
			ev->has_cpu = true;
			break;
		case HOSTACCT_A_WORKLOAD_STARTUP_NS:
			ev->has_startup = true;
			break;
		case HOSTACCT_A_WORKLOAD_SHUTDOWN_NS:
			ev->has_shutdown = true;
			break;
		}
		if (ha_attr_store(attr, event_spec, HOSTACCT_A_WORKLOAD_MAX, ev) < 0)
			return -EINVAL;
	}
	if (ev->class < HOSTACCT_CLASS_KERNEL || ev->class > HOSTACCT_CLASS_MAX)
		return -EINVAL;
	return 0;
}

void ha_workload_free(struct ha_workload *w)
{
	free(w->kvm.vcpus);
	w->kvm.vcpus = NULL;
	w->kvm.nr_vcpu_entries = 0;
}

/* ---- requests ---- */

struct ha_host_ctx {
	struct ha_host *host;
	int err;
	bool seen;
};

static int ha_host_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_host_ctx *ctx = data;

	ctx->err = ha_parse_host(nlh, ctx->host);
	ctx->seen = true;
	return ctx->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * HOST_GET. @sync: first wait until processes reaped before now are
 * charged to their class (they are when their free runs, an RCU grace
 * period after the reaping).
 */
int ha_get_host(struct ha_nl *h, struct ha_host *host, bool sync)
{
	struct ha_host_ctx ctx = { .host = host };
	struct nlmsghdr *req;
	int ret;

	req = ha_nl_request(h, HOSTACCT_CMD_HOST_GET, false);
	if (sync)
		mnl_attr_put(req, HOSTACCT_A_HOST_SYNC, 0, NULL);
	ret = ha_nl_run(h, req, ha_host_cb, &ctx);
	if (ret)
		return ret;
	if (ctx.err || !ctx.seen) {
		ha_err("malformed HOST_GET reply from the kernel");
		return -EBADMSG;
	}
	return 0;
}

static int ha_workload_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_snapshot *s = data;
	struct ha_workload *w;
	int ret;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		w = realloc(s->w, cap * sizeof(*w));
		if (!w)
			return MNL_CB_ERROR;
		s->w = w;
		s->cap = cap;
	}
	ret = ha_parse_workload(nlh, &s->w[s->n], &s->strings);
	if (ret) {
		ha_err(ret == -ENOMEM ? "out of memory" :
		       "malformed WORKLOAD_GET reply from the kernel");
		errno = ret == -ENOMEM ? ENOMEM : EBADMSG;
		return MNL_CB_ERROR;
	}
	s->n++;
	return MNL_CB_OK;
}

/*
 * Dump the workloads matching @f into @s (appending), with their CPU time
 * complete: a container's is its cgroup's cpu.stat (ha_workloads_complete),
 * so every subcommand shows the same number.
 */
int ha_get_workloads(struct ha_nl *h, const struct ha_filter *f,
		     struct ha_snapshot *s)
{
	struct nlmsghdr *req;
	size_t first = s->n;
	int ret;

	req = ha_nl_request(h, HOSTACCT_CMD_WORKLOAD_GET, true);
	if (f && f->class_mask)
		mnl_attr_put_u32(req, HOSTACCT_A_WORKLOAD_CLASS_MASK,
				 f->class_mask);
	if (f && f->pid)
		mnl_attr_put_u32(req, HOSTACCT_A_WORKLOAD_PID, f->pid);
	if (f && f->cgroup_id)
		mnl_attr_put_u64(req, HOSTACCT_A_WORKLOAD_CGROUP_ID,
				 f->cgroup_id);
	if (f && f->exact_mem)
		mnl_attr_put(req, HOSTACCT_A_WORKLOAD_EXACT_MEM, 0, NULL);
	ret = ha_nl_run(h, req, ha_workload_cb, s);
	if (!ret) {
		struct ha_snapshot tail = { .w = s->w + first, .n = s->n - first };

		ha_workloads_complete(&tail);
	}
	return ret;
}

void ha_snapshot_free(struct ha_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ha_workload_free(&s->w[i]);
	free(s->w);
	ha_arena_free(&s->strings);
	memset(s, 0, sizeof(*s));
}
