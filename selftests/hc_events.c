// SPDX-License-Identifier: GPL-2.0
/*
 * hc_events: the independent libnl-genl-3 client's view of the module's
 * start and stop notifications, for the events test.
 *
 *   hc_events [--class LIST] [--rcvbuf BYTES] [--stall]
 *
 * LIST: native,kvm,container (numbers as the uAPI's, or names). Prints
 * "joined" once subscribed, then one JSON object per event (names of the
 * YNL spec, dashes made underscores; class and event as numbers and
 * words). With --stall it reads nothing until SIGUSR1 (a subscriber that
 * falls behind), then drains what is queued, prints "drained", reads one
 * more event (the first after the overrun) and prints one line:
 *   stalled enobufs=E received=R lost=L
 * where L is the sum of the gaps in each class's sequence numbers.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "client.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

static const char *const group_of[HOSTACCT_CLASS_MAX + 1] = {
	[HOSTACCT_CLASS_NATIVE] = HOSTACCT_MCGRP_NATIVE,
	[HOSTACCT_CLASS_KVM] = HOSTACCT_MCGRP_KVM,
	[HOSTACCT_CLASS_CONTAINER] = HOSTACCT_MCGRP_CONTAINER,
};

static struct nla_policy policy[HOSTACCT_A_WORKLOAD_MAX + 1] = {
	[HOSTACCT_A_WORKLOAD_CLASS] = { .type = NLA_U32 },
	[HOSTACCT_A_WORKLOAD_ID] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_EVENT_SEQ] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_EVENT_TIME_NS] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_START_TIME_NS] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_NAME] = { .type = NLA_NUL_STRING },
	[HOSTACCT_A_WORKLOAD_LEADER_PID] = { .type = NLA_U32 },
	[HOSTACCT_A_WORKLOAD_CGROUP_ID] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_CGROUP_PATH] = { .type = NLA_NUL_STRING },
	[HOSTACCT_A_WORKLOAD_CHANGED_CLASS] = { .type = NLA_U32 },
	[HOSTACCT_A_WORKLOAD_CPU_NS] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_STARTUP_NS] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_SHUTDOWN_NS] = { .type = NLA_U64 },
};

static uint64_t last_seq[HOSTACCT_CLASS_MAX + 1];
static uint64_t received, lost;

static void put_u64(struct nlattr **tb, int a, const char *key)
{
	if (tb[a])
		printf(",\"%s\":%llu", key, (unsigned long long)nla_get_u64(tb[a]));
}

static void put_str(struct nlattr **tb, int a, const char *key)
{
	const char *s;

	if (!tb[a])
		return;
	printf(",\"%s\":\"", key);
	for (s = nla_get_string(tb[a]); *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void one(struct nlmsghdr *nlh, int family, bool print)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[HOSTACCT_A_WORKLOAD_MAX + 1];
	uint32_t class;
	uint64_t seq;

	if (nlh->nlmsg_type != family ||
	    genlmsg_parse(nlh, 0, tb, HOSTACCT_A_WORKLOAD_MAX, policy) ||
	    !tb[HOSTACCT_A_WORKLOAD_CLASS] || !tb[HOSTACCT_A_WORKLOAD_EVENT_SEQ])
		return;
	class = nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CLASS]);
	if (class > HOSTACCT_CLASS_MAX)
		return;
	seq = nla_get_u64(tb[HOSTACCT_A_WORKLOAD_EVENT_SEQ]);
	if (last_seq[class] && seq > last_seq[class] + 1)
		lost += seq - last_seq[class] - 1;
	if (seq > last_seq[class])
		last_seq[class] = seq;
	received++;
	if (!print)
		return;
	printf("{\"cmd\":%u,\"event\":\"%s\",\"class\":%u", g->cmd,
	       g->cmd == HOSTACCT_CMD_WORKLOAD_STOP_NTF ? "stop" : "start", class);
	put_u64(tb, HOSTACCT_A_WORKLOAD_ID, "id");
	put_u64(tb, HOSTACCT_A_WORKLOAD_EVENT_SEQ, "event_seq");
	put_u64(tb, HOSTACCT_A_WORKLOAD_EVENT_TIME_NS, "event_time_ns");
	put_u64(tb, HOSTACCT_A_WORKLOAD_START_TIME_NS, "start_time_ns");
	put_str(tb, HOSTACCT_A_WORKLOAD_NAME, "name");
	if (tb[HOSTACCT_A_WORKLOAD_LEADER_PID])
		printf(",\"leader_pid\":%u", nla_get_u32(tb[HOSTACCT_A_WORKLOAD_LEADER_PID]));
	put_u64(tb, HOSTACCT_A_WORKLOAD_CGROUP_ID, "cgroup_id");
	put_str(tb, HOSTACCT_A_WORKLOAD_CGROUP_PATH, "cgroup_path");
	if (tb[HOSTACCT_A_WORKLOAD_CHANGED_CLASS])
		printf(",\"changed_class\":%u",
		       nla_get_u32(tb[HOSTACCT_A_WORKLOAD_CHANGED_CLASS]));
	put_u64(tb, HOSTACCT_A_WORKLOAD_CPU_NS, "cpu_ns");
	put_u64(tb, HOSTACCT_A_WORKLOAD_STARTUP_NS, "startup_ns");
	put_u64(tb, HOSTACCT_A_WORKLOAD_SHUTDOWN_NS, "shutdown_ns");
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "stall", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static char buf[1 << 16];
	char classes[128] = "native,kvm,container", *tok, *save;
	int c, fd, rcvbuf = 0, enobufs = 0;
	uint64_t at_drain = 0;
	bool drained = false;
	bool stall = false;
	struct hc h;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "c:r:s", opts, NULL)) != -1) {
		switch (c) {
		case 'c': snprintf(classes, sizeof(classes), "%s", optarg); break;
		case 'r': rcvbuf = atoi(optarg); break;
		case 's': stall = true; break;
		default: return 2;
		}
	}
	if (hc_open(&h))
		return 1;
	for (tok = strtok_r(classes, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t k;
		int grp = -1;

		for (k = HOSTACCT_CLASS_NATIVE; k <= HOSTACCT_CLASS_MAX; k++)
			if (!strcmp(tok, group_of[k]))
				grp = genl_ctrl_resolve_grp(h.sk, HOSTACCT_FAMILY_NAME,
							    group_of[k]);
		if (grp < 0 || nl_socket_add_membership(h.sk, grp)) {
			fprintf(stderr, "hc_events: cannot join %s\n", tok);
			return 1;
		}
	}
	fd = nl_socket_get_fd(h.sk);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	signal(SIGUSR1, on_usr1);
	printf("joined\n");
	fflush(stdout);
	if (stall) {
		while (!go)
			pause();
		fcntl(fd, F_SETFL, O_NONBLOCK);
	}
	/*
	 * --stall: drain what is queued, then wait (blocking) for one more
	 * event: the first after the overrun, whose number shows the gap.
	 */
	for (;;) {
		struct nlmsghdr *nlh;
		int left;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				enobufs++;
				continue;
			}
			if (stall && !drained && errno == EAGAIN) {
				drained = true;
				at_drain = received;
				fcntl(fd, F_SETFL, 0);
				printf("drained\n");
				fflush(stdout);
				continue;
			}
			break;
		}
		left = n;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, left);
		     nlh = nlmsg_next(nlh, &left))
			one(nlh, h.family, !stall);
		if (stall && drained && received > at_drain)
			break;
	}
	if (stall)
		printf("stalled enobufs=%d received=%llu lost=%llu\n", enobufs,
		       (unsigned long long)received, (unsigned long long)lost);
	hc_close(&h);
	return 0;
}
