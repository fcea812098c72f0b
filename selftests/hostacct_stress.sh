#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hardening in the guest: the netlink fuzzer, no kernel address in any
# message, and the module unloaded and loaded again and again while 8
# dump loops run, processes fork and exit, VMs are created and destroyed
# and container cgroups come and go. Kernel trouble (KASAN, lockdep, BUG,
# WARNING) fails the run through the harness's dmesg scan. TAP on stdout.
#
#   hostacct_stress.sh short    part of make check: 100k messages, 6 cycles
#   hostacct_stress.sh full     make stress: 1M messages, 100 cycles

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tools/testing/lib.sh"
B="$here/../build/selftests"
CG=/sys/fs/cgroup/hostacct-stress
mode=${1:-short}
if [ "$mode" = full ]; then
	messages=1000000
	cycles=100
else
	messages=100000
	cycles=6
fi
pids=()

cleanup() {
	local p

	kill_pids
	[ -d /sys/module/hostacct ] || insmod "$HOSTACCT_KO"
	for p in "$CG"/*/; do
		[ -d "$p" ] && { echo 1 >"$p/cgroup.kill" 2>/dev/null; rmdir "$p" 2>/dev/null; }
	done
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

echo "TAP version 13"

# --- fuzzing
start=$(date +%s)
if out=$("$B/hostacct_fuzz" fuzz --messages "$messages" --threads 4 2>&1); then
	ok "fuzz: $messages random and mutated messages from 4 threads, family still answers"
else
	notok "fuzz: $messages messages" "$out"
fi
echo "# $(echo "$out" | tr '\n' ' ') ($(( $(date +%s) - start ))s)"

# --- no kernel addresses, strings terminated
if out=$("$B/hostacct_fuzz" scan 2>&1); then
	ok "no value in HOST_GET or a full dump looks like a kernel address; strings terminated"
else
	notok "kernel address scan" "$out"
fi
echo "# $out"

# --- load: fork/exit churn, VM create/destroy, cgroups come and go
mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"
"$B/churn" >/tmp/stress-churn &
pids+=($!)
: >/tmp/stress-vms
(
	# a VM at a time, killed once it runs (its ready line) or soon after
	while :; do
		"$B/tinyvm" --vcpus 1 --mem-mb 16 --touch-mb 1 >>/tmp/stress-vms 2>&1 &
		vm=$!
		sleep 0.3
		kill $vm 2>/dev/null
		wait $vm 2>/dev/null
	done
) &
pids+=($!)
(
	i=0
	while :; do
		i=$((i + 1))
		"$B/container" --cgroup "$CG/c$i" --cpu-max "20000 100000" -- \
			"$B/burner" --ms 5 >/dev/null 2>&1 &
		c=$!
		sleep 0.4
		kill $c 2>/dev/null
		wait $c 2>/dev/null
		mkdir "$CG/plain$i" 2>/dev/null && rmdir "$CG/plain$i"
	done
) &
pids+=($!)
sleep 1

# --- 8 dump loops while the module is unloaded and loaded $cycles times
"$B/hostacct_fuzz" dumps --threads 8 >/tmp/stress-dumps 2>&1 &
dp=$!
pids+=("$dp")
sleep 2
reloaded=0
busy=0
start=$(date +%s)
for i in $(seq "$cycles"); do
	# rmmod refuses while a dump holds the module; retry until it is free
	for _ in $(seq 3000); do
		if rmmod hostacct 2>/dev/null; then
			break
		fi
		busy=$((busy + 1))
		sleep 0.01
	done
	[ -d /sys/module/hostacct ] && break
	insmod "$HOSTACCT_KO" || break
	reloaded=$((reloaded + 1))
	[ "$mode" = short ] && echo "# reload $reloaded at $(( $(date +%s) - start ))s; rmmod refused $busy times so far"
	sleep 0.$((RANDOM % 5 + 1))
done
reload_secs=$(( $(date +%s) - start ))
[ -d /sys/module/hostacct ] || insmod "$HOSTACCT_KO"
# the loops stop once each has completed a dump with the module back
kill -TERM "$dp"
if [ "$reloaded" -eq "$cycles" ]; then
	ok "module unloaded and loaded $cycles times under load"
else
	notok "module unloaded and loaded $cycles times under load" "only $reloaded"
fi
echo "# $reloaded reload cycles in ${reload_secs}s; rmmod refused $busy times while a dump held the module"
wait $dp
rc=$?
if [ $rc -eq 0 ]; then
	ok "8 dump loops: every dump listed each workload at most once"
else
	notok "8 dump loops" "$(cat /tmp/stress-dumps)"
fi
echo "# dumps: $(cat /tmp/stress-dumps)"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null
echo "# churn: $(grep 'done' /tmp/stress-churn)"
vms=$(grep -c '^ready' /tmp/stress-vms)
if [ "$vms" -ge 1 ] && ! grep -q 'tinyvm: ' /tmp/stress-vms; then
	ok "$vms VMs created, run and destroyed under the reloads"
else
	notok "VMs created, run and destroyed under the reloads" "$(grep -v '^ready' /tmp/stress-vms | head -5)"
fi

# the family still answers after all this
if "$here/../tools/hostacct/hostacct" show >/dev/null; then
	ok "hostacct show works after the stress"
else
	notok "hostacct show works after the stress"
fi

echo "1..$n"
[ $failed -eq 0 ]
