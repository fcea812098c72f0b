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
# ratios are the claim, the milliseconds depend on the machine. The floor
# is a bare kernel walk over the same tasks (selftests/floor), the least
# any per-task accounting can cost.
#
# Each measurement is also printed as a "BENCH {json}" line, which
# tools/testing/bench-report.py turns into build/bench/results.json.
#
#   bench.sh [--dump-only] [SIZES...]     default: 1000 10000 50000
#     --dump-only  the raw dump and the floor only (the 8-vCPU run)

set -u
B="$HA_ROOT/build/selftests"
HA="$HA_ROOT/tools/hostacct/hostacct"
CG=/sys/fs/cgroup/bench.slice
D=/tmp/bench
dump_only=""
if [ "${1:-}" = --dump-only ]; then
	dump_only=1
	shift
fi
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 50000)
insmod "$HA_BUILD/hostacct_floor.ko" || { echo "bench: no floor module" >&2; exit 1; }
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

# daemon_ms PID URL REPS: the CPU time (all threads' runtime, schedstat)
# the daemon PID spends per GET of URL, median of REPS, after one warm-up
daemon_ms() {
	local pid=$1 url=$2 reps=$3 i a b t v=()
	curl -sf -o /dev/null "$url" || return 1
	for ((i = 0; i < reps; i++)); do
		a=0
		for t in /proc/"$pid"/task/*/schedstat; do read -r x _ <"$t"; a=$((a + x)); done
		curl -sf -o /dev/null "$url" || return 1
		b=0
		for t in /proc/"$pid"/task/*/schedstat; do read -r x _ <"$t"; b=$((b + x)); done
		v+=($((b - a)))
	done
	printf '%s\n' "${v[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] / 1e6 }'
}

# until_http URL: until something answers there (a daemon starting up)
until_http() {
	local _
	for _ in $(seq 3000); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

# what users run instead: Debian's prometheus-process-exporter, fast
# settings (no threads, no smaps), every process grouped by its comm
cat >"$D/pe.yml" <<'EOF'
process_names:
  - name: "{{.Comm}}"
    cmdline:
      - '.*'
EOF

# serve_vs_exporter: one scrape of each, side by side, now
serve_vs_exporter() {
	local sp ep s e
	"$HA" serve --listen 127.0.0.1:19469 2>/dev/null &
	sp=$!
	until_http http://127.0.0.1:19469/metrics
	s=$(daemon_ms "$sp" http://127.0.0.1:19469/metrics 5)
	kill "$sp"
	e=""
	if [ -n "${1:-}" ]; then
		prometheus-process-exporter -config.path "$D/pe.yml" -threads=false \
			-gather-smaps=false -web.listen-address 127.0.0.1:19256 >/dev/null 2>&1 &
		ep=$!
		until_http http://127.0.0.1:19256/metrics
		e=$(daemon_ms "$ep" http://127.0.0.1:19256/metrics 2)
		kill "$ep"
	fi
	wait "$sp" ${ep:+"$ep"} 2>/dev/null
	echo "serve_ms=${s:-0} exporter_ms=${e:-0}"
}

results=()
echo "hostacct bench: kernel $(uname -r), $(nproc) CPUs, $(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024)) MiB, QEMU TCG guest"
echo

for size in "${sizes[@]}"; do
	t0=$SECONDS
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
	t1=$SECONDS
	tasks=$(tasks_now)
	nproc_all=$(procs_now)

	echo 0 >/sys/kernel/debug/hostacct/alloc_peak_bytes
	raw=$("$B/hostacct_bench" dump --reps 7)
	peak=$(cat /sys/kernel/debug/hostacct/alloc_peak_bytes)
	held=$(cat /sys/kernel/debug/hostacct/alloc_bytes)
	floor=$("$B/hostacct_bench" floor --reps 7)
	echo "BENCH {\"smp\": $(nproc), \"size\": $size, \"tasks\": $tasks, \"procs\": $nproc_all," \
	     "\"workloads\": $(val workloads "$raw"), \"dump_ms\": $(val cpu_ms "$raw")," \
	     "\"floor_ms\": $(val cpu_ms "$floor"), \"floor_threads\": $(val threads "$floor")," \
	     "\"module_peak_bytes\": $peak, \"module_held_bytes\": $held}"
	if [ -n "$dump_only" ]; then
		echo "size $size: $tasks tasks in $nproc_all processes; dump: $raw; floor: $floor"
		kill "${pids[@]}"
		wait 2>/dev/null
		continue
	fi
	cli=$("$B/hostacct_bench" cmd --reps 5 -- "$HA" show -j)
	procfs=$("$B/hostacct_bench" procfs --reps 3)
	top=$("$B/hostacct_bench" cmd --reps 3 -- top -b -n1)
	ps=$("$B/hostacct_bench" cmd --reps 3 -- ps -eo pid,rss,time,cgroup)
	version=$("$B/hostacct_bench" cmd --reps 5 -- "$HA" version)
	# the exporter takes tens of seconds per scrape here: up to 10k tasks
	sve=$(serve_vs_exporter $([ "$size" -le 10000 ] && echo with-exporter))
	echo "BENCH {\"smp\": $(nproc), \"size\": $size, \"show_ms\": $(val cpu_ms "$cli")," \
	     "\"procfs_ms\": $(val cpu_ms "$procfs"), \"top_ms\": $(val cpu_ms "$top")," \
	     "\"ps_ms\": $(val cpu_ms "$ps"), \"version_ms\": $(val cpu_ms "$version")," \
	     "\"serve_ms\": $(val serve_ms "$sve"), \"exporter_ms\": $(val exporter_ms "$sve")}"
	echo "size $size: version: $version; $sve"

	results+=("$tasks $nproc_all $(val workloads "$raw") $(val cpu_ms "$raw") \
$(val cpu_ms "$cli") $(val cpu_ms "$procfs") $(val cpu_ms "$top") $(val cpu_ms "$ps") $peak $held")
	echo "size $size: $tasks tasks in $nproc_all processes; dump: $raw; floor: $floor; show -j: $cli;" \
	     "procfs: $procfs; top: $top; ps: $ps; module memory peak $peak, held $held bytes"

	t2=$SECONDS
	kill "${pids[@]}"
	wait 2>/dev/null
	sleep 1
	echo "size $size: spawn $((t1 - t0))s, measure $((t2 - t1))s, teardown $((SECONDS - t2))s"
done

[ -n "$dump_only" ] && { echo "bench took ${SECONDS}s in the guest"; exit 0; }
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
read -ra first <<<"${results[0]}"
read -ra last <<<"${results[${#results[@]}-1]}"
awk -v t1="${first[0]}" -v a1="${first[3]}" -v t2="${last[0]}" -v a2="${last[3]}" 'BEGIN {
	printf "growth: raw dump us/task %.3f at %d tasks, %.3f at %d tasks (x%.2f)\n",
	       a1 * 1000 / t1, t1, a2 * 1000 / t2, t2, (a2 / t2) / (a1 / t1) }'
echo "module memory held after each dump: $(for r in "${results[@]}"; do
	read -r t _ _ _ _ _ _ _ _ held <<<"$r"; printf '%s bytes at %s tasks  ' "$held" "$t"; done)"
echo "module size (text+data): $(awk '$1 == "hostacct" { print $2 }' /proc/modules) bytes"

# --- the recorder at 300 containers and 2,000 processes: its CPU per
# sample against one show -j, the database's growth, and report --since
# over a synthetic week (tests/histgen writes it through the store)
"$B/ctrfarm" --dir "$CG/farm" --count 300 >"$D/farm" &
farm=$!
"$B/spawner" --procs 2000 --threads 1 >"$D/rec_natives" &
recnat=$!
wait_ready "$D/farm" 3000 && wait_ready "$D/rec_natives" 3000 || exit 1
rshow=$("$B/hostacct_bench" cmd --reps 5 -- "$HA" show -j)
# CPU per sample: two recordings of 11 and 71 samples, the difference per
# sample (the start-up cost cancels); bytes per sample likewise
rm -f "$D"/rec*.db*
r1=$("$B/hostacct_bench" cmd --reps 1 -- "$HA" record --db "$D/rec1.db" -i 1 -c 11)
r2=$("$B/hostacct_bench" cmd --reps 1 -- "$HA" record --db "$D/rec2.db" -i 1 -c 71)
for db in "$D/rec1.db" "$D/rec2.db"; do
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
done
s1=$(stat -c %s "$D/rec1.db")
s2=$(stat -c %s "$D/rec2.db")
rows=$(sqlite3 "$D/rec2.db" 'SELECT count(*) * 1.0 / (SELECT count(*) FROM sample) FROM usage')
kill "$farm" "$recnat"
wait "$farm" "$recnat" 2>/dev/null
"$HA_ROOT/tools/hostacct/tests/histgen" --db "$D/week.db" --days 7 >"$D/histgen.out" 2>&1 ||
	echo "bench: histgen: $(cat "$D/histgen.out")"
week=$("$B/hostacct_bench" cmd --reps 3 -- "$HA" report --since 7d --db "$D/week.db" -j)
echo "BENCH {\"history\": 1, \"containers\": 300, \"natives\": 2000," \
     "\"show_ms\": $(val cpu_ms "$rshow"), \"record11_ms\": $(val cpu_ms "$r1")," \
     "\"record71_ms\": $(val cpu_ms "$r2"), \"db11_bytes\": $s1, \"db71_bytes\": $s2," \
     "\"rows_per_sample\": $rows, \"week_report_ms\": $(val cpu_ms "$week")}"
echo "recorder at 300 containers + 2000 processes: show -j $rshow; record 11 samples $r1," \
     "71 samples $r2; database $s1 / $s2 bytes ($rows rows a sample); report --since 7d" \
     "over the synthetic week ($(cat "$D/histgen.out")): $week"

# --- fork/exit overhead of the exit probes: module unloaded (A) and
# loaded (B). TCG's speed drifts by several per cent over a minute, so the
# iterations run in short blocks in the order A B B A, five times, and the
# overhead is total B time over total A time; the spread of the per-round
# ratios shows how much of it is noise. fork+exec of /bin/true costs ~50 ms
# under TCG (exec over 9p and overlayfs), so it runs fewer iterations.
loaded() { lsmod | grep -q '^hostacct '; }
echo
echo "fork/exit overhead, A = module unloaded, B = loaded (exit probes active), wall time"
for variant in exit exec; do
	if [ $variant = exec ]; then
		total=200
		args=(--iters 20 --exec)
	else
		total=20000
		args=(--iters 2000)
	fi
	"$B/hostacct_bench" forkexit --iters 2000 >/dev/null	# warm-up
	runs=()		# "ROUND SIDE MS" per run
	for round in 1 2 3 4 5; do
		for v in A B B A; do
			if [ $v = A ]; then
				loaded && { rmmod hostacct || exit 1; }
			else
				loaded || insmod "$HOSTACCT_KO" || exit 1
			fi
			runs+=("$round $v $(val wall_ms "$("$B/hostacct_bench" forkexit "${args[@]}")")")
		done
	done
	loaded || insmod "$HOSTACCT_KO" || exit 1
	# what the probes spent, read by the module itself over the same
	# loop: without a subscriber (S=0) and with one for every class (S=1)
	for sub in 0 1; do
		evp=
		if [ $sub = 1 ]; then
			"$HA" events -j >/dev/null 2>&1 &
			evp=$!
			sleep 1
		fi
		cat /sys/kernel/debug/hostacct/probes >"$D/probes0"
		pr=$("$B/hostacct_bench" forkexit "${args[@]}")
		cat /sys/kernel/debug/hostacct/probes >"$D/probes1"
		[ -n "$evp" ] && kill "$evp" && wait "$evp" 2>/dev/null
		awk -v v="$variant" -v sub=$sub -v it="$(val iters "$pr")" -v wall="$(val wall_ms "$pr")" '
			FNR == NR { split($2, a, "="); split($3, b, "="); c0[$1] = a[2]; n0[$1] = b[2]; next }
			{ split($2, a, "="); split($3, b, "="); c = a[2] - c0[$1]; ns = b[2] - n0[$1];
			  tot += ns; parts = parts sprintf("%s\"%s_calls\": %d, \"%s_ns\": %d", parts ? ", " : "", $1, c, $1, ns)
			  line = line sprintf("  %s %.0f ns x %.2f", $1, c ? ns / c : 0, c / it) }
			END {
				printf "probes (fork+%s, %s): %.0f ns of probes per iteration, %.1f us per iteration: %.3f %%;%s\n",
				       v, sub ? "a subscriber of every class" : "no subscriber", tot / it, wall * 1000 / it,
				       100 * tot / (wall * 1e6), line
				printf "BENCH {\"probes\": \"%s\", \"subscriber\": %d, \"iters\": %d, \"wall_ms\": %.3f, \"probe_ns\": %d, %s}\n",
				       v, sub, it, wall, tot, parts
			}' "$D/probes0" "$D/probes1"
	done
	printf '%s\n' "${runs[@]}" | awk -v v="$variant" -v n="$total" '
		{ t[$1, $2] += $3; s[$2] += $3 }
		END {
			for (r = 1; r <= 5; r++)
				rr = rr sprintf("%s%+.1f", r > 1 ? " " : "",
						100 * (t[r, "B"] - t[r, "A"]) / t[r, "A"])
			printf "fork+%-4s %5d per side: A %.0f ms, B %.0f ms (%.2f vs %.2f ms each): overhead %+.2f %%  (per round: %s %%)\n",
			       v, n, s["A"], s["B"], s["A"] / n, s["B"] / n, 100 * (s["B"] - s["A"]) / s["A"], rr
			printf "BENCH {\"forkexit\": \"%s\", \"per_side\": %d, \"unloaded_ms\": %.3f, \"loaded_ms\": %.3f, \"overhead_pct\": %.3f}\n",
			       v, n, s["A"], s["B"], 100 * (s["B"] - s["A"]) / s["A"]
		}'
done
echo
echo "bench took ${SECONDS}s in the guest"
