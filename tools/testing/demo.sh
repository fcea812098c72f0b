#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test guest by `make demo` (guest-init.sh has
# loaded kvm and hostacct): start real workloads of all three classes and
# print what hostacct sees: the workloads, then the efficiency report;
# hostacct record samples them every second for a minute, and the demo
# ends with the report over that history and the recommended sizes, and
# the VM and container starts and stops `hostacct events` saw all along
# (a VM and a container that start and stop at once show shut-downs).
#
#   vm       tinyvm: 2 vCPUs, 256 MiB; vCPU 0 spins, vCPU 1 halts; the guest
#            touched 64 MiB (25 %)
#   web      a container limited to 0.5 CPU and 256 MiB, busy
#   batch    a container limited to 2 CPUs and 512 MiB, idle
#   natives  a 2-thread build job that burnt 1.5 s of CPU, and an "indexer"
#            at nice 19 that takes whatever CPU the others leave

set -u
B="$HA_ROOT/build/selftests"
CG=/sys/fs/cgroup/demo.slice
D=/tmp/demo
mkdir -p "$D" "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

# Processes are named after the binary they run: give the fixtures
# names an admin would recognise.
ln -sf "$B/burner" "$D/build-job"
ln -sf "$B/burner" "$D/indexer"
ln -sf "$B/burner" "$D/nginx"
ln -sf "$B/burner" "$D/cron"
ln -sf "$B/tinyvm" "$D/qemu-vm1"
ln -sf "$B/tinyvm" "$D/qemu-vm2"

. "$HA_ROOT/tools/testing/lib.sh"

hostacct events --class kvm,container >"$D/events.out" 2>&1 &
ev=$!
for _ in $(seq 600); do
	[ -s "$D/events.out" ] && break
	sleep 0.1
done

"$D/qemu-vm1" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$D/vm.out" &
"$B/container" --cgroup "$CG/web" --cpu-max "50000 100000" \
	--mem-max $((256 << 20)) -- "$D/nginx" --threads 1 --forever >"$D/web.out" &
"$B/container" --cgroup "$CG/batch" --cpu-max "200000 100000" \
	--mem-max $((512 << 20)) -- "$D/cron" --threads 1 --ms 10 >"$D/batch.out" &
"$D/build-job" --threads 2 --ms 1500 >"$D/build.out" &
nice -n 19 "$D/indexer" --threads 1 --forever >"$D/indexer.out" &

# a VM and a job container that start and stop (each takes a moment to
# shut down), so that the trade-off table has shut-downs too
"$D/qemu-vm2" --vcpus 1 --mem-mb 64 --touch-mb 8 --busy "" \
	--term-delay-ms 250 >"$D/vm2.out" &
vm2=$!
"$B/container" --cgroup "$CG/job" --setup-ms 150 -- "$D/cron" --threads 1 \
	--ms 10 --term-delay-ms 120 --stamp "$D/job.stamp" >"$D/job.out" &
job=$!

for f in vm web batch build indexer vm2 job; do
	wait_ready "$D/$f.out" || exit 1
done
kill -TERM "$vm2" "$(sed -n 's/.* init=\([0-9]*\).*/\1/p' "$D/job.out")"
wait "$vm2"
for _ in $(seq 600); do
	grep -q '^stopped' "$D/job.out" && break
	sleep 0.1
done
kill "$job"
sleep 3
hostacct record --db "$D/history.db" -i 1 -v >"$D/record.out" 2>"$D/record.err" &
rec=$!

echo "\$ hostacct show"
hostacct show
echo
echo "\$ hostacct report -i 5"
hostacct report -i 5

# a minute of history: 61 samples stored (60 intervals)
for _ in $(seq 3000); do
	[ "$(grep -c '^stored' "$D/record.out")" -ge 61 ] && break
	kill -0 "$rec" 2>/dev/null || break
	sleep 0.1
done
kill "$rec"
wait "$rec"
echo
echo "\$ hostacct record -i 1 &   # a minute later:"
echo "\$ hostacct report --since 1m"
hostacct report --since 1m --db "$D/history.db"
echo
echo "\$ hostacct rightsize --since 1m"
hostacct rightsize --since 1m --db "$D/history.db"
echo
echo "\$ hostacct events --class kvm,container   # all along:"
kill "$ev"
cat "$D/events.out"
