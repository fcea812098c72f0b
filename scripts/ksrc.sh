#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Extract the few kernel-tree files the project uses (checkpatch, the
# kselftest harness, the YNL client) from Debian's linux-source package
# into build/ksrc/. Nothing of the kernel tree is committed.
#
# Usage: scripts/ksrc.sh [DEST]     prints DEST (default build/ksrc)

set -eu

dest="${1:-build/ksrc}"
stamp="$dest/.extracted"

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n1)
if [ -z "$tarball" ]; then
	echo "hostacct: no /usr/src/linux-source-*.tar.xz; run 'make deps'" >&2
	exit 1
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$tarball" ]; then
	echo "$dest"
	exit 0
fi

top=$(basename "$tarball" .tar.xz)
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 \
	"$top/scripts/checkpatch.pl" \
	"$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/tools/net/ynl" \
	"$top/Documentation/netlink"
echo "$tarball" > "$stamp"
echo "$dest"
