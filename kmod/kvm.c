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
 *
 * What a VM's memory slots hold, KVM does not say; the VMM's slot flags
 * do, and QEMU, crosvm and cloud-hypervisor set them alike:
 *  - KVM_MEM_READONLY: ROM or flash (firmware, option ROMs, pflash, the
 *    BIOS shadow once the firmware write-protects it);
 *  - KVM_MEM_LOG_DIRTY_PAGES: memory whose writes the VMM tracks to redraw
 *    a display (VGA and QXL VRAM) -- unless every writable slot is logged,
 *    which is what live migration looks like: then it is all RAM;
 *  - anything else is RAM. KVM's own private slots (the APIC access page,
 *    the real-mode TSS) are neither.
 * One host mapping backs several slots: RAM split around the legacy VGA
 * and ROM holes, the BIOS shadow, and all of it again in the SMM address
 * space. So memory is counted by host address, each byte once: the slots
 * of every address space, merged where their host ranges overlap or
 * touch, make blocks; a block that holds a RAM slot is guest RAM, any
 * other is device memory. For QEMU, guest RAM is then exactly -m.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

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

/**
 * hostacct_kvm_entry_probe - kvm.ko's kvm_entry: a vCPU enters guest mode
 * @data: unused
 * @vcpu: the vCPU, run by current
 * @force_immediate_exit: unused (the tracepoint's second argument on both
 *	supported kernels)
 *
 * Runs before every guest entry of every vCPU, so it does one thing: a
 * vCPU's exit counter (x86: incremented after each exit, never reset by
 * KVM) is 0 only before its first exit, and that is its first entry.
 * The rest is lifecycle.c's, once per vCPU.
 *
 * Context: the vCPU thread, interrupts off.
 */
void hostacct_kvm_entry_probe(void *data, struct kvm_vcpu *vcpu,
			      bool force_immediate_exit)
{
	u64 t0;

	if (likely(READ_ONCE(vcpu->stat.exits)))
		return;
	t0 = local_clock();
	hostacct_life_vcpu_ran();
	hostacct_probe_time(HOSTACCT_PROBE_VCPU_FIRST, local_clock() - t0);
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

#ifdef hostacct_kvm_kthread
struct hostacct_kvm_workers_ctx {
	hostacct_file_is_kvm_t is_kvm;
	struct task_struct *k[4];
	unsigned int n;
};

static int hostacct_kvm_worker_one(const void *arg, struct file *file,
				   unsigned int fd)
{
	struct hostacct_kvm_workers_ctx *ctx = (struct hostacct_kvm_workers_ctx *)arg;
	struct task_struct *k;

	if (!ctx->is_kvm(file))
		return 0;
	/* Made before the VM file, stopped after its release. */
	k = hostacct_kvm_kthread((struct kvm *)file->private_data);
	if (k) {
		get_task_struct(k);
		ctx->k[ctx->n++] = k;
	}
	return ctx->n == ARRAY_SIZE(ctx->k);
}

/* Context: rcu_read_lock() and task_lock(@mt) held. */
static void hostacct_kvm_workers_scan(struct task_struct *mt, void *data)
{
	if (mt->files)
		iterate_fd(mt->files, 0, hostacct_kvm_worker_one, data);
}
#endif

/**
 * hostacct_kvm_adopt_workers - make a VMM's KVM kernel threads its helpers
 * @pool: preallocated ledger entries
 * @e: the VMM's ledger entry, or NULL
 * @p: the VMM's leader
 * @is_kvm: file_is_kvm()
 *
 * Where KVM's NX huge-page recovery worker is a kernel thread (6.1) it
 * works for the VM without using the VMM's mm: the VM's files name it.
 * The threads are collected under the file table's lock and adopted
 * after it (adopting takes other locks).
 *
 * Context: rcu_read_lock() held, no task_lock().
 */
void hostacct_kvm_adopt_workers(struct hostacct_ledger_pool *pool,
				struct hostacct_tg *e, struct task_struct *p,
				hostacct_file_is_kvm_t is_kvm)
{
#ifdef hostacct_kvm_kthread
	struct hostacct_kvm_workers_ctx ctx = { .is_kvm = is_kvm };
	unsigned int i;

	if (!e || !is_kvm)
		return;
	hostacct_with_task_mm(p, hostacct_kvm_workers_scan, &ctx);
	for (i = 0; i < ctx.n; i++) {
		hostacct_ledger_adopt(pool, e, p, ctx.k[i]);
		put_task_struct(ctx.k[i]);
	}
#endif
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
	u64 device_mem;
	u64 resident;
	u64 vcpu_ns;
	u64 halt_poll_ns;
};

/* What one vCPU's nest takes, and what the KVM nest puts after the vCPUs. */
#define HOSTACCT_VCPU_SIZE	(nla_total_size(0) + 2 * nla_total_size(sizeof(u32)) + \
				 3 * nla_total_size_64bit(sizeof(u64)))
#define HOSTACCT_KVM_TAIL_SIZE	(2 * nla_total_size(sizeof(u32)) + \
				 7 * nla_total_size_64bit(sizeof(u64)) + \
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

/* A run of host memory behind slots whose host ranges overlap or touch. */
struct hostacct_kvm_block {
	unsigned long end;	/* host virtual, exclusive */
	u64 bytes;		/* each byte once */
	bool ram;
};

static void hostacct_kvm_block_close(struct hostacct_kvm_fill_ctx *ctx,
				     struct hostacct_kvm_block *b)
{
	if (b->ram)
		ctx->guest_mem += b->bytes;
	else
		ctx->device_mem += b->bytes;
	b->bytes = 0;
	b->ram = false;
}

/* Whether every writable user slot of @slots is dirty-logged. */
static bool hostacct_kvm_all_logged(struct kvm_memslots *slots)
{
	struct kvm_memory_slot *slot;
	bool writable = false;
	int bkt;

	kvm_for_each_memslot(slot, bkt, slots) {
		if (slot->id >= KVM_USER_MEM_SLOTS ||
		    (slot->flags & KVM_MEM_READONLY))
			continue;
		if (!(slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
			return false;
		writable = true;
	}
	return writable;
}

static struct kvm_memory_slot *hostacct_hva_slot(struct kvm_memslots *slots,
						 struct rb_node *node)
{
	struct interval_tree_node *itn;

	if (!node)
		return NULL;
	itn = rb_entry(node, struct interval_tree_node, rb);
	return container_of(itn, struct kvm_memory_slot,
			    hva_node[slots->node_idx]);
}

/*
 * Guest RAM and device memory of @kvm, by host address (see the top of
 * the file): the address spaces' hva trees, each sorted by start, are
 * merged into one ascending sweep.
 *
 * Context: kvm->srcu read section.
 */
static void hostacct_kvm_mem(struct hostacct_kvm_fill_ctx *ctx, struct kvm *kvm)
{
	struct kvm_memslots *slots[HOSTACCT_KVM_MAX_AS];
	struct rb_node *next[HOSTACCT_KVM_MAX_AS];
	int nr_as = hostacct_kvm_nr_as(kvm), as;
	struct hostacct_kvm_block b = { };
	bool logged_is_ram;

	for (as = 0; as < nr_as; as++) {
		slots[as] = __kvm_memslots(kvm, as);
		next[as] = rb_first_cached(&slots[as]->hva_tree);
	}
	logged_is_ram = hostacct_kvm_all_logged(slots[0]);

	for (;;) {
		struct kvm_memory_slot *slot, *low = NULL;
		unsigned long start, end;
		int low_as = 0;

		for (as = 0; as < nr_as; as++) {
			slot = hostacct_hva_slot(slots[as], next[as]);
			if (slot && (!low || slot->userspace_addr < low->userspace_addr)) {
				low = slot;
				low_as = as;
			}
		}
		if (!low)
			break;
		next[low_as] = rb_next(next[low_as]);
		if (low->id >= KVM_USER_MEM_SLOTS)
			continue;

		start = low->userspace_addr;
		end = start + (low->npages << PAGE_SHIFT);
		if (b.bytes && start > b.end)
			hostacct_kvm_block_close(ctx, &b);
		if (!b.bytes)
			b.end = start;
		if (end > b.end) {
			b.bytes += end - max(start, b.end);
			b.end = end;
		}
		if (!(low->flags & KVM_MEM_READONLY) &&
		    (logged_is_ram || !(low->flags & KVM_MEM_LOG_DIRTY_PAGES)))
			b.ram = true;
	}
	hostacct_kvm_block_close(ctx, &b);
}

static int hostacct_kvm_fill_one(const void *arg, struct file *file,
				 unsigned int fd)
{
	struct hostacct_kvm_fill_ctx *ctx = (struct hostacct_kvm_fill_ctx *)arg;
	struct kvm *kvm;
	int idx;

	if (!ctx->is_kvm(file))
		return 0;
	kvm = file->private_data;

	ctx->nr_vms++;
	idx = srcu_read_lock(&kvm->srcu);
	hostacct_kvm_mem(ctx, kvm);
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
	    nla_put_u64_64bit(skb, HOSTACCT_A_KVM_DEVICE_MEM_BYTES,
			      ctx.device_mem, HOSTACCT_A_KVM_PAD) ||
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
