#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the whole test suite. Every step prints "ok - ..." or
# "not ok - ..."; the last line is "N passed, M failed, K skipped". A
# test that did not run counts as failed (tools/testing/tap-eval.py), a
# skip fails too unless HOSTACCT_ALLOW_SKIP=1 (for machines that cannot
# give the guests nested KVM), and the run fails unless a 6.1.x and a
# 6.12.x kernel each ran the whole suite.
#
#   1. install missing Debian packages (as root)
#   2. build the module for every supported kernel with W=1 and sparse
#      (C=1): any warning in our files fails
#   3. checkpatch.pl --strict on kmod/ and include/; no build product or
#      binary is tracked; the YNL spec agrees with the uAPI header and the
#      kernel's policies
#   4. build the CLI and the selftests warning-free; CLI unit tests; the
#      history store and commands on a synthetic week
#   5. the VM suite (tools/testing/vmtest.sh) on the newest 6.1.x and
#      6.12.x kernels, side by side
#
# Usage: scripts/check.sh [--only STEP] [--kernel K]...
#   STEP: build, style, unit, vm
#   --kernel  run the VM suite on these kernels only (a partial run: it
#             does not count as make check passing)

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
skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
started=$(date +%s)

if ! scripts/deps.sh; then
	echo "check: missing packages and not root; cannot continue" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
scripts/ksrc.sh >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

mapfile -t kernels < <(scripts/kernels.sh)
for series in 6.1 6.12; do
	if [ -z "$(scripts/kernels.sh "$series")" ]; then
		notok "a $series.x kernel with headers is installed (found: $(scripts/kernels.sh --all | tr '\n' ' '))"
	fi
done

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

# 3a. the tree holds sources only: no tracked file is a build product
# (ignored by .gitignore) or a binary; outside a git checkout, nothing
# to check
if want style && git rev-parse --git-dir >/dev/null 2>&1; then
	bad=$( { git ls-files -ci --exclude-standard
		 git ls-files -z | xargs -0 -r grep -IL '' 2>/dev/null; } | sort -u)
	if [ -z "$bad" ]; then
		ok "no build product or binary file is tracked"
	else
		notok "tracked build products or binary files: $(echo $bad)"
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

# host_tap NAME TARGET DIAG PROGRAM: build tools/hostacct's make TARGET
# afresh, run PROGRAM (TAP), print its results as NAME's and the lines
# that match DIAG (the diagnosis), and count them the way the VM suite's
# are counted (tap-eval.py: a missing plan, missing results, a crash fail)
host_tap() {
	local name=$1 target=$2 diag=$3 prog=$4 rc line p f s
	rm -f "tools/hostacct/$target"
	make -s -C tools/hostacct "$target" >/dev/null 2>&1
	mkdir -p build/check
	"$prog" >"build/check/$name.tap" 2>&1
	rc=$?
	/usr/bin/python3 tools/testing/tap-eval.py --program "$name" --rc $rc \
		"build/check/$name.tap" >"build/check/$name.sum"
	grep -E '^(ok|not ok) ' "build/check/$name.tap" |
		while read -r line; do
			case "$line" in
			"ok "*) echo "ok - $name: ${line#ok [0-9]* }" ;;
			"not ok "*) echo "not ok - $name: ${line#not ok [0-9]* }" ;;
			esac
		done
	grep -E "$diag" "build/check/$name.tap" | head -n 40 | sed 's/^#/#  /'
	grep -E '^(not ok|skip) - ' "build/check/$name.sum" | sed 's/^/#   counted: /'
	read -r p f s < <(tail -n1 "build/check/$name.sum" |
		sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-1}))
	skip=$((skip + ${s:-0}))
}

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
	host_tap unit tests/unit '^# .*(Expected|FAIL)' tools/hostacct/tests/unit
fi

# 4a. the history store and commands on a synthetic week (no module
# needed: the recorder's store code, read back independently)
if want unit; then
	host_tap history tests/histgen '^#   ' tools/hostacct/tests/history_test.sh
fi

# 4b. the shipped Prometheus rules: valid, and their unit tests pass
if want unit; then
	if out=$(cd tools/prometheus && promtool check rules hostacct.rules.yml 2>&1 &&
		 promtool test rules hostacct.rules.test.yml 2>&1); then
		ok "Prometheus rules: promtool check rules and test rules pass"
	else
		notok "Prometheus rules (promtool check/test rules)"
		echo "$out" | head -n 30 | sed 's/^/#   /'
	fi
fi

# 5. the VM suite, the newest 6.1.x and 6.12.x side by side
if want vm; then
	vlog=build/check/vmtest.log
	mkdir -p build/check
	tools/testing/vmtest.sh "${vmargs[@]}" 2>&1 | tee "$vlog" |
		grep -v -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'
	last=$(tail -n1 "$vlog")
	if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + BASH_REMATCH[3]))
	else
		notok "VM suite did not complete (see $vlog)"
	fi
	# make check stands for both supported kernels: each must have run the
	# whole suite (every program of the manifest reported).
	read -ra done_k < <(sed -n 's/^vmtest: complete suites: //p' "$vlog")
	if [ ${#vmargs[@]} -eq 0 ]; then
		for series in 6.1 6.12; do
			found=""
			for k in "${done_k[@]}"; do
				[[ "$k" == "$series".* ]] && found=$k
			done
			if [ -n "$found" ]; then
				ok "a $series.x kernel ran the whole suite ($found)"
			else
				notok "a $series.x kernel ran the whole suite (complete: ${done_k[*]:-none})"
			fi
		done
	else
		echo "# partial run (--kernel): not a full make check"
	fi
fi

echo "check: $(( $(date +%s) - started ))s on $(nproc) CPUs; kernels: ${kernels[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
