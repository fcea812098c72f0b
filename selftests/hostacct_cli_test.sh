#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the hostacct CLI in the guest (module loaded): report
# efficiency against what the fixtures set up, class sums against
# /proc/stat with thousands of short-lived processes, Prometheus and JSON
# output validity, serve over HTTP, top's batch mode, and clear errors with
# non-zero exits for bad input. TAP on stdout; JSON is parsed with jq.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
CG=/sys/fs/cgroup/hostacct-cli
T=$(mktemp -d)
n=0
failed=0
pids=()

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
}

# check NAME JQ-EXPR FILE: the jq expression must be true on FILE
check() {
	local name=$1 expr=$2 file=$3
	if jq -e "$expr" "$file" >/dev/null 2>&1; then
		ok "$name"
	else
		notok "$name" "jq: $expr" "$(jq -c "$4" "$file" 2>&1 | head -c 600)"
	fi
}

. "$here/../tools/testing/lib.sh"

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rmdir "$CG"/* "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

echo "TAP version 13"

mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

# --- fixtures: a 2-vCPU VM with one vCPU busy that touched 64 of 256 MiB,
# a busy container limited to 0.5 CPU, an idle one limited to 2 CPUs.
have_kvm=0
if [ -w /dev/kvm ]; then
	have_kvm=1
	"$B/tinyvm" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$T/vm" &
	pids+=($!)
fi
"$B/container" --cgroup "$CG/busy" --cpu-max "50000 100000" \
	--mem-max $((256 << 20)) -- "$B/burner" --forever >"$T/busy" &
pids+=($!)
"$B/container" --cgroup "$CG/idle" --cpu-max "200000 100000" \
	-- "$B/burner" --ms 10 >"$T/idle" &
pids+=($!)
for f in busy idle; do
	wait_ready "$T/$f" || echo "# fixture $f not ready"
done
[ $have_kvm = 1 ] && { wait_ready "$T/vm" || echo "# tinyvm not ready"; }
busy_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/busy")
idle_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/idle")
vm_pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm" 2>/dev/null)
sleep 2	# let the throttling settle

"$HA" report -i 5 -j >"$T/report.json" 2>"$T/report.err"
if jq -e . "$T/report.json" >/dev/null 2>&1; then
	ok "report -j is valid JSON"
else
	notok "report -j is valid JSON" "$(head -c 400 "$T/report.err")"
fi

check "busy container at cpu.max 0.5: CPU efficiency 90-105 %, throttled" \
	".containers[] | select(.id == $busy_id) |
	 .cpu_eff_pct >= 90 and .cpu_eff_pct <= 105 and .throttled_periods > 0 and
	 .cpu_limit_cpus == 0.5" "$T/report.json" ".containers"
check "idle container: CPU efficiency below 5 %" \
	".containers[] | select(.id == $idle_id) | .cpu_eff_pct < 5 and
	 .cpu_limit_cpus == 2" "$T/report.json" ".containers"
check "container memory against memory.max" \
	".containers[] | select(.id == $busy_id) |
	 .mem_limit_bytes == 268435456 and .mem_current_bytes > 0 and
	 .mem_eff_pct < 100" "$T/report.json" ".containers"
if [ $have_kvm = 1 ]; then
	check "VM, 2 vCPUs, one spinning: CPU efficiency 50 % +- 10" \
		".vms[] | select(.id == $vm_pid) | .nr_vcpus == 2 and
		 .cpu_eff_pct >= 40 and .cpu_eff_pct <= 60" "$T/report.json" ".vms"
	check "VM touched 64 of 256 MiB: memory efficiency 25 % +- 3" \
		".vms[] | select(.id == $vm_pid) | .guest_mem_bytes == 268435456 and
		 .mem_eff_pct >= 22 and .mem_eff_pct <= 28" "$T/report.json" ".vms"
	check "VM guest time is part of the VM's busy time" \
		".vms[] | select(.id == $vm_pid) | .guest_cpus > 0.5 and
		 .guest_cpus <= .vcpu_busy_cpus + 0.02" "$T/report.json" ".vms"
else
	ok "VM CPU efficiency # SKIP no /dev/kvm"
	ok "VM memory efficiency # SKIP no /dev/kvm"
	ok "VM guest time # SKIP no /dev/kvm"
fi
check "idle reserved capacity counts the idle container and the VM" \
	".idle_reserved.container_cpus >= 1.9 and
	 .idle_reserved.vm_cpus >= 0.8 * $have_kvm and .idle_reserved.vm_bytes >= 150000000 * $have_kvm" \
	"$T/report.json" ".idle_reserved"
check "trade-off table has the three classes" \
	"[.tradeoffs[].class] == [\"native\", \"kvm\", \"container\"] and
	 (.tradeoffs[] | select(.class == \"container\") | .isolation | test(\"pid\"))" \
	"$T/report.json" ".tradeoffs"

# --- class sums + idle against /proc/stat, 2,000 processes exiting inside
stat_total() {
	# all states but guest and guest_nice (already in user and nice), ticks
	awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9 }' /proc/stat
}
# The idle loop and interrupts taken while a CPU idles run in no task and
# outside the idle clock. In this emulated guest that time grows with the
# load of the host: 0.8-1.5 % of 2 CPUs with one guest on the machine, up
# to 2.9 % with both kernels' guests sharing 2 cores, 4 % on the debug
# kernel (KASAN, lockdep). Lost exit accounting would miss the churn's
# whole CPU time (printed below; far more than 4 % of the CPUs x interval),
# so a 4 % bound (6 % on the debug kernel) still catches it, and the next
# check looks at it directly.
# The churn must end inside the interval: on the debug kernel a process
# costs ~50 ms, so fewer processes and a longer interval there.
churn_count=2000
churn_interval=6
reconcile_pct=4
if [ "${HA_SCALE:-}" = small ]; then
	churn_count=200
	churn_interval=20
	reconcile_pct=6
fi
kill -STOP "${pids[@]}" 2>/dev/null	# a quieter host for this one
"$HA" report -i "$churn_interval" -j >"$T/churn.json" &
rp=$!
sleep 1
"$B/churn" --count "$churn_count" >"$T/churn" &
cp=$!
wait $cp
wait $rp
kill -CONT "${pids[@]}" 2>/dev/null
churn_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$T/churn")
echo "# churn: $churn_count processes used $(awk -v n="${churn_ns:-0}" 'BEGIN { printf "%.2f", n / 1e9 }') s of CPU in the ${churn_interval} s interval"
# The host's CPU time over the interval is online CPUs x interval.
# /proc/stat approximates it by sampling ticks; under QEMU TCG the guest
# loses ticks of busy CPUs (measured: 1.04 of 2 CPUs with both busy), so
# the precise capacity is the reference here; on hardware they agree.
echo "# over the interval: classes + idle $(jq .reconcile.classes_plus_idle_cpus "$T/churn.json")," \
	"/proc/stat $(jq .reconcile.proc_stat_cpus "$T/churn.json") of $(jq .host.nr_cpus_online "$T/churn.json") CPUs"
check "$churn_count short-lived processes: classes + idle within $reconcile_pct % of the CPUs" \
	"(.reconcile.classes_plus_idle_cpus - .host.nr_cpus_online | fabs) <=
	 $reconcile_pct / 100 * .host.nr_cpus_online" "$T/churn.json" ".reconcile"
check "their CPU time stays in the native class after they exit" \
	"(.split[] | select(.class == \"native\") | .cpus) * .host.interval_s
	 >= 0.8 * ${churn_ns:-1} / 1e9" "$T/churn.json" "[.split, .host, ${churn_ns:-0}]"

# --- output formats
"$HA" report --prometheus >"$T/metrics.txt"
if out=$(promtool check metrics <"$T/metrics.txt" 2>&1); then
	ok "report --prometheus passes promtool check metrics"
else
	notok "report --prometheus passes promtool check metrics" "$out"
fi
if grep -q "^hostacct_container_cpu_limit_cpus{class=\"container\",id=\"$busy_id\"" "$T/metrics.txt" &&
   grep -q '^hostacct_class_cpu_seconds_total{class="native"}' "$T/metrics.txt"; then
	ok "Prometheus output has container limits and class counters"
else
	notok "Prometheus output has container limits and class counters"
fi

"$HA" serve --listen 127.0.0.1:19469 2>"$T/serve.err" &
sp=$!
pids+=("$sp")
for _ in $(seq 50); do
	curl -sf http://127.0.0.1:19469/metrics >"$T/scrape.txt" && break
	sleep 0.2
done
if grep -q '^hostacct_host_cpus ' "$T/scrape.txt" 2>/dev/null &&
   promtool check metrics <"$T/scrape.txt" >/dev/null 2>&1; then
	ok "serve answers a scrape from curl with valid metrics"
else
	notok "serve answers a scrape from curl with valid metrics" "$(cat "$T/serve.err")"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19469/nope)
[ "$code" = 404 ] && ok "serve answers 404 elsewhere" || notok "serve answers 404 elsewhere" "got $code"
kill $sp
wait $sp 2>/dev/null

for cmd in "show -j" "host -j" "version -j" "top -b -n 1 -j"; do
	# shellcheck disable=SC2086
	if "$HA" $cmd | jq -e . >/dev/null 2>&1; then
		ok "$cmd is valid JSON"
	else
		notok "$cmd is valid JSON"
	fi
done
lines=$("$HA" report -i 1 --csv | grep -c '^# ')
[ "$lines" -ge 7 ] && ok "report --csv has a titled block per section" ||
	notok "report --csv has a titled block per section" "got $lines titles"

out=$("$HA" top -b -n 2 -d 0.5)
tables=$(grep -c '^hostacct top' <<<"$out")
[ "$tables" = 2 ] && ok "top -b -n 2 prints two tables" || notok "top -b -n 2 prints two tables" "$out"

# --- bad input: a sentence on stderr and a non-zero exit
bad() {
	local name=$1 want=$2 pattern=$3
	shift 3
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq "$want" ] && grep -qE "$pattern" <<<"$err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want): $err"
	fi
}
bad "unknown option" 2 "usage" "$HA" report --bogus
bad "bad interval" 2 "bad interval '0'" "$HA" report -i 0
bad "bad interval unit" 2 "bad interval '5x'" "$HA" report -i 5x
bad "unknown command" 2 "unknown command 'frobnicate'" "$HA" frobnicate
bad "unknown class" 2 "bad class list 'vmz'" "$HA" show --class vmz
bad "unknown cgroup path" 1 "no cgroup '/no/such/cgroup'" "$HA" show --cgroup /no/such/cgroup
bad "bad listen address" 2 "bad address" "$HA" serve --listen nowhere
bad "unprivileged user" 1 "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$HA" host

if rmmod hostacct; then
	bad "module not loaded" 1 "kernel module not loaded; run: insmod kmod/hostacct.ko" "$HA" show
	insmod "$HOSTACCT_KO" || echo "# re-insmod failed"
else
	notok "module not loaded" "rmmod failed"
fi

echo "1..$n"
[ $failed -eq 0 ]
