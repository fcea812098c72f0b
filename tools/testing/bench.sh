#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, inside the test guest (guest-init.sh loaded kvm and hostacct):
# the CPU cost of one snapshot of every workload, hostacct against procfs
# readers, at about 1k, 10k and 50k tasks; the fork/exit overhead of the
# module's exit probes; the memory the module holds.
#
# Every figure is the CPU time (user + system) of the reading process,
# median of several runs, measured in the same guest in the same run; the
# ratios are the claim, the milliseconds depend on the machine.
#
#   bench.sh [SIZES...]     default: 1000 10000 50000

set -u
B="$HA_ROOT/build/selftests"
HA="$HA_ROOT/tools/hostacct/hostacct"
CG=/sys/fs/cgroup/bench.slice
D=/tmp/bench
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 50000)
mkdir -p "$D" "$CG"
echo "+cpu +memory +pids" >"$CG/cgroup.subtree_control"
echo 4194304 >/proc/sys/kernel/pid_max
echo 1000000 >/proc/sys/kernel/threads-max
ulimit -u unlimited
ulimit -n 65536

val() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

. "$HA_ROOT/tools/testing/lib.sh"

tasks_now() { ls -d /proc/[0-9]*/task/* 2>/dev/null | wc -l; }
procs_now() { ls -d /proc/[0-9]* 2>/dev/null | wc -l; }

results=()
echo "hostacct bench: kernel $(uname -r), $(nproc) CPUs, $(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024)) MiB, QEMU TCG guest"
echo

for size in "${sizes[@]}"; do
	# ~4 threads per process; 5 % of the processes in a container; one VM
	procs=$((size / 4))
	cprocs=$((procs / 20))
	nprocs=$((procs - cprocs))
	pids=()
	"$B/tinyvm" --vcpus 1 --mem-mb 32 --touch-mb 4 --busy "" >"$D/vm" &
	pids+=($!)
	"$B/container" --cgroup "$CG/c$size" -- "$B/spawner" --procs "$cprocs" \
		--threads 4 >"$D/ctr" &
	pids+=($!)
	"$B/spawner" --procs "$nprocs" --threads 4 >"$D/natives" &
	pids+=($!)
	for f in vm ctr natives; do
		wait_ready "$D/$f" 3000 || exit 1
	done
	sleep 1
	tasks=$(tasks_now)
	nproc_all=$(procs_now)

	echo 0 >/sys/kernel/debug/hostacct/alloc_peak_bytes
	raw=$("$B/hostacct_bench" dump --reps 7)
	peak=$(cat /sys/kernel/debug/hostacct/alloc_peak_bytes)
	held=$(cat /sys/kernel/debug/hostacct/alloc_bytes)
	cli=$("$B/hostacct_bench" cmd --reps 5 -- "$HA" show -j)
	procfs=$("$B/hostacct_bench" procfs --reps 3)
	top=$("$B/hostacct_bench" cmd --reps 3 -- top -b -n1)
	ps=$("$B/hostacct_bench" cmd --reps 3 -- ps -eo pid,rss,time,cgroup)

	results+=("$tasks $nproc_all $(val workloads "$raw") $(val cpu_ms "$raw") \
$(val cpu_ms "$cli") $(val cpu_ms "$procfs") $(val cpu_ms "$top") $(val cpu_ms "$ps") $peak $held")
	echo "size $size: $tasks tasks in $nproc_all processes; dump: $raw; show -j: $cli;" \
	     "procfs: $procfs; top: $top; ps: $ps; module memory peak $peak, held $held bytes"

	kill "${pids[@]}"
	wait 2>/dev/null
	sleep 1
done

echo
printf '%7s %6s %9s | %23s | %23s | %9s %9s | %9s %9s %9s | %11s\n' \
	"" "" "" "hostacct raw dump" "hostacct show -j" "procfs" "" "top -b" "ps" "" "module mem"
printf '%7s %6s %9s | %11s %11s | %11s %11s | %9s %9s | %9s %9s %9s | %11s\n' \
	tasks procs workloads "cpu ms" "us/task" "cpu ms" "us/task" "cpu ms" "b/a" \
	"cpu ms" "cpu ms" "c/a(top)" "peak bytes"
for r in "${results[@]}"; do
	read -r t p w a acli b ctop cps peak held <<<"$r"
	awk -v t="$t" -v p="$p" -v w="$w" -v a="$a" -v acli="$acli" -v b="$b" \
	    -v ctop="$ctop" -v cps="$cps" -v peak="$peak" 'BEGIN {
		printf "%7d %6d %9d | %11.2f %11.3f | %11.2f %11.3f | %9.1f %9.1f | %9.1f %9.1f %9.0f | %11d\n",
		       t, p, w, a, a * 1000 / t, acli, acli * 1000 / t, b, b / a,
		       ctop, cps, ctop / a, peak }'
done
echo
echo "b/a: procfs reader over raw dump; b/a for the CLI: $(for r in "${results[@]}"; do
	read -r t p w a acli b ctop cps peak held <<<"$r"
	awk -v b="$b" -v c="$acli" -v t="$t" 'BEGIN { printf "%.1f at %d tasks  ", b / c, t }'
done)"
first=(${results[0]})
last=(${results[${#results[@]}-1]})
awk -v t1="${first[0]}" -v a1="${first[3]}" -v t2="${last[0]}" -v a2="${last[3]}" 'BEGIN {
	printf "growth: raw dump us/task %.3f at %d tasks, %.3f at %d tasks (x%.2f)\n",
	       a1 * 1000 / t1, t1, a2 * 1000 / t2, t2, (a2 / t2) / (a1 / t1) }'
echo "module memory held after each dump: $(for r in "${results[@]}"; do
	read -r t p w a acli b ctop cps peak held <<<"$r"; printf '%s bytes at %s tasks  ' "$held" "$t"; done)"
echo "module size (text+data): $(awk '$1 == "hostacct" { print $2 }' /proc/modules) bytes"

# --- fork/exit overhead of the exit probes: module unloaded (A) and
# loaded (B), interleaved.
echo
echo "fork/exit overhead, 20000 iterations per run, A = module unloaded, B = loaded"
for variant in exit exec; do
	args=(--iters 20000)
	[ $variant = exec ] && args+=(--exec)
	as=()
	bs=()
	for rep in 1 2 3 4 5; do
		rmmod hostacct || exit 1
		as+=("$(val wall_ms "$("$B/hostacct_bench" forkexit "${args[@]}")")")
		insmod "$HOSTACCT_KO" || exit 1
		bs+=("$(val wall_ms "$("$B/hostacct_bench" forkexit "${args[@]}")")")
	done
	ma=$(printf '%s\n' "${as[@]}" | sort -n | sed -n 3p)
	mb=$(printf '%s\n' "${bs[@]}" | sort -n | sed -n 3p)
	awk -v v="$variant" -v ma="$ma" -v mb="$mb" -v a="${as[*]}" -v b="${bs[*]}" 'BEGIN {
		printf "fork+%-4s  median A %.0f ms, B %.0f ms: overhead %+.2f %%  (A: %s; B: %s)\n",
		       v, ma, mb, 100 * (mb - ma) / ma, a, b }'
done
