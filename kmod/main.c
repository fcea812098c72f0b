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

	err = hostacct_ledger_init();
	if (err)
		return err;
	err = hostacct_classify_init();
	if (err)
		goto err_ledger;
	err = hostacct_host_init();
	if (err)
		goto err_classify;
	err = hostacct_life_init();
	if (err)
		goto err_host;
	err = hostacct_events_init();
	if (err)
		goto err_life;
	/*
	 * The probes first, so that no container and no VM is missed by the
	 * seeds. Events are made once the family (their groups) exists.
	 */
	err = hostacct_probes_init();
	if (err)
		goto err_events;
	err = hostacct_classify_seed();
	if (!err)
		err = hostacct_life_seed();
	if (err)
		goto err_probes;
	err = hostacct_nl_init();
	if (err)
		goto err_probes;
	hostacct_events_start();
	hostacct_debugfs_init();

	pr_info("version %s loaded\n", HOSTACCT_VERSION);
	return 0;

err_probes:
	hostacct_probes_exit();
err_events:
	hostacct_events_exit();
err_life:
	hostacct_life_destroy();
err_host:
	hostacct_host_exit();
err_classify:
	hostacct_classify_exit();
err_ledger:
	hostacct_ledger_destroy();
	return err;
}

static void __exit hostacct_exit(void)
{
	hostacct_debugfs_exit();
	/* no request runs now: each holds a module reference */
	hostacct_probes_exit();
	/* what the probes queued is sent while the family exists */
	hostacct_events_exit();
	hostacct_nl_exit();
	hostacct_life_destroy();
	hostacct_classify_exit();
	hostacct_ledger_destroy();
	hostacct_host_exit();
}

module_init(hostacct_init);
module_exit(hostacct_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-workload CPU and memory accounting (native, KVM, containers)");
MODULE_AUTHOR("The hostacct developers");
MODULE_VERSION(HOSTACCT_VERSION);
/*
 * No MODULE_ALIAS_GENL_FAMILY: genetlink loads a family's module for any
 * user who asks for the family by name, and loading hostacct puts probes
 * on every fork and exit of the host. The admin loads it (modprobe, or
 * hostacct.service at boot).
 */
