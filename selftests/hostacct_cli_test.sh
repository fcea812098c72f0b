#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the hostacct CLI in the guest (module loaded), each
# against an independent source: what the fixtures did, cgroupfs, procfs,
# smaps, the churn's own rusage, the independent libnl client. Intervals
# are events, not fixed times: `report -- COMMAND` reports over exactly
# the time COMMAND ran, and the probe command waits for the fixtures to
# have done enough work. Bounds come from definitions (a container cannot
# use more than its quota in the time outside the probe, and so on).
# TAP on stdout; JSON is parsed with jq and Python.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
CG=/sys/fs/cgroup/hostacct-cli
T=$(mktemp -d)
PY=/usr/bin/python3
pids=()

# check NAME JQ-EXPR FILE [SHOW]: the jq expression must be true on FILE
# (the whole document is $r in it)
check() {
	local name=$1 expr=". as \$r | $2" file=$3
	if jq -e "$expr" "$file" >/dev/null 2>&1; then
		ok "$name"
	else
		notok "$name" "jq: $expr" "$(jq -c "${4:-.}" "$file" 2>&1 | head -c 800)"
	fi
}

. "$here/../tools/testing/lib.sh"

cleanup() {
	kill_pids
	rmdir "$CG"/* "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

echo "TAP version 13"

mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

# --- fixtures: a 2-vCPU VM with vCPU 0 busy that touched 64 of 256 MiB,
# a busy container limited to 0.5 CPU, an idle one limited to 2 CPUs, and
# one holding 64 MiB under a 256 MiB memory.max.
"$B/tinyvm" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$T/vm" &
pids+=($!)
"$B/container" --cgroup "$CG/busy" --cpu-max "50000 100000" \
	-- "$B/burner" --forever >"$T/busy" &
pids+=($!)
"$B/container" --cgroup "$CG/idle" --cpu-max "200000 100000" \
	-- "$B/burner" --ms 10 >"$T/idle" &
pids+=($!)
"$B/container" --cgroup "$CG/mem" --mem-max $((256 << 20)) \
	-- "$B/toucher" --anon-mb 64 >"$T/mem" &
pids+=($!)
for f in vm busy idle mem; do
	wait_ready "$T/$f" || echo "# fixture $f not ready"
done
busy_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/busy")
idle_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/idle")
mem_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/mem")
vm_pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm")
vm_tids=$(sed -n 's/.* tids=\([0-9,]*\).*/\1/p' "$T/vm")

# The probe runs inside `report -- ...`: it reads the fixtures' own
# counters, waits until the busy container was throttled 5 more times and
# vCPU 0 ran 300 ms more, and reads them again. What the report says of
# the interval must agree with what the probe saw inside it.
cat >"$T/probe" <<EOF
#!/bin/bash
# bash builtins only while sampling, so that the samples and the times
# around them are taken within moments of each other
cg() { local k v; while read -r k v; do [ "\$k" = "\$2" ] && { R=\$v; return; }; done <"$CG/\$1/cpu.stat"; }
rt() { local s=0 t r; for t in ${vm_tids//,/ }; do read -r r _ <"/proc/$vm_pid/task/\$t/schedstat"; s=\$((s + r)); done; R=\$s; }
v0() { read -r R _ <"/proc/$vm_pid/task/${vm_tids%%,*}/schedstat"; }
sample() { cg busy usage_usec; B=\$R; cg busy nr_throttled; TH=\$R; cg idle usage_usec; I=\$R; rt; RT=\$R; }
read -r t0 _ </proc/uptime
sample; b0=\$B th0=\$TH i0=\$I r0=\$RT
v0; z0=\$R
while cg busy nr_throttled; [ \$((R - th0)) -lt 5 ] || { v0; [ \$((R - z0)) -lt 300000000 ]; }; do
	sleep 0.05
done
sample; b1=\$B th1=\$TH i1=\$I r1=\$RT
read -r t1 _ </proc/uptime
rss=\$(awk '/^Size: *262144 kB/ { m = 1; next } m && /^Rss:/ { print \$2 * 1024; exit }' /proc/$vm_pid/smaps)
echo "{\"secs\": \$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }'), \"busy_us\": \$((b1 - b0)),"\
     "\"throttled\": \$((th1 - th0)), \"idle_us\": \$((i1 - i0)), \"vcpu_ns\": \$((r1 - r0)),"\
     "\"ram_rss\": \${rss:-0}}" >"$T/probe.json"
EOF
chmod +x "$T/probe"

"$HA" report -j -- "$T/probe" >"$T/report.json" 2>"$T/report.err"
if jq -e '.host.interval_s > 0' "$T/report.json" >/dev/null 2>&1 &&
   jq -e '.secs > 0' "$T/probe.json" >/dev/null 2>&1; then
	ok "report -j -- COMMAND: a report over the command's run"
else
	notok "report -j -- COMMAND: a report over the command's run" \
		"$(head -c 400 "$T/report.err")" "$(cat "$T/probe.json" 2>&1)"
fi
echo "# probe: $(cat "$T/probe.json" 2>/dev/null)"
jq -s '.[0] + {probe: .[1]}' "$T/report.json" "$T/probe.json" >"$T/r.json" 2>/dev/null

# Outside the probe the interval has (interval - probe + 0.02 s of
# /proc/uptime's precision) seconds in which a workload can use at most
# its reservation.
OUT='(.host.interval_s - .probe.secs + 0.02)'
# cpu.max lets a cgroup run its quota in each 100 ms period: over any span
# it uses at most 0.5 CPU plus the quota of the two periods the span's ends
# cut (2 x 50 ms), plus the tick by which it overruns before it is
# throttled.
check "busy container: CPU inside [what it used in the probe, + its quota outside it]" \
	".containers[] | select(.id == $busy_id) |
	 .cpus * \$r.host.interval_s >= \$r.probe.busy_us / 1e6 - 0.001 and
	 .cpus * \$r.host.interval_s <= \$r.probe.busy_us / 1e6 + 0.5 * (\$r | $OUT) + 0.1 + 0.01" \
	"$T/r.json" ".containers"
check "busy container: at most its quota (two periods' quota and a tick of slack), throttled" \
	".containers[] | select(.id == $busy_id) | .cpu_limit_cpus == 0.5 and
	 .cpu_eff_pct <= 100 * (1 + 0.11 / 0.5 / \$r.host.interval_s) and
	 .throttled_periods >= \$r.probe.throttled and \$r.probe.throttled >= 5" \
	"$T/r.json" ".containers"
check "idle container: limit 2 CPUs, CPU at most what it used plus 2 CPUs outside the probe" \
	".containers[] | select(.id == $idle_id) | .cpu_limit_cpus == 2 and
	 .cpus * \$r.host.interval_s <= \$r.probe.idle_us / 1e6 + 2 * (\$r | $OUT) + 0.01" \
	"$T/r.json" ".containers"
memcur=$(cat "$CG/mem/memory.current")
check "memory container: memory.current holds the 64 MiB touched, as cgroupfs says" \
	".containers[] | select(.id == $mem_id) | .mem_limit_bytes == 268435456 and
	 .mem_cgroup_bytes >= 67108864 and
	 (.mem_cgroup_bytes - $memcur | fabs) <= 65536 and
	 (.mem_eff_pct - 100 * .mem_cgroup_bytes / 268435456 | fabs) < 0.001" \
	"$T/r.json" ".containers"
check "VM: vCPU time inside [the probe's vCPU threads' runtime, + 2 vCPUs outside it]" \
	".vms[] | select(.id == $vm_pid) | .kvm_nr_vcpus == 2 and
	 (.vcpu_busy_cpus + .halt_poll_cpus) * \$r.host.interval_s >= \$r.probe.vcpu_ns / 1e9 - 0.001 and
	 .vcpu_busy_cpus * \$r.host.interval_s <= \$r.probe.vcpu_ns / 1e9 + 2 * (\$r | $OUT) + 0.01 and
	 (.cpu_eff_pct - 50 * .vcpu_busy_cpus | fabs) < 0.001" \
	"$T/r.json" ".vms"
# resident: at most the guest RAM mapping's Rss, at least all of it but the
# untouched parts of the two huge pages at the ends of the touched range
check "VM memory: 256 MiB configured, resident as the guest RAM mapping's Rss (smaps)" \
	".vms[] | select(.id == $vm_pid) | .kvm_guest_mem_bytes == 268435456 and
	 \$r.probe.ram_rss >= 67108864 and
	 .kvm_guest_resident_bytes <= \$r.probe.ram_rss + 32768 and
	 .kvm_guest_resident_bytes + 4194304 >= \$r.probe.ram_rss and
	 (.mem_eff_pct - 100 * .kvm_guest_resident_bytes / 268435456 | fabs) < 0.001" \
	"$T/r.json" ".vms"
check "VM: guest and overhead are the two shares of the VMM's CPU time" \
	".vms[] | select(.id == $vm_pid) | .guest_cpus >= 0 and .overhead_cpus >= 0 and
	 .guest_cpus <= .cpus + 0.000001 and
	 (.guest_cpus + .overhead_cpus - .cpus | fabs) < 0.000001" \
	"$T/r.json" ".vms"
check "idle reserved capacity: the VM's idle vCPU and the containers' unused quota" \
	"(\$r.vms | map(select(.id == $vm_pid)) | .[0]) as \$vm |
	 (\$r.containers | map(select(.id == $idle_id)) | .[0]) as \$idle |
	 (\$r.containers | map(select(.id == $busy_id)) | .[0]) as \$busy |
	 .idle_reserved.vm_cpus >= 2 - \$vm.vcpu_busy_cpus - 0.000001 and
	 .idle_reserved.vm_cpus >= 0.9 and
	 .idle_reserved.vm_bytes == 268435456 - \$vm.kvm_guest_resident_bytes and
	 .idle_reserved.container_cpus >= (2 - \$idle.cpus) + (0.5 - \$busy.cpus | if . < 0 then 0 else . end) - 0.000001" \
	"$T/r.json" ".idle_reserved"
check "trade-off table counts what the sections list" \
	"(.tradeoffs[] | select(.class == \"kvm\") | .count) == (.vms | length) and
	 (.tradeoffs[] | select(.class == \"container\") | .count) == (.containers | length) and
	 (.tradeoffs[] | select(.class == \"native\") | .count) ==
	   (.split[] | select(.class == \"native\") | .nr_workloads) and
	 (.containers | length) >= 3 and (.vms | length) >= 1 and
	 (.tradeoffs[] | select(.class == \"container\") | .isolation | test(\"pid\"))" \
	"$T/r.json" ".tradeoffs"

# --- the host split with 2,000 processes exiting inside the interval
"$HA" report -j -- "$B/churn" --count 2000 >"$T/churn.json" 2>"$T/churn.err"
churn_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$T/churn.err")
if [ -n "$churn_ns" ] && jq -e . "$T/churn.json" >/dev/null 2>&1; then
	ok "report -- churn: the churn ran inside the report"
else
	notok "report -- churn: the churn ran inside the report" "$(head -c 400 "$T/churn.err")"
	churn_ns=-1
fi
echo "# churn: 2000 processes used $(awk -v n="$churn_ns" 'BEGIN { printf "%.2f", n / 1e9 }') s of CPU;" \
	"split: $(jq -c '[.split[] | {(.class): .cpus}] | add' "$T/churn.json" 2>/dev/null);" \
	"reconcile: $(jq -c .reconcile "$T/churn.json" 2>/dev/null)"
# The churn's children were reaped inside the interval; wait4() saw their
# whole CPU time (rusage), which the native class must hold.
check "their CPU time stays in the native class after they exit (rusage: $churn_ns ns)" \
	"$churn_ns > 0 and
	 (.split[] | select(.class == \"native\") | .cpus) * .host.interval_s * 1e9 >= $churn_ns - 1000" \
	"$T/churn.json" "[.split, .host]"
# Every row is CPU time of the interval: what the classes, idle and the
# states kept apart measured cannot exceed the CPUs, beyond the midpoints'
# span and the sources' granularity (a tick per CPU and sample).
check "the split adds up: measured rows within the CPUs x interval, the rest in no task" \
	"(.reconcile.accounted_cpus <= .host.nr_cpus_online * 1.001 + .reconcile.uncertainty_cpus +
	   2 * 0.004 * .host.nr_cpus_online / .host.interval_s) and
	 (([.split[].cpus] | add) - .host.nr_cpus_online | fabs) < 0.000001 and
	 ((.split[] | select(.class == \"no_task\") | .cpus) -
	   (.host.nr_cpus_online - .reconcile.accounted_cpus) | fabs) < 0.000001" \
	"$T/churn.json" ".reconcile"

# --- output formats: the same numbers as the independent client
"$B/burner" --threads 1 --ms 50 >"$T/frozen" &
pids+=($!)
wait_ready "$T/frozen"
frozen=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/frozen")
kill -STOP "$frozen"
# every thread stopped, not only the leader
stopped() {
	local t st
	for t in /proc/"$1"/task/*/stat; do
		st=$(sed 's/.*) \(.\).*/\1/' "$t") || return 1
		[ "$st" = T ] || return 1
	done
}
while ! stopped "$frozen"; do
	sleep 0.01
done

# --- names a workload chooses: invalid UTF-8, a quote, a backslash, a
# newline and escape sequences (a process name via prctl, a cgroup name)
hostile_process "$T/evil"
evil=$!
pids+=($!)
oddcg=$'odd\x1b[1m,"x\xff'
"$B/container" --cgroup "$CG/$oddcg" -- "$B/burner" --ms 10 >"$T/odd" &
pids+=($!)
wait_ready "$T/evil"
wait_ready "$T/odd"
# (bytes, not characters: the path is not valid UTF-8)
odd_id=$(LC_ALL=C sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/odd")

"$HA" show -j >"$T/show.json"
"$B/hc_dump" >"$T/hc.jsonl"
"$HA" show --csv >"$T/show.csv"
result "show -j and the libnl client's dump agree field by field" $PY - "$T/show.json" "$T/hc.jsonl" "$frozen" <<'EOF'
import json, sys
show = json.load(open(sys.argv[1]))
# the client prints names as the kernel has them; invalid UTF-8 reads as
# U+FFFD, one per invalid byte, as the CLI must print it
hc = [json.loads(l) for l in open(sys.argv[2], encoding='utf-8', errors='replace')]
frozen = int(sys.argv[3])
classes = {1: 'kernel', 2: 'native', 3: 'kvm', 4: 'container'}
by = {(classes[w['class']], w['id']): w for w in hc}
static = ['name', 'leader_pid', 'cgroup_id', 'cgroup_path', 'container_id', 'start_time_ns']
bad, both = [], 0
for w in show:
    h = by.get((w['class'], w['id']))
    if h is None:
        continue
    both += 1
    keys = set(h) - {'class', 'kvm'}
    if not (w['class'] == 'native' and w['id'] == frozen):
        keys &= set(static)
    for k in keys:
        if w.get(k) != h[k]:
            bad.append(f"{w['class']}:{w['id']} {k}: show {w.get(k)!r} client {h[k]!r}")
fz = [w for w in show if w['class'] == 'native' and w['id'] == frozen]
if not fz or (frozen and 'cpu_ns' not in by.get(('native', frozen), {})):
    bad.append('the frozen burner is missing')
if both < len(show) - 3 or both < len(hc) - 3:
    bad.append(f'only {both} workloads in both ({len(show)} shown, {len(hc)} dumped)')
print('\n'.join(bad) or f'{both} workloads compared')
sys.exit(1 if bad else 0)
EOF
result "show --csv: one header, the keys of show -j, the same values" $PY - "$T/show.json" "$T/show.csv" "$frozen" <<'EOF'
import csv, json, sys
show = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
frozen = sys.argv[3]
bad = []
keys = set(show[0]) - {'kvm_vcpus'}
if set(rows[0]) != keys:
    bad.append(f'columns {sorted(set(rows[0]) ^ keys)} differ')
j = [w for w in show if w['class'] == 'native' and str(w['id']) == frozen]
c = [r for r in rows if r['class'] == 'native' and r['id'] == frozen]
if not j or not c:
    bad.append('the frozen burner is missing')
else:
    for k in keys:
        want = '' if j[0][k] is None else str(j[0][k])
        if c[0][k] != want:
            bad.append(f'{k}: csv {c[0][k]!r} json {want!r}')
print('\n'.join(bad) or f'{len(rows)} rows')
sys.exit(1 if bad else 0)
EOF
"$HA" show >"$T/show.txt"
result "names a workload chose: tables show no control byte, JSON and CSV carry them as valid UTF-8" \
	$PY - "$T/show.txt" "$T/show.json" "$T/show.csv" "$evil" "$odd_id" <<'EOF'
import csv, json, sys
table = open(sys.argv[1], 'rb').read()
bad = []
try:
    text = table.decode('utf-8')
except UnicodeDecodeError as e:
    bad.append(f'table is not UTF-8: {e}')
    text = table.decode('utf-8', 'replace')
ctl = [c for c in text if (ord(c) < 0x20 and c != '\n') or 0x7f <= ord(c) <= 0x9f]
if ctl:
    bad.append(f'table has control characters {ctl[:5]!r}')
if '?"\\??[31m' not in text:
    bad.append('the process name is not in the table as ?"\\??[31m')
show = json.load(open(sys.argv[2], encoding='utf-8'))
want = '\ufffd"\\\n\x1b[31m'
ev = [w for w in show if w['class'] == 'native' and w['id'] == int(sys.argv[4])]
if not ev or ev[0]['name'] != want:
    bad.append(f'JSON name {ev[0]["name"] if ev else None!r}, want {want!r}')
ct = [w for w in show if w['class'] == 'container' and w['id'] == int(sys.argv[5])]
if not ct or not ct[0]['cgroup_path'].endswith('/odd\x1b[1m,"x\ufffd'):
    bad.append(f'JSON cgroup_path {ct[0]["cgroup_path"] if ct else None!r}')
rows = list(csv.DictReader(open(sys.argv[3], encoding='utf-8', newline='')))
cr = [r for r in rows if r['class'] == 'native' and r['id'] == sys.argv[4]]
if not cr or cr[0]['name'] != want:
    bad.append(f'CSV name {cr[0]["name"] if cr else None!r}')
cc = [r for r in rows if r['class'] == 'container' and r['id'] == sys.argv[5]]
if not cc or not cc[0]['cgroup_path'].endswith('/odd\x1b[1m,"x\ufffd'):
    bad.append(f'CSV cgroup_path {cc[0]["cgroup_path"] if cc else None!r}')
print('\n'.join(bad) or 'names safe in table, JSON and CSV')
sys.exit(1 if bad else 0)
EOF
"$HA" host -j >"$T/host.json"
check "host -j: the CPUs online, memory, every class" \
	".nr_cpus_online == $(nproc) and .mem_total_bytes == $(awk '/MemTotal/ { printf "%.0f", $2 * 1024 }' /proc/meminfo) and
	 ([.classes[].class] | sort) == [\"container\", \"kernel\", \"kvm\", \"native\"]" \
	"$T/host.json"
"$HA" version -j >"$T/version.json"
check "version -j: tool and module versions" \
	".tool_version == \"$(sed -n 's/^#define HOSTACCT_TOOL_VERSION[[:space:]]*"\(.*\)"/\1/p' "$here/../tools/hostacct/hostacct.h")\" and
	 .module_version == \"$(cat /sys/module/hostacct/version)\"" "$T/version.json"
"$HA" top -b -n 1 -j >"$T/top.json"
check "top -b -n 1 -j lists the busy container and the VM" \
	"any(.[]; .class == \"container\" and .id == $busy_id) and any(.[]; .class == \"kvm\" and .id == $vm_pid)" \
	"$T/top.json"

# --- Prometheus: valid, and the same numbers
"$HA" report --prometheus --natives all >"$T/metrics.txt"
# the hostile name: U+FFFD, then \" \\ \n escaped, ESC kept (valid UTF-8)
evil_label='name="'$'\xef\xbf\xbd''\"\\\n'$'\x1b''[31m"'
if out=$(promtool check metrics <"$T/metrics.txt" 2>&1) &&
   grep -qF "hostacct_workload_cpu_seconds_total{class=\"native\",id=\"$evil\",$evil_label}" "$T/metrics.txt"; then
	ok "report --prometheus passes promtool check metrics, the hostile name escaped and valid UTF-8"
else
	notok "report --prometheus passes promtool check metrics, the hostile name escaped and valid UTF-8" \
		"$out" "$(grep -a "id=\"$evil\"" "$T/metrics.txt" | head -n 2 | cat -v)"
fi
want=$(jq -r ".[] | select(.class == \"native\" and .id == $frozen) | .cpu_ns" "$T/show.json")
want_s=$(awk -v n="$want" 'BEGIN { printf "%d.%09d", n / 1e9, n % 1e9 }')
got_s=$(sed -n "s/^hostacct_workload_cpu_seconds_total{class=\"native\",id=\"$frozen\",[^}]*} //p" "$T/metrics.txt")
if [ -n "$want" ] && [ "$got_s" = "$want_s" ] &&
   grep -q "^hostacct_container_cpu_limit_cpus{class=\"container\",id=\"$busy_id\",.*} 0.5$" "$T/metrics.txt" &&
   grep -q "^hostacct_host_cpus $(nproc)$" "$T/metrics.txt"; then
	ok "Prometheus values equal show -j's: CPU seconds to the nanosecond, limits, CPUs"
else
	notok "Prometheus values equal show -j's" "cpu: want $want_s got '$got_s'"
fi

"$HA" serve --natives all --listen 127.0.0.1:19469 2>"$T/serve.err" &
sp=$!
pids+=("$sp")
for _ in $(seq 600); do
	curl -sf http://127.0.0.1:19469/metrics >"$T/scrape.txt" && break
	sleep 0.1
done
if grep -q "^hostacct_host_cpus $(nproc)$" "$T/scrape.txt" 2>/dev/null &&
   grep -q "^hostacct_workload_cpu_seconds_total{class=\"native\",id=\"$frozen\",[^}]*} $want_s$" "$T/scrape.txt" &&
   grep -qF "id=\"$evil\",$evil_label}" "$T/scrape.txt" &&
   promtool check metrics <"$T/scrape.txt" >/dev/null 2>&1; then
	ok "serve answers a scrape with valid metrics and the same numbers, the hostile name included"
else
	notok "serve answers a scrape with valid metrics and the same numbers" "$(cat "$T/serve.err")"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19469/nope)
[ "$code" = 404 ] && ok "serve answers 404 elsewhere" || notok "serve answers 404 elsewhere" "got $code"
kill $sp
wait $sp 2>/dev/null
kill -CONT "$frozen"

# --- bounded series: 500 sleeping natives, the default scrape keeps 10
for _ in $(seq 500); do
	sleep 100000 &
	pids+=($!)
done
"$HA" serve --listen 127.0.0.1:19470 2>"$T/serve2.err" &
sp=$!
pids+=("$sp")
for _ in $(seq 600); do
	curl -sf http://127.0.0.1:19470/metrics >"$T/scrape2.txt" && break
	sleep 0.1
done
natives=$("$HA" show -j | jq '[.[] | select(.class == "native")] | length')
result "500 sleepers ($natives natives): 10 native series per family, the class totals count them all" \
	$PY - "$T/scrape2.txt" "$natives" <<'EOF'
import collections, re, sys
fam = collections.Counter()
procs = None
for l in open(sys.argv[1], encoding='utf-8'):
    # a workload's series (not a class histogram's): it has an id
    m = re.match(r'(hostacct_\w+)\{class="native",id=', l)
    if m:
        fam[m.group(1)] += 1
    m = re.match(r'hostacct_class_processes\{class="native"\} (\d+)', l)
    if m:
        procs = int(m.group(1))
bad = [f'{f}: {c} native series' for f, c in fam.items() if c != 10]
if len(fam) < 10:
    bad.append(f'only {len(fam)} families with native series')
if procs is None or procs < 500 or int(sys.argv[2]) < 500:
    bad.append(f'class_processes native {procs}, show lists {sys.argv[2]}')
print('\n'.join(bad) or f'{len(fam)} families with 10 native series; {procs} native processes')
sys.exit(1 if bad else 0)
EOF
if promtool check metrics <"$T/scrape2.txt" >/dev/null 2>&1 &&
   grep -q '^hostacct_scrape_error 0$' "$T/scrape2.txt" &&
   grep -q '^hostacct_build_info{version="[0-9.]*",family_version="[0-9]*"} 1$' "$T/scrape2.txt" &&
   grep -q "^hostacct_host_boot_time_seconds $(awk '/^btime/ { print $2 }' /proc/stat).000000000$" "$T/scrape2.txt"; then
	ok "a default scrape: valid, build_info, scrape_error 0, boot time as /proc/stat btime"
else
	notok "a default scrape: valid, build_info, scrape_error 0, boot time as /proc/stat btime" \
		"$(grep -E '^hostacct_(scrape|build|host_boot)' "$T/scrape2.txt")"
fi
kill $sp
wait $sp 2>/dev/null

out=$("$HA" top -b -n 2 -d 0.5)
tables=$(grep -c '^hostacct top' <<<"$out")
[ "$tables" = 2 ] && ok "top -b -n 2 prints two tables" || notok "top -b -n 2 prints two tables" "$out"

# --- CSV: one table per invocation, the keys of the JSON section
"$HA" report -j -i 0.2 >"$T/rep.json"
for sec in host split reconcile vms containers natives idle_reserved tradeoffs; do
	"$HA" report --csv --section $sec -i 0.2 >"$T/rep-$sec.csv" 2>"$T/rep-$sec.err"
done
result "report --csv --section: each section one CSV table with the keys of report -j" \
	$PY - "$T/rep.json" "$T" <<'EOF'
import csv, json, sys
rep = json.load(open(sys.argv[1]))
bad = []
for sec, val in rep.items():
    text = open(f'{sys.argv[2]}/rep-{sec}.csv', encoding='utf-8', newline='').read()
    rows = list(csv.reader(text.splitlines()))
    if any(l.startswith('#') or not l for l in text.splitlines()):
        bad.append(f'{sec}: a comment or a blank line')
    if isinstance(val, dict):
        keys = {k for k, v in val.items() if not isinstance(v, (list, dict))}
        if not rows or rows[0] != ['key', 'value'] or {r[0] for r in rows[1:]} != keys:
            bad.append(f'{sec}: {rows[:1]} keys {sorted({r[0] for r in rows[1:]} ^ keys)}')
    elif val:
        keys = set(val[0]) - {k for k, v in val[0].items() if isinstance(v, (list, dict))}
        if not rows or set(rows[0]) != keys or len(rows[0]) != len(keys):
            bad.append(f'{sec}: columns {sorted(set(rows[0] if rows else []) ^ keys)}')
        elif any(len(r) != len(rows[0]) for r in rows):
            bad.append(f'{sec}: ragged rows')
print('\n'.join(bad) or f'{len(rep)} sections')
sys.exit(1 if bad else 0)
EOF

# --- the man page lists every key the commands print
"$HA" top -b -n 1 -j >"$T/top1.json"
result "the man page's KEYS section lists every JSON key of every command" \
	$PY "$here/../tools/testing/man-keys.py" "$here/../Documentation/hostacct.8" \
	"$T/show.json" "$T/host.json" "$T/rep.json" "$T/top1.json" "$T/version.json"

# --- version needs no privilege
if out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$HA" version -j 2>&1) &&
   jq -e ".module_version == \"$(cat /sys/module/hostacct/version)\"" <<<"$out" >/dev/null 2>&1; then
	ok "version as an unprivileged user: the tool's and the module's version, exit 0"
else
	notok "version as an unprivileged user: the tool's and the module's version, exit 0" "$out"
fi

# --- bad input: a sentence on stderr and a non-zero exit
bad() {
	local name=$1 want=$2 pattern=$3
	shift 3
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq "$want" ] && grep -qE -e "$pattern" <<<"$err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want): $err"
	fi
}
bad "unknown option" 2 "usage" "$HA" report --bogus
bad "bad interval" 2 "bad interval '0'" "$HA" report -i 0
bad "bad interval unit" 2 "bad interval '5x'" "$HA" report -i 5x
bad "a command and an interval" 2 "unexpected argument 'true'" "$HA" report -i 1 -- true
bad "a command that does not exist" 127 "cannot run 'no-such-command'" "$HA" report -- no-such-command
bad "unknown command" 2 "unknown command 'frobnicate'" "$HA" frobnicate
bad "unknown class" 2 "bad class list 'vmz'" "$HA" show --class vmz
bad "unknown cgroup path" 1 "no cgroup '/no/such/cgroup'" "$HA" show --cgroup /no/such/cgroup
bad "bad listen address" 2 "bad address" "$HA" serve --listen nowhere
bad "unprivileged user" 1 "permission denied" setpriv --reuid=65534 --regid=65534 --clear-groups "$HA" host
bad "CSV of a report without --section" 2 "--csv prints one table; choose it with --section" "$HA" report --csv -i 0.1
bad "an unknown section" 2 "no section 'nope' \(sections: host, split" "$HA" report --section nope
bad "bad --natives" 2 "bad --natives 'many'" "$HA" serve --natives many
bad "top -j without -b" 2 "add -b" "$HA" top -j
bad "top without a terminal" 2 "needs a terminal; use -b" "$HA" top </dev/null
bad "pid not found: one prefix" 1 "^hostacct: not found: no process with this pid" "$HA" show --pid 4194303

# --- callers see what their /proc shows: a caller in its own pid namespace
# (a container sharing the host's network namespace) is refused, whatever
# its capabilities, and prints nothing of the host. Root with only
# CAP_NET_ADMIN (the bounding set) answers in the host's namespaces.
nsbad() {
	local name=$1 pattern=$2 out err rc
	shift 2
	out=$("$@" 2>"$T/nserr")
	rc=$?
	err=$(cat "$T/nserr")
	if [ $rc -eq 1 ] && [ -z "$out" ] && grep -qE -e "$pattern" <<<"$err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want 1): $err" "stdout: $(head -c 300 <<<"$out")"
	fi
}
pidns_msg="^hostacct: permission denied: callers outside the initial pid namespace are refused: replies carry host pids"
nsbad "root in its own pid namespace: refused, nothing printed" "$pidns_msg" \
	unshare -p -f --mount-proc "$HA" show -j
nsbad "only CAP_NET_ADMIN, in its own pid namespace: refused" "$pidns_msg" \
	unshare -p -f --mount-proc setpriv --bounding-set=-all,+net_admin "$HA" show -j
nsbad "no CAP_NET_ADMIN, in its own pid namespace: refused" "^hostacct: permission denied: CAP_NET_ADMIN in the initial user namespace is required \(run as root\)" \
	unshare -p -f --mount-proc setpriv --bounding-set=-all "$HA" show -j
mkdir -p /sys/fs/cgroup/hostacct-cli-cgns
nsbad "in a cgroup namespace below the root: refused" \
	"^hostacct: permission denied: callers in a cgroup namespace below the root cgroup are refused" \
	sh -c 'echo $$ >/sys/fs/cgroup/hostacct-cli-cgns/cgroup.procs && exec unshare -C "$0" show -j' "$HA"
rmdir /sys/fs/cgroup/hostacct-cli-cgns
if out=$(setpriv --bounding-set=-all,+net_admin "$HA" show -j 2>&1) &&
   jq -e '[.[] | select(.leader_pid == 1)] | length == 1' <<<"$out" >/dev/null; then
	ok "only CAP_NET_ADMIN, in the host's namespaces: answered (pid 1 listed)"
else
	notok "only CAP_NET_ADMIN, in the host's namespaces: answered" "$(head -c 300 <<<"$out")"
fi

# --- cgroup paths are sent whole or not at all: a container 5 levels of
# 250-byte names deep (a 1,266-byte path) is named by its whole path; one
# whose path is longer than PATH_MAX (17 levels) by its own directory
# name, with no cgroup_path (a cut path could name another cgroup)
n250=$(printf 'n%.0s' $(seq 250))
long=$CG/$n250/$n250/$n250/$n250/$n250
mkdir -p "${long%/*}"
"$B/container" --cgroup "$long" -- "$B/burner" --ms 10 >"$T/long" &
long_pid=$!
d250=$(printf 'd%.0s' $(seq 250))
(cd "$CG" && for _ in $(seq 17); do mkdir "$d250" && cd "$d250" || exit 1; done &&
 exec "$B/container" --cgroup deep -- "$B/burner" --ms 10) >"$T/deep" &
deep_pid=$!
if wait_ready "$T/long" && wait_ready "$T/deep"; then
	long_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/long")
	deep_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/deep")
	"$HA" show -j --class container >"$T/paths.json"
	check "a 1,266-byte cgroup path: name and cgroup_path whole, CPU from its cpu.stat" \
		".[] | select(.id == $long_id) | .name == \"${long#/sys/fs/cgroup}\" and .cgroup_path == .name and .cpu_ns != null" \
		"$T/paths.json" "[.[] | select(.id == $long_id) | {name, cgroup_path, cpu_ns}]"
	check "a cgroup path longer than PATH_MAX: not sent; the name is the cgroup's own" \
		".[] | select(.id == $deep_id) | .name == \"deep\" and .cgroup_path == null" \
		"$T/paths.json" "[.[] | select(.id == $deep_id) | {name, cgroup_path}]"
else
	notok "long cgroup paths" "fixtures not ready: $(cat "$T/long" "$T/deep")"
fi
kill $long_pid $deep_pid 2>/dev/null
wait $long_pid $deep_pid 2>/dev/null
rmdir -p "${long%/*}" 2>/dev/null
(cd "$CG" && for _ in $(seq 17); do cd "$d250" || exit 1; done &&
 for _ in $(seq 17); do cd .. && rmdir "$d250" || exit 1; done) ||
	echo "# could not remove the deep cgroups"

# --- a VMM with more vCPUs than a netlink message holds: the list is
# partial, the JSON says so, and so does a note on stderr
"$B/tinyvm" --vcpus 600 --mem-mb 16 --touch-mb 1 --busy "" >"$T/vm600" &
vm600=$!
if wait_ready "$T/vm600" 6000; then
	out=$("$HA" show -j --pid $vm600 2>"$T/vm600err")
	listed=$(jq '.[0].kvm_vcpus | length' <<<"$out")
	if jq -e '.[0] | .kvm_nr_vcpus == 600 and .kvm_vcpus_truncated == 1' <<<"$out" >/dev/null &&
	   [ "$listed" -gt 0 ] && [ "$listed" -lt 600 ] &&
	   grep -q "note: VMM $vm600: $listed of 600 vCPUs listed" "$T/vm600err"; then
		ok "600 vCPUs: $listed listed, kvm_vcpus_truncated 1, and a note says so"
	else
		notok "600 vCPUs: a partial list is flagged" "listed $listed" "$(cat "$T/vm600err")" \
			"$(jq -c '.[0] | del(.kvm_vcpus)' <<<"$out" 2>&1 | head -c 600)"
	fi
	out=$("$HA" show -j --pid "$vm_pid" 2>"$T/vm2err")
	if jq -e '.[0] | .kvm_nr_vcpus == 2 and .kvm_vcpus_truncated == 0 and (.kvm_vcpus | length) == 2' \
	   <<<"$out" >/dev/null && [ ! -s "$T/vm2err" ]; then
		ok "2 vCPUs: complete list, kvm_vcpus_truncated 0, no note"
	else
		notok "2 vCPUs: complete list, no note" "$(cat "$T/vm2err")"
	fi
else
	notok "600 vCPUs: a partial list is flagged" "tinyvm --vcpus 600 not ready: $(cat "$T/vm600")"
fi
kill $vm600 2>/dev/null
wait $vm600 2>/dev/null

if rmmod hostacct; then
	bad "module not loaded" 1 "kernel module not loaded; load it with: modprobe hostacct" "$HA" show
	"$HA" serve --listen 127.0.0.1:19471 2>/dev/null &
	sp=$!
	code=000
	for _ in $(seq 600); do
		code=$(curl -s -o "$T/scrape3.txt" -w '%{http_code}' http://127.0.0.1:19471/metrics) && break
		sleep 0.1
	done
	kill $sp
	wait $sp 2>/dev/null
	if [ "$code" = 200 ] && grep -q '^hostacct_scrape_error 1$' "$T/scrape3.txt" &&
	   promtool check metrics <"$T/scrape3.txt" >/dev/null 2>&1; then
		ok "a scrape without the module: 200, valid, hostacct_scrape_error 1"
	else
		notok "a scrape without the module: 200, valid, hostacct_scrape_error 1" "code $code" "$(cat "$T/scrape3.txt")"
	fi
	insmod "$HOSTACCT_KO" || echo "# re-insmod failed"
else
	notok "module not loaded" "rmmod failed"
fi

echo "1..$n"
[ $failed -eq 0 ]
