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

# kill_pids: end the background programs a script recorded in its pids
# array (stopped ones too) and reap them
kill_pids() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
}

# TAP results of a test script: n counts them, failed the failures; the
# script prints "1..$n" at its end and exits non-zero if failed > 0.
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

# notok NAME [LINE...]: a failure, the lines say why
notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	[ $# -eq 0 ] || printf '# %s\n' "$@"
}

# result NAME CMD...: ok when CMD succeeds; its output explains a failure
result() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else notok "$name" "$(tail -n 15 <<<"$out")"; fi
}

# hostile_process FILE: start (in the background; $! is its pid) a
# process whose name no output may print raw: an invalid UTF-8 byte, a
# quote, a backslash, a newline and an escape sequence (PR_SET_NAME)
hostile_process() {
	/usr/bin/python3 -c '
import ctypes, time
ctypes.CDLL(None).prctl(15, b"\xff\"\\\n\x1b[31m", 0, 0, 0)
print("ready", flush=True)
time.sleep(100000)' >"$1" &
}
