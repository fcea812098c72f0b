#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test guest, started by tools/testing/initramfs-init on an
# overlay of the host's root. Environment from the kernel command line:
#   HA_ROOT   the hostacct tree        HA_BUILD  build/vm[-MODE]/<release>
#   HA_MODE   test|demo|bench|stress|run|shell
#   HA_KVER   kernel release           HA_ARGS   base64 of runner arguments
#   HA_KMEMLEAK  set: scan for leaks before powering off (debug kernel)
#   HA_SCALE  "small" shrinks the scale tests (the debug kernel is slow)
#
# Results go to ttyS1 (fd 3): TAP lines in test mode, the mode's output
# between VMTEST-OUTPUT-BEGIN/END otherwise, the kernel log between
# VMTEST-DMESG-BEGIN/END, and a final VMTEST-END line.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM:-linux}
HA_ARGS=$(printf %s "${HA_ARGS:-}" | base64 -d 2>/dev/null)
export HA_ROOT HA_BUILD HA_MODE HA_KVER HA_ARGS HA_KMEMLEAK HA_SCALE

# A fresh tmpfs on $1. When the tree (and with it build/) lives below $1
# on the host - a clone in /tmp -, the tmpfs would hide it: it is bound
# aside first and moved back on top of the tmpfs.
fresh_tmpfs() {
	case "$HA_ROOT/" in
	"$1"/*)
		mkdir -p /mnt/hostacct-tree
		mount --bind "$HA_ROOT" /mnt/hostacct-tree
		mount -t tmpfs tmpfs "$1"
		mkdir -p "$HA_ROOT"
		mount --move /mnt/hostacct-tree "$HA_ROOT"
		;;
	*)
		mount -t tmpfs tmpfs "$1"
		;;
	esac
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
fresh_tmpfs /dev/shm
fresh_tmpfs /tmp
fresh_tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
hostname hostacct-guest
ip link set lo up 2>/dev/null

exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null

finish() {
	if [ -n "${HA_KMEMLEAK:-}" ] && [ -e /sys/kernel/debug/kmemleak ]; then
		# two scans: objects must stay unreferenced across both
		echo "VMTEST-PROG-BEGIN kmemleak" >&3
		echo "1..1" >&3
		echo scan >/sys/kernel/debug/kmemleak
		sleep 5
		echo scan >/sys/kernel/debug/kmemleak
		leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
		if [ "$leaks" -eq 0 ]; then
			echo "ok 1 kmemleak: no unreferenced objects" >&3
		else
			echo "not ok 1 kmemleak: $leaks unreferenced objects" >&3
			sed 's/^/# /' /sys/kernel/debug/kmemleak | head -n 80 >&3
		fi
		echo "VMTEST-PROG-END kmemleak rc=0" >&3
	fi
	echo "VMTEST-DMESG-BEGIN" >&3
	dmesg --color=never >&3
	echo "VMTEST-DMESG-END" >&3
	echo "VMTEST-END $1" >&3
	sync
	poweroff -f
}

# Nested KVM: TCG's -cpu max exposes SVM (or VMX).
if grep -qw svm /proc/cpuinfo; then
	modprobe kvm_amd
elif grep -qw vmx /proc/cpuinfo; then
	modprobe kvm_intel
fi

export HOSTACCT_KO="$HA_BUILD/hostacct.ko"
export PATH="$HA_ROOT/tools/hostacct:$PATH"
if ! insmod "$HOSTACCT_KO"; then
	# every program of the manifest then counts as "did not run"
	echo "# insmod $HOSTACCT_KO failed" >&3
	finish "insmod failed"
fi

# Run a command, its output between markers on ttyS1, and power off.
output() {
	echo "VMTEST-OUTPUT-BEGIN" >&3
	"$@" >&3 2>&1
	local rc=$?
	echo "VMTEST-OUTPUT-END" >&3
	finish "rc=$rc"
}

cd /tmp || finish "no /tmp"
case "$HA_MODE" in
test|stress)
	"$HA_ROOT/selftests/run_vm_tests.sh" "$HA_MODE" $HA_ARGS >&3 2>&1
	finish "rc=$?"
	;;
demo)
	output "$HA_ROOT/tools/testing/demo.sh" $HA_ARGS
	;;
bench)
	output "$HA_ROOT/tools/testing/bench.sh" $HA_ARGS
	;;
run)
	output bash -c "$HA_ARGS"
	;;
shell)
	echo "hostacct guest: module loaded; 'poweroff -f' to leave"
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	poweroff -f
	;;
esac
finish "unknown mode"
