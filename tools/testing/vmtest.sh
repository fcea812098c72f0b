#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot each supported Debian kernel under QEMU (TCG) and run hostacct's
# in-guest suite, demo or benchmark there.
#
# The guest boots a busybox initramfs that mounts this machine's root
# read-only over 9p under a tmpfs overlay and switches to it, so the guest
# runs the host's own programs and libraries; tools/testing/guest-init.sh
# then loads kvm and hostacct and runs the selected mode. Test results come
# back on the second serial port (ttyS1), kernel messages on the first;
# every guest log is kept in build/vm/<release>/ (build/vm-<mode>/<release>/
# for the other modes).
#
# A run fails if any test fails, the guest times out, or the kernel log
# shows BUG:, WARNING:, Oops, KASAN, lockdep reports or an RCU stall.

set -u

usage() {
	cat <<EOF
usage: $0 [options]
  -k, --kernel K     kernel to boot: a series (6.1, 6.12) or a release;
                     repeatable (default: every supported kernel installed)
      --kdir DIR     boot the kernel built in DIR instead (make check-debug);
                     its drivers must be built in; runs a kmemleak scan
  -m, --mode MODE    test (default), demo, bench, stress, run or shell
                     (run: execute --args as a bash command in the guest)
  -a, --args ARGS    arguments for the guest-side runner of the mode
  -t, --timeout S    seconds before a guest is killed (default: test and
                     stress modes, the sum of the manifest's per-program
                     limits for the mode plus 600 s, at most 4800 s: only
                     a hang, not a slow or loaded machine, reaches it;
                     other modes 1500)
      --mem MB       guest memory (default 3072)
      --smp N        guest CPUs (default 2)
  -j, --parallel     boot the kernels at the same time (default for the
                     test and stress modes when there is a core per guest)
      --serial       boot them one after the other
      --shell        same as --mode shell: an interactive guest shell
      --demo         same as --mode demo
  -h, --help         this help
Environment: VMTEST_QEMU_ARGS (more QEMU options), VMTEST_APPEND (more
kernel command line, e.g. module_blacklist=kvm_amd,kvm_intel: a guest
without /dev/kvm), VMTEST_TCG_THREAD (single, the default, or multi).
EOF
}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD="$ROOT/build"
MODE="test"
ARGS=""
TIMEOUT=""
MEM=3072
SMP=2
KERNELS=()
KDIR_CUSTOM=""
PARALLEL=""

while [ $# -gt 0 ]; do
	case "$1" in
	-k|--kernel) KERNELS+=("$2"); shift 2 ;;
	--kdir) KDIR_CUSTOM=$(cd "$2" && pwd); shift 2 ;;
	-m|--mode) MODE="$2"; shift 2 ;;
	-a|--args) ARGS="$2"; shift 2 ;;
	-t|--timeout) TIMEOUT="$2"; shift 2 ;;
	--mem) MEM="$2"; shift 2 ;;
	--smp) SMP="$2"; shift 2 ;;
	-j|--parallel) PARALLEL=1; shift ;;
	--serial) PARALLEL=0; shift ;;
	--shell) MODE=shell; shift ;;
	--demo) MODE=demo; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "vmtest: unknown option: $1" >&2; usage >&2; exit 2 ;;
	esac
done

case "$MODE" in
test|demo|bench|stress|run|shell) ;;
*) echo "vmtest: unknown mode: $MODE" >&2; exit 2 ;;
esac

# Each program has its own limit in the manifest (run_vm_tests.sh applies
# it); the guest's is their sum and a margin for boot and module loads,
# at most 80 minutes so that a run inside CI's 90 still prints its count.
if [ -z "$TIMEOUT" ]; then
	case "$MODE" in
	test|stress)
		TIMEOUT=$(awk -v m="$MODE" '$1 !~ /^#/ && NF >= 5 && ("," $2 ",") ~ ("," m ",") { t += $4 }
			END { t += 600; print t < 4800 ? t : 4800 }' "$ROOT/selftests/manifest") ;;
	*) TIMEOUT=1500 ;;
	esac
fi

die() {
	echo "vmtest: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (9p export of / and module builds)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing; run 'make deps'"
[ -x /bin/busybox ] || die "busybox-static missing; run 'make deps'"

# Resolve the kernels to boot.
resolve_kernels() {
	local k all
	all=$("$ROOT/scripts/kernels.sh")
	if [ ${#KERNELS[@]} -eq 0 ]; then
		echo "$all"
		return
	fi
	for k in "${KERNELS[@]}"; do
		case "$k" in
		6.1|6.12) "$ROOT/scripts/kernels.sh" "$k" | tail -n1 ;;
		*) echo "$all" | grep -Fx "$k" ;;
		esac
	done
}
if [ -n "$KDIR_CUSTOM" ]; then
	RELEASES=("$(cat "$KDIR_CUSTOM/include/config/kernel.release")")
else
	mapfile -t RELEASES < <(resolve_kernels | grep .)
fi

# Where the kernel image and the build tree of release $1 are.
kernel_image() {
	if [ -n "$KDIR_CUSTOM" ]; then
		echo "$KDIR_CUSTOM/arch/x86/boot/bzImage"
	else
		echo "/boot/vmlinuz-$1"
	fi
}
kernel_build() {
	if [ -n "$KDIR_CUSTOM" ]; then
		echo "$KDIR_CUSTOM"
	else
		echo "/lib/modules/$1/build"
	fi
}
# Each mode keeps its guests' files apart (build/vm/<release>/ for the
# suite, build/vm-<mode>/<release>/ otherwise), so that a benchmark and a
# stress run can share the machine.
VMDIR="$BUILD/vm"
[ "$MODE" = test ] || VMDIR="$BUILD/vm-$MODE"
[ "$SMP" = 2 ] || VMDIR="$VMDIR-smp$SMP"

[ ${#RELEASES[@]} -gt 0 ] || die "no supported kernel installed (6.1.x/6.12.x with headers); run 'make deps'"

# Userspace built once: the CLI and the selftests do not depend on the kernel.
build_userspace() {
	make -s -C "$ROOT/tools/hostacct" >/dev/null || return 1
	make -s -C "$ROOT/selftests" >/dev/null || return 1
}

# The module, built for release $1 in a copy of the sources (kbuild writes
# its objects next to them).
build_module() {
	local rel=$1 dir="$VMDIR/$1/mod"

	mkdir -p "$dir"
	cp -a "$ROOT/Kbuild" "$dir/"
	rm -rf "$dir/kmod.new" && cp -a "$ROOT/kmod" "$dir/kmod.new"
	# Keep objects of unchanged files: copy sources over, not the tree.
	mkdir -p "$dir/kmod" "$dir/include"
	cp -a "$dir/kmod.new/." "$dir/kmod/" && rm -rf "$dir/kmod.new"
	cp -a "$ROOT/include/." "$dir/include/"
	# what the top-level Makefile checks before reusing the module
	echo "$rel" | cmp -s - "$dir/kmod/.kver" || echo "$rel" >"$dir/kmod/.kver"
	make -s -C "$(kernel_build "$rel")" M="$dir" modules \
		>"$VMDIR/$rel/build.log" 2>&1 ||
		{ cat "$VMDIR/$rel/build.log" >&2; return 1; }
	cp "$dir/kmod/hostacct.ko" "$VMDIR/$rel/hostacct.ko"
	# the benchmark's floor: a bare walk of the tasks (selftests/floor)
	if [ "$MODE" = bench ]; then
		mkdir -p "$dir/floor"
		cp -a "$ROOT/selftests/floor/." "$dir/floor/"
		make -s -C "$(kernel_build "$rel")" M="$dir/floor" modules \
			>>"$VMDIR/$rel/build.log" 2>&1 ||
			{ cat "$VMDIR/$rel/build.log" >&2; return 1; }
		cp "$dir/floor/hostacct_floor.ko" "$VMDIR/$rel/"
	fi
	# The rest of the source tree around it, so that the install tests in
	# the guest find this module built and up to date instead of
	# compiling it again under emulation: every source file (not a hand
	# kept list, which misses what is added later), and the CLI as built.
	# (tar, not cp --parents: coreutils' cp refuses to overwrite a file
	# of an earlier run when it created a directory in the same call)
	# Any stage failing (no file list, an empty one, tar) fails the build.
	(set -o pipefail; cd "$ROOT" && tree_files |
		grep -zv -e '^kmod/' -e '^include/' -e '^Kbuild$' |
		tar --null -T - -cf -) | tar -C "$dir" -xf - &&
		[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	cp -a "$ROOT/tools/hostacct/." "$dir/tools/hostacct/"
}

# Every source file of the tree that exists, NUL-separated, relative to
# $ROOT: git's list in a checkout; in a copy of a tree (make mutants'
# scratch trees), every file that the tree's .gitignore does not exclude.
tree_files() {
	local tmp f

	if [ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ]; then
		git -C "$ROOT" ls-files -z --cached --others --exclude-standard
	else
		tmp=$(mktemp -d) || return 1
		git init -q --bare "$tmp" &&
			git --git-dir="$tmp" --work-tree="$ROOT" ls-files -z --others --exclude-standard
		rm -rf "$tmp"
	fi | while IFS= read -r -d '' f; do
		if [ -e "$f" ]; then
			printf '%s\0' "$f"
		fi
	done
}

# A busybox initramfs with the modules needed to reach the 9p root.
build_initramfs() {
	local rel=$1 out="$VMDIR/$1/initramfs.cpio.gz"
	local tmp m f

	[ -f "$out" ] && [ "$out" -nt "$ROOT/tools/testing/vmtest.sh" ] &&
		[ "$out" -nt "$ROOT/tools/testing/initramfs-init" ] && return 0

	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/lib/modules"
	cp /bin/busybox "$tmp/bin/busybox"
	cp "$ROOT/tools/testing/initramfs-init" "$tmp/init"
	chmod +x "$tmp/init"
	: >"$tmp/modules.list"
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$rel" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r f; do
		local base
		base=$(basename "$f")
		case "$f" in
		*.xz) xz -dc "$f" >"$tmp/lib/modules/${base%.xz}"; base=${base%.xz} ;;
		*.zst) zstd -qdc "$f" >"$tmp/lib/modules/${base%.zst}"; base=${base%.zst} ;;
		*) cp "$f" "$tmp/lib/modules/$base" ;;
		esac
		echo "$base" >>"$tmp/modules.list"
	done
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$tmp"
}

# Boot release $1; results on ttyS1 go to results.log.
boot() {
	local rel=$1 dir="$VMDIR/$1" append
	local -a qemu

	append="console=ttyS0 panic=-1 loglevel=6"
	append+=" HA_ROOT=$ROOT HA_BUILD=$dir HA_MODE=$MODE HA_KVER=$rel"
	append+=" HA_ARGS=$(printf %s "$ARGS" | base64 -w0)"
	# A KASAN/lockdep kernel under emulation is ~10x slower: smaller scale.
	# no5lvl: with -cpu max (LA57) the 6.12 KASAN kernel reports a wild
	# access in rcu_is_watching() from an interrupt during identify_cpu(),
	# before any module exists, and then turns lockdep off for the run.
	[ -n "$KDIR_CUSTOM" ] && append+=" no5lvl HA_KMEMLEAK=1 HA_SCALE=small"
	append+="${VMTEST_APPEND:+ $VMTEST_APPEND}"

	# Single-threaded TCG: with one host thread per vCPU (MTTCG) a vCPU
	# can run stale code after the kernel patches its text with int3
	# (static keys flipped by kvm, tracepoints), which oopses in "int3".
	qemu=(qemu-system-x86_64 -accel "tcg,thread=${VMTEST_TCG_THREAD:-single}" -cpu max
	      -smp "$SMP" -m "$MEM" -no-reboot -display none -nodefaults
	      -kernel "$(kernel_image "$rel")" -initrd "$dir/initramfs.cpio.gz"
	      -append "$append"
	      -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	      -device virtio-rng-pci)
	# extra QEMU options, split on blanks
	# shellcheck disable=SC2206
	qemu+=(${VMTEST_QEMU_ARGS:-})

	if [ "$MODE" = shell ]; then
		"${qemu[@]}" -serial mon:stdio -serial "file:$dir/results.log"
		return 0
	fi
	: >"$dir/console.log"
	: >"$dir/results.log"
	if [ "$MODE" = test ] || [ "$MODE" = stress ]; then
		# Show progress live: the guest writes TAP lines to ttyS1.
		(tail -n +1 -F "$dir/results.log" 2>/dev/null |
			grep --line-buffered -E '^(not )?ok |^VMTEST-PROG-BEGIN |^# (FAIL|Totals)' |
			sed -u "s/\r$//; s/^/[$rel] /") &
		TAILPID=$!
	fi
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" \
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
	local rc=$?
	if [ -n "${TAILPID:-}" ]; then
		sleep 1
		{
			pkill -P "$TAILPID"
			kill "$TAILPID"
			wait "$TAILPID"
		} 2>/dev/null
		TAILPID=
	fi
	return $rc
}

SPLAT='BUG:|WARNING:|Oops|KASAN|new suspected memory leaks|unreferenced object|lockdep|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|RCU stall|rcu_sched self-detected|rcu_preempt self-detected|Kernel panic|general protection fault|unable to handle'

total_pass=0
total_fail=0
total_skip=0
failed_kernels=()
completed=()
build_userspace || die "building the CLI or the selftests failed"

# Boot release $1 and keep what the evaluation needs in its directory.
run_guest() {
	local rel=$1 dir="$VMDIR/$1" start rc

	echo "== $rel: booting ($MODE)"
	start=$(date +%s)
	boot "$rel"
	rc=$?
	echo "$rc $(( $(date +%s) - start ))" >"$dir/boot.rc"
}

# Build everything first, then boot: one guest at a time, or all at once
# for the test suite and the stress run when the host has a core per
# guest (each single-threaded TCG guest keeps one host core busy).
booted=()
for rel in "${RELEASES[@]}"; do
	dir="$VMDIR/$rel"
	mkdir -p "$dir"
	rm -f "$dir/boot.rc"
	echo "== $rel: building module and initramfs"
	if ! build_module "$rel" || ! build_initramfs "$rel"; then
		echo "== $rel: build FAILED"
		total_fail=$((total_fail + 1))
		failed_kernels+=("$rel")
		continue
	fi
	booted+=("$rel")
done

if [ -z "$PARALLEL" ]; then
	PARALLEL=0
	if { [ "$MODE" = test ] || [ "$MODE" = stress ]; } &&
	   [ "$(nproc)" -ge "${#booted[@]}" ]; then
		PARALLEL=1
	fi
fi
if [ "$PARALLEL" = 1 ] && [ ${#booted[@]} -gt 1 ]; then
	guests=()
	for rel in "${booted[@]}"; do
		run_guest "$rel" &
		guests+=($!)
	done
	wait "${guests[@]}"
else
	for rel in "${booted[@]}"; do
		run_guest "$rel"
	done
fi

for rel in "${booted[@]}"; do
	dir="$VMDIR/$rel"
	[ "$MODE" = shell ] && continue
	read -r rc secs <"$dir/boot.rc" 2>/dev/null || { rc=1; secs=0; }

	tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
	tr -d '\r' <"$dir/console.log" >"$dir/console.txt"

	if [ "$MODE" != test ] && [ "$MODE" != stress ]; then
		echo "== $rel: guest output"
		sed -n '/^VMTEST-OUTPUT-BEGIN$/,/^VMTEST-OUTPUT-END$/p' "$dir/results.txt" |
			sed '1d;$d'
	fi

	problems=()
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		problems+=("guest timed out after ${TIMEOUT}s")
	fi
	if grep -qE "$SPLAT" "$dir/console.txt"; then
		problems+=("kernel log shows trouble:")
		while read -r line; do
			problems+=("  $line")
		done < <(grep -E "$SPLAT" "$dir/console.txt" | head -n 20)
	fi
	if [ "$MODE" != test ] && [ "$MODE" != stress ]; then
		grep -q '^VMTEST-END rc=0' "$dir/results.txt" ||
			problems+=("the guest's $MODE command failed or did not finish")
		if [ ${#problems[@]} -gt 0 ]; then
			printf '%s\n' "${problems[@]}" | sed "s/^/== $rel: /"
			failed_kernels+=("$rel")
			total_fail=$((total_fail + 1))
		fi
		continue
	fi
	# Every program of the manifest must have reported (tap-eval.py), and
	# the kernel log must be clean: one test of its own, which can fail.
	expect=()
	[ -n "$KDIR_CUSTOM" ] && expect+=(--expect kmemleak)
	/usr/bin/python3 "$ROOT/tools/testing/tap-eval.py" --label "$rel" \
		--manifest "$ROOT/selftests/manifest" --mode "$MODE" "${expect[@]}" \
		"$dir/results.txt" >"$dir/summary.txt"
	sed -n '/^[0-9]* passed, [0-9]* failed, [0-9]* skipped$/!p' "$dir/summary.txt" |
		grep -v '^# ' | sed "s/^/== /"
	read -r pass fail skip < <(tail -n1 "$dir/summary.txt" |
		sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
	if [ -z "${pass:-}" ]; then
		pass=0 fail=1 skip=0
		echo "== $rel: tap-eval.py failed (see $dir/summary.txt)"
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok - $rel: kernel log clean, guest within its time" >>"$dir/summary.txt"
		pass=$((pass + 1))
	else
		echo "not ok - $rel: kernel log or guest" >>"$dir/summary.txt"
		printf '%s\n' "${problems[@]}" | sed "s/^/== $rel: /"
		fail=$((fail + 1))
	fi
	echo "== $rel: $pass passed, $fail failed, $skip skipped (${secs}s; logs in ${dir#"$ROOT"/})"
	[ "$fail" -gt 0 ] && failed_kernels+=("$rel")
	# every program ran to its end: for check.sh's both-kernels rule
	grep -qx '# complete' "$dir/summary.txt" && completed+=("$rel")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
done

[ "$MODE" = shell ] && exit 0
if [ "$MODE" != test ] && [ "$MODE" != stress ]; then
	[ "$total_fail" -eq 0 ] || echo "vmtest: $MODE failed on: ${failed_kernels[*]}"
	[ "$total_fail" -eq 0 ]
	exit
fi
echo "vmtest: kernels: ${RELEASES[*]}"
echo "vmtest: complete suites: ${completed[*]:-none}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
