// SPDX-License-Identifier: GPL-2.0
/*
 * The "hostacct" generic netlink family: commands, per-command policies
 * and the permission check shared by all of them.
 *
 * Every command validates strictly (resv_start_op is 0, as for every new
 * family):
 * unknown attributes, attributes of the wrong size, trailing bytes and
 * non-zero reserved header fields are rejected by the core with an extack
 * message and the offending attribute's offset. Our own checks always set
 * an extack message and, where an attribute is at fault, point at it.
 */

#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/netlink.h>
#include <net/genetlink.h>

#include "hostacct.h"

/*
 * HOST_GET takes only SYNC: policy entries left NLA_UNSPEC make strict
 * validation reject any other attribute of the host set ("Unsupported
 * attribute"), and anything above HOSTACCT_A_HOST_MAX is an "Unknown
 * attribute type".
 */
static const struct nla_policy hostacct_host_get_policy[HOSTACCT_A_HOST_MAX + 1] = {
	[HOSTACCT_A_HOST_SYNC] = { .type = NLA_FLAG },
};

#define HOSTACCT_CLASS_MASK_ALL	GENMASK(HOSTACCT_CLASS_MAX, HOSTACCT_CLASS_KERNEL)

static const struct nla_policy hostacct_workload_get_policy[HOSTACCT_A_WORKLOAD_MAX + 1] = {
	[HOSTACCT_A_WORKLOAD_CLASS] = NLA_POLICY_RANGE(NLA_U32, HOSTACCT_CLASS_KERNEL,
						       HOSTACCT_CLASS_MAX),
	[HOSTACCT_A_WORKLOAD_ID] = { .type = NLA_U64 },
	[HOSTACCT_A_WORKLOAD_CGROUP_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[HOSTACCT_A_WORKLOAD_CLASS_MASK] = NLA_POLICY_MASK(NLA_U32, HOSTACCT_CLASS_MASK_ALL),
	[HOSTACCT_A_WORKLOAD_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[HOSTACCT_A_WORKLOAD_EXACT_MEM] = { .type = NLA_FLAG },
};

/*
 * Who may query, checked here rather than with GENL_ADMIN_PERM so that a
 * rejection carries an extack message:
 *  - CAP_NET_ADMIN in the initial user namespace (netlink_capable(): the
 *    socket opener and the sender must both hold it), as GENL_ADMIN_PERM;
 *  - the sender in the initial pid namespace, and in a cgroup namespace
 *    rooted at the root cgroup. Replies carry host pids and absolute cgroup
 *    paths of every workload; a caller in a container that shares the
 *    host's network namespace (a CNI agent, a VPN sidecar) would otherwise
 *    see the host's processes that its own /proc hides. Callers that need
 *    the host view run in the host's pid namespace, as node_exporter does.
 *
 * Context: the sender's, as genetlink runs doit and the first dumpit call
 * from the sendmsg() of the request, so current is the sender.
 */
int hostacct_nl_check_perm(struct sk_buff *skb, struct netlink_ext_ack *extack)
{
	struct cgroup_namespace *cgns;

	if (!netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "hostacct: CAP_NET_ADMIN in the initial user namespace is required");
		return -EPERM;
	}
	if (task_active_pid_ns(current) != &init_pid_ns) {
		NL_SET_ERR_MSG(extack,
			       "hostacct: callers outside the initial pid namespace are refused: replies carry host pids their /proc does not show");
		return -EPERM;
	}
	cgns = current->nsproxy->cgroup_ns;
	if (cgroup_parent(cgns->root_cset->dfl_cgrp)) {
		NL_SET_ERR_MSG(extack,
			       "hostacct: callers in a cgroup namespace below the root cgroup are refused: replies carry absolute cgroup paths");
		return -EPERM;
	}
	return 0;
}

static const struct genl_ops hostacct_nl_ops[] = {
	{
		.cmd		= HOSTACCT_CMD_HOST_GET,
		.doit		= hostacct_host_get_doit,
		.policy		= hostacct_host_get_policy,
		.maxattr	= ARRAY_SIZE(hostacct_host_get_policy) - 1,
	},
	{
		.cmd		= HOSTACCT_CMD_WORKLOAD_GET,
		.doit		= hostacct_workload_get_doit,
		.dumpit		= hostacct_workload_get_dumpit,
		.done		= hostacct_workload_get_done,
		.policy		= hostacct_workload_get_policy,
		.maxattr	= ARRAY_SIZE(hostacct_workload_get_policy) - 1,
	},
};

/*
 * Events of each class go to a group of their own, so that a subscriber
 * to VMs and containers never receives (nor makes the kernel build) the
 * many native ones. Joining needs CAP_NET_ADMIN in the initial user
 * namespace, checked by genetlink at bind. Genetlink offers no hook that
 * could refuse a subscriber by pid or cgroup namespace on either kernel,
 * so a process in a container that shares the host's network namespace
 * and holds CAP_NET_ADMIN there can subscribe (unlike the commands,
 * which refuse it); the admin guide says so.
 */
static const struct genl_multicast_group hostacct_nl_mcgrps[] = {
	[HOSTACCT_MCGRP_IDX_NATIVE] = {
		.name = HOSTACCT_MCGRP_NATIVE,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
	[HOSTACCT_MCGRP_IDX_KVM] = {
		.name = HOSTACCT_MCGRP_KVM,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
	[HOSTACCT_MCGRP_IDX_CONTAINER] = {
		.name = HOSTACCT_MCGRP_CONTAINER,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * parallel_ops: each request builds its own snapshot; what requests share
 * (the ledger, the container registry, the CPU state accumulators) has its
 * own locking, so no family lock is needed. netnsok is false: the family
 * exists in the initial network namespace only.
 */
struct genl_family hostacct_nl_family __ro_after_init = {
	.name		= HOSTACCT_FAMILY_NAME,
	.version	= HOSTACCT_FAMILY_VERSION,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= hostacct_nl_ops,
	.n_ops		= ARRAY_SIZE(hostacct_nl_ops),
	.mcgrps		= hostacct_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(hostacct_nl_mcgrps),
};

int __init hostacct_nl_init(void)
{
	return genl_register_family(&hostacct_nl_family);
}

void hostacct_nl_exit(void)
{
	genl_unregister_family(&hostacct_nl_family);
}
