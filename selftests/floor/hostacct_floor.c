// SPDX-License-Identifier: GPL-2.0
/*
 * hostacct_floor: the least any per-task accounting can cost, for make
 * bench. Reading /sys/kernel/debug/hostacct_floor walks every thread
 * group the way hostacct's dump does (the pid IDR of the initial pid
 * namespace in tgid order, thread pids stepped over, RCU dropped every
 * 128 thread groups) and reads each thread's sum_exec_runtime - nothing
 * else: no classification, no memory counters, no messages. The reader's
 * CPU time for one read is the floor the dump is compared with.
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#define FLOOR_BATCH	128

static struct dentry *floor_file;

static int floor_show(struct seq_file *m, void *v)
{
	unsigned long groups = 0, threads = 0;
	pid_t cursor = 1;
	u64 sum = 0;
	bool done = false;

	while (!done) {
		unsigned int n;

		rcu_read_lock();
		for (n = 0; n < FLOOR_BATCH; n++) {
			struct task_struct *p, *t;
			struct pid *pid;

			pid = find_ge_pid(cursor, &init_pid_ns);
			if (!pid) {
				done = true;
				break;
			}
			cursor = pid_nr(pid) + 1;
			p = pid_task(pid, PIDTYPE_TGID);
			if (!p) {
				n--;	/* a thread's pid: not a thread group */
				continue;
			}
			groups++;
			for_each_thread(p, t) {
				sum += READ_ONCE(t->se.sum_exec_runtime);
				threads++;
			}
		}
		rcu_read_unlock();
		cond_resched();
	}
	seq_printf(m, "groups=%lu threads=%lu sum_ns=%llu\n", groups, threads, sum);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(floor);

static int __init floor_init(void)
{
	floor_file = debugfs_create_file("hostacct_floor", 0400, NULL, NULL,
					 &floor_fops);
	return 0;
}

static void __exit floor_exit(void)
{
	debugfs_remove(floor_file);
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hostacct benchmark floor: a bare walk of all tasks");
