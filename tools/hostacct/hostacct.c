// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct(8): per-workload CPU and memory accounting for native
 * processes, KVM virtual machines and containers.
 */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "hostacct.h"

static const struct ha_cmd commands[] = {
	{ "host", cmd_host, "host CPU and memory totals, as /proc/stat and /proc/meminfo" },
	{ "show", cmd_show, "one row per workload: native, kvm, container, kernel" },
	{ "report", cmd_report, "utilisation efficiency over an interval (-i SECONDS)" },
	{ "top", cmd_top, "live view of the workloads, sorted by CPU" },
	{ "serve", cmd_serve, "Prometheus scrape target (--listen ADDR:PORT)" },
	{ "version", cmd_version, "versions of this tool and of the kernel module" },
};

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

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			argc -= optind;
			argv += optind;
			optind = 0;	/* restart getopt for the command */
			return commands[i].run(argc, argv);
		}
	}
	ha_err("unknown command '%s'; see 'hostacct --help'", argv[optind]);
	return 2;
}
