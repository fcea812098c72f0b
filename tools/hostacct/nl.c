// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink over libmnl: resolve the family, send one request, run
 * callbacks over the replies, and turn errors into sentences, with the
 * kernel's extack message and the attribute it points at.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "hostacct.h"

struct ha_extack {
	char msg[256];
	uint32_t offset;
	bool has_offset;
	uint32_t miss_type;
	bool has_miss;
};

/* Names of request attributes, to say which one the kernel rejected. */
static const char *const workload_attr_names[HOSTACCT_A_WORKLOAD_MAX + 1] = {
	[HOSTACCT_A_WORKLOAD_CLASS] = "class",
	[HOSTACCT_A_WORKLOAD_ID] = "id",
	[HOSTACCT_A_WORKLOAD_CGROUP_ID] = "cgroup-id",
	[HOSTACCT_A_WORKLOAD_CLASS_MASK] = "class-mask",
	[HOSTACCT_A_WORKLOAD_PID] = "pid",
};

/* The event group of each class, by the group's name in the spec. */
static const char *const ha_mcgrp_names[HOSTACCT_CLASS_MAX + 1] = {
	[HOSTACCT_CLASS_NATIVE] = HOSTACCT_MCGRP_NATIVE,
	[HOSTACCT_CLASS_KVM] = HOSTACCT_MCGRP_KVM,
	[HOSTACCT_CLASS_CONTAINER] = HOSTACCT_MCGRP_CONTAINER,
};

/*
 * CTRL_ATTR_MCAST_GROUPS: a nest of nests, each a group's name and id;
 * the ids of @names go into @ids.
 */
static void ha_nl_groups(const struct nlattr *nest, const char *const *names,
			 size_t n, uint32_t *ids)
{
	const struct nlattr *grp, *attr;

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return;
	mnl_attr_for_each_nested(grp, nest) {
		const char *name = NULL;
		uint32_t id = 0;
		size_t i;

		if (mnl_attr_validate(grp, MNL_TYPE_NESTED) < 0)
			continue;
		mnl_attr_for_each_nested(attr, grp) {
			if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				name = mnl_attr_get_str(attr);
			else if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
				id = mnl_attr_get_u32(attr);
		}
		for (i = 0; name && i < n; i++)
			if (names[i] && !strcmp(names[i], name))
				ids[i] = id;
	}
}

static int ha_nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_nl *h = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_MCAST_GROUPS:
			ha_nl_groups(attr, ha_mcgrp_names, HOSTACCT_CLASS_MAX + 1,
				     h->mcgrp);
			break;
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
				return MNL_CB_ERROR;
			h->family = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return MNL_CB_ERROR;
			h->family_version = mnl_attr_get_u32(attr);
			break;
		}
	}
	return MNL_CB_OK;
}

static int ha_extack_cb(const struct nlattr *attr, void *data)
{
	struct ha_extack *ext = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(ext->msg, sizeof(ext->msg), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			ext->offset = mnl_attr_get_u32(attr);
			ext->has_offset = true;
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			ext->miss_type = mnl_attr_get_u32(attr);
			ext->has_miss = true;
		}
		break;
	}
	return MNL_CB_OK;
}

/* Parse the extack TLVs found @off bytes into the payload of @nlh. */
static void ha_extack_parse(const struct nlmsghdr *nlh, size_t off,
			    struct ha_extack *ext)
{
	memset(ext, 0, sizeof(*ext));
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (mnl_nlmsg_get_payload_len(nlh) <= off)
		return;
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       mnl_nlmsg_get_payload_len(nlh) - off,
			       ha_extack_cb, ext);
}

struct ha_run {
	struct ha_nl *h;
	const struct nlmsghdr *req;
	ha_nl_cb cb;
	void *data;
	int error;		/* negative errno from the kernel */
	struct ha_extack ext;
};

static int ha_run_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_run *run = data;

	return run->cb ? run->cb(nlh, run->data) : MNL_CB_OK;
}

static int ha_run_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct ha_run *run = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		run->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;	/* ACK */
	run->error = err->error;
	/* The request is echoed before the TLVs unless NETLINK_CAP_ACK. */
	ha_extack_parse(nlh, sizeof(*err) + (nlh->nlmsg_flags & NLM_F_CAPPED ? 0 :
			err->msg.nlmsg_len - sizeof(struct nlmsghdr)), &run->ext);
	return MNL_CB_ERROR;
}

static int ha_run_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_run *run = data;
	const int *err = mnl_nlmsg_get_payload(nlh);

	/* A dump may end with an error in NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int) && *err < 0) {
		run->error = *err;
		ha_extack_parse(nlh, sizeof(int), &run->ext);
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static const char *ha_attr_name(const struct nlmsghdr *req, uint32_t offset)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	const struct nlattr *attr;
	uint16_t type;

	if (g->cmd != HOSTACCT_CMD_WORKLOAD_GET)
		return NULL;
	mnl_attr_for_each(attr, req, sizeof(*g)) {
		if ((const char *)attr - (const char *)req != (long)offset)
			continue;
		type = mnl_attr_get_type(attr);
		if (type <= HOSTACCT_A_WORKLOAD_MAX && workload_attr_names[type])
			return workload_attr_names[type];
		return "unknown";
	}
	return NULL;
}

static void ha_report(const struct ha_run *run)
{
	int e = -run->error;
	const char *name = NULL;
	const char *msg = run->ext.msg;
	char where[96] = "";

	if (run->ext.has_offset)
		name = ha_attr_name(run->req, run->ext.offset);
	if (name)
		snprintf(where, sizeof(where), " (attribute '%s')", name);
	else if (run->ext.has_miss &&
		 run->ext.miss_type <= HOSTACCT_A_WORKLOAD_MAX &&
		 workload_attr_names[run->ext.miss_type])
		snprintf(where, sizeof(where), " (missing attribute '%s')",
			 workload_attr_names[run->ext.miss_type]);

	/* the module's messages start with its name, as ours do */
	if (!strncmp(msg, "hostacct: ", 10))
		msg += 10;

	switch (e) {
	case EPERM:
	case EACCES:
		/* the module says which rule refused (capability, namespace) */
		if (msg[0])
			ha_err("permission denied: %s%s", msg,
			       strstr(msg, "CAP_NET_ADMIN") ? " (run as root)" : "");
		else
			ha_err("permission denied: querying hostacct needs CAP_NET_ADMIN (run as root)");
		return;
	case ENOENT:
		if (msg[0])
			ha_err("not found: %s%s", msg, where);
		else
			ha_err("not found");
		return;
	case EOPNOTSUPP:
		ha_err("the kernel module does not support this request (%s); is it older than this tool?",
		       strerror(e));
		return;
	}
	if (msg[0])
		ha_err("kernel rejected the request: %s%s: %s", msg,
		       where, strerror(e));
	else
		ha_err("kernel rejected the request%s: %s", where, strerror(e));
}

static int ha_nl_talk(struct ha_nl *h, struct nlmsghdr *req, ha_nl_cb cb,
		      void *data, bool report)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = ha_run_error_cb,
		[NLMSG_DONE] = ha_run_done_cb,
	};
	struct ha_run run = { .h = h, .req = req, .cb = cb, .data = data };
	ssize_t n;
	int ret;

	if (ha_opts.debug)
		mnl_nlmsg_fprintf(stderr, req, req->nlmsg_len,
				  sizeof(struct genlmsghdr));

	if (mnl_socket_sendto(h->sock, req, req->nlmsg_len) < 0) {
		ret = -errno;
		if (report)
			ha_err("cannot send to the kernel: %s", strerror(errno));
		return ret;
	}

	for (;;) {
		n = mnl_socket_recvfrom(h->sock, h->buf, h->buflen);
		if (n < 0) {
			ret = -errno;
			if (report)
				ha_err("cannot read from the kernel: %s",
				       strerror(errno));
			return ret;
		}
		ret = mnl_cb_run2(h->buf, n, req->nlmsg_seq, h->portid,
				  ha_run_data_cb, &run, ctl, NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			break;
	}

	if (ret == MNL_CB_ERROR) {
		if (!run.error)
			run.error = errno ? -errno : -EIO;
		if (report)
			ha_report(&run);
		return run.error;
	}
	return 0;
}

int ha_nl_run(struct ha_nl *h, struct nlmsghdr *req, ha_nl_cb cb, void *data)
{
	return ha_nl_talk(h, req, cb, data, true);
}

/* A request of @cmd to the family, in the handle's buffer. */
struct nlmsghdr *ha_nl_request(struct ha_nl *h, uint8_t cmd, bool dump)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = h->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	nlh->nlmsg_seq = ++h->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = HOSTACCT_FAMILY_VERSION;
	return nlh;
}

/*
 * Open a socket and resolve the family.
 * Return: 0, -ENOENT when the module is not loaded, or another -errno.
 */
int ha_nl_open(struct ha_nl *h)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int one = 1, ret;

	memset(h, 0, sizeof(*h));
	/* The kernel sizes dump messages up to 32 KiB for large buffers. */
	h->buflen = 32768;
	h->buf = malloc(h->buflen);
	if (!h->buf)
		return -ENOMEM;
	h->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!h->sock)
		goto err_errno;
	/* Best effort: old kernels lack them and still work. */
	mnl_socket_setsockopt(h->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(h->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(h->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_errno;
	h->portid = mnl_socket_get_portid(h->sock);
	h->seq = time(NULL);

	nlh = mnl_nlmsg_put_header(h->buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++h->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, HOSTACCT_FAMILY_NAME);

	ret = ha_nl_talk(h, nlh, ha_nl_family_cb, h, false);
	if (ret)
		goto err;
	if (!h->family) {
		ret = -ENOENT;
		goto err;
	}
	return 0;

err_errno:
	ret = -errno;
err:
	ha_nl_close(h);
	return ret;
}

static int ha_nl_ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	static const char *const names[] = { "notify" };
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
			ha_nl_groups(attr, names, 1, data);
	return MNL_CB_OK;
}

/*
 * The id of nlctrl's "notify" group, which tells when a family goes (the
 * module unloaded). Return: 0 or -errno.
 */
int ha_nl_ctrl_notify_group(struct ha_nl *h, uint32_t *id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->buf);
	struct genlmsghdr *g;
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++h->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	*id = 0;
	ret = ha_nl_talk(h, nlh, ha_nl_ctrl_cb, id, false);
	return ret ? ret : *id ? 0 : -ENOENT;
}

void ha_nl_close(struct ha_nl *h)
{
	if (h->sock)
		mnl_socket_close(h->sock);
	free(h->buf);
	memset(h, 0, sizeof(*h));
}

/* Open, and explain a failure to the user. */
int ha_nl_open_or_report(struct ha_nl *h)
{
	int ret = ha_nl_open(h);

	if (ret == -ENOENT)
		ha_err("kernel module not loaded; load it with: modprobe hostacct (from a build tree: insmod kmod/hostacct.ko)");
	else if (ret)
		ha_err("cannot open a generic netlink socket: %s",
		       strerror(-ret));
	return ret;
}
