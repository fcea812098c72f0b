// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct version: this tool's version, and the module's when loaded.
 */
#include <string.h>

#include "hostacct.h"

static void version_usage(FILE *f)
{
	fprintf(f, "usage: hostacct version [-j]\n");
}

/*
 * The module's version from sysfs: readable by every user, so that
 * version needs no privilege (the netlink family needs CAP_NET_ADMIN).
 */
static bool module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/hostacct/version", "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok && buf[0];
}

int cmd_version(int argc, char **argv)
{
	char modver[64];
	struct ha_out *o;
	bool loaded;
	int ret;

	ret = ha_common_args(argc, argv, version_usage);
	if (ret >= 0)
		return ret;

	loaded = module_version(modver, sizeof(modver));
	o = ha_out_new(ha_opts.format, stdout);
	ha_out_section(o, NULL, NULL, false);
	ha_out_str(o, "tool_version", "hostacct", HOSTACCT_TOOL_VERSION);
	ha_out_u64(o, "family_version", "netlink family version",
		   HOSTACCT_FAMILY_VERSION, HA_U_NONE);
	if (loaded)
		ha_out_str(o, "module_version", "kernel module", modver);
	else
		ha_out_none(o, "module_version", "kernel module");
	ha_out_section_end(o);
	ha_out_finish(o);
	return 0;
}
