// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct(8): per-workload CPU and memory accounting for native
 * processes, KVM virtual machines and containers.
 *
 * top, serve and the history commands live in helper programs
 * (hostacct-top links ncurses, hostacct-serve libmicrohttpd and through
 * it gnutls, hostacct-history SQLite), built from this file with
 * HA_WITH_TOP, HA_WITH_SERVE or HA_WITH_HISTORY, so that every other
 * command starts without loading those libraries. report --since is the
 * history helper's. hostacct runs a helper with
 * its own arguments: from its own directory (a build tree, or installed
 * side by side), else from HA_LIBEXECDIR.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostacct.h"

#ifndef HA_LIBEXECDIR
#define HA_LIBEXECDIR "/usr/libexec/hostacct"
#endif

#ifdef HA_WITH_TOP
#define RUN_TOP cmd_top
#else
#define RUN_TOP NULL
#endif
#ifdef HA_WITH_SERVE
#define RUN_SERVE cmd_serve
#else
#define RUN_SERVE NULL
#endif
#ifdef HA_WITH_HISTORY
#define RUN_RECORD cmd_record
#define RUN_RIGHTSIZE cmd_rightsize
#define RUN_EXPORT cmd_export
#else
#define RUN_RECORD NULL
#define RUN_RIGHTSIZE NULL
#define RUN_EXPORT NULL
#endif

static const struct ha_cmd commands[] = {
	{ "host", cmd_host, "host CPU and memory totals, as /proc/stat and /proc/meminfo", NULL },
	{ "show", cmd_show, "one row per workload: native, kvm, container, kernel", NULL },
	{ "report", cmd_report,
	  "utilisation efficiency over an interval (-i SECONDS) or the history (--since)", NULL },
	{ "top", RUN_TOP, "live view of the workloads, sorted by CPU", "top" },
	{ "serve", RUN_SERVE, "Prometheus scrape target (--listen ADDR:PORT)", "serve" },
	{ "record", RUN_RECORD, "sample into the history database (--db PATH)", "history" },
	{ "rightsize", RUN_RIGHTSIZE, "recommended VM and container reservations from the history",
	  "history" },
	{ "export", RUN_EXPORT, "the recorded series, for plotting and other tools", "history" },
	{ "events", cmd_events, "workloads starting and stopping, as they happen", NULL },
	{ "version", cmd_version, "versions of this tool and of the kernel module", NULL },
};

/* Run hostacct-@name with our whole command line; returns only on failure. */
static int run_helper(const char *name, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32], *slash;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len > 0) {
		self[len] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/hostacct-%s", self, name);
			if (!access(path, X_OK))
				execv(path, argv);
		}
	}
	snprintf(path, sizeof(path), "%s/hostacct-%s", HA_LIBEXECDIR, name);
	execv(path, argv);
	ha_err("%s: cannot run %s: %s", name, path, strerror(errno));
	return 1;
}

/* report --since (or --since=...) before any "--": over the history */
static bool history_report(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--since") || !strncmp(argv[i], "--since=", 8))
			return true;
	return false;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: hostacct [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Per-workload CPU and memory accounting for native processes,\n"
		"KVM virtual machines and containers (needs the hostacct module).\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"Options (also accepted after the command):\n"
		"  -j, --json       JSON output\n"
		"  -p, --pretty     indented JSON\n"
		"      --csv        CSV output\n"
		"      --debug      print the netlink requests sent\n"
		"  -h, --help       this help; 'hostacct COMMAND --help' for a command\n"
		"  -V, --version    same as 'hostacct version'\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char **all = argv;
	size_t i;
	int c;

	/* Global options stop at the first non-option (the command). */
	while ((c = getopt_long(argc, argv, "+" HA_COMMON_SHORTOPTS "V",
				longopts, NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cmd_version(1, (char *[]){ "version", NULL });
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	if (!strcmp(argv[optind], "report") && history_report(argc - optind, argv + optind)) {
#ifdef HA_WITH_HISTORY
		argc -= optind;
		argv += optind;
		optind = 0;
		return cmd_history_report(argc, argv);
#else
		return run_helper("history", all);
#endif
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			if (!commands[i].run)
				return run_helper(commands[i].helper, all);
			argc -= optind;
			argv += optind;
			optind = 0;	/* restart getopt for the command */
			return commands[i].run(argc, argv);
		}
	}
	ha_err("unknown command '%s'; see 'hostacct --help'", argv[optind]);
	return 2;
}
