#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test guest by `make demo` (guest-init.sh has
# loaded kvm and hostacct): start real workloads of all three classes and
# print what hostacct sees: the workloads, then the efficiency report;
# hostacct record samples them every second for a minute, and the demo
# ends with the report over that history and the recommended sizes.
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

. "$HA_ROOT/tools/testing/lib.sh"

"$D/qemu-vm1" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$D/vm.out" &
"$B/container" --cgroup "$CG/web" --cpu-max "50000 100000" \
	--mem-max $((256 << 20)) -- "$D/nginx" --threads 1 --forever >"$D/web.out" &
"$B/container" --cgroup "$CG/batch" --cpu-max "200000 100000" \
	--mem-max $((512 << 20)) -- "$D/cron" --threads 1 --ms 10 >"$D/batch.out" &
"$D/build-job" --threads 2 --ms 1500 >"$D/build.out" &
nice -n 19 "$D/indexer" --threads 1 --forever >"$D/indexer.out" &

for f in vm web batch build indexer; do
	wait_ready "$D/$f.out" || exit 1
done
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
