#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the supported kernels installed on this machine, one release per
# line: a Debian 6.1.x or 6.12.x kernel that has both an image in /boot and
# a headers tree. Versions are discovered, never hard-coded: Debian bumps
# the ABI name on point releases.
#
# Usage: scripts/kernels.sh [SERIES]    SERIES: 6.1 or 6.12 (default: both)

set -eu

series="${1:-}"
for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	rel="${img#/boot/vmlinuz-}"
	case "$rel" in
	6.1.*|6.12.*) ;;
	*) continue ;;
	esac
	if [ -n "$series" ]; then
		case "$rel" in
		"$series".*) ;;
		*) continue ;;
		esac
	fi
	if [ -d "/lib/modules/$rel/build" ] || [ -d "/usr/src/linux-headers-$rel" ]; then
		echo "$rel"
	fi
done | sort -V
