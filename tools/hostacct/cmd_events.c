// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct events: workloads starting and stopping, as they happen, in
 * the manner of `ip monitor` and `udevadm monitor`: a line (or a JSON
 * object) per event, flushed per line.
 *
 * It joins the module's group of each class asked for (so the kernel
 * never builds native events for a subscriber of VMs and containers) and
 * nlctrl's notify group (to say so when the module goes); then it prints
 * its header (JSON: a "subscribed" object), from which on no event is
 * missed without a "lost" line saying so. Every event
 * carries its class's sequence number: a gap is the number of events
 * lost (the socket's buffer was full: ENOBUFS; or the module could not
 * queue them), and is printed as a "lost" event before the next one.
 *
 * A container's stop carries no CPU time from the module (its truth is
 * its cgroup's cpu.stat): it is read from cgroupfs when the stop
 * arrives, if the cgroup is still there.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "hostacct.h"

/* The receive buffer asked for: room for bursts of a few thousand events. */
#define HA_EVENTS_RCVBUF	(4 << 20)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct ha_events {
	struct ha_nl h;
	uint32_t notify_grp;
	uint64_t last_seq[HOSTACCT_CLASS_MAX + 1];
	uint64_t seen;		/* events printed */
	uint64_t lost;
	uint64_t count;		/* stop after this many; 0: never */
	bool gone;		/* the module was unloaded */
	struct ha_event ev;	/* large: one, reused */
};

static void events_usage(FILE *f)
{
	fprintf(f,
		"usage: hostacct events [-j] [--class LIST] [-n COUNT]\n"
		"\n"
		"Prints workloads starting and stopping as they happen, one line\n"
		"(or, with -j, one JSON object) per event. Needs CAP_NET_ADMIN.\n"
		"\n"
		"  -c, --class LIST    classes to follow: native, kvm, container\n"
		"                      (comma-separated; default all three)\n"
		"  -n, --count COUNT   exit after COUNT events\n"
		"  -j, --json          JSON, one object per line\n");
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* CLOCK_BOOTTIME @boot_ns as local wall time, HH:MM:SS.mmm */
static void fmt_time(char *buf, size_t len, uint64_t boot_ns)
{
	uint64_t now_boot = clock_ns(CLOCK_BOOTTIME);
	uint64_t wall = clock_ns(CLOCK_REALTIME);
	time_t secs;
	struct tm tm;

	if (boot_ns <= now_boot)
		wall -= now_boot - boot_ns;
	secs = wall / 1000000000ULL;
	localtime_r(&secs, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (unsigned int)(wall % 1000000000ULL / 1000000));
}

static const char *fmt_dur(char *buf, size_t len, bool have, uint64_t ns)
{
	if (!have)
		return "-";
	return ha_fmt_dur(buf, len, ns / 1e9);
}

static void print_lost(uint32_t class, uint64_t n)
{
	char when[32];

	if (ha_opts.format == HA_FMT_JSON) {
		printf("{\"event\":\"lost\",\"class\":\"%s\",\"count\":%llu}\n",
		       ha_class_name(class), (unsigned long long)n);
	} else {
		fmt_time(when, sizeof(when), clock_ns(CLOCK_BOOTTIME));
		printf("%-12s  %-5s  %-9s  %llu events lost\n", when, "lost",
		       ha_class_name(class), (unsigned long long)n);
	}
}

static void print_json(const struct ha_event *ev)
{
	struct ha_out *o = ha_out_new(HA_FMT_JSON, stdout);

	ha_out_section(o, NULL, NULL, false);
	ha_out_str(o, "event", NULL, ev->stop ? "stop" : "start");
	ha_out_str(o, "class", NULL, ha_class_name(ev->class));
	ha_out_u64(o, "id", NULL, ev->id, HA_U_NONE);
	ha_out_str(o, "name", NULL, ev->name);
	if (ev->leader_pid)
		ha_out_u64(o, "leader_pid", NULL, ev->leader_pid, HA_U_NONE);
	else
		ha_out_none(o, "leader_pid", NULL);
	ha_out_u64(o, "start_time_ns", NULL, ev->start_ns, HA_U_NONE);
	ha_out_u64(o, "event_time_ns", NULL, ev->time_ns, HA_U_NONE);
	ha_out_u64(o, "event_seq", NULL, ev->seq, HA_U_NONE);
	ha_out_u64(o, "cgroup_id", NULL, ev->cgroup_id, HA_U_NONE);
	ha_out_str(o, "cgroup_path", NULL, ev->cgroup_path);
	if (ev->changed_class)
		ha_out_str(o, "changed_class", NULL, ha_class_name(ev->changed_class));
	else
		ha_out_none(o, "changed_class", NULL);
	if (ev->has_cpu)
		ha_out_u64(o, "cpu_ns", NULL, ev->cpu_ns, HA_U_NONE);
	else
		ha_out_none(o, "cpu_ns", NULL);
	if (ev->has_startup)
		ha_out_u64(o, "startup_ns", NULL, ev->startup_ns, HA_U_NONE);
	else
		ha_out_none(o, "startup_ns", NULL);
	if (ev->has_shutdown)
		ha_out_u64(o, "shutdown_ns", NULL, ev->shutdown_ns, HA_U_NONE);
	else
		ha_out_none(o, "shutdown_ns", NULL);
	ha_out_section_end(o);
	ha_out_finish(o);
}

static void print_line(const struct ha_event *ev)
{
	char when[32], su[16], sd[16], cpu[32], change[32] = "", *name, *path;

	fmt_time(when, sizeof(when), ev->time_ns);
	if (ev->has_cpu)
		snprintf(cpu, sizeof(cpu), "%.2f", ev->cpu_ns / 1e9);
	else
		snprintf(cpu, sizeof(cpu), "-");
	if (ev->changed_class)
		snprintf(change, sizeof(change), "  (%s %s)", ev->stop ? "now" : "was",
			 ha_class_name(ev->changed_class));
	name = ha_clean_str(ev->name, true);
	path = ha_clean_str(ev->cgroup_path, true);
	printf("%-12s  %-5s  %-9s  %8llu  %-16s  %8s  %9s  %8s  %s%s\n",
	       when, ev->stop ? "stop" : "start", ha_class_name(ev->class),
	       (unsigned long long)ev->id, name,
	       fmt_dur(su, sizeof(su), ev->has_startup, ev->startup_ns),
	       fmt_dur(sd, sizeof(sd), ev->has_shutdown, ev->shutdown_ns),
	       cpu, path[0] ? path : "-", change);
	free(name);
	free(path);
}

static int events_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ha_events *e = data;
	struct ha_event *ev = &e->ev;
	const struct genlmsghdr *g;

	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		const struct nlattr *attr;

		g = mnl_nlmsg_get_payload(nlh);
		if (g->cmd != CTRL_CMD_DELFAMILY)
			return MNL_CB_OK;
		mnl_attr_for_each(attr, nlh, sizeof(*g))
			if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
			    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0 &&
			    mnl_attr_get_u16(attr) == e->h.family)
				e->gone = true;
		return e->gone ? MNL_CB_STOP : MNL_CB_OK;
	}
	if (nlh->nlmsg_type != e->h.family)
		return MNL_CB_OK;
	if (ha_parse_event(nlh, ev)) {
		ha_err("events: a malformed notification, skipped");
		return MNL_CB_OK;
	}
	if (e->last_seq[ev->class] && ev->seq > e->last_seq[ev->class] + 1) {
		uint64_t n = ev->seq - e->last_seq[ev->class] - 1;

		e->lost += n;
		print_lost(ev->class, n);
	}
	if (ev->seq > e->last_seq[ev->class])
		e->last_seq[ev->class] = ev->seq;

	/* a container's CPU time is its cgroup's, if the cgroup is still there */
	if (ev->stop && ev->class == HOSTACCT_CLASS_CONTAINER && ev->cgroup_path[0]) {
		struct ha_cpustat cs;

		if (!ha_cpustat_read(ha_cgroup_root(), ev->cgroup_path, &cs) && cs.ok) {
			ev->cpu_ns = cs.usage_usec * 1000;
			ev->has_cpu = true;
		}
	}
	if (ha_opts.format == HA_FMT_JSON)
		print_json(ev);
	else
		print_line(ev);
	fflush(stdout);
	e->seen++;
	return e->count && e->seen >= e->count ? MNL_CB_STOP : MNL_CB_OK;
}

static int join(struct ha_nl *h, uint32_t grp)
{
	return mnl_socket_setsockopt(h->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				     sizeof(grp));
}

int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "class", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t mask = (1U << HOSTACCT_CLASS_NATIVE) | (1U << HOSTACCT_CLASS_KVM) |
			(1U << HOSTACCT_CLASS_CONTAINER);
	struct sigaction sa = { .sa_handler = on_signal };
	int c, ret = 1, rcvbuf = HA_EVENTS_RCVBUF;
	struct ha_events *e;
	uint32_t class;
	ssize_t n;

	e = calloc(1, sizeof(*e));
	if (!e) {
		ha_err("out of memory");
		return 1;
	}
	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "c:n:", longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'c':
			if (ha_class_mask_parse(optarg, &mask) ||
			    (mask & (1U << HOSTACCT_CLASS_KERNEL))) {
				ha_err("events: bad class list '%s' (classes with events: native, kvm, container)",
				       optarg);
				goto usage;
			}
			break;
		case 'n':
			if (ha_parse_u64(optarg, &e->count) || !e->count) {
				ha_err("events: bad --count '%s' (a number of events, 1 or more)",
				       optarg);
				goto usage;
			}
			break;
		case 'h':
			events_usage(stdout);
			free(e);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		ha_err("events: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (ha_opts.format != HA_FMT_TABLE && ha_opts.format != HA_FMT_JSON) {
		ha_err("events: prints lines or JSON (-j), not CSV");
		goto usage;
	}

	if (ha_nl_open_or_report(&e->h))
		goto out;
	for (class = HOSTACCT_CLASS_NATIVE; class <= HOSTACCT_CLASS_MAX; class++) {
		if (!(mask & (1U << class)))
			continue;
		if (!e->h.mcgrp[class]) {
			ha_err("events: the module has no %s events (is it older than this tool?)",
			       ha_class_name(class));
			goto close;
		}
		if (join(&e->h, e->h.mcgrp[class])) {
			if (errno == EPERM || errno == EACCES)
				ha_err("permission denied: events need CAP_NET_ADMIN (run as root)");
			else
				ha_err("events: cannot join the %s group: %s",
				       ha_class_name(class), strerror(errno));
			goto close;
		}
	}
	/* Without it, an unload would look like a quiet host. */
	if (!ha_nl_ctrl_notify_group(&e->h, &e->notify_grp))
		join(&e->h, e->notify_grp);
	if (mnl_socket_setsockopt(e->h.sock, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(e->h.sock), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* once subscribed: a reader knows from here on nothing is missed */
	if (ha_opts.format == HA_FMT_TABLE) {
		printf("%-12s  %-5s  %-9s  %8s  %-16s  %8s  %9s  %8s  %s\n", "TIME",
		       "EVENT", "CLASS", "ID", "NAME", "START-UP", "SHUT-DOWN",
		       "CPU(s)", "CGROUP");
	} else {
		const char *sep = "";

		printf("{\"event\":\"subscribed\",\"classes\":[");
		for (class = HOSTACCT_CLASS_NATIVE; class <= HOSTACCT_CLASS_MAX; class++) {
			if (mask & (1U << class)) {
				printf("%s\"%s\"", sep, ha_class_name(class));
				sep = ",";
			}
		}
		printf("]}\n");
	}
	fflush(stdout);
	while (!stop && !e->gone && (!e->count || e->seen < e->count)) {
		n = recv(mnl_socket_get_fd(e->h.sock), e->h.buf, e->h.buflen, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)	/* counted by the next event's gap */
				continue;
			ha_err("events: cannot read from the kernel: %s", strerror(errno));
			goto close;
		}
		if (mnl_cb_run(e->h.buf, n, 0, 0, events_cb, e) == MNL_CB_ERROR) {
			ha_err("events: a malformed message: %s", strerror(errno));
			goto close;
		}
	}
	if (e->gone) {
		ha_err("events: the hostacct module was unloaded");
		goto close;
	}
	ret = 0;
close:
	ha_nl_close(&e->h);
out:
	free(e);
	return ret;
usage:
	events_usage(stderr);
	free(e);
	return 2;
}
