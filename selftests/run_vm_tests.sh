#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-guest runner (started by tools/testing/guest-init.sh with the module
# loaded): runs the programs that selftests/manifest lists for MODE, each
# between "VMTEST-PROG-BEGIN NAME" and "VMTEST-PROG-END NAME rc=N" lines,
# its TAP output in between. The host (tools/testing/tap-eval.py) counts
# the results against the same manifest, so a program that does not start,
# dies, or prints fewer results than planned fails by name.
#
# An entry whose NEEDS the guest cannot meet prints a one-result TAP block
# with a SKIP, which fails make check unless HOSTACCT_ALLOW_SKIP=1.
#
# Usage: run_vm_tests.sh test|stress [FILTER]
#   FILTER  run only the entries whose name contains it (the others are
#           not reported: for a developer's partial run, which then fails
#           the count by name)

set -u
mode=${1:-test}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export PATH="$root/tools/hostacct:$PATH"

# needs NEED: empty if the guest provides it, else the reason it does not
needs() {
	case "$1" in
	-) ;;
	kvm) [ -c /dev/kvm ] && [ -w /dev/kvm ] || echo "no /dev/kvm in the guest" ;;
	headers) [ -d "/lib/modules/$(uname -r)/build" ] ||
		echo "no build tree for $(uname -r)" ;;
	*) echo "unknown need '$1' in the manifest" ;;
	esac
}

# dump_session SID: what every thread of the session is doing, as TAP
# comments: state, CPU time, wait channel, and the kernel stack of each
# thread that is not running (a hang's diagnosis in the run's log)
dump_session() {
	local sid=$1 pid d st n=0
	ps -L -o pid,tid,stat,etimes,time,wchan:32,args -s "$sid" 2>&1 |
		cut -c1-200 | sed 's/^/#   /'
	for pid in $(ps -o pid= -s "$sid" 2>/dev/null); do
		for d in "/proc/$pid/task"/*; do
			read -r st <"$d/stat" 2>/dev/null || continue
			st=${st##*) }
			case "${st%% *}" in R) continue ;; esac
			[ $((n += 1)) -gt 60 ] && return
			echo "#   stack of $pid/${d##*/} ($(cat "$d/comm" 2>/dev/null), ${st%% *}):"
			sed 's/^/#     /' "$d/stack" 2>/dev/null | head -16
		done
	done
}

# run_guarded NAME SECS CMD...: CMD in its own session, stdin from
# /dev/null; after SECS, what its processes are doing is printed, then
# the session is killed (TERM, KILL 10 s later) and the status is 124
run_guarded() {
	local name=$1 secs=$2 pid wd rc
	shift 2
	rm -f /run/vmtest-guard.fired
	setsid "$@" </dev/null 2>&1 &
	pid=$!
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$secs" & s=$!
		wait "$s"
		kill -0 "$pid" 2>/dev/null || exit 0
		: >/run/vmtest-guard.fired
		echo "# $name: killed after ${secs}s; its processes were:"
		dump_session "$pid"
		kill -TERM -- "-$pid" 2>/dev/null
		sleep 10 & s=$!
		wait "$s"
		kill -KILL -- "-$pid" 2>/dev/null
	) &
	wd=$!
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	# what it left behind in its session does not outlive it
	kill -KILL -- "-$pid" 2>/dev/null
	if [ -e /run/vmtest-guard.fired ]; then
		rm -f /run/vmtest-guard.fired
		rc=124
	fi
	return $rc
}

while read -r name modes need timeout cmd args; do
	case "$name" in ''|'#'*) continue ;; esac
	[[ ",$modes," == *",$mode,"* ]] || continue
	if [ -n "$filter" ] && [[ "$name" != *"$filter"* ]]; then
		continue
	fi
	echo "VMTEST-PROG-BEGIN $name"
	why=""
	for n in ${need//,/ }; do
		why=$(needs "$n")
		[ -n "$why" ] && break
	done
	if [ -n "$why" ]; then
		echo "1..1"
		echo "ok 1 $name # SKIP $why"
		echo "VMTEST-PROG-END $name rc=0"
		continue
	fi
	t0=$SECONDS
	# shellcheck disable=SC2086
	run_guarded "$name" "$timeout" "$root/$cmd" $args
	rc=$?
	echo "VMTEST-PROG-END $name rc=$rc secs=$((SECONDS - t0))"
done <"$here/manifest"
exit 0
