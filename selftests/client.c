// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' own hostacct client on libnl-genl-3 (see client.h).
 * Replies are read with nl_recv() and walked with libnl's nlmsg helpers so
 * that errors and their extack TLVs can be checked exactly.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/taskstats.h>
#include <netlink/genl/ctrl.h>

#include "client.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int hc_open(struct hc *h)
{
	int one = 1, fd;

	memset(h, 0, sizeof(*h));
	h->sk = nl_socket_alloc();
	if (!h->sk)
		return -ENOMEM;
	if (genl_connect(h->sk)) {
		nl_socket_free(h->sk);
		h->sk = NULL;
		return -EIO;
	}
	fd = nl_socket_get_fd(h->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_set_msg_buf_size(h->sk, 65536);
	nl_socket_disable_auto_ack(h->sk);
	h->family = genl_ctrl_resolve(h->sk, HOSTACCT_FAMILY_NAME);
	if (h->family < 0) {
		nl_socket_free(h->sk);
		h->sk = NULL;
		return -ENOENT;
	}
	return 0;
}

void hc_close(struct hc *h)
{
	if (h->sk)
		nl_socket_free(h->sk);
	h->sk = NULL;
}

struct nl_msg *hc_msg(struct hc *h, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, flags,
			 cmd, HOSTACCT_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void hc_extack(struct hc *h, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = nlh->nlmsg_len - NLMSG_HDRLEN - off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off), len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(h->extack, sizeof(h->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	if (tb[NLMSGERR_ATTR_OFFS]) {
		h->has_offs = true;
		h->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		h->has_miss = true;
		h->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	}
}

/* Receive until ACK, DONE or an error. Return 0 or -errno. */
static int hc_recv(struct hc *h, uint32_t seq, hc_cb cb, void *arg)
{
	struct sockaddr_nl peer;
	unsigned char *buf;
	bool done = false;
	int n;

	h->error = 0;
	h->extack[0] = 0;
	h->has_offs = h->has_miss = false;
	h->nmsgs = 0;

	while (!done) {
		struct nlmsghdr *nlh;

		n = nl_recv(h->sk, &peer, &buf, NULL);
		if (n <= 0)
			return -EIO;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, n);
		     nlh = nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(nlh);
				size_t off = sizeof(*e);

				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				h->error = e->error;
				if (e->error)
					hc_extack(h, nlh, off);
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int *err = nlmsg_data(nlh);

				if (*err) {
					h->error = *err;
					hc_extack(h, nlh, sizeof(int));
				}
				done = true;
				break;
			}
			h->nmsgs++;
			if (cb && cb(nlh, arg))
				h->error = -ECANCELED;
		}
		free(buf);
	}
	return h->error;
}

int hc_talk(struct hc *h, struct nl_msg *msg, hc_cb cb, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t seq;
	int ret;

	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send_auto(h->sk, msg);
	seq = nlh->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0)
		return -EIO;
	return hc_recv(h, seq, cb, arg);
}

/* Send @buf as it is (its sequence number is used to match replies). */
int hc_talk_raw(struct hc *h, const void *buf, size_t len, hc_cb cb, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(nl_socket_get_fd(h->sk), buf, len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return hc_recv(h, nlh->nlmsg_seq, cb, arg);
}

static uint64_t u64_or0(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t u32_or0(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int hc_host_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[HOSTACCT_A_HOST_MAX + 1];
	struct hc_host *host = arg;
	struct nlattr *a;
	int i, rem;

	if (genlmsg_parse(nlh, 0, tb, HOSTACCT_A_HOST_MAX, NULL))
		return -1;
	memset(host, 0, sizeof(*host));
	if (tb[HOSTACCT_A_HOST_KERNEL_RELEASE])
		snprintf(host->release, sizeof(host->release), "%s",
			 nla_get_string(tb[HOSTACCT_A_HOST_KERNEL_RELEASE]));
	if (tb[HOSTACCT_A_HOST_MODULE_VERSION])
		snprintf(host->module_version, sizeof(host->module_version), "%s",
			 nla_get_string(tb[HOSTACCT_A_HOST_MODULE_VERSION]));
	if (tb[HOSTACCT_A_HOST_TIMESTAMP_NS])
		host->timestamp_ns = nla_get_u64(tb[HOSTACCT_A_HOST_TIMESTAMP_NS]);
	if (tb[HOSTACCT_A_HOST_NR_CPUS_ONLINE])
		host->nr_cpus = nla_get_u32(tb[HOSTACCT_A_HOST_NR_CPUS_ONLINE]);
	if (tb[HOSTACCT_A_HOST_MEM_TOTAL_BYTES])
		host->mem_total = nla_get_u64(tb[HOSTACCT_A_HOST_MEM_TOTAL_BYTES]);
	if (tb[HOSTACCT_A_HOST_MEM_FREE_BYTES])
		host->mem_free = nla_get_u64(tb[HOSTACCT_A_HOST_MEM_FREE_BYTES]);
	if (tb[HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES])
		host->mem_available = nla_get_u64(tb[HOSTACCT_A_HOST_MEM_AVAILABLE_BYTES]);
	if (tb[HOSTACCT_A_HOST_SAMPLE_NS])
		host->sample_ns = nla_get_u64(tb[HOSTACCT_A_HOST_SAMPLE_NS]);
	host->irq_apart = tb[HOSTACCT_A_HOST_IRQ_TIME_APART];
	host->steal_apart = tb[HOSTACCT_A_HOST_STEAL_TIME_APART];
	for (i = 0; i < 10; i++) {
		int a = HOSTACCT_A_HOST_CPU_USER_NS + i;

		if (tb[a])
			host->cpu[i] = nla_get_u64(tb[a]);
	}
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		struct nlattr *cb[HOSTACCT_A_CLASS_STATS_MAX + 1];
		struct hc_class *c;
		uint32_t class;

		if (nla_type(a) != HOSTACCT_A_HOST_CLASS_STATS)
			continue;
		if (nla_parse_nested(cb, HOSTACCT_A_CLASS_STATS_MAX, a, NULL) ||
		    !cb[HOSTACCT_A_CLASS_STATS_CLASS])
			return -1;
		class = nla_get_u32(cb[HOSTACCT_A_CLASS_STATS_CLASS]);
		if (class < HOSTACCT_CLASS_KERNEL || class > HOSTACCT_CLASS_MAX)
			continue;
		c = &host->cls[class];
		c->cpu_ns = u64_or0(cb[HOSTACCT_A_CLASS_STATS_CPU_NS]);
		c->exited_ns = u64_or0(cb[HOSTACCT_A_CLASS_STATS_EXITED_CPU_NS]);
		c->nr_workloads = u32_or0(cb[HOSTACCT_A_CLASS_STATS_NR_WORKLOADS]);
		c->nr_procs = u32_or0(cb[HOSTACCT_A_CLASS_STATS_NR_PROCS]);
		c->nr_threads = u32_or0(cb[HOSTACCT_A_CLASS_STATS_NR_THREADS]);
		host->nr_classes++;
	}
	return 0;
}

static int hc_host_get_flags(struct hc *h, struct hc_host *host, bool sync)
{
	struct nl_msg *msg = hc_msg(h, HOSTACCT_CMD_HOST_GET, 0);
	int ret;

	if (sync)
		nla_put_flag(msg, HOSTACCT_A_HOST_SYNC);
	ret = hc_talk(h, msg, hc_host_cb, host);
	if (!ret && h->nmsgs != 1)
		return -EBADMSG;
	return ret;
}

int hc_host_get(struct hc *h, struct hc_host *host)
{
	return hc_host_get_flags(h, host, false);
}

int hc_host_get_sync(struct hc *h, struct hc_host *host)
{
	return hc_host_get_flags(h, host, true);
}

static void hc_parse_kvm(struct nlattr *nest, struct hc_wl *w)
{
	struct nlattr *tb[HOSTACCT_A_KVM_MAX + 1];
	struct nlattr *a;
	int rem;

	nla_parse_nested(tb, HOSTACCT_A_KVM_MAX, nest, NULL);
	w->nr_vms = u32_or0(tb[HOSTACCT_A_KVM_NR_VMS]);
	w->nr_vcpus = u32_or0(tb[HOSTACCT_A_KVM_NR_VCPUS]);
	w->guest_mem = u64_or0(tb[HOSTACCT_A_KVM_GUEST_MEM_BYTES]);
	w->device_mem = u64_or0(tb[HOSTACCT_A_KVM_DEVICE_MEM_BYTES]);
	w->guest_resident = u64_or0(tb[HOSTACCT_A_KVM_GUEST_RESIDENT_BYTES]);
	w->vcpu_ns = u64_or0(tb[HOSTACCT_A_KVM_VCPU_NS]);
	w->kvm_guest_ns = u64_or0(tb[HOSTACCT_A_KVM_GUEST_NS]);
	w->overhead_ns = u64_or0(tb[HOSTACCT_A_KVM_OVERHEAD_NS]);
	w->halt_poll_ns = u64_or0(tb[HOSTACCT_A_KVM_HALT_POLL_NS]);
	w->vcpus_truncated = tb[HOSTACCT_A_KVM_VCPUS_TRUNCATED] != NULL;

	nla_for_each_nested(a, nest, rem) {
		struct nlattr *vb[HOSTACCT_A_VCPU_MAX + 1];
		struct hc_vcpu *v;

		if (nla_type(a) != HOSTACCT_A_KVM_VCPU)
			continue;
		if (w->nr_vcpu_entries++ >= 64)
			continue;	/* counted, not kept */
		nla_parse_nested(vb, HOSTACCT_A_VCPU_MAX, a, NULL);
		v = &w->vcpus[w->nr_vcpu_entries - 1];
		v->id = u32_or0(vb[HOSTACCT_A_VCPU_ID]);
		v->tid = u32_or0(vb[HOSTACCT_A_VCPU_TID]);
		v->cpu_ns = u64_or0(vb[HOSTACCT_A_VCPU_CPU_NS]);
		v->guest_ns = u64_or0(vb[HOSTACCT_A_VCPU_GUEST_NS]);
		v->halt_poll_ns = u64_or0(vb[HOSTACCT_A_VCPU_HALT_POLL_NS]);
	}
}

int hc_parse_wl(struct nlmsghdr *nlh, struct hc_wl *w)
{
	struct nlattr *tb[HOSTACCT_A_WORKLOAD_MAX + 1];

	memset(w, 0, sizeof(*w));
	if (genlmsg_parse(nlh, 0, tb, HOSTACCT_A_WORKLOAD_MAX, NULL))
		return -EINVAL;
	if (!tb[HOSTACCT_A_WORKLOAD_CLASS] || !tb[HOSTACCT_A_WORKLOAD_ID])
		return -EINVAL;
	w->class = nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CLASS]);
	w->id = nla_get_u64(tb[HOSTACCT_A_WORKLOAD_ID]);
	if (tb[HOSTACCT_A_WORKLOAD_NAME])
		snprintf(w->name, sizeof(w->name), "%s",
			 nla_get_string(tb[HOSTACCT_A_WORKLOAD_NAME]));
	if (tb[HOSTACCT_A_WORKLOAD_CGROUP_PATH])
		snprintf(w->cgroup_path, sizeof(w->cgroup_path), "%s",
			 nla_get_string(tb[HOSTACCT_A_WORKLOAD_CGROUP_PATH]));
	w->leader_pid = u32_or0(tb[HOSTACCT_A_WORKLOAD_LEADER_PID]);
	w->cgroup_id = u64_or0(tb[HOSTACCT_A_WORKLOAD_CGROUP_ID]);
	w->container_id = u64_or0(tb[HOSTACCT_A_WORKLOAD_CONTAINER_ID]);
	w->nr_procs = u32_or0(tb[HOSTACCT_A_WORKLOAD_NR_PROCS]);
	w->nr_threads = u32_or0(tb[HOSTACCT_A_WORKLOAD_NR_THREADS]);
	w->start_ns = u64_or0(tb[HOSTACCT_A_WORKLOAD_START_TIME_NS]);
	w->has_cpu = tb[HOSTACCT_A_WORKLOAD_CPU_NS];
	w->cpu_ns = u64_or0(tb[HOSTACCT_A_WORKLOAD_CPU_NS]);
	w->user_ns = u64_or0(tb[HOSTACCT_A_WORKLOAD_CPU_USER_NS]);
	w->system_ns = u64_or0(tb[HOSTACCT_A_WORKLOAD_CPU_SYSTEM_NS]);
	w->guest_ns = u64_or0(tb[HOSTACCT_A_WORKLOAD_CPU_GUEST_NS]);
	w->rss_anon = u64_or0(tb[HOSTACCT_A_WORKLOAD_MEM_RSS_ANON_BYTES]);
	w->rss_file = u64_or0(tb[HOSTACCT_A_WORKLOAD_MEM_RSS_FILE_BYTES]);
	w->rss_shmem = u64_or0(tb[HOSTACCT_A_WORKLOAD_MEM_RSS_SHMEM_BYTES]);
	w->swap = u64_or0(tb[HOSTACCT_A_WORKLOAD_MEM_SWAP_BYTES]);
	w->hugetlb = u64_or0(tb[HOSTACCT_A_WORKLOAD_MEM_HUGETLB_BYTES]);
	if (tb[HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES]) {
		w->has_mem_cgroup = true;
		w->mem_cgroup = nla_get_u64(tb[HOSTACCT_A_WORKLOAD_MEM_CGROUP_BYTES]);
	}
	if (tb[HOSTACCT_A_WORKLOAD_KVM]) {
		w->has_kvm = true;
		hc_parse_kvm(tb[HOSTACCT_A_WORKLOAD_KVM], w);
	}
	return 0;
}

static int hc_wls_cb(struct nlmsghdr *nlh, void *arg)
{
	struct hc_wls *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct hc_wl *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (hc_parse_wl(nlh, &l->v[l->n]))
		return -1;
	l->n++;
	return 0;
}

static int hc_dump_flags(struct hc *h, uint32_t class_mask, uint32_t pid,
			 uint64_t cgroup_id, bool exact, struct hc_wls *out)
{
	struct nl_msg *msg = hc_msg(h, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP);

	if (exact)
		nla_put_flag(msg, HOSTACCT_A_WORKLOAD_EXACT_MEM);
	if (class_mask)
		nla_put_u32(msg, HOSTACCT_A_WORKLOAD_CLASS_MASK, class_mask);
	if (pid)
		nla_put_u32(msg, HOSTACCT_A_WORKLOAD_PID, pid);
	if (cgroup_id)
		nla_put_u64(msg, HOSTACCT_A_WORKLOAD_CGROUP_ID, cgroup_id);
	return hc_talk(h, msg, hc_wls_cb, out);
}

int hc_dump(struct hc *h, uint32_t class_mask, uint32_t pid, uint64_t cgroup_id,
	    struct hc_wls *out)
{
	return hc_dump_flags(h, class_mask, pid, cgroup_id, false, out);
}

int hc_dump_exact(struct hc *h, uint32_t class_mask, uint32_t pid,
		  uint64_t cgroup_id, struct hc_wls *out)
{
	return hc_dump_flags(h, class_mask, pid, cgroup_id, true, out);
}

static int hc_get_cb(struct nlmsghdr *nlh, void *arg)
{
	return hc_parse_wl(nlh, arg) ? -1 : 0;
}

int hc_get(struct hc *h, uint32_t class, uint64_t id, struct hc_wl *w)
{
	struct nl_msg *msg = hc_msg(h, HOSTACCT_CMD_WORKLOAD_GET, 0);
	int ret;

	nla_put_u32(msg, HOSTACCT_A_WORKLOAD_CLASS, class);
	nla_put_u64(msg, HOSTACCT_A_WORKLOAD_ID, id);
	ret = hc_talk(h, msg, hc_get_cb, w);
	if (!ret && h->nmsgs != 1)
		return -EBADMSG;
	return ret;
}

void hc_wls_free(struct hc_wls *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct hc_wl *hc_wls_find(struct hc_wls *l, uint32_t class, uint64_t id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].class == class && l->v[i].id == id)
			return &l->v[i];
	return NULL;
}

/* ---- taskstats: the kernel's unscaled tick samples of a thread group ---- */

struct hc_ts_arg {
	uint64_t utime_us, stime_us;
	bool found;
};

static int hc_ts_cb(struct nl_msg *msg, void *data)
{
	struct nlattr *tb[TASKSTATS_TYPE_MAX + 1], *nest[TASKSTATS_TYPE_MAX + 1];
	struct hc_ts_arg *a = data;
	struct nlattr *agg;
	struct taskstats *ts;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, TASKSTATS_TYPE_MAX, NULL))
		return NL_SKIP;
	agg = tb[TASKSTATS_TYPE_AGGR_TGID] ?: tb[TASKSTATS_TYPE_AGGR_PID];
	if (!agg || nla_parse_nested(nest, TASKSTATS_TYPE_MAX, agg, NULL) ||
	    !nest[TASKSTATS_TYPE_STATS])
		return NL_SKIP;
	ts = nla_data(nest[TASKSTATS_TYPE_STATS]);
	if (nla_len(nest[TASKSTATS_TYPE_STATS]) < (int)(offsetof(struct taskstats, ac_stime) +
							  sizeof(ts->ac_stime)))
		return NL_SKIP;
	a->utime_us = ts->ac_utime;
	a->stime_us = ts->ac_stime;
	a->found = true;
	return NL_OK;
}

int taskstats_tgid(pid_t tgid, uint64_t *utime_ns, uint64_t *stime_ns)
{
	struct hc_ts_arg a = { 0 };
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg;
	int family, ret = -EIO;

	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk))
		goto out;
	family = genl_ctrl_resolve(sk, TASKSTATS_GENL_NAME);
	if (family < 0)
		goto out;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, hc_ts_cb, &a);
	msg = nlmsg_alloc();
	if (!msg)
		goto out;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
		    TASKSTATS_CMD_GET, TASKSTATS_VERSION);
	nla_put_u32(msg, TASKSTATS_CMD_ATTR_TGID, tgid);
	if (nl_send_auto(sk, msg) >= 0 && nl_recvmsgs_default(sk) >= 0 && a.found) {
		*utime_ns = a.utime_us * 1000;
		*stime_ns = a.stime_us * 1000;
		ret = 0;
	}
	nlmsg_free(msg);
out:
	nl_socket_free(sk);
	return ret;
}
