// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct serve: a Prometheus scrape target. GET /metrics takes a fresh
 * snapshot and answers in the text exposition format; the HTTP side is
 * libmicrohttpd's.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostacct.h"

#define HA_SERVE_DEFAULT	"127.0.0.1:9469"

static struct MHD_Response *text_response(char *buf, size_t len, bool owned)
{
	return MHD_create_response_from_buffer(len, buf, owned ?
					       MHD_RESPMEM_MUST_FREE :
					       MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code,
			      struct MHD_Response *resp, const char *type)
{
	enum MHD_Result ret;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	static char index_html[] =
		"<html><body><a href=\"/metrics\">hostacct metrics</a></body></html>\n";
	static char not_found[] = "not found\n";
	static char bad_method[] = "only GET\n";
	uint32_t natives = *(const uint32_t *)cls;
	struct timespec t0;
	struct ha_snap s;
	struct ha_nl h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			      text_response(bad_method, strlen(bad_method), false),
			      "text/plain");
	if (!strcmp(url, "/"))
		return answer(conn, MHD_HTTP_OK,
			      text_response(index_html, strlen(index_html), false),
			      "text/html");
	if (strcmp(url, "/metrics"))
		return answer(conn, MHD_HTTP_NOT_FOUND,
			      text_response(not_found, strlen(not_found), false),
			      "text/plain");

	/*
	 * A failed snapshot is still a scrape that succeeds: Prometheus keeps
	 * up = 1 and sees hostacct_scrape_error 1 (and why, in a comment),
	 * as exporters report a failed collector.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	/*
	 * Not loaded: say so without asking the kernel for the family:
	 * genetlink runs modprobe for every lookup of an unknown family, and
	 * a scrape must stay cheap.
	 */
	ret = access("/sys/module/hostacct", F_OK) ? -ENOENT : ha_nl_open(&h);
	if (!ret) {
		ret = ha_snap_take(&h, NULL, &s, false);
		ha_nl_close(&h);
		if (!ret)
			ha_prom_write(f, &s, natives);
		ha_snap_free(&s);
	}
	if (ret)
		fprintf(f, "# hostacct: cannot take a snapshot: %s\n",
			ret == -ENOENT ? "kernel module not loaded" : strerror(-ret));
	ha_prom_write_meta(f, &t0, ret != 0);
	fclose(f);
	return answer(conn, MHD_HTTP_OK, text_response(buf, len, true),
		      "text/plain; version=0.0.4; charset=utf-8");
}

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
	};
	char host[128], *port;
	struct addrinfo *res;
	uint32_t p;

	snprintf(host, sizeof(host), "%s", s);
	port = strrchr(host, ':');
	if (!port)
		return -EINVAL;
	*port++ = 0;
	if (ha_parse_u32(port, &p) || !p || p > 65535)
		return -EINVAL;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 2 || host[l - 1] != ']')
			return -EINVAL;
		host[l - 1] = 0;
		memmove(host, host + 1, l - 1);
	}
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res))
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "listen", required_argument, NULL, 'l' },
		{ "natives", required_argument, NULL, HA_OPT_NATIVES },
		{ NULL, 0, NULL, 0 },
	};
	static uint32_t natives = HA_NATIVES_DEFAULT;
	const char *listen = HA_SERVE_DEFAULT;
	struct sockaddr_storage ss = { 0 };
	struct MHD_Daemon *d;
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS "l:", longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case HA_OPT_NATIVES:
			if (ha_parse_natives("serve", optarg, &natives))
				return 2;
			break;
		case 'h':
			printf("usage: hostacct serve [--listen ADDR:PORT] [--natives N|all]\n"
			       "\n"
			       "Serves Prometheus metrics at http://ADDR:PORT/metrics (default\n"
			       "%s); each scrape takes a fresh snapshot. Every VM and\n"
			       "container is a series; native processes only the N with the\n"
			       "most CPU time (default %u; the class totals count them all).\n"
			       "Stops on SIGINT or SIGTERM.\n",
			       HA_SERVE_DEFAULT, HA_NATIVES_DEFAULT);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		ha_err("serve: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (parse_listen(listen, &ss)) {
		ha_err("serve: bad address '%s' (ADDR:PORT, [ADDR]:PORT or :PORT)",
		       listen);
		return 2;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, handle, &natives,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
			     MHD_OPTION_END);
	if (!d) {
		ha_err("serve: cannot listen on %s: %s", listen, strerror(errno));
		return 1;
	}
	fprintf(stderr, "hostacct: serving http://%s/metrics\n", listen);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
