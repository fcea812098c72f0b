// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct_fuzz: random and mutated generic netlink messages to the hostacct
 * family from several threads, and a dump checker for stress runs.
 *
 *   hostacct_fuzz fuzz [--messages N] [--threads T] [--seed S]
 *	Random commands, flags and header fields; random, nested, oversized,
 *	zero-length and unterminated attributes; bad lengths and truncated
 *	headers; dumps abandoned by closing the socket mid-way. Prints what the
 *	kernel answered; exits non-zero only if the family stops answering a
 *	valid request afterwards. Kernel trouble shows in dmesg.
 *
 *   hostacct_fuzz scan
 *	One HOST_GET and one full dump, raw: every 8-byte window of every
 *	attribute payload must not look like a kernel address, every string
 *	must be NUL-terminated within its attribute.
 *
 *   hostacct_fuzz dumps [--threads T]    until SIGTERM, and until every
 *                                          thread completed a dump
 *	Dump loops: every dump must list each (class, id) at most once.
 *	Tolerates the module going away and coming back (ENOENT, EOPNOTSUPP).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "client.h"

#define BUF_SIZE	65536

static int family;
static long total;
static atomic_long sent, answered, abandoned, dump_errors, dumps_done;
/* errno histograms: slot 0 holds what is not an errno (success, out of range) */
#define NR_ERRNO	140
static atomic_long errs[NR_ERRNO];
static atomic_long dump_errs[NR_ERRNO];	/* failed dumps by errno */

static void hist_add(atomic_long *hist, int err)
{
	atomic_fetch_add(&hist[err > 0 && err < NR_ERRNO ? err : 0], 1);
}

/* " NAME=count" for every slot used; slot 0 is printed as @zero */
static void hist_print(atomic_long *hist, const char *zero)
{
	int i;

	for (i = 0; i < NR_ERRNO; i++)
		if (atomic_load(&hist[i]))
			printf(" %s=%ld", i ? strerrorname_np(i) : zero,
			       atomic_load(&hist[i]));
	printf("\n");
}

static uint32_t rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 2685821657736338717ULL) >> 32);
}

static int open_sock(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;
	struct timeval tv = { .tv_sec = 1 };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Append a random attribute (maybe nested) at @p; return its length. */
static size_t rand_attr(uint64_t *s, unsigned char *p, size_t room, int depth)
{
	static const uint16_t likely_types[] = {
		HOSTACCT_A_WORKLOAD_CLASS, HOSTACCT_A_WORKLOAD_ID,
		HOSTACCT_A_WORKLOAD_CLASS_MASK, HOSTACCT_A_WORKLOAD_PID,
		HOSTACCT_A_WORKLOAD_CGROUP_ID, HOSTACCT_A_WORKLOAD_KVM,
		HOSTACCT_A_WORKLOAD_NAME, HOSTACCT_A_HOST_CLASS_STATS, 0,
	};
	struct nlattr *nla = (struct nlattr *)p;
	size_t len, i, plen;

	if (room < NLA_HDRLEN + 16)
		return 0;
	nla->nla_type = rnd(s) % 4 ? likely_types[rnd(s) % 9] : rnd(s) % 40;
	switch (rnd(s) % 10) {
	case 0:
		plen = 0;			/* zero length */
		break;
	case 1:
		plen = 1 + rnd(s) % 3;		/* short */
		break;
	case 2:
		plen = rnd(s) % (room - NLA_HDRLEN);	/* anything that fits */
		break;
	case 3:
		plen = 12;			/* oversize for u32/u64 */
		break;
	case 4:
		plen = 8;
		break;
	default:
		plen = 4;
		break;
	}
	if (plen > room - NLA_HDRLEN)
		plen = room - NLA_HDRLEN;
	if (depth < 3 && rnd(s) % 8 == 0) {
		/* nested: children inside */
		size_t off = 0;
		int k, kids = rnd(s) % 4;

		nla->nla_type |= NLA_F_NESTED;
		for (k = 0; k < kids; k++)
			off += rand_attr(s, p + NLA_HDRLEN + off,
					 room - NLA_HDRLEN - off, depth + 1);
		plen = off;
	} else {
		unsigned char *d = p + NLA_HDRLEN;
		uint32_t v;

		for (i = 0; i < plen; i++)
			d[i] = rnd(s);
		if (plen >= 4) {
			/* often a plausible value: a class, a pid, a mask */
			v = rnd(s) % 3 == 0 ? rnd(s) % 6 :
			    rnd(s) % 3 == 0 ? (uint32_t)getpid() : rnd(s);
			memcpy(d, &v, 4);
		}
		if (plen && rnd(s) % 2)
			d[plen - 1] = 0;	/* terminated string */
	}
	nla->nla_len = NLA_HDRLEN + plen;
	len = NLA_ALIGN(nla->nla_len);
	if (rnd(s) % 50 == 0)
		nla->nla_len = rnd(s);		/* lie about the length */
	return len <= room ? len : room;
}

/*
 * Read replies until the answer is complete (ACK, error, DONE, or a do
 * request's reply) or a timeout; maybe abandon a dump.
 */
static void drain(uint64_t *s, int *fd, unsigned char *buf, uint32_t seq,
		  bool dump, bool ack)
{
	for (;;) {
		ssize_t n;
		struct nlmsghdr *nlh;

		if (dump && rnd(s) % 16 == 0) {
			/* abandon the dump: the kernel must clean up */
			close(*fd);
			*fd = open_sock();
			atomic_fetch_add(&abandoned, 1);
			return;
		}
		n = recv(*fd, buf, BUF_SIZE, 0);
		if (n <= 0)
			return;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				int err = -e->error;

				atomic_fetch_add(&answered, 1);
				hist_add(errs, err);
				return;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				atomic_fetch_add(&answered, 1);
				return;
			}
			/* a do request's reply; an ACK follows only if asked */
			if (!(nlh->nlmsg_flags & NLM_F_MULTI) && !ack) {
				atomic_fetch_add(&answered, 1);
				return;
			}
		}
	}
}

static void *fuzz_thread(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	unsigned char *msg = malloc(BUF_SIZE), *buf = malloc(BUF_SIZE);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = open_sock();
	uint32_t seq = 1;

	while (atomic_fetch_add(&sent, 1) < total) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
		struct genlmsghdr *g = NLMSG_DATA(nlh);
		size_t len = NLMSG_HDRLEN + GENL_HDRLEN, room;
		static const uint16_t flag_sets[] = {
			NLM_F_REQUEST | NLM_F_ACK,
			NLM_F_REQUEST | NLM_F_DUMP,
			NLM_F_REQUEST,
			NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK,
			NLM_F_REQUEST | NLM_F_ECHO | NLM_F_ACK,
			NLM_F_REQUEST | NLM_F_REPLACE,
			NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
		};
		int i, nattrs = rnd(&s) % 9;
		bool dump;

		if (fd < 0)
			fd = open_sock();
		memset(msg, 0, len);
		nlh->nlmsg_type = rnd(&s) % 64 ? family : rnd(&s) % 0x40;
		nlh->nlmsg_flags = rnd(&s) % 16 ? flag_sets[rnd(&s) % 7] : rnd(&s);
		nlh->nlmsg_seq = ++seq;
		g->cmd = rnd(&s) % 8 ? 1 + rnd(&s) % 2 : rnd(&s) % 256;
		g->version = rnd(&s) % 8 ? 1 : rnd(&s);
		g->reserved = rnd(&s) % 16 ? 0 : rnd(&s);
		room = (rnd(&s) % 32 ? 512 : BUF_SIZE / 2) - len;
		for (i = 0; i < nattrs && room > 64; i++) {
			size_t a = rand_attr(&s, msg + len, room, 0);

			len += a;
			room -= a;
		}
		nlh->nlmsg_len = len;
		switch (rnd(&s) % 40) {
		case 0:
			nlh->nlmsg_len = NLMSG_HDRLEN + rnd(&s) % GENL_HDRLEN;
			break;		/* truncated header */
		case 1:
			nlh->nlmsg_len = len + 1 + rnd(&s) % 64;
			break;		/* claims more than sent */
		case 2:
			len = NLMSG_HDRLEN + rnd(&s) % 8;
			break;		/* shorter datagram */
		}
		dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
		if (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel)) < 0)
			continue;
		/*
		 * No answer comes for what netlink drops before parsing (a
		 * datagram shorter than its header or than its nlmsg_len), nor,
		 * unless an ack is asked for, for non-requests and control
		 * message types.
		 */
		if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
		    nlh->nlmsg_len < NLMSG_HDRLEN)
			continue;
		if ((!(nlh->nlmsg_flags & NLM_F_REQUEST) ||
		     nlh->nlmsg_type < NLMSG_MIN_TYPE) &&
		    !(nlh->nlmsg_flags & NLM_F_ACK))
			continue;
		drain(&s, &fd, buf, nlh->nlmsg_seq, dump,
		      nlh->nlmsg_flags & NLM_F_ACK);
	}
	if (fd >= 0)
		close(fd);
	free(msg);
	free(buf);
	return NULL;
}

static volatile sig_atomic_t dumps_stop;

static void dumps_on_term(int sig)
{
	dumps_stop = 1;
}

/*
 * Each dump lists each workload at most once. Runs until told to stop,
 * and in any case until this thread completed a dump: a loop that never
 * got a dump through proves nothing.
 */
static void *dump_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)&arg ^ (unsigned int)time(NULL);
	long done = 0;

	while (!dumps_stop || !done) {
		struct hc_wls l = { 0 };
		struct hc h;
		size_t i, j;
		int ret;

		if (hc_open(&h)) {
			usleep(20000);	/* module away: wait for it */
			continue;
		}
		ret = hc_dump(&h, 0, 0, 0, &l);
		hc_close(&h);
		if (ret) {
			/*
			 * The module going away is fine: its family is gone
			 * (ENOENT, EOPNOTSUPP), the socket saw the end (EIO), or
			 * netlink refused to start a dump because the module
			 * is being unloaded (EPROTONOSUPPORT from
			 * __netlink_dump_start()). Nothing else is.
			 */
			hist_add(dump_errs, -ret);
			if (ret != -ENOENT && ret != -EOPNOTSUPP && ret != -EIO &&
			    ret != -EPROTONOSUPPORT)
				atomic_fetch_add(&dump_errors, 1);
			hc_wls_free(&l);
			continue;
		}
		for (i = 0; i < l.n; i++)
			for (j = i + 1; j < l.n; j++)
				if (l.v[i].class == l.v[j].class &&
				    l.v[i].id == l.v[j].id) {
					fprintf(stderr, "duplicate workload %u/%llu\n",
						l.v[i].class, (unsigned long long)l.v[i].id);
					atomic_fetch_add(&dump_errors, 1);
				}
		atomic_fetch_add(&dumps_done, 1);
		done++;
		hc_wls_free(&l);
		/*
		 * A moment between dumps, at a random phase per thread: a dump
		 * holds the module, and an unload needs a moment when no dump
		 * of the eight runs.
		 */
		usleep(rand_r(&seed) % 20000);
	}
	return NULL;
}

static long scan_errors, scan_words;

/* Walk attributes; check payload words and strings. */
static void scan_attrs(const unsigned char *p, int len, int depth)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		int alen = nla->nla_len - NLA_HDRLEN, i;
		const unsigned char *d = p + NLA_HDRLEN;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > len) {
			scan_errors++;
			return;
		}
		/*
		 * A nest's payload is attribute headers and values: scan its
		 * leaves, not windows across a header and the value after it
		 * (12-byte u64 attributes put "0c 00 tt 00" right before
		 * their value). In a leaf, every 8-byte window counts.
		 */
		if ((nla->nla_type & NLA_F_NESTED) && depth < 4) {
			scan_attrs(d, alen, depth + 1);
			p += NLA_ALIGN(nla->nla_len);
			len -= NLA_ALIGN(nla->nla_len);
			continue;
		}
		for (i = 0; i + 8 <= alen; i++) {
			uint64_t v;

			memcpy(&v, d + i, 8);
			scan_words++;
			/* x86-64 kernel half, with 4- or 5-level paging */
			if (v >= 0xff00000000000000ULL && v != UINT64_MAX) {
				fprintf(stderr, "kernel-looking value %#llx in attribute %u\n",
					(unsigned long long)v, nla->nla_type & NLA_TYPE_MASK);
				scan_errors++;
			}
		}
		p += NLA_ALIGN(nla->nla_len);
		len -= NLA_ALIGN(nla->nla_len);
	}
}

static int scan_cb(struct nlmsghdr *nlh, void *arg)
{
	long *msgs = arg;

	scan_attrs((unsigned char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		   nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, 0);
	(*msgs)++;
	return 0;
}

/* Strings: NUL-terminated within the attribute, as libnl parses them. */
static int scan_strings(struct nlmsghdr *nlh, void *arg)
{
	static const int strs[] = {
		HOSTACCT_A_WORKLOAD_NAME, HOSTACCT_A_WORKLOAD_CGROUP_PATH,
	};
	struct nlattr *tb[HOSTACCT_A_WORKLOAD_MAX + 1];
	unsigned int i;

	scan_cb(nlh, arg);
	if (genlmsg_parse(nlh, 0, tb, HOSTACCT_A_WORKLOAD_MAX, NULL))
		return scan_errors++, 0;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		struct nlattr *a = tb[strs[i]];

		if (a && (nla_len(a) < 1 || ((char *)nla_data(a))[nla_len(a) - 1])) {
			fprintf(stderr, "unterminated string attribute %d\n", strs[i]);
			scan_errors++;
		}
	}
	return 0;
}

static int scan(void)
{
	struct nl_msg *msg;
	long msgs = 0;
	struct hc h;

	if (hc_open(&h))
		return 1;
	msg = hc_msg(&h, HOSTACCT_CMD_HOST_GET, 0);
	if (hc_talk(&h, msg, scan_cb, &msgs))
		return 1;
	msg = hc_msg(&h, HOSTACCT_CMD_WORKLOAD_GET, NLM_F_DUMP);
	if (hc_talk(&h, msg, scan_strings, &msgs))
		return 1;
	hc_close(&h);
	printf("scanned messages=%ld words=%ld suspicious=%ld\n", msgs, scan_words,
	       scan_errors);
	return scan_errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "messages", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	pthread_t th[64];
	uint64_t seed = time(NULL);
	int threads = 4, c, i;
	struct hc_host host;
	struct timespec t0, t1;
	const char *mode;
	struct hc h;

	total = 100000;
	if (argc < 2)
		return 2;
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "m:t:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'm': total = atol(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (threads < 1 || threads > 64)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (!strcmp(mode, "scan"))
		return scan();
	if (!strcmp(mode, "dumps")) {
		signal(SIGTERM, dumps_on_term);
		signal(SIGINT, dumps_on_term);
		for (i = 0; i < threads; i++)
			pthread_create(&th[i], NULL, dump_thread, NULL);
		for (i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
		printf("dumps=%ld errors=%ld failed dumps by errno:",
		       atomic_load(&dumps_done), atomic_load(&dump_errors));
		hist_print(dump_errs, "other");
		return atomic_load(&dump_errors) ? 1 : 0;
	}
	if (strcmp(mode, "fuzz"))
		return 2;

	if (hc_open(&h))
		return 1;
	family = h.family;
	hc_close(&h);
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, fuzz_thread,
			       (void *)(uintptr_t)(seed * 2654435761ULL + i + 1));
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("seed=%llu messages=%ld answered=%ld abandoned_dumps=%ld seconds=%.1f\n",
	       (unsigned long long)seed, total, atomic_load(&answered),
	       atomic_load(&abandoned),
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("errnos:");
	hist_print(errs, "ok");

	/* The family still answers a valid request. */
	if (hc_open(&h) || hc_host_get(&h, &host)) {
		printf("family broken after fuzzing\n");
		return 1;
	}
	hc_close(&h);
	return 0;
}
