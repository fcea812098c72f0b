#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The history store and commands on a synthetic week (tests/histgen writes
# it through the recorder's own store code: 5 VMs and 50 containers every
# 10 s, kept 6 days, downsampled to 1 min after 2 days), checked against an
# independent reader (Python's sqlite3 module over the file, and Python
# over `hostacct export`): retention and downsampling as configured, CPU
# time conserved by downsampling, `report --since 7d` and `rightsize` as
# computed from the exported series, and the store's faults that need no
# module (a damaged file, a foreign database, a second recorder).
# Needs no kernel module: runs on the build host. TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
HA="$here/../hostacct"
GEN="$here/histgen"
T=$(mktemp -d)
rec=
trap '[ -n "$rec" ] && kill "$rec" 2>/dev/null; rm -rf "$T"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	for l in "$@"; do echo "$l" | head -c 2000 | sed 's/^/#   /'; echo; done
}
# check NAME CMD...: ok when CMD succeeds; its output is the diagnosis
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else notok "$name" "$out"; fi
}

echo "TAP version 13"

# the same week downsampled and not, side by side
"$GEN" --db "$T/week.db" --days 7 --retain 6d --downsample 2d:1m >"$T/gen1" 2>&1 &
g1=$!
"$GEN" --db "$T/raw.db" --days 7 --retain 6d --downsample 0 >"$T/gen2" 2>&1 &
g2=$!
wait "$g1"
r1=$?
wait "$g2"
r2=$?
out=$(cat "$T/gen1")
if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
	notok "histgen writes a synthetic week" "$out" "$(cat "$T/gen2")"
	echo "1..$n"
	exit 1
fi
ok "histgen writes a synthetic week through the store ($out)"

# 1. the file as an independent reader sees it
check "store: integrity_check ok, retention 6 d, raw samples for 2 d, 1-min buckets before" \
	python3 - "$T/week.db" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
now = time.time_ns()
D = 86400 * 10**9
lo = db.execute("SELECT min(wall_ns) FROM sample").fetchone()[0]
# the oldest kept sample ends the bucket holding the cutoff
assert lo >= now - 6 * D - 120 * 10**9, ("older than 6 d", (now - lo) / D)
assert lo <= now - 6 * D + 120 * 10**9, ("retention dropped too much", (now - lo) / D)
raw = db.execute("SELECT count(*), min(wall_ns) FROM sample WHERE tier=0").fetchone()
assert abs(raw[0] - 2 * 8640) <= 8, ("raw samples", raw[0])
assert raw[1] >= now - 2 * D - 180 * 10**9, ("raw sample older than 2 d", (now - raw[1]) / D)
ds = [r[0] for r in db.execute("SELECT boot_ns FROM sample WHERE tier=1 ORDER BY boot_ns")]
assert abs(len(ds) - 4 * 1440) <= 4, ("downsampled samples", len(ds))
steps = {b - a for a, b in zip(ds, ds[1:])}
assert steps == {60 * 10**9}, ("bucket spacing", sorted(steps)[:5])
# every downsampled usage row belongs to a kept sample, every workload once
orphans = db.execute("SELECT count(*) FROM usage WHERE sample NOT IN (SELECT id FROM sample)").fetchone()[0]
assert orphans == 0, ("usage rows without a sample", orphans)
assert db.execute("SELECT count(*) FROM workload").fetchone()[0] == 55
assert db.execute("SELECT count(*) FROM reservation").fetchone()[0] == 57
EOF

"$HA" export --since 7d --db "$T/week.db" --csv >"$T/week.csv" 2>"$T/err" ||
	notok "export --since 7d --csv" "$(cat "$T/err")"
"$HA" export --since 7d --db "$T/raw.db" --csv >"$T/raw.csv" 2>"$T/err" ||
	notok "export --since 7d --csv (not downsampled)" "$(cat "$T/err")"
"$HA" report --since 7d --db "$T/week.db" -j >"$T/report.json" 2>"$T/err" ||
	notok "report --since 7d -j" "$(cat "$T/err")"
"$HA" rightsize --since 7d --db "$T/week.db" -j >"$T/rightsize.json" 2>"$T/err" ||
	notok "rightsize --since 7d -j" "$(cat "$T/err")"

# 2. downsampling keeps the CPU time and the peaks
check "downsampling: each workload's CPU and busy time over the week as without it (0.1 %)" \
	python3 - "$T/week.csv" "$T/raw.csv" <<'EOF'
import csv, sys
def tot(path):
    t = {}
    for r in csv.DictReader(open(path)):
        k = (r["class"], r["id"])
        c, b, m = t.get(k, (0, 0, 0))
        t[k] = (c + int(r["cpu_ns"] or 0), b + int(r["vcpu_busy_ns"] or 0),
                max(m, int(r["mem_peak_bytes"] or r["mem_bytes"])))
    return t
a, b = tot(sys.argv[1]), tot(sys.argv[2])
assert a.keys() == b.keys() and len(a) == 55, (len(a), len(b))
for k in a:
    for i in range(2):
        assert abs(a[k][i] - b[k][i]) <= 1e-3 * b[k][i] + 1, (k, i, a[k][i], b[k][i])
    assert a[k][2] >= b[k][2] * 0.999, (k, "peak", a[k][2], b[k][2])
EOF

check "downsampling: the start-up and shut-down counts of each class and bucket as without it" \
	python3 - "$T/week.db" "$T/raw.db" <<'EOF'
import sqlite3, sys
def tot(path):
    return {(c, k, le): n for c, k, le, n in sqlite3.connect(path).execute(
        "SELECT class, kind, le, sum(count) FROM life GROUP BY class, kind, le")}
a, b = tot(sys.argv[1]), tot(sys.argv[2])
assert a.keys() == b.keys() and len(a) >= 5, (sorted(a), sorted(b))
for k in a:
    assert abs(a[k] - b[k]) <= 2e-3 * b[k] + 3, (k, a[k], b[k])
print({k: a[k] for k in sorted(a)})
EOF
check "report --since 7d: start-up and shut-down counts, p50 and p95 per class as from the stored histograms" \
	python3 - "$T/week.db" "$T/report.json" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rep = {r["class"]: r for r in json.load(open(sys.argv[2]))["tradeoffs"]}
def quantile(buckets, q):
    total = sum(n for _, _, n in buckets)
    rank, seen = q * total, 0
    for gt, le, n in buckets:
        if seen + n >= rank and n:
            return gt + (le - gt) * (rank - seen) / n
        seen += n
names = {2: "native", 3: "kvm", 4: "container"}
for c in (2, 3, 4):
    for k, what in ((0, "startup"), (1, "shutdown")):
        b = db.execute("SELECT min(gt), le, sum(count) FROM life WHERE class=? AND kind=?"
                       " GROUP BY le ORDER BY le", (c, k)).fetchall()
        r = rep[names[c]]
        n = sum(x[2] for x in b)
        assert r[f"{what}_count"] == n, (names[c], what, r[f"{what}_count"], n)
        for q in (0.5, 0.95):
            want = quantile(b, q) / 1e9 if n else None
            got = r[f"{what}_p{int(q * 100)}_s"]
            assert (got is None and want is None) or abs(got - want) <= 1e-9 * want, (names[c], what, q, got, want)
print({c: {k: v for k, v in r.items() if k != "class"} for c, r in rep.items()})
EOF

# 3. report --since and rightsize against the exported series
cat >"$T/model.py" <<'EOF'
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rep = json.load(open(sys.argv[2]))
rs = json.load(open(sys.argv[3]))
def q(pts, f):
    pts = sorted(pts)
    tot = sum(w for _, w in pts)
    cum = 0
    for v, w in pts:
        cum += w
        if cum >= f * tot * (1 - 1e-12):
            return v
    return pts[-1][0] if pts else 0
wl = {}
for r in rows:
    if r["class"] not in ("kvm", "container"):
        continue
    s = float(r["secs"])
    w = wl.setdefault((r["class"], int(r["id"])), dict(secs=0, used=0, res=0, mem=0, resm=0,
                      msecs=0, pu=[], pm=[], maxu=0, maxm=0))
    kvm = r["class"] == "kvm"
    mem = int(r["mem_bytes"])
    resm = int(r["kvm_guest_mem_bytes"] if kvm else r["mem_limit_bytes"])
    if s > 0:
        w["msecs"] += s; w["mem"] += mem * s; w["resm"] += resm * s
        w["pm"].append((mem, s))
    w["maxm"] = max(w["maxm"], int(r["mem_peak_bytes"] or mem))
    if not r["cpu_ns"] or s <= 0:
        continue
    used = int(r["vcpu_busy_ns"] if kvm else r["cpu_ns"]) / 1e9
    res = int(r["kvm_nr_vcpus"]) if kvm else int(r["cpu_limit_mcpus"]) / 1000
    w["secs"] += s; w["used"] += used; w["res"] += res * s
    w["pu"].append((used / s, s))
    peak = r["vcpu_busy_peak_cpus" if kvm else "cpu_peak_cpus"]
    w["maxu"] = max(w["maxu"], float(peak) if peak else used / s)
def near(a, b, what):
    assert abs(a - b) <= 1e-6 * max(abs(a), abs(b)) + 0.006, (what, a, b)
if sys.argv[4] == "report":
    seen = 0
    for sec, cls in (("vms", "kvm"), ("containers", "container")):
        for x in rep[sec]:
            w = wl[(cls, x["id"])]
            seen += 1
            near(x["covered_s"], w["secs"], (x["id"], "covered"))
            near(x["used_cpus_mean"], w["used"] / w["secs"], (x["id"], "mean"))
            near(x["used_cpus_p50"], q(w["pu"], 0.5), (x["id"], "p50"))
            near(x["used_cpus_p95"], q(w["pu"], 0.95), (x["id"], "p95"))
            near(x["used_cpus_max"], w["maxu"], (x["id"], "max"))
            near(x["cpu_eff_pct"], 100 * w["used"] / w["res"], (x["id"], "cpu eff"))
            near(x["mem_mean_bytes"] / 2**20, w["mem"] / w["msecs"] / 2**20, (x["id"], "mem mean"))
            near(x["mem_p95_bytes"] / 2**20, q(w["pm"], 0.95) / 2**20, (x["id"], "mem p95"))
            near(x["mem_max_bytes"] / 2**20, w["maxm"] / 2**20, (x["id"], "mem max"))
            near(x["mem_eff_pct"], 100 * w["mem"] / w["resm"], (x["id"], "mem eff"))
    assert seen == len(wl) == 55, (seen, len(wl))
else:
    seen = 0
    for x in rs["rightsize"]:
        cls = x["class"]
        w = wl[(cls, x["id"])]
        seen += 1
        target = q(w["pu"], 0.9) * 1.15
        near(x["cpu_target_cpus"], target, (x["id"], "target"))
        if cls == "kvm":
            rec = max(1, math.ceil(target - 0.25))
            align = 64 << 20
        else:
            rec = max(0.1, math.ceil(target * 100) / 100)
            align = 1 << 20
        near(x["cpus_recommended"], rec, (x["id"], "cpus rec"))
        mrec = max(math.ceil(w["maxm"] * 1.15 / align) * align, w["maxm"])
        assert x["mem_recommended_bytes"] >= w["maxm"], (x["id"], "below the peak")
        near(x["mem_recommended_bytes"] / 2**20, mrec / 2**20, (x["id"], "mem rec"))
        assert x["confidence"] == "ok", x
    assert seen == 55, seen
    tot = sum(x["cpus_now"] - x["cpus_recommended"] for x in rs["rightsize"])
    near(rs["total"]["cpus_reclaim"], tot, "total")
EOF
check "report --since 7d: covered time, mean, p50, p95, max, efficiency per VM and container as from export" \
	python3 "$T/model.py" "$T/week.csv" "$T/report.json" "$T/rightsize.json" report
check "rightsize: CPU target p90 x 1.15, whole vCPUs, container floor, memory from the peak, as from export" \
	python3 "$T/model.py" "$T/week.csv" "$T/report.json" "$T/rightsize.json" rightsize
check "report --since 7d: the reservations that changed are flagged (vm0, ctr0), no other" \
	python3 - "$T/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ch = sorted(x["name"] for s in ("vms", "containers") for x in r[s] if x["reservation_changed"] == "yes")
assert ch == ["ctr0", "vm0"], ch
EOF

"$HA" export --since 1h --db "$T/week.db" -j >"$T/export.json" 2>"$T/err" ||
	notok "export --since 1h -j" "$(cat "$T/err")"
check "the man page's KEYS section lists every key of report --since, rightsize and export" \
	python3 "$here/../../testing/man-keys.py" "$here/../../../Documentation/hostacct.8" \
	"$T/report.json" "$T/rightsize.json" "$T/export.json"
check "--csv: one table with one header row per invocation (--section), rows as wide as it" \
	python3 - "$HA" "$T/week.db" <<'EOF'
import csv, subprocess, sys
ha, db = sys.argv[1:]
for cmd, secs in (("report", ("window", "split", "vms", "containers", "idle_reserved")),
                  ("rightsize", ("rightsize", "total"))):
    for sec in secs:
        out = subprocess.run([ha, cmd, "--since", "7d", "--db", db, "--csv", "--section", sec],
                             check=True, capture_output=True, text=True).stdout
        rows = list(csv.reader(out.splitlines()))
        assert rows and all(len(r) == len(rows[0]) for r in rows), (cmd, sec, rows[:2])
        assert len(rows) > 1, (cmd, sec, "no row")
r = subprocess.run([ha, "report", "--since", "7d", "--db", db, "--csv"], capture_output=True, text=True)
assert r.returncode == 2 and "--section" in r.stderr, r
EOF

# 4. faults that need no module
printf 'this is not a database, only text that looks like a file\n%.0s' $(seq 100) >"$T/bad.db"
out=$("$HA" report --since 1h --db "$T/bad.db" 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"$T/bad.db"* ]]; then
	ok "a damaged file: a clear error naming it, exit 1 ($out)"
else
	notok "a damaged file: a clear error naming it, exit 1" "rc=$rc: $out"
fi
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('create table t(x)'); d.commit()" "$T/other.db"
out=$("$HA" rightsize --db "$T/other.db" 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"not a hostacct history database"* ]]; then
	ok "another program's SQLite file: refused ($out)"
else
	notok "another program's SQLite file: refused" "rc=$rc: $out"
fi
out=$("$HA" record --db "$T/bad.db" -c 1 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"$T/bad.db"* ]] && python3 -c "
import sys; sys.exit(open(sys.argv[1]).read().count('not a database') != 100)" "$T/bad.db"; then
	ok "record on a damaged file: refused with its name, the file left as it was"
else
	notok "record on a damaged file: refused with its name, the file left as it was" "rc=$rc: $out"
fi
out=$("$HA" report --since 2x --db "$T/week.db" 2>&1)
rc=$?
if [ $rc -eq 2 ] && [[ "$out" == *"--since"* ]]; then
	ok "a bad --since: usage error naming the option"
else
	notok "a bad --since: usage error naming the option" "rc=$rc: $out"
fi
# the first recorder holds the file (without the module it records a gap
# and retries); the second is refused while the first runs
"$HA" record --db "$T/rec.db" -i 1 >"$T/rec1.out" 2>&1 &
rec=$!
for _ in $(seq 600); do
	[ -s "$T/rec1.out" ] && break
	kill -0 "$rec" 2>/dev/null || break
	sleep 0.05
done
out=$("$HA" record --db "$T/rec.db" -c 1 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"another hostacct record"* ]] && kill -0 "$rec" 2>/dev/null; then
	ok "a second recorder on the same database is refused; the first runs on"
else
	notok "a second recorder on the same database is refused; the first runs on" \
		"rc=$rc: $out" "first: $(cat "$T/rec1.out")"
fi
kill "$rec" 2>/dev/null
wait "$rec" 2>/dev/null
rec=

echo "1..$n"
[ "$failed" -eq 0 ]
