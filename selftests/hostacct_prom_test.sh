#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostacct serve under a real Prometheus (Debian's prometheus package):
# it scrapes the exporter every 2 s with the shipped rules loaded, while a
# process with an invalid UTF-8 name runs. The admin guide's PromQL
# examples, run through Prometheus' HTTP API with the range set to a
# `hostacct report` interval, must give the report's efficiencies within
# 5 %; across a module unload the target stays up with
# hostacct_scrape_error 1, and after the reload the error is 0 again.
# Every wait is for an event (a number of scrapes, a series' value) with
# a cap that only a broken setup reaches. TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
GUIDE="$here/../Documentation/admin-guide.rst"
RULES="$here/../tools/prometheus/hostacct.rules.yml"
CG=/sys/fs/cgroup/hostacct-prom
T=$(mktemp -d)
PY=/usr/bin/python3
PROM=http://127.0.0.1:19090
pids=()

. "$here/../tools/testing/lib.sh"

cleanup() {
	kill_pids
	rmdir "$CG"/* "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# query EXPR [TIME]: the API's JSON answer of an instant query
query() {
	curl -sf --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} \
		"$PROM/api/v1/query"
}

# scalar EXPR: the value of a one-sample answer, or nothing
scalar() {
	query "$1" | jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}

# until_prom EXPR WANT [TENTHS]: until EXPR's only value is WANT
until_prom() {
	local _
	for _ in $(seq "${3:-3000}"); do
		[ "$(scalar "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "TAP version 13"
mkdir -p "$CG"
echo "+cpu +memory" >"$CG/cgroup.subtree_control"

# --- fixtures: a 2-vCPU VM with vCPU 0 busy that touched 64 of 256 MiB,
# a container pinned at a 0.5-CPU limit, one holding 64 of 256 MiB, and a
# process whose name is not UTF-8
"$B/tinyvm" --vcpus 2 --mem-mb 256 --touch-mb 64 --busy 0 >"$T/vm" &
pids+=($!)
"$B/container" --cgroup "$CG/busy" --cpu-max "50000 100000" \
	-- "$B/burner" --forever >"$T/busy" &
pids+=($!)
"$B/container" --cgroup "$CG/mem" --mem-max $((256 << 20)) \
	-- "$B/toucher" --anon-mb 64 >"$T/mem" &
pids+=($!)
hostile_process "$T/evil"
evil=$!
pids+=($!)
for f in vm busy mem evil; do
	wait_ready "$T/$f" || echo "# fixture $f not ready"
done
vm_pid=$(sed -n 's/^ready pid=\([0-9]*\).*/\1/p' "$T/vm")
busy_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/busy")
mem_id=$(sed -n 's/.* id=\([0-9]*\).*/\1/p' "$T/mem")

# --- the exporter and a Prometheus scraping it every 2 s, rules loaded
"$HA" serve --natives all --listen 127.0.0.1:19480 2>"$T/serve.err" &
pids+=($!)
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 2s
rule_files:
  - $RULES
scrape_configs:
  - job_name: hostacct
    static_configs:
      - targets: ['127.0.0.1:19480']
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address=127.0.0.1:19090 >"$T/prometheus.log" 2>&1 &
pids+=($!)

if until_prom 'up{job="hostacct"}' 1 && until_prom 'count(hostacct_host_cpus)' 1; then
	ok "Prometheus scrapes hostacct serve: up 1 with a process named in invalid UTF-8 running"
else
	notok "Prometheus scrapes hostacct serve: up 1 with a process named in invalid UTF-8 running" \
		"$(query 'up' 2>&1 | head -c 600)" "$(tail -n 5 "$T/prometheus.log")"
fi
query "hostacct_workload_threads{id=\"$evil\"}" >"$T/evil.json"
got=$(jq -c '.data.result[0].metric.name' "$T/evil.json" 2>/dev/null)
if jq -e '.data.result[0].metric.name == "\ufffd\"\\\n\u001b[31m"' "$T/evil.json" >/dev/null 2>&1; then
	ok "the hostile name is stored as valid UTF-8: U+FFFD, quote, backslash, newline, escape"
else
	notok "the hostile name is stored as valid UTF-8: U+FFFD, quote, backslash, newline, escape" "got $got"
fi

# --- a report over 30 scrapes, and the admin guide's PromQL over it
cat >"$T/wait30" <<EOF
#!/bin/bash
q() { curl -sf --data-urlencode 'query=count_over_time(up{job="hostacct"}[1h])' $PROM/api/v1/query |
	jq -r '.data.result[0].value[1] // 0'; }
n0=\$(q)
for _ in \$(seq 6000); do
	[ "\$(q)" -ge \$((n0 + 30)) ] && exit 0
	sleep 0.1
done
exit 1
EOF
chmod +x "$T/wait30"
if "$HA" report -j -- "$T/wait30" >"$T/report.json" 2>"$T/report.err"; then
	ok "report -j -- (30 Prometheus scrapes)"
else
	notok "report -j -- (30 Prometheus scrapes)" "$(head -c 400 "$T/report.err")"
fi
t_end=$(date +%s.%N)
secs=$(jq '.host.interval_s' "$T/report.json" 2>/dev/null)
echo "# report interval: ${secs:-?} s"

# "# WHAT = report SECTION KEY [/ 100]" and the lines below it, from the
# guide's "PromQL examples, each checked" block
$PY - "$GUIDE" >"$T/examples" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
block = text[text.index('PromQL examples, each checked'):]
block = block[block.index('::') + 2:]
cur = None
for line in block.split('\n')[1:]:
    if line and not line.startswith('   '):
        break
    line = line.strip()
    m = re.match(r'# (.*) = report (\w+) (\w+)( / 100)?$', line)
    if m:
        if cur:
            print('\t'.join(cur))
        cur = [m.group(1), m.group(2), m.group(3), '100' if m.group(4) else '1', '']
    elif line and cur:
        cur[4] += ' ' + line
if cur:
    print('\t'.join(cur))
EOF
nex=$(wc -l <"$T/examples")
[ "$nex" -ge 4 ] && ok "the admin guide has $nex checked PromQL examples" ||
	notok "the admin guide has its checked PromQL examples" "found $nex"
range=$(awk -v s="${secs:-60}" 'BEGIN { printf "%d", s + 0.999 }')
while IFS=$'\t' read -r what section key scale expr; do
	q=${expr//\[5m\]/[${range}s]}
	query "$q" "$t_end" >"$T/q.json"
	if out=$($PY - "$T/q.json" "$T/report.json" "$section" "$key" "$scale" \
		"$vm_pid $busy_id $mem_id" <<'EOF'
import json, sys
q = json.load(open(sys.argv[1]))['data']['result']
rep = json.load(open(sys.argv[2]))[sys.argv[3]]
key, scale = sys.argv[4], float(sys.argv[5])
fixtures = {int(i) for i in sys.argv[6].split()}
bad, seen = [], 0
for s in q:
    wid = int(s['metric'].get('id', -1))
    row = [r for r in rep if r['id'] == wid]
    if not row or row[0].get(key) is None:
        continue
    prom, want = float(s['value'][1]), row[0][key] / scale
    seen += wid in fixtures
    print(f"# id {wid}: PromQL {prom:.4f} report {want:.4f}")
    if abs(prom - want) > 0.05 * abs(want) + 1e-9:
        bad.append(f'id {wid}: {prom} vs {want}')
if not seen:
    bad.append(f'no fixture in both ({len(q)} samples, {len(rep)} rows)')
print('\n'.join(bad))
sys.exit(1 if bad else 0)
EOF
	); then
		ok "$what: PromQL equals report $section $key within 5 %"
		echo "$out" | grep '^#'
	else
		notok "$what: PromQL equals report $section $key within 5 %" "$q" "$out"
	fi
done <"$T/examples"

# the shipped recording rules run on the live series
v=$(scalar "hostacct:container_cpu_efficiency:ratio_rate5m{id=\"$busy_id\"}")
if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0 && v <= 1.1) }'; then
	ok "recording rule hostacct:container_cpu_efficiency:ratio_rate5m for the pinned container: $v"
else
	notok "recording rule hostacct:container_cpu_efficiency:ratio_rate5m for the pinned container" "got '$v'"
fi
v=$(scalar "instance:hostacct_idle_reserved_cpus:rate5m")
if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v >= 0.9) }'; then
	ok "recording rule instance:hostacct_idle_reserved_cpus:rate5m holds the idle vCPU: $v"
else
	notok "recording rule instance:hostacct_idle_reserved_cpus:rate5m holds the idle vCPU" "got '$v'"
fi

# --- a module unload and reload under the scrapes
for _ in $(seq 600); do
	rmmod hostacct 2>/dev/null && break	# busy while a scrape queries
	sleep 0.1
done
if [ ! -d /sys/module/hostacct ] && until_prom 'hostacct_scrape_error' 1 &&
   [ "$(scalar 'up{job="hostacct"}')" = 1 ]; then
	ok "module unloaded: the target stays up, hostacct_scrape_error 1"
else
	notok "module unloaded: the target stays up, hostacct_scrape_error 1" \
		"$(query 'hostacct_scrape_error' | head -c 300)"
fi
insmod "$HOSTACCT_KO" || echo "# insmod failed"
if until_prom 'hostacct_scrape_error' 0 && until_prom 'up{job="hostacct"}' 1 &&
   until_prom "count(hostacct_vm_vcpus{id=\"$vm_pid\"})" 1; then
	ok "module reloaded: up 1, hostacct_scrape_error 0, the VM's series back"
else
	notok "module reloaded: up 1, hostacct_scrape_error 0, the VM's series back" \
		"$(query 'up' | head -c 300)"
fi
grep -iE 'level=(error|warn)' "$T/prometheus.log" | grep -v 'Error on ingesting' | head -n 3 | sed 's/^/# prometheus: /'

echo "1..$n"
[ $failed -eq 0 ]
