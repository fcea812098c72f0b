// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct: per-workload CPU and memory accounting for native processes,
 * KVM virtual machines and cgroup containers, over generic netlink.
 */

#include <linux/module.h>

#include "hostacct.h"

static int __init hostacct_init(void)
{
	int err;

	err = hostacct_exit_init();
	if (err)
		return err;
	err = hostacct_nl_init();
	if (err) {
		hostacct_exit_exit();
		return err;
	}
	hostacct_debugfs_init();

	pr_info("version %s loaded\n", HOSTACCT_VERSION);
	return 0;
}

static void __exit hostacct_exit(void)
{
	hostacct_debugfs_exit();
	hostacct_nl_exit();
	hostacct_exit_exit();
}

module_init(hostacct_init);
module_exit(hostacct_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-workload CPU and memory accounting (native, KVM, containers)");
MODULE_AUTHOR("The hostacct developers");
MODULE_VERSION(HOSTACCT_VERSION);
MODULE_ALIAS_GENL_FAMILY(HOSTACCT_FAMILY_NAME);
