#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""
The YNL spec is the single source of truth of the hostacct family. Check
that include/uapi/linux/hostacct.h and the kernel's request policies in
kmod/netlink.c agree with Documentation/netlink/specs/hostacct.yaml:

  * every enumerator the spec implies (attributes, commands, the class enum
    and their _MAX values) exists in the header with the same value, and
    the header has no HOSTACCT_ enumerator the spec does not know;
  * the policy of each command accepts exactly the spec's request
    attributes of that command, with the spec's types (notifications
    have no request, and no policy);
  * each multicast group of the spec is a HOSTACCT_MCGRP_* string in the
    header, and kmod/netlink.c registers the groups in the spec's order.

The spec is read with the kernel's own YNL library (tools/net/ynl from
Debian's linux-source, extracted by scripts/ksrc.sh), which also validates
it against the genetlink schema.

Usage: scripts/spec-check.py [KSRC]     (default build/ksrc)
Exit status 0 when everything agrees; the differences are printed.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KSRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/ksrc")
SPEC = os.path.join(ROOT, "Documentation/netlink/specs/hostacct.yaml")
SCHEMA = os.path.join(KSRC, "Documentation/netlink/genetlink.yaml")
HEADER = os.path.join(ROOT, "include/uapi/linux/hostacct.h")
POLICIES = os.path.join(ROOT, "kmod/netlink.c")

sys.path.insert(0, os.path.join(KSRC, "tools/net/ynl"))
from lib import SpecFamily  # noqa: E402


def c_name(*parts):
    return "_".join(p.upper().replace("-", "_") for p in parts)


def expected_enumerators(family):
    """Enumerator name -> value, as YNL names them for a genetlink family."""
    fam = family.name
    exp = {}
    for cname, const in family.consts.items():
        if const.type != "enum":
            continue
        last = 0
        for entry in const.entries.values():
            exp[c_name(fam, cname, entry.name)] = entry.value
            last = max(last, entry.value)
        exp[c_name(fam, cname, "max")] = last
    for aset in family.attr_sets.values():
        last = 0
        for attr in aset.attrs.values():
            exp[c_name(fam, "a", aset.name, attr.name)] = attr.value
            last = max(last, attr.value)
        exp[c_name(fam, "a", aset.name, "max")] = last
    last = 0
    for op in family.msgs.values():
        exp[c_name(fam, "cmd", op.name)] = op.value
        last = max(last, op.value)
    exp[c_name(fam, "cmd", "max")] = last
    return exp


def header_values(names):
    """Compile a program that prints each enumerator of the header."""
    src = ["#include <stdio.h>", '#include "%s"' % HEADER, "int main(void) {"]
    for n in names:
        src.append('\tprintf("%s %%lld\\n", (long long)(%s));' % (n, n))
    src.append("\treturn 0;\n}")
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "enum.c")
        exe = os.path.join(tmp, "enum")
        with open(c, "w") as f:
            f.write("\n".join(src))
        cc = subprocess.run(["cc", "-o", exe, c], capture_output=True, text=True)
        if cc.returncode:
            missing = re.findall(r"[‘'](HOSTACCT_\w+)[’'] undeclared", cc.stderr)
            return None, sorted(set(missing)) or [cc.stderr.strip()]
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return {l.split()[0]: int(l.split()[1]) for l in out.splitlines()}, []


NLA_OF = {"u8": "NLA_U8", "u16": "NLA_U16", "u32": "NLA_U32", "u64": "NLA_U64",
          "string": "NLA_NUL_STRING|NLA_STRING", "flag": "NLA_FLAG",
          "nest": "NLA_NESTED", "uint": "NLA_UINT", "sint": "NLA_SINT"}


def policy_entries(text, name):
    """attribute enumerator -> policy text of the kernel policy array @name."""
    m = re.search(r"%s\[[^]]*\]\s*=\s*\{(.*?)\n\};" % re.escape(name), text, re.S)
    if not m:
        return None
    body = m.group(1)
    ents = {}
    for em in re.finditer(r"\[(HOSTACCT_A_\w+)\]\s*=\s*(.*?)(?=,\s*\n\s*\[|,?\s*$)", body, re.S):
        ents[em.group(1)] = " ".join(em.group(2).split())
    return ents


def main():
    errors = []
    family = SpecFamily(SPEC, SCHEMA)

    exp = expected_enumerators(family)
    got, missing = header_values(sorted(exp))
    if missing:
        errors += ["header lacks %s" % m for m in missing]
    else:
        for n, v in sorted(exp.items()):
            if got[n] != v:
                errors.append("%s: spec says %d, header says %d" % (n, v, got[n]))

    with open(HEADER) as f:
        header = f.read()
    declared = set(re.findall(r"^\s*(HOSTACCT_\w+)\s*[,=]", header, re.M))
    for n in sorted(declared - set(exp)):
        errors.append("header has %s, the spec does not" % n)

    # Request policies: accepted attributes and their types.
    with open(POLICIES) as f:
        ktext = f.read()
    fam = family.name
    for op in family.msgs.values():
        if not (op.yaml.get("do") or op.yaml.get("dump")):
            continue    # a notification: nothing to accept
        arr = "%s_%s_policy" % (fam, op.name.replace("-", "_"))
        ents = policy_entries(ktext, arr)
        if ents is None:
            errors.append("kmod/netlink.c has no policy %s[]" % arr)
            continue
        aset = family.attr_sets[op.attr_set.name]
        wanted = set()
        for mode in ("do", "dump"):
            spec_mode = op.yaml.get(mode) or {}
            wanted |= set((spec_mode.get("request") or {}).get("attributes") or [])
        for aname in sorted(wanted):
            attr = aset.attrs[aname]
            cn = c_name(fam, "a", aset.name, aname)
            if cn not in ents:
                errors.append("%s: request attribute %s missing from %s" % (op.name, aname, arr))
                continue
            if not re.search(r"\b(%s)\b" % NLA_OF.get(attr.type, "?"), ents[cn]):
                errors.append("%s: %s is %s in the spec, policy says '%s'" %
                              (op.name, aname, attr.type, ents[cn]))
        for cn in sorted(ents):
            names = [a for a in aset.attrs if c_name(fam, "a", aset.name, a) == cn]
            if not names or names[0] not in wanted:
                errors.append("%s: policy %s accepts %s, not a request attribute in the spec" %
                              (op.name, arr, cn))

    # Multicast groups: the header's names, the kernel's order.
    groups = [g["name"] for g in (family.yaml.get("mcast-groups") or {}).get("list", [])]
    defined = dict(re.findall(r'^#define\s+(HOSTACCT_MCGRP_\w+)\s+"([^"]*)"', header, re.M))
    for g in groups:
        cn = c_name(fam, "mcgrp", g)
        if defined.get(cn) != g:
            errors.append('header lacks #define %s "%s"' % (cn, g))
    for cn in sorted(set(defined) - {c_name(fam, "mcgrp", g) for g in groups}):
        errors.append("header has %s, the spec does not" % cn)
    m = re.search(r"hostacct_nl_mcgrps\[\]\s*=\s*\{(.*?)\n\};", ktext, re.S)
    kgroups = re.findall(r"\.name\s*=\s*(HOSTACCT_MCGRP_\w+)", m.group(1)) if m else []
    if kgroups != [c_name(fam, "mcgrp", g) for g in groups]:
        errors.append("kmod/netlink.c registers groups %s, the spec lists %s" % (kgroups, groups))
    exp_groups = len(groups)

    for e in errors:
        print("spec-check: " + e)
    if errors:
        return 1
    print("spec-check: %s.yaml, the uAPI header and the policies agree"
          " (%d enumerators, %d multicast groups)" % (fam, len(exp), exp_groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
