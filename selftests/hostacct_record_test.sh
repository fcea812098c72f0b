#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostacct record on the live host: a 2-vCPU VM with one vCPU busy, a
# container pinned at a 0.5-CPU limit, an idle container with a 2-CPU
# limit and a native burner, recorded every second while a live
# `hostacct report -i 60` runs. `report --since` over the same minute
# must give the live report's efficiencies (within 5 points), and
# `rightsize` must recommend 1 vCPU for the VM, keep or raise the pinned
# container and shrink the idle one to the floor. Then the faults: the
# recorder SIGKILLed 20 times at random moments (the file passes
# integrity_check and holds every sample the recorder said it stored), the
# module unloaded and reloaded under it (a gap, no usage out of range), a
# full disk (logged, the recorder runs on, resumes when space returns).
# Waits are for events (a line the recorder prints, a file's content),
# capped only against a broken setup. TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
CG=/sys/fs/cgroup/hostacct-rec
T=$(mktemp -d)
PY=/usr/bin/python3
pids=()
rec=

. "$here/../tools/testing/lib.sh"

cleanup() {
	[ -n "$rec" ] && kill -9 "$rec" 2>/dev/null
	kill_pids
	[ -d /sys/module/hostacct ] || insmod "$HOSTACCT_KO" 2>/dev/null
	umount "$T/small" 2>/dev/null
	rmdir "$CG"/* "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# until_line FILE PATTERN [COUNT] [TENTHS]: until FILE has COUNT lines
# matching PATTERN (default 1; cap 300 s)
until_line() {
	local _
	for _ in $(seq "${4:-3000}"); do
		[ "$(grep -c -e "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "TAP version 13"
mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

"$B/tinyvm" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$T/vm" &
pids+=($!)
"$B/container" --cgroup "$CG/busy" --cpu-max "50000 100000" --mem-max $((256 << 20)) \
	-- "$B/burner" --forever >"$T/busy" &
pids+=($!)
"$B/container" --cgroup "$CG/idle" --cpu-max "200000 100000" --mem-max $((256 << 20)) \
	-- "$B/toucher" --anon-mb 16 >"$T/idle" &
pids+=($!)
"$B/burner" --forever >"$T/native" &
pids+=($!)
for f in vm busy idle native; do
	wait_ready "$T/$f" || echo "# fixture $f not ready"
done
vm_pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm")
busy_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/busy")
idle_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/idle")
echo "# VM $vm_pid, pinned container $busy_id, idle container $idle_id"

# --- a minute recorded every second beside a live 60 s report
DB="$T/h.db"
"$HA" record --db "$DB" -i 1 -v >"$T/rec.out" 2>"$T/rec.err" &
rec=$!
until_line "$T/rec.out" '^stored' 2 || echo "# the recorder stored nothing: $(cat "$T/rec.err")"
t0=$(date +%s.%N)
"$HA" report -i 60 -j --natives 0 >"$T/live.json" 2>"$T/live.err"
t1=$(date +%s.%N)
# the sample that covers the report's end
k=$(grep -c '^stored' "$T/rec.out")
until_line "$T/rec.out" '^stored' $((k + 2)) || echo "# the recorder stopped: $(cat "$T/rec.err")"
"$HA" report --since "@$t0" --until "@$t1" --db "$DB" -j >"$T/hist.json" 2>"$T/hist.err"
"$HA" rightsize --since 10m --db "$DB" -j >"$T/rs.json" 2>"$T/rs.err"
echo "# report --since over the live report's minute:"
"$HA" report --since "@$t0" --until "@$t1" --db "$DB" --section vms 2>&1 | sed 's/^/#   /'
"$HA" report --since "@$t0" --until "@$t1" --db "$DB" --section containers 2>&1 | sed 's/^/#   /'
echo "# rightsize:"
"$HA" rightsize --since 10m --db "$DB" --section rightsize 2>&1 | sed 's/^/#   /'

result "report --since: the VM's and both containers' CPU and memory efficiency as the live report -i 60 (5 points)" \
	$PY - "$T/live.json" "$T/hist.json" "$vm_pid" "$busy_id" "$idle_id" <<'EOF'
import json, sys
live, hist = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
vm, busy, idle = map(int, sys.argv[3:])
bad = []
for sec, wid in (("vms", vm), ("containers", busy), ("containers", idle)):
    l = [x for x in live[sec] if x["id"] == wid]
    h = [x for x in hist[sec] if x["id"] == wid]
    if not l or not h:
        bad.append(f"{sec} {wid}: live {len(l)} history {len(h)}")
        continue
    for k in ("cpu_eff_pct", "mem_eff_pct"):
        print(f"{sec} {wid} {k}: live {l[0][k]:.1f} history {h[0][k]:.1f}")
        if abs(l[0][k] - h[0][k]) > 5:
            bad.append(f"{sec} {wid} {k}: live {l[0][k]} history {h[0][k]}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
result "rightsize: 1 vCPU for the half-busy VM, the pinned container kept or raised, the idle one at the 0.1 floor, low confidence" \
	$PY - "$T/rs.json" "$vm_pid" "$busy_id" "$idle_id" <<'EOF'
import json, sys
rs = json.load(open(sys.argv[1]))["rightsize"]
vm, busy, idle = map(int, sys.argv[2:])
by = {(x["class"], x["id"]): x for x in rs}
v, b, i = by[("kvm", vm)], by[("container", busy)], by[("container", idle)]
for x in (v, b, i):
    print(x["class"], x["id"], x["cpus_now"], "->", x["cpus_recommended"],
          x["mem_now_bytes"], "->", x["mem_recommended_bytes"], "peak", x["mem_peak_bytes"])
assert v["cpus_now"] == 2 and v["cpus_recommended"] == 1, v
assert b["cpus_now"] == 0.5 and b["cpus_recommended"] >= 0.5, b
assert i["cpus_now"] == 2 and i["cpus_recommended"] == 0.1, i
assert all(x["mem_recommended_bytes"] >= x["mem_peak_bytes"] > 0 for x in (v, b, i))
assert all(x["confidence"] == "low" for x in (v, b, i))
EOF

# --- a VM that starts and stops while recording: its start-up and
# shut-down are in the history, as many as the module's histograms gained
k=$(grep -c '^stored' "$T/rec.out")
until_line "$T/rec.out" '^stored' $((k + 1)) || echo "# the recorder stopped"
t0=$(date +%s.%N)
"$HA" host -j >"$T/life0.json" 2>&1
"$B/tinyvm" --vcpus 1 --mem-mb 32 --touch-mb 4 --busy "" --delay-ms 300 \
	--term-delay-ms 200 >"$T/vm2" &
vm2=$!
wait_ready "$T/vm2" || echo "# second VM not ready"
kill -TERM "$vm2"
wait "$vm2"
"$HA" host -j >"$T/life1.json" 2>&1
k=$(grep -c '^stored' "$T/rec.out")
until_line "$T/rec.out" '^stored' $((k + 2)) || echo "# the recorder stopped"
t1=$(date +%s.%N)
"$HA" report --since "@$t0" --until "@$t1" --db "$DB" -j >"$T/life.json" 2>&1
result "report --since: the VM started and stopped in the window: start-up and shut-down counts as the module's histograms gained, medians present" \
	$PY - "$T/life0.json" "$T/life1.json" "$T/life.json" <<'EOF'
import json, sys
h0 = {c["class"]: c for c in json.load(open(sys.argv[1]))["classes"]}
h1 = {c["class"]: c for c in json.load(open(sys.argv[2]))["classes"]}
rep = {r["class"]: r for r in json.load(open(sys.argv[3]))["tradeoffs"]}
for what in ("startup", "shutdown"):
    d = h1["kvm"][f"{what}_count"] - h0["kvm"][f"{what}_count"]
    got = rep["kvm"][f"{what}_count"]
    print(f"kvm {what}: module +{d}, history {got}, p50 {rep['kvm'][what + '_p50_s']}")
    assert d == 1 and got == d and rep["kvm"][f"{what}_p50_s"] > 0
EOF

# --- the module unloaded and reloaded under the recorder
k=$(grep -c '^stored' "$T/rec.out")
for _ in $(seq 600); do
	rmmod hostacct 2>/dev/null && break	# busy while a sample queries
	sleep 0.1
done
until_line "$T/rec.err" 'module does not answer' || echo "# no gap message"
insmod "$HOSTACCT_KO" || echo "# insmod failed"
until_line "$T/rec.err" 'answers again' || echo "# no resume message"
k=$(grep -c '^stored' "$T/rec.out")
until_line "$T/rec.out" '^stored' $((k + 3)) || echo "# no sample after the reload"
result "module reload: a gap recorded, sampling resumed, no usage negative or beyond what an interval can hold" \
	$PY - "$DB" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
gaps = [r[0] for r in db.execute("SELECT reason FROM gap")]
assert "module not answering" in gaps, gaps
# A sample's CPU time is its two snapshots' difference: each task is read
# some time within its snapshot's walk, and a walk ends before the next
# begins, so no interval holds more than 3 x its CPUs x its seconds. A
# restarted counter read as usage would be negative or ~2^64.
bad = db.execute("SELECT s.boot_ns, s.secs, s.nr_cpus, u.cpu FROM usage u JOIN sample s"
                 " ON s.id=u.sample WHERE u.cpu < 0 OR u.cpu > 3e9 * s.secs * s.nr_cpus").fetchall()
assert not bad, f"usage rows out of range: {bad[:5]}"
host = db.execute("SELECT boot_ns, secs, nr_cpus, cpu_kvm, cpu_container, cpu_native, cpu_kernel"
                  " FROM sample WHERE min(cpu_kvm, cpu_container, cpu_native, cpu_kernel) < 0"
                  " OR cpu_kvm + cpu_container + cpu_native + cpu_kernel > 3e9 * secs * nr_cpus"
                  ).fetchall()
assert not host, f"samples out of range: {host[:5]}"
worst = db.execute("SELECT max((cpu_kvm + cpu_container + cpu_native + cpu_kernel) / (1e9 * secs * nr_cpus))"
                   " FROM sample WHERE secs > 0").fetchone()[0]
print(f"the busiest sample: {worst:.3f} of the CPUs")
after = db.execute("SELECT count(*) FROM sample WHERE boot_ns > (SELECT max(boot_ns) FROM gap)").fetchone()[0]
assert after >= 3, after
print(gaps, after)
EOF
kill "$rec"
wait "$rec" 2>/dev/null
rec=

# --- SIGKILL at random moments, the fixtures still running
bad=""
for i in $(seq 20); do
	"$HA" record --db "$T/k.db" -i 0.2 -v >"$T/k.out" 2>"$T/k.err" &
	rec=$!
	until_line "$T/k.out" '^stored' 1 || bad="$bad [$i: nothing stored: $(head -c 200 "$T/k.err")]"
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$rec"
	wait "$rec" 2>/dev/null
	rec=
	# the sqlite3 shell, not Python: 20 checks in an emulated guest
	out=$(sqlite3 "$T/k.db" "PRAGMA integrity_check")
	sed -n 's/^stored \([0-9]*\) .*/\1/p' "$T/k.out" | sort >"$T/said"
	sqlite3 "$T/k.db" "SELECT boot_ns FROM sample" | sort >"$T/have"
	lost=$(comm -23 "$T/said" "$T/have" | head -n 3)
	[ -z "$lost" ] || out="$out, lost $(echo $lost)"
	[ "$out" = ok ] || bad="$bad [$i: $out]"
done
if [ -z "$bad" ]; then
	ok "SIGKILL 20 times: integrity_check ok each time, every sample the recorder said it stored is there"
else
	notok "SIGKILL 20 times: integrity_check ok each time, every sample the recorder said it stored is there" "$bad"
fi

# --- a full disk: logged once, the recorder runs on, resumes with space
mkdir -p "$T/small"
mount -t tmpfs -o size=4m tmpfs "$T/small"
"$HA" record --db "$T/small/h.db" -i 0.5 -v >"$T/f.out" 2>"$T/f.err" &
rec=$!
until_line "$T/f.out" '^stored' 2 || echo "# nothing stored on the small disk: $(cat "$T/f.err")"
dd if=/dev/zero of="$T/small/fill" bs=64k 2>/dev/null
until_line "$T/f.err" 'sample not stored' 1 600 || echo "# no write error in 60 s"
alive=$(kill -0 "$rec" 2>/dev/null && echo yes)
rm -f "$T/small/fill"
k=$(grep -c '^stored' "$T/f.out")
until_line "$T/f.err" 'samples stored again' || echo "# no resume message"
until_line "$T/f.out" '^stored' $((k + 2)) || echo "# no sample after the space returned"
if [ "$alive" = yes ] && kill -0 "$rec" 2>/dev/null &&
   [ "$(grep -c 'sample not stored' "$T/f.err")" -eq 1 ] &&
   grep -q 'samples stored again' "$T/f.err" &&
   [ "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$T/small/h.db")" = ok ]; then
	ok "disk full: one message, the recorder runs on and stores again when space returns; integrity_check ok"
else
	notok "disk full: one message, the recorder runs on and stores again when space returns; integrity_check ok" \
		"alive=${alive:-no} $(kill -0 "$rec" 2>/dev/null && echo still-running)" "$(head -c 600 "$T/f.err")"
fi
kill "$rec" 2>/dev/null
wait "$rec" 2>/dev/null
rec=

echo "1..$n"
[ "$failed" -eq 0 ]
