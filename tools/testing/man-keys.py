#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""man-keys.py MANPAGE JSON...: every key of the JSON files (one document,
or one per line) is a word of the man page's KEYS section; prints the
missing ones per file and exits 1 if any is."""
import json
import re
import sys


def keys(v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(k)
            keys(x, out)
    elif isinstance(v, list):
        for x in v:
            keys(x, out)
    return out


def docs(path):
    text = open(path, encoding='utf-8').read()
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


man = open(sys.argv[1], encoding='utf-8').read()
listed = set(re.findall(r'[a-z][a-z0-9_]*',
                        man[man.index('.SH KEYS'):man.index('.SH EXIT STATUS')]))
bad = []
for f in sys.argv[2:]:
    missing = set()
    for d in docs(f):
        missing |= keys(d, set()) - listed
    if missing:
        bad.append(f'{f.split("/")[-1]}: {sorted(missing)}')
print('\n'.join(bad) or f'{len(listed)} words in KEYS cover every key')
sys.exit(1 if bad else 0)
