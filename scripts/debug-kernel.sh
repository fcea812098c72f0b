#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once; cached in build/debug-kernel) a small 6.12 kernel with KASAN,
# lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP and kmemleak from Debian's
# linux-source-6.12, for `make check-debug`. Prints the build directory.

set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build/debug-kernel"
SRC="$OUT/src"
tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "debug-kernel: linux-source-6.12 missing; run make deps" >&2; exit 1; }

stamp="$OUT/.built"
cfg="$ROOT/tools/testing/debug.config"
want="$(sha256sum "$tarball" "$cfg" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$OUT/obj/arch/x86/boot/bzImage" ]; then
	echo "$OUT"
	exit 0
fi

start=$(date +%s)
if [ ! -f "$SRC/Makefile" ]; then
	mkdir -p "$SRC"
	tar -xJf "$tarball" -C "$SRC" --strip-components=1
fi
mkdir -p "$OUT/obj"
make -s -C "$SRC" O="$OUT/obj" x86_64_defconfig >&2
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT/obj" "$OUT/obj/.config" \
	"$SRC/kernel/configs/kvm_guest.config" "$cfg" >/dev/null
make -s -C "$SRC" O="$OUT/obj" olddefconfig >&2
# every option of the fragment must have survived olddefconfig
missing=0
while read -r line; do
	case "$line" in
	CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$OUT/obj/.config" && { echo "debug-kernel: $opt still set" >&2; missing=1; } ;;
	CONFIG_*) grep -qx "$line" "$OUT/obj/.config" || { echo "debug-kernel: $line not applied" >&2; missing=1; } ;;
	esac
done < <(grep '^CONFIG_' "$cfg")
[ $missing = 0 ] || exit 1
# modules: modpost of vmlinux writes the Module.symvers modules link against
make -s -C "$SRC" O="$OUT/obj" -j"$(nproc)" bzImage modules >&2
echo "$want" >"$stamp"
echo "debug-kernel: built in $(( $(date +%s) - start ))s" >&2
echo "$OUT"
