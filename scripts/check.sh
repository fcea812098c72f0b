#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the whole test suite. Every step prints "ok - ..." or
# "not ok - ..."; the last line is "N passed, M failed".
#
#   1. install missing Debian packages (as root)
#   2. build the module for every supported kernel with W=1 and sparse
#      (C=1): any warning in our files fails
#   3. checkpatch.pl --strict on kmod/ and include/; the YNL spec agrees
#      with the uAPI header and the kernel's policies
#   4. build the CLI and the selftests warning-free; CLI unit tests
#   5. the VM suite (tools/testing/vmtest.sh) on every supported kernel
#
# Usage: scripts/check.sh [--only STEP] [--kernel K]...
#   STEP: build, style, unit, vm

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

only=""
vmargs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--kernel|-k) vmargs+=(-k "$2"); shift 2 ;;
	*) echo "check: unknown option $1" >&2; exit 2 ;;
	esac
done

pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
started=$(date +%s)

if ! scripts/deps.sh; then
	echo "check: missing packages and not root; cannot continue" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
scripts/ksrc.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

mapfile -t kernels < <(scripts/kernels.sh)
if [ ${#kernels[@]} -eq 0 ]; then
	notok "no supported kernel (6.1.x, 6.12.x) with headers installed"
fi

# 2. warning-free module builds, W=1 and sparse, per kernel
if want build; then
	for rel in "${kernels[@]}"; do
		dir="build/check/$rel"
		rm -rf "$dir"
		mkdir -p "$dir"
		cp -a Kbuild kmod include "$dir/"
		log="$dir/build.log"
		if make -C "/lib/modules/$rel/build" M="$ROOT/$dir" W=1 C=1 \
			modules >"$log" 2>&1 &&
			! grep -E "warning:|error:" "$log" | grep -q "$ROOT/$dir"; then
			ok "module builds for $rel with W=1 C=1 (sparse), no warnings"
		else
			notok "module build for $rel (W=1 C=1): see $log"
			grep -E "warning:|error:" "$log" | head -n 20 | sed 's/^/#   /'
		fi
	done
fi

# 3. checkpatch
if want style; then
	# the sources only: a developer's in-tree build leaves kmod/*.mod.c
	srcs=()
	for f in kmod/*.[ch]; do
		case "$f" in *.mod.c) ;; *) srcs+=("$f") ;; esac
	done
	out=$(perl build/ksrc/scripts/checkpatch.pl --strict --no-tree --terse \
		--show-types -f "${srcs[@]}" include/uapi/linux/hostacct.h 2>&1 |
		grep -v '^total:')
	if [ -z "$out" ]; then
		ok "checkpatch.pl --strict clean on kmod/ and include/"
	else
		notok "checkpatch.pl --strict"
		echo "$out" | head -n 20 | sed 's/^/#   /'
	fi
fi

# 3b. the YNL spec, the uAPI header and the kernel policies agree
if want style; then
	if out=$(/usr/bin/python3 scripts/spec-check.py 2>&1); then
		ok "${out#spec-check: }"
	else
		notok "spec, uAPI header and policies disagree"
		echo "$out" | head -n 20 | sed 's/^/#   /'
	fi
fi

# 4. userspace builds and CLI unit tests
if want unit; then
	if out=$(make -s -C tools/hostacct EXTRA_CFLAGS=-Werror clean all 2>&1) &&
		out2=$(make -s -C selftests EXTRA_CFLAGS=-Werror clean all 2>&1) &&
		! echo "$out$out2" | grep -q "warning:"; then
		ok "CLI and selftests build without warnings"
	else
		notok "CLI or selftests build"
		echo "$out ${out2:-}" | head -n 20 | sed 's/^/#   /'
	fi
	make -s -C tools/hostacct tests/unit >/dev/null 2>&1
	if [ -x tools/hostacct/tests/unit ]; then
		uout=$(tools/hostacct/tests/unit 2>&1)
		while read -r line; do
			case "$line" in
			"ok "*) ok "unit: ${line#ok [0-9]* }" ;;
			"not ok "*) notok "unit: ${line#not ok [0-9]* }" ;;
			esac
		done <<<"$uout"
		echo "$uout" | grep -E '^# .*(Expected|FAIL)' | sed 's/^/#   /'
	else
		notok "CLI unit tests do not build"
	fi
fi

# 5. the VM suite on every supported kernel
if want vm; then
	vlog=build/check/vmtest.log
	mkdir -p build/check
	tools/testing/vmtest.sh "${vmargs[@]}" 2>&1 | tee "$vlog" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	last=$(tail -n1 "$vlog")
	if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
	else
		notok "VM suite did not complete (see $vlog)"
	fi
fi

echo "check: $(( $(date +%s) - started ))s on $(nproc) CPUs; kernels: ${kernels[*]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
