// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct version: this tool's version, and the module's when loaded.
 */

#include <getopt.h>

#include "hostacct.h"

int cmd_version(int argc, char **argv)
{
	static const struct option longopts[] = {
		HA_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ha_host host;
	struct ha_out *o;
	struct ha_nl h;
	bool loaded;
	int c;

	while ((c = getopt_long(argc, argv, HA_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ha_common_opt(c))
			continue;
		if (c == 'h') {
			printf("usage: hostacct version [-j]\n");
			return 0;
		}
		return 2;
	}

	/* The module's version needs the module and the permission to ask. */
	loaded = !ha_nl_open(&h);
	if (loaded) {
		if (ha_get_host(&h, &host))
			loaded = false;
		ha_nl_close(&h);
	}

	o = ha_out_new(ha_opts.format, stdout);
	ha_out_section(o, NULL, NULL, false);
	ha_out_str(o, "tool_version", "hostacct", HOSTACCT_TOOL_VERSION);
	ha_out_u64(o, "family_version", "netlink family version",
		   HOSTACCT_FAMILY_VERSION, HA_U_NONE);
	if (loaded)
		ha_out_str(o, "module_version", "kernel module", host.module_version);
	else
		ha_out_none(o, "module_version", "kernel module");
	ha_out_section_end(o);
	ha_out_finish(o);
	return 0;
}
