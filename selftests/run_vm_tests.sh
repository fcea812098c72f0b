#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-guest runner (started by tools/testing/guest-init.sh with the module
# loaded): runs every selftest program and script, TAP on stdout.
#
# Usage: run_vm_tests.sh test|stress [FILTER]
#   FILTER: run only test programs whose name contains it

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

run hostacct_nl_test "$bin/hostacct_nl_test"
run hostacct_workload_test "$bin/hostacct_workload_test"
run hostacct_cli_test "$here/hostacct_cli_test.sh"
run hostacct_install_test "$here/hostacct_install_test.sh"
exit 0
