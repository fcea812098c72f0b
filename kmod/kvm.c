// SPDX-License-Identifier: GPL-2.0
/*
 * KVM virtual machines: which processes are VMMs, and what their VMs
 * reserve and use.
 *
 * A VMM is a process whose file table holds a KVM VM file (the anonymous
 * inode "kvm-vm"). file_is_kvm() from kvm.ko confirms it; we look the
 * symbol up with symbol_get() for the duration of one request step only,
 * so hostacct neither depends on kvm.ko nor keeps it loaded. When kvm.ko
 * is not loaded there are no VMs and nothing is scanned.
 *
 * KVM registers an MMU notifier on the VMM's mm, so only processes whose
 * mm has notifier subscriptions get their file table scanned.
 *
 * Locking: rcu_read_lock() and task_lock() on a thread that has the mm
 * (which also keeps ->files alive: exit_files() clears it under
 * task_lock()), then iterate_fd() takes files->file_lock -- the order
 * fs/proc/fd.c uses. While file_lock is held the VM file stays in the
 * table, so its struct kvm is alive. Memory slots are read inside an SRCU
 * read section of kvm->srcu, vCPU pids under RCU. Nothing here sleeps.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "hostacct.h"

hostacct_file_is_kvm_t hostacct_kvm_get(void)
{
	return symbol_get(file_is_kvm);
}

void hostacct_kvm_put(hostacct_file_is_kvm_t is_kvm)
{
	if (is_kvm)
		symbol_put(file_is_kvm);
}

static int hostacct_kvm_match(const void *arg, struct file *file,
			      unsigned int fd)
{
	const hostacct_file_is_kvm_t *is_kvm = arg;

	return (*is_kvm)(file) ? 1 : 0;
}

/*
 * Guest memory the host has mapped into the VM's stage-2 page tables:
 * memory the guest touched and the host keeps resident. x86 counts the
 * mappings per page size; other architectures do not, and report 0.
 */
static u64 hostacct_kvm_mapped_bytes(struct kvm *kvm)
{
#ifdef CONFIG_X86
	u64 pages = atomic64_read(&kvm->stat.pages_4k) +
		    (atomic64_read(&kvm->stat.pages_2m) << (PMD_SHIFT - PAGE_SHIFT)) +
		    (atomic64_read(&kvm->stat.pages_1g) << (PUD_SHIFT - PAGE_SHIFT));

	return pages << PAGE_SHIFT;
#else
	return 0;
#endif
}

/**
 * hostacct_kvm_is_vmm - whether a process holds a KVM VM
 * @mt: a thread of the process that has an mm, task_lock() held
 * @is_kvm: file_is_kvm(), or NULL when kvm.ko is not loaded
 *
 * Context: rcu_read_lock() and task_lock(@mt) held.
 */
bool hostacct_kvm_is_vmm(struct task_struct *mt, hostacct_file_is_kvm_t is_kvm)
{
	if (!is_kvm || !mt->files || !mt->mm->notifier_subscriptions)
		return false;

	return iterate_fd(mt->files, 0, hostacct_kvm_match, &is_kvm) > 0;
}

struct hostacct_kvm_fill_ctx {
	hostacct_file_is_kvm_t is_kvm;
	struct sk_buff *skb;
	bool may_truncate;
	bool truncated;
	int err;
	u32 nr_vms;
	u32 nr_vcpus;
	u64 guest_mem;
	u64 resident;
	u64 vcpu_ns;
	u64 halt_poll_ns;
};

/* What one vCPU's nest takes, and what the KVM nest puts after the vCPUs. */
#define HOSTACCT_VCPU_SIZE	(nla_total_size(0) + 2 * nla_total_size(sizeof(u32)) + \
				 3 * nla_total_size_64bit(sizeof(u64)))
#define HOSTACCT_KVM_TAIL_SIZE	(2 * nla_total_size(sizeof(u32)) + \
				 6 * nla_total_size_64bit(sizeof(u64)) + \
				 nla_total_size(0))

static int hostacct_vcpu_put(struct sk_buff *skb, struct kvm_vcpu *vcpu,
			     pid_t tid, u64 cpu_ns, u64 guest_ns, u64 poll_ns)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, HOSTACCT_A_KVM_VCPU);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HOSTACCT_A_VCPU_ID, vcpu->vcpu_id) ||
	    nla_put_u32(skb, HOSTACCT_A_VCPU_TID, tid) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_VCPU_CPU_NS, cpu_ns,
			      HOSTACCT_A_VCPU_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_VCPU_GUEST_NS, guest_ns,
			      HOSTACCT_A_VCPU_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_VCPU_HALT_POLL_NS, poll_ns,
			      HOSTACCT_A_VCPU_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Whether one more vCPU nest fits. Without truncation a message that
 * runs out of room is cancelled and retried in an empty one; in an empty
 * message (ctx->may_truncate) the list stops where the rest of the nest
 * still fits, and HOSTACCT_A_KVM_VCPUS_TRUNCATED says so.
 */
static bool hostacct_vcpu_fits(struct hostacct_kvm_fill_ctx *ctx)
{
	if (ctx->truncated)
		return false;
	if (ctx->may_truncate &&
	    skb_tailroom(ctx->skb) < HOSTACCT_VCPU_SIZE + HOSTACCT_KVM_TAIL_SIZE) {
		ctx->truncated = true;
		return false;
	}
	return true;
}

static int hostacct_kvm_vcpus(struct hostacct_kvm_fill_ctx *ctx, struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		struct pid *pid = rcu_dereference(vcpu->pid);
		struct task_struct *t = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
		u64 cpu_ns = 0, guest_ns = 0, poll_ns;

		if (t) {
			cpu_ns = READ_ONCE(t->se.sum_exec_runtime);
			guest_ns = READ_ONCE(t->gtime);
		}
		poll_ns = READ_ONCE(vcpu->stat.generic.halt_poll_success_ns) +
			  READ_ONCE(vcpu->stat.generic.halt_poll_fail_ns);

		ctx->nr_vcpus++;
		ctx->vcpu_ns += cpu_ns;
		ctx->halt_poll_ns += poll_ns;
		if (hostacct_vcpu_fits(ctx) &&
		    hostacct_vcpu_put(ctx->skb, vcpu, pid ? pid_nr(pid) : 0,
				      cpu_ns, guest_ns, poll_ns))
			return -EMSGSIZE;
	}
	return 0;
}

static int hostacct_kvm_fill_one(const void *arg, struct file *file,
				 unsigned int fd)
{
	struct hostacct_kvm_fill_ctx *ctx = (struct hostacct_kvm_fill_ctx *)arg;
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	struct kvm *kvm;
	int idx, bkt;

	if (!ctx->is_kvm(file))
		return 0;
	kvm = file->private_data;

	ctx->nr_vms++;
	idx = srcu_read_lock(&kvm->srcu);
	slots = kvm_memslots(kvm);
	kvm_for_each_memslot(slot, bkt, slots)
		ctx->guest_mem += (u64)slot->npages << PAGE_SHIFT;
	srcu_read_unlock(&kvm->srcu, idx);
	ctx->resident += hostacct_kvm_mapped_bytes(kvm);

	ctx->err = hostacct_kvm_vcpus(ctx, kvm);
	return ctx->err ? 1 : 0;
}

/* Context: rcu_read_lock() and task_lock(@mt) held. */
static void hostacct_kvm_scan(struct task_struct *mt, void *data)
{
	if (mt->files)
		iterate_fd(mt->files, 0, hostacct_kvm_fill_one, data);
}

/**
 * hostacct_kvm_fill - put the HOSTACCT_A_WORKLOAD_KVM nest of a VMM
 * @skb: message
 * @p: the VMM's thread group leader
 * @is_kvm: file_is_kvm()
 * @split: the VMM's CPU time split (ledger.c): its guest share is the
 *	guest time, the rest is the VMM's overhead, both shares of the one
 *	precise runtime @vmm_cpu_ns and each monotonic
 * @vmm_cpu_ns: the whole VMM's precise CPU time
 * @may_truncate: the message holds nothing else: list the vCPUs that fit
 *	and flag the list as truncated, rather than fail
 *
 * Context: rcu_read_lock() held.
 * Return: 0 or -EMSGSIZE.
 */
int hostacct_kvm_fill(struct sk_buff *skb, struct task_struct *p,
		      hostacct_file_is_kvm_t is_kvm,
		      const struct hostacct_cpu_split *split, u64 vmm_cpu_ns,
		      bool may_truncate)
{
	struct hostacct_kvm_fill_ctx ctx = {
		.is_kvm = is_kvm,
		.skb = skb,
		.may_truncate = may_truncate,
	};
	struct nlattr *nest;

	nest = nla_nest_start(skb, HOSTACCT_A_WORKLOAD_KVM);
	if (!nest)
		return -EMSGSIZE;

	hostacct_with_task_mm(p, hostacct_kvm_scan, &ctx);
	if (ctx.err)
		goto cancel;

	if (nla_put_u32(skb, HOSTACCT_A_KVM_NR_VMS, ctx.nr_vms) ||
	    nla_put_u32(skb, HOSTACCT_A_KVM_NR_VCPUS, ctx.nr_vcpus) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_GUEST_MEM_BYTES,
			      ctx.guest_mem, HOSTACCT_A_KVM_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_GUEST_RESIDENT_BYTES,
			      ctx.resident, HOSTACCT_A_KVM_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_VCPU_NS, ctx.vcpu_ns,
			      HOSTACCT_A_KVM_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_GUEST_NS, split->guest,
			      HOSTACCT_A_KVM_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_OVERHEAD_NS,
			      vmm_cpu_ns - split->guest, HOSTACCT_A_KVM_PAD) ||
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_HALT_POLL_NS,
			      ctx.halt_poll_ns, HOSTACCT_A_KVM_PAD) ||
	    (ctx.truncated && nla_put_flag(skb, HOSTACCT_A_KVM_VCPUS_TRUNCATED)))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
