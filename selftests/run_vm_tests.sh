#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-guest runner (started by tools/testing/guest-init.sh with the module
# loaded): runs the selftest programs and scripts, TAP on stdout.
#
# Usage: run_vm_tests.sh test|stress [FILTER]
#   test    every test, with the short fuzz and stress run (make check)
#   stress  the full fuzz and stress run only (make stress)
#   FILTER  run only the tests whose name contains it

mode=${1:-test}
filter=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../build/selftests"
export PATH="$here/../tools/hostacct:$PATH"

run() {
	local name=$1
	shift
	if [ -n "$filter" ] && [[ "$name" != *"$filter"* ]]; then
		return
	fi
	echo "# === $name"
	"$@"
	echo "# === $name: exit $?"
}

if [ "$mode" = stress ]; then
	run hostacct_stress "$here/hostacct_stress.sh" full
	exit 0
fi

run hostacct_nl_test "$bin/hostacct_nl_test"
run hostacct_workload_test "$bin/hostacct_workload_test"
run hostacct_cli_test "$here/hostacct_cli_test.sh"
# packaging needs this kernel's headers (Debian kernels; not the debug one)
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	run hostacct_install_test "$here/hostacct_install_test.sh"
fi
run hostacct_stress "$here/hostacct_stress.sh" short
exit 0
