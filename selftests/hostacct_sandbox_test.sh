#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What makes a container, with real tools side by side: a login session's
# scope holding a shell, a busy process and a bubblewrap sandbox
# (--unshare-pid, as Flatpak and Chrome's zygote do) -- all native, no
# container for the session; a crun container and a podman container --
# containers; and a container that shares the host's cgroup namespace with
# systemd's cgroup layout inside (init.scope, system.slice/*.service) --
# one container, not one per unit. Checked against what the fixtures did:
# the pids they started, the cgroups they made.
# TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
CG=/sys/fs/cgroup/hostacct-sb
SESS="$CG/user.slice/user-1000.slice/session-1.scope"
T=$(mktemp -d)
pids=()
ctr_id=hostacct-sb-crun
PODMAN=(podman --root "$T/storage" --runroot "$T/run" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend none)

. "$here/../tools/testing/lib.sh"

cleanup() {
	crun kill "$ctr_id" KILL >/dev/null 2>&1
	crun delete -f "$ctr_id" >/dev/null 2>&1
	"${PODMAN[@]}" rm -f -t 0 hostacct-sb-podman >/dev/null 2>&1
	kill_pids
	[ -e "$CG/cgroup.kill" ] && echo 1 >"$CG/cgroup.kill"
	find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

echo "TAP version 13"

# in_cgroup DIR CMD...: run CMD (in the background) inside cgroup DIR
in_cgroup() {
	local dir=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$dir" "$@" &
	pids+=($!)
}

# show_pid PID: hostacct's record of the workload that holds PID
show_pid() {
	"$HA" show -j -P "$1" 2>&1
}

# --- a login session: a shell, a busy process and a sandbox
mkdir -p "$SESS"
in_cgroup "$SESS" sh -c 'sleep 100000 & wait'
shell=$!
"$B/burner" --forever >"$T/busy" &
busy=$!
pids+=($busy)
echo "$busy" >"$SESS/cgroup.procs"
wait_ready "$T/busy" || echo "# busy process not ready"
in_cgroup "$SESS" bwrap --unshare-pid --die-with-parent --dev-bind / / sleep 100001
bwrap_pid=$!
sandboxed=
for _ in $(seq 600); do
	sandboxed=$(pgrep -f -x 'sleep 100001' | while read -r p; do
		[ "$(readlink /proc/"$p"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && echo "$p"
	done | head -n1)
	[ -n "$sandboxed" ] && break
	sleep 0.1
done

"$HA" show -j >"$T/all.json" 2>&1
result "session: the shell, the busy process, bwrap and the sandboxed process are all in the session's cgroup" \
	sh -c "for p in $shell $busy $bwrap_pid ${sandboxed:-none}; do
		grep -qx '0::/hostacct-sb/user.slice/user-1000.slice/session-1.scope' /proc/\$p/cgroup || { echo \"pid \$p: \$(cat /proc/\$p/cgroup)\"; exit 1; }
	done"
for what in "shell:$shell" "busy process:$busy" "bwrap:$bwrap_pid" "sandboxed process:${sandboxed:-0}"; do
	p=${what#*:}
	show_pid "$p" >"$T/p.json"
	if jq -e ".[0].class == \"native\" and .[0].id == $p" "$T/p.json" >/dev/null 2>&1; then
		ok "session: the ${what%%:*} ($p) is a native process"
	else
		notok "session: the ${what%%:*} ($p) is a native process" \
			"$(jq -c '.[0] | {class, id, name, cgroup_path}' "$T/p.json" 2>&1 | head -c 400)"
	fi
done
result "session: no container for the login session (or below it)" \
	jq -e '[.[] | select(.class == "container" and
		(.cgroup_path // "" | startswith("/hostacct-sb/user.slice")))] | length == 0' "$T/all.json"

# --- a crun container beside it: its own cgroup, the host's cgroup namespace
mkdir -p "$T/bundle/rootfs/bin"
cp /bin/busybox "$T/bundle/rootfs/bin/"
ln -s busybox "$T/bundle/rootfs/bin/sleep"
(cd "$T/bundle" && crun spec) &&
	jq '.process.terminal = false | .process.args = ["/bin/sleep", "100002"] |
	    .linux.cgroupsPath = "/hostacct-sb/crun"' \
		"$T/bundle/config.json" >"$T/bundle/c.json" &&
	mv "$T/bundle/c.json" "$T/bundle/config.json"
if crun run -d --bundle "$T/bundle" "$ctr_id" >"$T/crun.out" 2>&1; then
	crun_pid=$(crun state "$ctr_id" | jq .pid)
	show_pid "$crun_pid" >"$T/crun.json"
	result "crun: its process is in a container, its cgroup /hostacct-sb/crun" \
		jq -e '.[0].class == "container" and .[0].cgroup_path == "/hostacct-sb/crun"' \
		"$T/crun.json"
else
	notok "crun: run a container" "$(head -c 600 "$T/crun.out")"
fi

# --- a podman container (conmon, crun, a cgroup of its own)
if "${PODMAN[@]}" run -d --name hostacct-sb-podman --network none \
	--cgroup-parent /hostacct-sb/podman --rootfs "$T/bundle/rootfs" \
	/bin/sleep 100003 >"$T/podman.out" 2>&1; then
	pod_pid=$("${PODMAN[@]}" inspect -f '{{.State.Pid}}' hostacct-sb-podman)
	show_pid "$pod_pid" >"$T/podman.json"
	result "podman: its process is in a container below its --cgroup-parent" \
		jq -e '.[0].class == "container" and
		       (.[0].cgroup_path | startswith("/hostacct-sb/podman/"))' "$T/podman.json"
else
	notok "podman: run a container" "$(head -c 600 "$T/podman.out")"
fi

# --- systemd's layout in a container with the host's cgroup namespace
"$B/container" --cgroup "$CG/sysd" --units 3 -- "$B/burner" --forever >"$T/sysd" &
pids+=($!)
if wait_ready "$T/sysd"; then
	# init, 3 units and the shim; each unit's burner
	"$HA" show -j -c container >"$T/ctrs.json" 2>&1
	result "systemd layout: the container's cgroups are init.scope and one per unit" \
		sh -c "test -d $CG/sysd/init.scope && test \$(ls -d $CG/sysd/system.slice/unit*.service | wc -l) -eq 3"
	result "systemd layout: one container, the top cgroup, holding init, the 3 units and the shim" \
		jq -e '[.[] | select(.cgroup_path // "" | startswith("/hostacct-sb/sysd"))] as $c |
		       ($c | length) == 1 and $c[0].cgroup_path == "/hostacct-sb/sysd" and
		       $c[0].nr_procs == 5' "$T/ctrs.json"
else
	notok "systemd layout: the container starts" "$(head -c 400 "$T/sysd")"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
