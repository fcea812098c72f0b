#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's table: the guests' "BENCH {json}" lines, as ratios of
figures measured in the same guest and run, against the targets; every
figure in build/bench/results.json.

  bench-report.py OUT.json RESULTS.txt [RESULTS.txt ...]
"""

import json
import sys


def load(paths):
    rows = []
    for path in paths:
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                for line in f:
                    if line.startswith('BENCH '):
                        rows.append(json.loads(line[6:]))
        except OSError:
            pass
    return rows


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    rows = load(paths)
    sizes = {}
    forkexit = []
    history = {}
    probes = []
    for r in rows:
        if 'forkexit' in r:
            forkexit.append(r)
            continue
        if 'history' in r:
            history = r
            continue
        if 'probes' in r:
            probes.append(r)
            continue
        sizes.setdefault((r['smp'], r['size']), {}).update(r)

    targets = []

    def target(name, value, op, bound):
        met = value is not None and (value <= bound if op == '<=' else value >= bound)
        targets.append({'target': name, 'value': value, 'op': op, 'bound': bound,
                        'met': bool(met)})

    print(f"{'smp':>3} {'tasks':>7} {'procs':>6} {'wkl':>6} | {'dump ms':>9} {'us/task':>8} |"
          f" {'floor ms':>9} {'dump/floor':>10} | {'show ms':>9} {'show/dump':>9} |"
          f" {'procfs ms':>9} {'procfs/dump':>11} {'procfs/show':>11} | {'top ms':>8} {'top/show':>8}")
    for (smp, size), r in sorted(sizes.items()):
        t = r.get('tasks', 0) or 1
        d = r.get('dump_ms')
        fl = r.get('floor_ms')
        sh = r.get('show_ms')
        pf = r.get('procfs_ms')
        tp = r.get('top_ms')
        r['dump_us_per_task'] = d * 1000 / t if d else None
        r['dump_per_floor'] = d / fl if d and fl else None
        r['show_per_dump'] = sh / d if sh and d else None
        r['procfs_per_dump'] = pf / d if pf and d else None
        r['procfs_per_show'] = pf / sh if pf and sh else None
        r['top_per_show'] = tp / sh if tp and sh else None

        def f(v, w, p=2):
            return f'{v:{w}.{p}f}' if isinstance(v, (int, float)) else f"{'-':>{w}}"
        print(f"{smp:>3} {t:>7} {r.get('procs', 0):>6} {r.get('workloads', 0):>6} |"
              f" {f(d, 9)} {f(r['dump_us_per_task'], 8, 3)} | {f(fl, 9)} {f(r['dump_per_floor'], 10)} |"
              f" {f(sh, 9)} {f(r['show_per_dump'], 9)} | {f(pf, 9)} {f(r['procfs_per_dump'], 11, 1)}"
              f" {f(r['procfs_per_show'], 11, 1)} | {f(tp, 8)} {f(r['top_per_show'], 8, 1)}")

    two = {s: r for (smp, s), r in sizes.items() if smp == 2}
    eight = {s: r for (smp, s), r in sizes.items() if smp == 8}
    for s in (10000, 50000):
        if s in two:
            target(f'dump / floor at {s} tasks (2 vCPUs)', two[s].get('dump_per_floor'), '<=', 1.5)
    if 10000 in two:
        target('procfs reader / raw dump at 10k tasks', two[10000].get('procfs_per_dump'), '>=', 50)
    for s in eight:
        if s in two and two[s].get('dump_us_per_task') and eight[s].get('dump_us_per_task'):
            target(f'dump us/task at 8 vCPUs / at 2 vCPUs ({s} tasks)',
                   eight[s]['dump_us_per_task'] / two[s]['dump_us_per_task'], '<=', 1.3)
    # the CLI and the exporter against the dump, and what users run instead
    print()
    print(f"{'tasks':>7} {'procs':>6} | {'version ms':>10} | {'serve ms':>9} {'serve/dump':>10} |"
          f" {'exporter ms':>11} {'exporter/serve':>14}")
    for (smp, size), r in sorted(sizes.items()):
        if smp != 2 or 'serve_ms' not in r:
            continue
        d, sv, ex = r.get('dump_ms'), r.get('serve_ms'), r.get('exporter_ms')
        r['serve_per_dump'] = sv / d if sv and d else None
        r['exporter_per_serve'] = ex / sv if ex and sv else None

        def g(v, w, p=2):
            return f'{v:{w}.{p}f}' if isinstance(v, (int, float)) and v else f"{'-':>{w}}"
        print(f"{r.get('tasks', 0):>7} {r.get('procs', 0):>6} | {g(r.get('version_ms'), 10)} |"
              f" {g(sv, 9)} {g(r['serve_per_dump'], 10)} | {g(ex, 11)} {g(r['exporter_per_serve'], 14, 1)}")
    for s in (10000, 50000):
        if s in two:
            target(f'show -j / raw dump at {s} tasks', two[s].get('show_per_dump'), '<=', 2.5)
            target(f'serve scrape / raw dump at {s} tasks', two[s].get('serve_per_dump'), '<=', 2.5)
    for s in (1000, 10000):
        if s in two:
            target(f'exporter scrape / serve scrape at {s} tasks', two[s].get('exporter_per_serve'), '>=', 300)
    if 10000 in two:
        target('top -b -n1 / show -j at 10k tasks', two[10000].get('top_per_show'), '>=', 20)
        target('procfs reader / show -j at 10k tasks', two[10000].get('procfs_per_show'), '>=', 20)
    for fe in forkexit:
        print(f"fork+{fe['forkexit']}: {fe['per_side']} per side, unloaded {fe['unloaded_ms']:.0f} ms,"
              f" loaded {fe['loaded_ms']:.0f} ms, overhead {fe['overhead_pct']:+.2f} %")
    # the probes' own cost (the module times them) per fork+exit, against
    # what a fork+exit costs with the module unloaded
    unloaded = {fe['forkexit']: fe['unloaded_ms'] / fe['per_side'] for fe in forkexit}
    for p in probes:
        per_iter_ms = unloaded.get(p['probes']) or p['wall_ms'] / p['iters']
        p['probe_ns_per_iter'] = p['probe_ns'] / p['iters']
        p['probe_share_pct'] = 100 * p['probe_ns_per_iter'] / (per_iter_ms * 1e6)
        p['wall_overhead_pct'] = (100 * (p['wall_ms'] / p['iters'] - per_iter_ms) / per_iter_ms
                                  if p['probes'] in unloaded else None)
        print(f"probes, fork+{p['probes']}, {'a subscriber of every class' if p['subscriber'] else 'no subscriber'}:"
              f" {p['probe_ns_per_iter']:.0f} ns per fork+{p['probes']} of {per_iter_ms * 1000:.1f} us:"
              f" {p['probe_share_pct']:.3f} %"
              + (f" (wall time {p['wall_overhead_pct']:+.1f} % against unloaded)" if p['wall_overhead_pct'] is not None else ''))
        if p['probes'] == 'exit' and not p['subscriber']:
            target("probes' cost per fork+exit with no subscriber, % of a fork+exit",
                   p['probe_share_pct'], '<=', 1.0)
    if history:
        h = history
        per = (h['record71_ms'] - h['record11_ms']) / 60
        bps = (h['db71_bytes'] - h['db11_bytes']) / 60
        h['record_per_sample_ms'] = per
        h['record_per_show'] = per / h['show_ms'] if h['show_ms'] else None
        h['db_bytes_per_sample'] = bps
        h['db_mb_per_day_10s'] = bps * 8640 / 1e6
        h['db_mb_30d_downsampled'] = bps * (2 * 8640 + 28 * 1440) / 1e6
        print()
        print(f"recorder at {h['containers']} containers + {h['natives']} processes:"
              f" {per:.1f} ms CPU per sample, show -j {h['show_ms']:.1f} ms ({h['record_per_show']:.2f} x);"
              f" {bps:.0f} bytes per sample ({h['rows_per_sample']:.0f} rows):"
              f" {h['db_mb_per_day_10s']:.1f} MB a day at 10 s, {h['db_mb_30d_downsampled']:.0f} MB for"
              f" 30 days kept (2 raw, 28 at 1 min); report --since 7d over the synthetic week"
              f" {h['week_report_ms']:.0f} ms CPU")
        target('recorder CPU per sample / show -j (300 containers, 2,000 processes)',
               h['record_per_show'], '<=', 2)
        target('history database growth per day at 10 s, MB', h['db_mb_per_day_10s'], '<=', 100)
        target('report --since 7d over the synthetic week, CPU ms', h['week_report_ms'], '<=', 5000)
    print()
    for t in targets:
        v = f"{t['value']:.2f}" if t['value'] is not None else 'not measured'
        print(f"target {t['target']}: {v} (want {t['op']} {t['bound']}): "
              f"{'met' if t['met'] else 'NOT met'}")
    with open(out, 'w', encoding='utf-8') as f:
        json.dump({'sizes': [r for _, r in sorted(sizes.items())], 'forkexit': forkexit,
                   'probes': probes, 'history': history, 'targets': targets}, f, indent=2)
        f.write('\n')
    print(f'results: {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
