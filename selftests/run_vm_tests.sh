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
	timeout -k 10 "$timeout" "$root/$cmd" $args </dev/null 2>&1
	rc=$?
	[ $rc -eq 124 ] && echo "# $name: killed after ${timeout}s"
	echo "VMTEST-PROG-END $name rc=$rc secs=$((SECONDS - t0))"
done <"$here/manifest"
exit 0
