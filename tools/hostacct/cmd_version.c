// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct version: this tool's version, and the module's when loaded.
 */


#include "hostacct.h"

static void version_usage(FILE *f)
{
	fprintf(f, "usage: hostacct version [-j]\n");
}

int cmd_version(int argc, char **argv)
{
	struct ha_host host;
	struct ha_out *o;
	struct ha_nl h;
	bool loaded;
	int ret;

	ret = ha_common_args(argc, argv, version_usage);
	if (ret >= 0)
		return ret;

	/* The module's version needs the module and the permission to ask. */
	loaded = !ha_nl_open(&h);
	if (loaded) {
		if (ha_get_host(&h, &host, false))
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
