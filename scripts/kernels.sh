#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the supported kernels installed on this machine, one release per
# line: for each supported series (6.1, 6.12), the newest Debian release
# of it that has both an image in /boot and a headers tree. Versions are
# discovered, never hard-coded: Debian bumps the ABI name on point
# releases. A series with no such kernel prints nothing; make check fails
# then (it needs both).
#
# Usage: scripts/kernels.sh [SERIES]    SERIES: 6.1 or 6.12 (default: both)
#        scripts/kernels.sh --all       every supported release installed

set -eu

SERIES="6.1 6.12"
all=""
case "${1:-}" in
--all) all=1 ;;
"") ;;
*) SERIES=$1 ;;
esac

releases() {	# releases SERIES: its releases with image and headers, oldest first
	for img in /boot/vmlinuz-"$1".*; do
		[ -e "$img" ] || continue
		rel="${img#/boot/vmlinuz-}"
		if [ -d "/lib/modules/$rel/build" ] || [ -d "/usr/src/linux-headers-$rel" ]; then
			echo "$rel"
		fi
	done | sort -V
}

for s in $SERIES; do
	case "$s" in
	6.1|6.12) ;;
	*) echo "kernels.sh: unsupported series '$s' (6.1, 6.12)" >&2; exit 2 ;;
	esac
	if [ -n "$all" ]; then
		releases "$s"
	else
		releases "$s" | tail -n1
	fi
done
