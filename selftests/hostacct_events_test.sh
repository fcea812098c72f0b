#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle events and start-up / shut-down times, against what the
# fixtures did. With `hostacct events -j` (all classes), a second one for
# VMs and containers only, and the independent libnl client (hc_events)
# subscribed, the test starts and stops -- interleaved -- 5 crun
# containers, 3 real QEMU VMs (nested KVM), the tiny VMM, the container
# fixture and 5 native processes. Every start and stop must appear exactly
# once, with the right class and identity, stop after start, in all three
# subscribers alike. The fixtures record, in CLOCK_BOOTTIME, the moments
# around each one the module measures: the tiny VMM (run by `launch`) just
# before its exec and at its main(), its first KVM_RUN and first return;
# the container fixture before its shim's clone, the shim's first moment,
# just before the payload's exec and the payload's main(); `launch` a
# native's fork and exec the same way; the sender of a SIGTERM its
# sending, the fixture its arrival and its exit, their parent the reaping.
# The module's start-up and shut-down must lie between the inner and the
# outer of those intervals, give or take 5 ms or 10 %, whichever is
# larger. The module is reloaded first, so that its histograms hold this
# test's workloads: their counts and sums must be the events', the
# trade-off table's medians those of the events (within a bucket), and
# the exposition valid. Then a subscriber that never reads: it loses
# events and is told so (ENOBUFS, a gap), the others lose none.
# Waits are for events (a line in a file), capped only against a hang.
# TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
CG=/sys/fs/cgroup/hostacct-ev
T=$(mktemp -d)
PY=/usr/bin/python3
QEMU=$(command -v qemu-system-x86_64)
pids=()
subs=()
crun_ids=()

. "$here/../tools/testing/lib.sh"

cleanup() {
	local c
	for c in "${crun_ids[@]}"; do
		crun kill "$c" KILL >/dev/null 2>&1
		crun delete -f "$c" >/dev/null 2>&1
	done
	kill "${subs[@]}" 2>/dev/null
	kill_pids
	[ -d /sys/module/hostacct ] || insmod "$HOSTACCT_KO" 2>/dev/null
	[ -e "$CG/cgroup.kill" ] && echo 1 >"$CG/cgroup.kill"
	find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# until_grep FILE PATTERN [COUNT]: until FILE has COUNT lines matching
# the extended regex PATTERN (default 1); a hang guard of 600 s
until_grep() {
	local _
	for _ in $(seq 6000); do
		[ "$(grep -c -E -e "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	echo "# gave up waiting for '$2' in ${1##*/}"
	return 1
}

# result_v NAME CMD...: as result, and CMD's output is shown either way
result_v() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	sed 's/^/#   /' <<<"$out"
	if [ $rc -eq 0 ]; then ok "$name"; else notok "$name"; fi
}

# event_re EVENT CLASS ID: a JSON line of the CLI's for that event
event_re() {
	echo "\"event\":\"$1\",\"class\":\"$2\",\"id\":$3,"
}

echo "TAP version 13"

# a fresh module: its histograms start empty
rmmod hostacct && insmod "$HOSTACCT_KO" || echo "# module reload failed"
"$HA" host -j >"$T/host0.json" 2>&1

mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

"$HA" events -j >"$T/all.json" 2>"$T/all.err" &
subs+=($!)
"$HA" events -j --class kvm,container >"$T/vc.json" 2>"$T/vc.err" &
subs+=($!)
"$B/hc_events" >"$T/hc.json" 2>"$T/hc.err" &
subs+=($!)
until_grep "$T/all.json" '"subscribed"'
until_grep "$T/vc.json" '"subscribed"'
until_grep "$T/hc.json" '^joined'

# --- the fixtures
mkdir -p "$T/bundle/rootfs/bin"
cp /bin/busybox "$T/bundle/rootfs/bin/"
ln -s busybox "$T/bundle/rootfs/bin/sleep"
(cd "$T/bundle" && crun spec) >/dev/null 2>&1

native() {	# native K: launch's child, a burner that takes 400 ms to stop
	"$B/launch" --delay-ms 300 -- "$B/burner" --ms 20 --term-delay-ms 400 \
		--stamp "$T/n$1.stamp" >"$T/n$1.out" &
	pids+=($!)
	until_grep "$T/n$1.out" '^child pid='
}
# term PID NAME: SIGTERM, the sending's CLOCK_BOOTTIME into $T/NAME.sig
term() {
	$PY -c 'import os, sys, time
print("sent_ns=%d" % time.clock_gettime_ns(time.CLOCK_BOOTTIME), flush=True)
os.kill(int(sys.argv[1]), 15)' "$1" >"$T/$2.sig"
}
crun_start() {	# crun_start K
	local id=hostacct-ev-$1
	jq ".process.terminal = false | .process.args = [\"/bin/sleep\", \"10000$1\"] |
	    .linux.cgroupsPath = \"/hostacct-ev/crun$1\"" \
		"$T/bundle/config.json" >"$T/c$1.json"
	mkdir -p "$T/b$1"
	ln -sf "$T/bundle/rootfs" "$T/b$1/rootfs"
	cp "$T/c$1.json" "$T/b$1/config.json"
	crun_ids+=("$id")
	crun run -d --bundle "$T/b$1" "$id" >"$T/crun$1.out" 2>&1 ||
		echo "# crun $1: $(head -c 300 "$T/crun$1.out")"
	stat -c %i "$CG/crun$1" >"$T/crun$1.id" 2>/dev/null
}
qemu_start() {	# qemu_start K: firmware only; its vCPU enters the guest at once
	"$QEMU" -name "guest=ev$1" -machine pc,usb=off -accel kvm -m 32 -smp 1 \
		-no-user-config -nodefaults -display none -serial none -monitor none \
		-bios /usr/share/seabios/bios-256k.bin 2>"$T/q$1.err" &
	pids+=($!)
	echo $! >"$T/q$1.pid"
}

# interleaved starts
native 1
crun_start 1
qemu_start 1
# 300 ms between its fork and its exec: a start-up counted from the fork
# would be that much too long
"$B/launch" --delay-ms 300 -- "$B/tinyvm" --vcpus 1 --mem-mb 32 --touch-mb 4 \
	--busy "" --delay-ms 800 --term-delay-ms 400 >"$T/vm.out" &
pids+=($!)
native 2
crun_start 2
"$B/container" --cgroup "$CG/fix" --setup-ms 600 -- "$B/burner" --ms 20 \
	--term-delay-ms 400 --stamp "$T/ctr.stamp" >"$T/ctr.out" &
pids+=($!)
qemu_start 2
native 3
crun_start 3
native 4
qemu_start 3
crun_start 4
native 5
crun_start 5
wait_ready "$T/vm.out" 3000 || echo "# tinyvm: $(cat "$T/vm.out")"
wait_ready "$T/ctr.out" 3000 || echo "# container fixture: $(cat "$T/ctr.out")"

vm=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm.out")
ctr_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/ctr.out")
ctr_init=$(sed -n 's/.* init=\([0-9]*\).*/\1/p' "$T/ctr.out")
nat=()
for k in 1 2 3 4 5; do
	nat+=("$(sed -n 's/^child pid=\([0-9]*\).*/\1/p' "$T/n$k.out")")
done
q=()
for k in 1 2 3; do
	q+=("$(cat "$T/q$k.pid")")
done
crun_cg=()
for k in 1 2 3 4 5; do
	crun_cg+=("$(cat "$T/crun$k.id" 2>/dev/null || echo 0)")
done
echo "# natives ${nat[*]}; VMs: tinyvm $vm, QEMU ${q[*]}; containers: fixture $ctr_id, crun ${crun_cg[*]}"

# every start seen (a VM starts at its first guest entry)
for p in "$vm" "${q[@]}"; do
	until_grep "$T/all.json" "$(event_re start kvm "$p")"
done
for c in "$ctr_id" "${crun_cg[@]}"; do
	until_grep "$T/all.json" "$(event_re start container "$c")"
done
for p in "${nat[@]}"; do
	until_grep "$T/all.json" "$(event_re start native "$p")"
done
# each process's start time as /proc/PID/stat has it (field 22, ticks)
for p in "$vm" "${q[@]}" "${nat[@]}"; do
	echo "$p $(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$p/stat" 2>/dev/null)"
done >"$T/stat"

# interleaved stops: SIGTERM (crun's busybox init ignores it: KILL)
term "${nat[2]}" n3
crun kill hostacct-ev-2 KILL
kill -TERM "${q[1]}"
term "$vm" vm
term "${nat[0]}" n1
crun kill hostacct-ev-5 KILL
term "$ctr_init" ctr
kill -TERM "${q[0]}"
term "${nat[4]}" n5
crun kill hostacct-ev-1 KILL
term "${nat[1]}" n2
crun kill hostacct-ev-3 KILL
kill -TERM "${q[2]}"
crun kill hostacct-ev-4 KILL
term "${nat[3]}" n4

for p in "$vm" "${q[@]}"; do
	until_grep "$T/all.json" "$(event_re stop kvm "$p")"
done
for c in "$ctr_id" "${crun_cg[@]}"; do
	until_grep "$T/all.json" "$(event_re stop container "$c")"
done
for p in "${nat[@]}"; do
	until_grep "$T/all.json" "$(event_re stop native "$p")"
done
until_grep "$T/vm.out" '^reaped'
until_grep "$T/ctr.out" '^stopped'
for k in 1 2 3 4 5; do
	until_grep "$T/n$k.out" '^reaped'
done
# the other two subscribers have the last VM or container event too
$PY - "$T/all.json" >"$T/last" <<'EOF'
import json, sys
num = {"native": 2, "kvm": 3, "container": 4}
last = [e for e in map(json.loads, open(sys.argv[1])) if e.get("class") in ("kvm", "container")][-1]
print(last["event"], last["class"], num[last["class"]], last["id"], last["event_seq"])
EOF
read -r l_ev l_cls l_num l_id l_seq <"$T/last"
until_grep "$T/vc.json" "$(event_re "$l_ev" "$l_cls" "$l_id")"
until_grep "$T/hc.json" "\"event\":\"$l_ev\",\"class\":$l_num,\"id\":$l_id,\"event_seq\":$l_seq,"
"$HA" host -j >"$T/host1.json" 2>&1
"$HA" report -j -i 0.2 --natives 0 >"$T/rep.json" 2>&1
"$HA" report --prometheus -i 0.2 --natives 0 >"$T/rep.prom" 2>&1
for c in "${crun_ids[@]}"; do crun delete -f "$c" >/dev/null 2>&1; done
kill "${pids[@]}" 2>/dev/null

cat >"$T/fixtures.json" <<EOF
{"natives": [$(IFS=,; echo "${nat[*]}")], "vm": $vm, "qemu": [$(IFS=,; echo "${q[*]}")],
 "ctr": $ctr_id, "crun": [$(IFS=,; echo "${crun_cg[*]}")]}
EOF
echo "# the events of the fixtures, as hostacct events printed them:"
$PY - "$T/all.json" "$T/fixtures.json" <<'EOF' | sed 's/^/#   /'
import json, sys
fx = json.load(open(sys.argv[2]))
ids = {("kvm", fx["vm"]), ("container", fx["ctr"])} | {("native", p) for p in fx["natives"]} \
    | {("kvm", p) for p in fx["qemu"]} | {("container", c) for c in fx["crun"]}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if (e.get("class"), e.get("id")) in ids:
        d = lambda k: "-" if e.get(k) is None else f"{e[k] / 1e6:.1f}ms"
        print(f'{e["event"]:5} {e["class"]:9} {e["id"]:>8} {e["name"][:15]:15} '
              f'start-up {d("startup_ns"):>9} shut-down {d("shutdown_ns"):>9}')
EOF

result "every start and stop of the 5 natives, 4 VMs and 6 containers exactly once, right class, stop after start, same start time" \
	$PY - "$T/all.json" "$T/fixtures.json" "$T/stat" <<'EOF'
import json, os, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
fx = json.load(open(sys.argv[2]))
hz = os.sysconf("SC_CLK_TCK")
stat = {int(l.split()[0]): int(l.split()[1]) for l in open(sys.argv[3]) if len(l.split()) == 2}
want = [("native", p) for p in fx["natives"]] + [("kvm", fx["vm"])] + \
       [("kvm", p) for p in fx["qemu"]] + [("container", fx["ctr"])] + \
       [("container", c) for c in fx["crun"]]
bad = []
for cls, wid in want:
    s = [(i, e) for i, e in enumerate(ev) if e.get("event") == "start" and e["class"] == cls and e["id"] == wid]
    t = [(i, e) for i, e in enumerate(ev) if e.get("event") == "stop" and e["class"] == cls and e["id"] == wid]
    if len(s) != 1 or len(t) != 1:
        bad.append(f"{cls} {wid}: {len(s)} starts, {len(t)} stops")
        continue
    (i, a), (j, b) = s[0], t[0]
    if not (i < j and a["event_time_ns"] <= b["event_time_ns"]):
        bad.append(f"{cls} {wid}: stop before start")
    if a["start_time_ns"] != b["start_time_ns"]:
        bad.append(f"{cls} {wid}: start time {a['start_time_ns']} then {b['start_time_ns']}")
    if wid in stat and abs(a["start_time_ns"] - stat[wid] * 1e9 / hz) > 1e9 / hz + 1e6:
        bad.append(f"{cls} {wid}: start time {a['start_time_ns']}, /proc/PID/stat {stat[wid]} ticks")
# no identity twice anywhere in the stream
seen = {}
for e in ev:
    if e.get("event") in ("start", "stop"):
        k = (e["event"], e["class"], e["id"], e["start_time_ns"])
        seen[k] = seen.get(k, 0) + 1
dups = [k for k, n in seen.items() if n > 1]
if dups:
    bad.append(f"{len(dups)} events twice, e.g. {dups[:3]}")
lost = [e for e in ev if e.get("event") == "lost"]
if lost:
    bad.append(f"lost events: {lost}")
print(f"{len(ev)} events, {len(want)} fixtures checked")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF

result "a VM's start follows its stop as a native (changed_class), and carries its start-up; containers carry their cgroup path" \
	$PY - "$T/all.json" "$T/fixtures.json" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
fx = json.load(open(sys.argv[2]))
bad = []
for p in [fx["vm"]] + fx["qemu"]:
    ns = [i for i, e in enumerate(ev) if e.get("event") == "stop" and e["class"] == "native" and e["id"] == p]
    ks = [i for i, e in enumerate(ev) if e.get("event") == "start" and e["class"] == "kvm" and e["id"] == p]
    if len(ns) != 1 or len(ks) != 1 or ns[0] > ks[0]:
        bad.append(f"VMM {p}: native stops {ns}, VM starts {ks}")
        continue
    if ev[ns[0]]["changed_class"] != "kvm" or ev[ks[0]]["changed_class"] != "native":
        bad.append(f"VMM {p}: changed_class {ev[ns[0]]['changed_class']} / {ev[ks[0]]['changed_class']}")
    if not ev[ks[0]]["startup_ns"]:
        bad.append(f"VMM {p}: no start-up on its start")
for c in fx["crun"]:
    for e in ev:
        if e.get("class") == "container" and e["id"] == c and e["event"] in ("start", "stop"):
            if not e["cgroup_path"].startswith("/hostacct-ev/crun"):
                bad.append(f"container {c}: {e['event']} cgroup_path {e['cgroup_path']!r}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF

result "the VM-and-container subscriber got exactly the kvm and container events of the other, and no native one" \
	$PY - "$T/all.json" "$T/vc.json" <<'EOF'
import json, sys
key = lambda e: (e["event"], e["class"], e["id"], e["start_time_ns"], e["event_seq"])
a = [json.loads(l) for l in open(sys.argv[1])]
v = [json.loads(l) for l in open(sys.argv[2])]
va = [key(e) for e in a if e.get("class") in ("kvm", "container") and e["event"] in ("start", "stop")]
vv = [key(e) for e in v if e.get("event") in ("start", "stop")]
nat = [e for e in v if e.get("class") == "native"]
print(f"{len(va)} and {len(vv)} events; natives in the second: {len(nat)}")
sys.exit(0 if va == vv and not nat else 1)
EOF

result "the independent libnl client saw the same events, values and sequence numbers" \
	$PY - "$T/all.json" "$T/hc.json" <<'EOF'
import json, sys
names = {1: "kernel", 2: "native", 3: "kvm", 4: "container"}
keys = ("id", "start_time_ns", "event_seq", "event_time_ns", "startup_ns", "shutdown_ns", "leader_pid")
a = [json.loads(l) for l in open(sys.argv[1])]
h = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
ka = [(e["event"], e["class"]) + tuple(e.get(k) for k in keys) for e in a if e["event"] in ("start", "stop")]
kh = [(e["event"], names[e["class"]]) + tuple(e.get(k) for k in keys) for e in h]
# the CLI subscribed first and stopped later: the libnl client's events are
# a run of the CLI's
if not kh or kh[0] not in ka:
    print(f"libnl's first event {kh[:1]} is not among the CLI's {len(ka)}")
    sys.exit(1)
i = ka.index(kh[0])
n = min(len(ka) - i, len(kh))
diff = [(x, y) for x, y in zip(ka[i:i + n], kh[:n]) if x != y]
print(f"CLI {len(ka)}, libnl {len(kh)} events, {n} compared; first differences: {diff[:3]}")
sys.exit(0 if not diff and n > 50 else 1)
EOF

result_v "start-up and shut-down between the fixtures' inner and outer intervals (give or take 5 ms or 10 %)" \
	$PY - "$T/all.json" "$T" "$vm" "$ctr_id" <<'EOF'
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
T, vm, ctr = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def kv(path):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", open(path).read())}
def line(path, first):
    """the key=value pairs of the line of @path that starts with @first"""
    text = [l for l in open(path) if l.startswith(first)][0]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", text)}
def got(cls, wid, key):
    x = [e[key] for e in ev if e.get("event") == "stop" and e["class"] == cls and e["id"] == wid]
    return x[0] if x else None
checks = []
# VM: exec (launch's last moment .. tinyvm's main) to first guest entry
# (first KVM_RUN call .. its first return); shut-down: SIGTERM (sent ..
# arrived) to the last thread's exit (tinyvm's _exit .. launch reaped it)
lo, r = line(f"{T}/vm.out", "child"), line(f"{T}/vm.out", "ready")
st, rp = line(f"{T}/vm.out", "stopping"), line(f"{T}/vm.out", "reaped")
sg = kv(f"{T}/vm.sig")
checks.append(("VM start-up", got("kvm", vm, "startup_ns"),
               r["first_run_ns"] - r["exec_ns"], r["first_exit_ns"] - lo["exec_ns"]))
checks.append(("VM shut-down", got("kvm", vm, "shutdown_ns"),
               st["exit_ns"] - st["term_ns"], rp["reaped_ns"] - sg["sent_ns"]))
# container: its making (pre-clone .. the shim's first moment) to the
# payload's exec (init's last moment .. the payload's main); shut-down:
# SIGTERM to init (sent .. arrived) to its last task's exit (the
# payload's _exit .. its shim reaped)
co, cstop = line(f"{T}/ctr.out", "ready"), line(f"{T}/ctr.out", "stopped")["reaped_ns"]
cr, csig = kv(f"{T}/ctr.stamp"), kv(f"{T}/ctr.sig")
checks.append(("container start-up", got("container", ctr, "startup_ns"),
               co["exec_ns"] - co["entered_ns"], cr["main_ns"] - co["pre_clone_ns"]))
checks.append(("container shut-down", got("container", ctr, "shutdown_ns"),
               cr["exit_ns"] - cr["term_ns"], cstop - csig["sent_ns"]))
# natives: fork (before fork() .. the child's first moment) to exec (its
# last moment .. burner's main); shut-down as the VM's
for k in range(1, 6):
    ch = line(f"{T}/n{k}.out", "child")
    rp = line(f"{T}/n{k}.out", "reaped")["reaped_ns"]
    bs, sg = kv(f"{T}/n{k}.stamp"), kv(f"{T}/n{k}.sig")
    p = ch["pid"]
    checks.append((f"native {p} start-up", got("native", p, "startup_ns"),
                   ch["exec_ns"] - ch["fork_ns"], bs["main_ns"] - ch["pre_fork_ns"]))
    checks.append((f"native {p} shut-down", got("native", p, "shutdown_ns"),
                   bs["exit_ns"] - bs["term_ns"], rp - sg["sent_ns"]))
bad = 0
for name, g, inner, outer in checks:
    tol = max(5e6, 0.1 * inner)
    ok = g is not None and inner - tol <= g <= outer + tol
    bad += not ok
    print(f"{'ok ' if ok else 'BAD'} {name}: hostacct {'-' if g is None else f'{g / 1e6:.1f}'} ms,"
          f" fixtures {inner / 1e6:.1f} .. {outer / 1e6:.1f} ms")
sys.exit(1 if bad else 0)
EOF

result "histograms since the reload: counts and sums are the events' (VMs, containers)" \
	$PY - "$T/all.json" "$T/host0.json" "$T/host1.json" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
h0 = {c["class"]: c for c in json.load(open(sys.argv[2]))["classes"]}
h1 = {c["class"]: c for c in json.load(open(sys.argv[3]))["classes"]}
bad = []
for cls in ("kvm", "container"):
    su = [e["startup_ns"] for e in ev if e.get("class") == cls and e["event"] == "stop" and e["startup_ns"]]
    sd = [e["shutdown_ns"] for e in ev if e.get("class") == cls and e["event"] == "stop" and e["shutdown_ns"]]
    for what, vals in (("startup", su), ("shutdown", sd)):
        got = h1[cls][f"{what}_count"] - h0[cls][f"{what}_count"]
        print(f"{cls} {what}: histogram +{got}, events {len(vals)}")
        if got != len(vals) or not vals:
            bad.append(f"{cls} {what}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF

result_v "trade-off table and exposition: medians and p95 of the events within a bucket, buckets cumulative, sums exact" \
	$PY - "$T/all.json" "$T/rep.json" "$T/rep.prom" <<'EOF'
import json, re, statistics, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rep = {r["class"]: r for r in json.load(open(sys.argv[2]))["tradeoffs"]}
prom = open(sys.argv[3]).read()
bad = []
def quant(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(q * len(v) + 0.5)) - 1))]
for cls in ("kvm", "container"):
    for what in ("startup", "shutdown"):
        vals = sorted(e[f"{what}_ns"] / 1e9 for e in ev
                      if e.get("class") == cls and e["event"] == "stop" and e[f"{what}_ns"])
        # a bucket is 1.26 times as wide as its lower bound: a quantile
        # read from the histogram lies within that of the events' one
        for key, lo, hi in ((f"{what}_p50_s", statistics.median_low(vals), statistics.median_high(vals)),
                            (f"{what}_p95_s", quant(vals, 0.95), max(vals))):
            got = rep[cls][key]
            print(f"{cls} {key}: table {got:.4f} s, events {lo:.4f}..{hi:.4f} s of {[round(v, 4) for v in vals]}")
            if not lo / 1.27 <= got <= hi * 1.27:
                bad.append(f"{cls} {key}")
        name = f"hostacct_workload_{what}_seconds"
        cnt = int(re.search(rf'^{name}_count{{class="{cls}"}} (\d+)$', prom, re.M).group(1))
        tot = float(re.search(rf'^{name}_sum{{class="{cls}"}} ([0-9.]+)$', prom, re.M).group(1))
        bk = [(float("inf") if le == "+Inf" else float(le), int(n)) for le, n in
              re.findall(rf'^{name}_bucket{{class="{cls}",le="([^"]+)"}} (\d+)$', prom, re.M)]
        if cnt != len(vals) or abs(tot - sum(vals)) > 1e-6 * len(vals) + 1e-9:
            bad.append(f"{name}{{{cls}}}: count {cnt} sum {tot}, events {len(vals)} sum {sum(vals)}")
        if [n for _, n in bk] != sorted(n for _, n in bk) or bk[-1] != (float("inf"), cnt):
            bad.append(f"{name}{{{cls}}}: buckets {bk}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
if command -v promtool >/dev/null; then
	result "promtool check metrics passes on the exposition with the histograms" \
		sh -c "promtool check metrics <'$T/rep.prom'"
fi

# --- kvm.ko unloaded and loaded again under the module: the guest-entry
# probe goes with it and comes back (a tracepoint module notifier)
kmod=$(lsmod | awk '$1 == "kvm_amd" || $1 == "kvm_intel" { print $1 }')
if rmmod "$kmod" kvm 2>"$T/rmmod.err" && modprobe "$kmod"; then
	"$B/launch" -- "$B/tinyvm" --vcpus 1 --mem-mb 32 --touch-mb 4 --busy "" \
		--delay-ms 200 >"$T/vm3.out" &
	vm3l=$!
	pids+=($vm3l)
	wait_ready "$T/vm3.out" 3000
	vm3=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm3.out")
	until_grep "$T/all.json" "$(event_re start kvm "${vm3:-0}")"
	result "kvm.ko reloaded: a new VM's first guest entry starts it, with its start-up" \
		$PY - "$T/all.json" "${vm3:-0}" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
s = [e for e in ev if e.get("event") == "start" and e["class"] == "kvm" and e["id"] == int(sys.argv[2])]
print(s)
sys.exit(0 if len(s) == 1 and s[0]["startup_ns"] >= 200e6 else 1)
EOF
	kill "$vm3l"
else
	notok "kvm.ko reloaded: a new VM's first guest entry starts it, with its start-up" \
		"cannot reload $kmod: $(cat "$T/rmmod.err")"
fi

# --- a subscriber that never reads
"$B/hc_events" --class native --stall --rcvbuf 4096 >"$T/stall.out" 2>&1 &
stalled=$!
subs+=($stalled)
until_grep "$T/stall.out" '^joined'
"$HA" events -j --class native >"$T/live.json" 2>"$T/live.err" &
subs+=($!)
until_grep "$T/live.json" '"subscribed"'
for _ in $(seq 150); do /bin/true; done
"$B/launch" -- /bin/true >"$T/last.out"
last=$(sed -n 's/^child pid=\([0-9]*\).*/\1/p' "$T/last.out")
until_grep "$T/live.json" "$(event_re stop native "$last")"
kill -USR1 "$stalled"
until_grep "$T/stall.out" '^drained'
/bin/true	# the first event after the overrun, which shows the gap
until_grep "$T/stall.out" '^stalled'
echo "# $(grep '^stalled' "$T/stall.out")"
result "a subscriber that does not read gets ENOBUFS and counts the events it lost; no kernel warning" \
	$PY - "$T/stall.out" <<'EOF'
import re, sys
m = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", open(sys.argv[1]).read().split("stalled", 1)[1])}
print(m)
sys.exit(0 if m["enobufs"] >= 1 and m["lost"] >= 100 else 1)
EOF
result "the subscriber that reads lost nothing: its native events' sequence numbers have no gap" \
	$PY - "$T/live.json" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
seqs = [e["event_seq"] for e in ev if e.get("event") in ("start", "stop")]
lost = [e for e in ev if e.get("event") == "lost"]
print(f"{len(seqs)} events, seq {seqs[0] if seqs else '-'}..{seqs[-1] if seqs else '-'}, lost lines {len(lost)}")
sys.exit(0 if seqs and seqs == list(range(seqs[0], seqs[0] + len(seqs))) and not lost and len(seqs) >= 300 else 1)
EOF

# --- the module unloaded under a subscriber: it says so and exits 1
"$HA" events --class kvm >"$T/gone.out" 2>"$T/gone.err" &
gone=$!
until_grep "$T/gone.out" '^TIME'
for _ in $(seq 600); do
	rmmod hostacct 2>/dev/null && break	# refused while a query runs
	sleep 0.1
done
for _ in $(seq 600); do
	kill -0 "$gone" 2>/dev/null || break
	sleep 0.1
done
kill "$gone" 2>/dev/null	# still there: a failure, not a hang
wait "$gone"
rc=$?
insmod "$HOSTACCT_KO" || echo "# insmod failed"
if [ $rc -eq 1 ] && grep -q 'module was unloaded' "$T/gone.err"; then
	ok "the module unloaded under hostacct events: it says so and exits 1"
else
	notok "the module unloaded under hostacct events: it says so and exits 1" \
		"exit $rc: $(cat "$T/gone.err")"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
