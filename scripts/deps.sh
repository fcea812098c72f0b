#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages hostacct needs to build, test and demo.
# Idempotent: prints nothing and changes nothing when all are present.
# Usage: scripts/deps.sh [--check]   (--check: only report, exit 1 if missing)

set -eu

PKGS="
build-essential
pkg-config
kmod
cpio
xz-utils
busybox-static
qemu-system-x86
bubblewrap
crun
podman
linux-image-amd64
linux-headers-amd64
linux-image-6.12-amd64
linux-headers-6.12-amd64
linux-source-6.1
linux-source-6.12
libmnl-dev
libnl-3-dev
libnl-genl-3-dev
libjson-c-dev
libyajl-dev
libncurses-dev
libmicrohttpd-dev
libsqlite3-dev
sqlite3
sparse
jq
curl
iproute2
util-linux
procps
prometheus
prometheus-process-exporter
python3
python3-yaml
python3-jsonschema
dkms
flex
bison
libelf-dev
libssl-dev
bc
openssl
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
	echo "hostacct: missing Debian packages:$missing" >&2
	exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "hostacct: missing Debian packages:$missing" >&2
	echo "hostacct: run 'make deps' as root to install them" >&2
	exit 1
fi

echo "hostacct: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
