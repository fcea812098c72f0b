#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hostacct as a package, in the guest (whose root is a throwaway overlay):
# make install with DESTDIR (layout) and for real (modprobe), make
# uninstall, DKMS building the module for the other supported kernel, the
# kernel's own YNL client dumping the family from our spec, and module
# signing. TAP on stdout. Leaves the test module loaded, as it found it.

set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/.." && pwd)
KSRC="$ROOT/build/ksrc"
rel=$(uname -r)
T=$(mktemp -d)
. "$ROOT/tools/testing/lib.sh"

restore() {
	rmmod hostacct 2>/dev/null
	insmod "$HOSTACCT_KO" 2>/dev/null
	rm -rf "$T"
}
trap restore EXIT

echo "TAP version 13"
# The tree vmtest.sh built the module in for this kernel (HA_BUILD/mod):
# make finds everything up to date there instead of compiling under
# emulation; the guest's writes land in its throwaway overlay.
# the version the module and the tool carry, from the sources
V=$(sed -n 's/^#define HOSTACCT_VERSION[[:space:]]*"\(.*\)"/\1/p' "$ROOT/kmod/hostacct.h")
TREE="${HA_BUILD:-$ROOT}/mod"
[ -f "$TREE/Makefile" ] || TREE=$ROOT
S="$T/stage"

# --- staged install: the layout a package would have
if make -s -C "$TREE" install DESTDIR="$S" KVER="$rel" >"$T/install.log" 2>&1; then
	missing=""
	for f in "lib/modules/$rel/updates/hostacct.ko" usr/sbin/hostacct \
		 usr/libexec/hostacct/hostacct-top usr/libexec/hostacct/hostacct-serve \
		 usr/libexec/hostacct/hostacct-history \
		 usr/lib/systemd/system/hostacct-record.service \
		 usr/share/man/man8/hostacct.8 \
		 usr/share/bash-completion/completions/hostacct \
		 usr/lib/systemd/system/hostacct.service \
		 usr/lib/systemd/system/hostacct-exporter.service \
		 usr/share/hostacct/prometheus/hostacct.rules.yml \
		 usr/share/hostacct/prometheus/hostacct.rules.test.yml; do
		[ -f "$S/$f" ] || missing="$missing $f"
	done
	if [ -z "$missing" ] &&
	   grep -q "ExecStart=/usr/sbin/hostacct serve" "$S/usr/lib/systemd/system/hostacct-exporter.service" &&
	   grep -q "ExecStart=/usr/sbin/hostacct record" "$S/usr/lib/systemd/system/hostacct-record.service"; then
		ok "make install DESTDIR=... installs module, CLI and its helpers, man page, completion, units (recorder's too), Prometheus rules"
	else
		notok "make install DESTDIR=... layout" "missing:$missing"
	fi
else
	notok "make install DESTDIR=..." "$(tail -n 15 "$T/install.log")"
fi
modinfo "$S/lib/modules/$rel/updates/hostacct.ko" >"$T/modinfo" 2>&1
echo "# modinfo of the installed module:"
sed 's/^/#   /' "$T/modinfo"
if grep -q "^version: *$V\$" "$T/modinfo" && grep -q '^license: *GPL' "$T/modinfo" &&
   grep -q "^vermagic: *$rel " "$T/modinfo" &&
   ! grep -q '^alias:' "$T/modinfo"; then
	ok "the installed module has version, license and vermagic, and no alias (no autoload)"
else
	notok "installed module's modinfo"
fi
result "the staged man page renders" man -l "$S/usr/share/man/man8/hostacct.8"
# --- real install: modprobe finds it; uninstall removes it
rmmod hostacct
if make -s -C "$TREE" install KVER="$rel" >"$T/install2.log" 2>&1 &&
   modprobe hostacct && [ -d /sys/module/hostacct ] &&
   [ "$(modinfo -n hostacct)" = "/lib/modules/$rel/updates/hostacct.ko" ] &&
   /usr/sbin/hostacct version | grep -q "kernel module *$V" &&
   /usr/sbin/hostacct top -b -n 1 | grep -q '^hostacct top' &&
   /usr/sbin/hostacct serve --help | grep -q 'usage: hostacct serve'; then
	ok "make install; modprobe hostacct loads the installed module; top and serve run from libexec"
else
	notok "make install; modprobe hostacct" "$(tail -n 10 "$T/install2.log")" \
		"$(modinfo -n hostacct 2>&1)"
fi
rmmod hostacct 2>/dev/null
# No alias: asking for the family, as any user can, loads nothing; the
# admin loads the module (modprobe, hostacct.service).
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/sbin/hostacct host 2>&1)
rc=$?
err2=$(/usr/sbin/hostacct host 2>&1)
rc2=$?
if [ $rc -eq 1 ] && [ $rc2 -eq 1 ] && [ ! -d /sys/module/hostacct ] &&
   grep -q "kernel module not loaded; load it with: modprobe hostacct" <<<"$err2"; then
	ok "an installed module is not loaded by asking for its family (as a user or as root)"
else
	notok "no autoload" "user: exit $rc: $err" "root: exit $rc2: $err2" \
		"loaded: $([ -d /sys/module/hostacct ] && echo yes || echo no)"
fi
rmmod hostacct 2>/dev/null
make -s -C "$TREE" uninstall KVER="$rel" >/dev/null 2>&1
if [ ! -e "/lib/modules/$rel/updates/hostacct.ko" ] && [ ! -e /usr/sbin/hostacct ] &&
   [ ! -e /usr/share/hostacct ] && [ ! -e /usr/libexec/hostacct ] &&
   ! modprobe hostacct 2>/dev/null; then
	ok "make uninstall removes what install put"
else
	notok "make uninstall"
fi
insmod "$HOSTACCT_KO"

# --- DKMS builds the module for the other supported kernel (a real
# compile under emulation: the slowest test of the suite). Each kernel's
# guest builds for the other one; the two guests run side by side.
t0=$(date +%s)
other=$("$ROOT/scripts/kernels.sh" | grep -vx "$rel" | tail -n1)
if [ -z "$other" ]; then
	notok "dkms build for the other supported kernel" \
		"only $rel is installed; make check needs a 6.1.x and a 6.12.x kernel"
else
	make -s -C "$TREE" dkms-install DESTDIR="$T/dkms" >/dev/null 2>&1
	cp -a "$T/dkms/usr/src/hostacct-$V" /usr/src/
	if dkms add hostacct/$V >"$T/dkms.log" 2>&1 &&
	   dkms build hostacct/$V -k "$other" >>"$T/dkms.log" 2>&1; then
		ko=$(find /var/lib/dkms/hostacct/$V/"$other" -name 'hostacct.ko*' | head -n1)
		if [ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$other "; then
			ok "dkms build for $other"
		else
			notok "dkms build for $other: no module with its vermagic" "$ko"
		fi
	else
		notok "dkms build for $other" "$(tail -n 15 "$T/dkms.log")"
	fi
	dkms remove hostacct/$V --all >/dev/null 2>&1
	rm -rf /usr/src/hostacct-$V
	echo "# dkms add + build took $(( $(date +%s) - t0 ))s"
fi

# --- the kernel's generic YNL client, driven by our spec
ynl() {
	/usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" \
		--spec "$ROOT/Documentation/netlink/specs/hostacct.yaml" \
		--schema "$KSRC/Documentation/netlink/genetlink.yaml" "$@"
}
if ynl --do host-get >"$T/ynl-host" 2>&1 &&
   grep -q "'nr-cpus-online': $(nproc)" "$T/ynl-host" &&
   grep -q "'class': 'kernel'" "$T/ynl-host"; then
	ok "YNL cli.py: do host-get from our spec"
else
	notok "YNL cli.py: do host-get" "$(head -c 600 "$T/ynl-host")"
fi
# one entry per workload (the two clients are themselves workloads: +-2)
if ynl --dump workload-get >"$T/ynl-dump" 2>&1 &&
   grep -q "'class': 'kernel'" "$T/ynl-dump" && grep -q "'class': 'native'" "$T/ynl-dump" &&
   [ $(( $(grep -o "'class': '[a-z]*'" "$T/ynl-dump" | wc -l) -
         $("$ROOT/tools/hostacct/hostacct" show -j | jq length) )) -le 2 ] &&
   [ $(( $("$ROOT/tools/hostacct/hostacct" show -j | jq length) -
         $(grep -o "'class': '[a-z]*'" "$T/ynl-dump" | wc -l) )) -le 2 ]; then
	ok "YNL cli.py: dump workload-get from our spec, one entry per workload"
else
	notok "YNL cli.py: dump workload-get" "$(head -c 600 "$T/ynl-dump")"
fi
echo "# YNL client output (host-get, first lines of workload-get):"
head -c 700 "$T/ynl-host" | sed 's/^/#   /'
echo
head -c 500 "$T/ynl-dump" | sed 's/^/#   /'
echo

# --- signing with a Machine Owner Key
if openssl req -new -nodes -utf8 -sha256 -days 1 -batch -x509 \
	-subj "/CN=hostacct test MOK/" -outform DER -out "$T/mok.der" \
	-keyout "$T/mok.priv" >/dev/null 2>&1 &&
   make -s -C "$TREE" sign KEY="$T/mok.priv" CERT="$T/mok.der" KVER="$rel" >"$T/sign.log" 2>&1 &&
   [ "$(modinfo -F signer "$TREE/kmod/hostacct.ko")" = "hostacct test MOK" ]; then
	ok "make sign KEY= CERT= signs the module"
else
	notok "make sign" "$(tail -n 10 "$T/sign.log" 2>/dev/null)"
fi

echo "1..$n"
[ $failed -eq 0 ]
