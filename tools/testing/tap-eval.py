#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Count a test run's results so that the count is the truth.

Reads what a guest printed (results.txt: each program's TAP output between
VMTEST-PROG-BEGIN NAME / VMTEST-PROG-END NAME rc=N markers, then
VMTEST-END) or one program's output (--program), and the manifest that
says which programs had to run. A program counts as failed, by name, when
it did not start, did not finish, exited non-zero without a failed result,
was killed, printed no plan, or printed fewer or more results than its
plan. A skip ("ok N name # SKIP reason") counts as a failure unless skips
are allowed (--allow-skip, or HOSTACCT_ALLOW_SKIP=1 in the environment).

Prints one line per failure and skip ("not ok - ...", "skip - ..."), a
summary line per program, and last "N passed, M failed, K skipped".
Exit status: 0 when nothing failed.

  tap-eval.py --manifest FILE --mode MODE [--label L] RESULTS
  tap-eval.py --program NAME --rc RC [--label L] OUTPUT
"""

import argparse
import os
import re
import sys

RESULT = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)\b')
SKIP = re.compile(r'#\s*SKIP\b\s*(.*)$', re.IGNORECASE)
BEGIN = re.compile(r'^VMTEST-PROG-BEGIN (\S+)$')
END = re.compile(r'^VMTEST-PROG-END (\S+) rc=(-?\d+)( secs=\d+)?$')


def read_manifest(path, mode):
    names = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) < 5:
                raise SystemExit(f'{path}: malformed line: {line}')
            if mode in fields[1].split(','):
                names.append(fields[0])
    if len(set(names)) != len(names):
        raise SystemExit(f'{path}: a name appears twice in mode {mode}')
    return names


class Program:
    """One program's TAP output and what became of it."""

    def __init__(self, name):
        self.name = name
        self.lines = []
        self.begun = False
        self.rc = None          # None: no end marker

    def evaluate(self, allow_skip):
        """Return (passed, failed, skipped, messages)."""
        plan = None
        results = []
        for line in self.lines:
            m = PLAN.match(line)
            if m and plan is None:
                plan = int(m.group(1))
                continue
            m = RESULT.match(line)
            if m:
                results.append((m.group(1) == 'ok', m.group(3).strip()))
        passed = failed = skipped = 0
        msgs = []
        for ok, desc in results:
            s = SKIP.search(desc)
            label = f'{self.name}: {SKIP.sub("", desc).strip()}'
            if ok and s:
                if allow_skip:
                    skipped += 1
                    msgs.append(f'skip - {label} ({s.group(1).strip()})')
                else:
                    failed += 1
                    msgs.append(f'not ok - {label}: skipped ({s.group(1).strip()}), '
                                'and skips fail the suite (HOSTACCT_ALLOW_SKIP=1 allows them)')
            elif ok:
                passed += 1
            else:
                failed += 1
                msgs.append(f'not ok - {label}')
        # What became of the program itself.
        if not self.begun:
            return 0, 1, 0, [f'not ok - {self.name}: did not run']
        if self.rc is None:
            missing = (plan - len(results)) if plan is not None and plan > len(results) else 1
            failed += missing
            msgs.append(f'not ok - {self.name}: did not finish after {len(results)} '
                        f'results (guest stopped or timed out); {missing} counted as failed')
            return passed, failed, skipped, msgs
        if plan is None:
            failed += 1
            msgs.append(f'not ok - {self.name}: printed no TAP plan (exit status {self.rc})')
        elif plan != len(results):
            missing = max(plan - len(results), 1)
            failed += missing
            msgs.append(f'not ok - {self.name}: planned {plan} results, printed '
                        f'{len(results)}; {missing} counted as failed')
        if self.rc != 0 and not any(not ok for ok, _ in results):
            failed += 1
            what = f'killed by signal {self.rc - 128}' if self.rc > 128 else \
                f'exit status {self.rc}'
            if self.rc in (126, 127):
                what += ' (could not be executed)'
            msgs.append(f'not ok - {self.name}: {what} without a failed result')
        return passed, failed, skipped, msgs


def parse_results(path, expected):
    progs = {name: Program(name) for name in expected}
    extra = []
    cur = None
    finished = False
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            m = BEGIN.match(line)
            if m:
                name = m.group(1)
                if name not in progs:
                    progs[name] = Program(name)
                    extra.append(name)
                cur = progs[name]
                if cur.begun:
                    cur.lines.append('not ok - started twice')
                cur.begun = True
                continue
            m = END.match(line)
            if m and cur is not None and m.group(1) == cur.name:
                cur.rc = int(m.group(2))
                cur = None
                continue
            if line.startswith('VMTEST-END'):
                finished = True
                cur = None
                continue
            if line == 'VMTEST-DMESG-BEGIN':
                cur = None
                continue
            if cur is not None:
                cur.lines.append(line)
    return progs, extra, finished


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--manifest')
    ap.add_argument('--mode', default='test')
    ap.add_argument('--expect', action='append', default=[],
                    help='another program that must report (e.g. kmemleak)')
    ap.add_argument('--program')
    ap.add_argument('--rc', type=int)
    ap.add_argument('--label', default='')
    ap.add_argument('--allow-skip', action='store_true')
    ap.add_argument('results')
    a = ap.parse_args()
    allow = a.allow_skip or os.environ.get('HOSTACCT_ALLOW_SKIP') == '1'
    prefix = f'{a.label}: ' if a.label else ''

    if a.program:
        p = Program(a.program)
        p.begun = True
        p.rc = a.rc
        with open(a.results, encoding='utf-8', errors='replace') as f:
            p.lines = [line.rstrip('\r\n') for line in f]
        progs, order, finished = {a.program: p}, [a.program], True
    else:
        expected = read_manifest(a.manifest, a.mode) + a.expect
        progs, extra, finished = parse_results(a.results, expected)
        order = expected + extra

    tp = tf = ts = 0
    for name in order:
        p, f, s, msgs = progs[name].evaluate(allow)
        if not finished and progs[name].rc is None and progs[name].begun is False:
            msgs = [f'not ok - {name}: did not run (the guest stopped before it)']
        for m in msgs:
            print(prefix + m)
        print(f'# {prefix}{name}: {p} passed, {f} failed, {s} skipped')
        tp, tf, ts = tp + p, tf + f, ts + s
    if not a.program and not finished:
        tf += 1
        print(f'{prefix}not ok - the guest did not reach its end marker')
    if finished and all(progs[n].begun and progs[n].rc is not None for n in order):
        print('# complete')
    print(f'{tp} passed, {tf} failed, {ts} skipped')
    return 1 if tf else 0


if __name__ == '__main__':
    sys.exit(main())
