# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell helpers shared by the in-guest scripts (demo, bench, selftests).

# wait_ready FILE [TENTHS]: until a fixture wrote its "ready" line to FILE
# (default: 120 s).
wait_ready() {
	local f=$1 _
	for _ in $(seq "${2:-1200}"); do
		grep -q '^ready' "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$f never became ready" >&2
	return 1
}
