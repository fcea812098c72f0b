# SPDX-License-Identifier: GPL-2.0
#
# hostacct: kernel module (kmod/), CLI (tools/hostacct/), selftests.
#
#   make                 module for the running kernel (or KDIR=...) + CLI
#   make deps            install the Debian packages the project needs
#   make check           the whole test suite, both kernels, under QEMU
#   make demo            boot a guest, start workloads, print the report
#   make bench           snapshot cost vs a bare walk, procfs/top/ps, fork/exit
#   make mutants         deliberate bugs the suite must catch (not in check)
#   make stress          1M fuzz messages, 100 module reloads under load
#   make check-debug     the suite on a KASAN/lockdep/kmemleak 6.12 kernel
#   make install         module, CLI, man page, completion, systemd units
#                        (DESTDIR, PREFIX, KVER); make uninstall
#   make dkms-install    register with DKMS: rebuilt for every new kernel
#   make sign KEY= CERT= sign the module with a Machine Owner Key
#
# Kbuild (next to this file) describes the module; the kernel build system
# reads it both from here and from `make -C <kernel build dir> M=$PWD`.

SHELL := /bin/bash
SRC := $(CURDIR)

# The running kernel's headers if installed, else the newest supported
# kernel of this machine (scripts/kernels.sh).
KVER ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then uname -r; \
	  else $(SRC)/scripts/kernels.sh | tail -n1; fi)
KDIR ?= /lib/modules/$(KVER)/build

PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
DATADIR ?= $(PREFIX)/share/hostacct
LIBEXECDIR ?= $(PREFIX)/libexec/hostacct
MODDIR ?= /lib/modules/$(KVER)/updates
VERSION := $(shell sed -n 's/^\#define HOSTACCT_VERSION[[:space:]]*"\(.*\)"/\1/p' kmod/hostacct.h)

.PHONY: all module tool selftests clean deps check check-debug demo bench stress mutants \
	style sparse install uninstall dkms-install dkms-uninstall sign FORCE

all: module tool

module:
	$(MAKE) -C $(KDIR) M=$(SRC) modules

# The built module, rebuilt when a source or the target kernel changed;
# install and sign depend on it rather than on a full kbuild pass.
KO := kmod/hostacct.ko
KMOD_SRCS := Kbuild kmod/Kbuild $(wildcard kmod/*.c kmod/*.h) \
	     include/uapi/linux/hostacct.h
$(KO): $(KMOD_SRCS) kmod/.kver
	$(MAKE) -C $(KDIR) M=$(SRC) modules

kmod/.kver: FORCE
	@echo "$(KVER)" | cmp -s - $@ || echo "$(KVER)" >$@

FORCE:

tool:
	$(MAKE) -C tools/hostacct LIBEXECDIR=$(LIBEXECDIR)

selftests:
	$(MAKE) -C selftests

deps:
	@scripts/deps.sh

# checkpatch on the module and the uAPI (scripts/check.sh fetches it from
# Debian's linux-source package)
style:
	@scripts/check.sh --only style

sparse:
	$(MAKE) -C $(KDIR) M=$(SRC) C=2 W=1 modules

check:
	@scripts/check.sh

demo:
	@scripts/deps.sh
	@tools/testing/vmtest.sh --demo -k $(or $(KERNEL),6.12)

# Deliberate bugs, one at a time in scratch copies of the tree, each with
# the part of the suite that guards that code (KERNEL=6.1 for the other).
mutants:
	@scripts/deps.sh
	@scripts/ksrc.sh >/dev/null
	@KERNEL=$(or $(KERNEL),6.12) scripts/mutants.sh

# Hardening: 1M fuzz messages, 100 module reloads under load, both kernels.
stress:
	@scripts/deps.sh
	@tools/testing/vmtest.sh --mode stress -t 3000

# The whole suite on a KASAN/lockdep/kmemleak kernel built from Debian's
# linux-source-6.12 (cached in build/debug-kernel). That kernel has no
# headers package, so the packaging test is reported as a skip, allowed
# here.
check-debug:
	@scripts/deps.sh
	@HOSTACCT_ALLOW_SKIP=1 tools/testing/vmtest.sh --kdir "$$(scripts/debug-kernel.sh)/obj" -t 5400

# Snapshot cost against a bare kernel walk of the same tasks (the floor),
# procfs readers and top at 1k-50k tasks, the dump again at 8 vCPUs,
# fork/exit overhead, module memory; in a 6 GiB guest (KERNEL=6.1 to pick
# the other kernel). Ratios and targets are printed; every figure goes to
# build/bench/results.json.
BENCH_KERNEL = $(or $(KERNEL),6.12)
bench:
	@scripts/deps.sh
	@tools/testing/vmtest.sh --mode bench -k $(BENCH_KERNEL) --mem 6144 -t 2400
	@tools/testing/vmtest.sh --mode bench -k $(BENCH_KERNEL) --mem 6144 --smp 8 \
		-t 2400 -a "--dump-only 10000"
	@mkdir -p build/bench
	@/usr/bin/python3 tools/testing/bench-report.py build/bench/results.json \
		build/vm-bench/*/results.txt build/vm-bench-smp8/*/results.txt

# Install the module for KVER (default: the running kernel), the CLI, its
# man page, bash completion and systemd units. DESTDIR stages a package.
install: $(KO) tool
	install -D -m 0644 kmod/hostacct.ko $(DESTDIR)$(MODDIR)/hostacct.ko
	install -D -m 0755 tools/hostacct/hostacct $(DESTDIR)$(SBINDIR)/hostacct
	install -D -m 0755 tools/hostacct/hostacct-top $(DESTDIR)$(LIBEXECDIR)/hostacct-top
	install -D -m 0755 tools/hostacct/hostacct-serve $(DESTDIR)$(LIBEXECDIR)/hostacct-serve
	install -D -m 0755 tools/hostacct/hostacct-history \
		$(DESTDIR)$(LIBEXECDIR)/hostacct-history
	install -D -m 0644 Documentation/hostacct.8 $(DESTDIR)$(MANDIR)/man8/hostacct.8
	install -D -m 0644 tools/hostacct/hostacct.bash-completion \
		$(DESTDIR)$(COMPLETIONDIR)/hostacct
	install -D -m 0644 tools/systemd/hostacct.service \
		$(DESTDIR)$(UNITDIR)/hostacct.service
	sed 's|@SBINDIR@|$(SBINDIR)|' tools/systemd/hostacct-exporter.service \
		>$(DESTDIR)$(UNITDIR)/hostacct-exporter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hostacct-exporter.service
	sed 's|@SBINDIR@|$(SBINDIR)|' tools/systemd/hostacct-record.service \
		>$(DESTDIR)$(UNITDIR)/hostacct-record.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hostacct-record.service
	install -D -m 0644 tools/prometheus/hostacct.rules.yml \
		$(DESTDIR)$(DATADIR)/prometheus/hostacct.rules.yml
	install -D -m 0644 tools/prometheus/hostacct.rules.test.yml \
		$(DESTDIR)$(DATADIR)/prometheus/hostacct.rules.test.yml
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
endif

uninstall:
	rm -f $(DESTDIR)$(MODDIR)/hostacct.ko $(DESTDIR)$(SBINDIR)/hostacct \
		$(DESTDIR)$(MANDIR)/man8/hostacct.8 $(DESTDIR)$(COMPLETIONDIR)/hostacct \
		$(DESTDIR)$(UNITDIR)/hostacct.service \
		$(DESTDIR)$(UNITDIR)/hostacct-exporter.service \
		$(DESTDIR)$(UNITDIR)/hostacct-record.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBEXECDIR)
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
endif

# DKMS: sources to /usr/src/hostacct-VERSION, built and installed for the
# running kernel and rebuilt by DKMS for every kernel installed later.
dkms-install:
	install -d $(DESTDIR)/usr/src/hostacct-$(VERSION)
	cp -a Kbuild kmod include $(DESTDIR)/usr/src/hostacct-$(VERSION)/
	sed 's/@VERSION@/$(VERSION)/' dkms.conf >$(DESTDIR)/usr/src/hostacct-$(VERSION)/dkms.conf
	rm -f $(DESTDIR)/usr/src/hostacct-$(VERSION)/kmod/*.o \
		$(DESTDIR)/usr/src/hostacct-$(VERSION)/kmod/*.ko
ifeq ($(DESTDIR),)
	dkms add hostacct/$(VERSION)
	dkms install hostacct/$(VERSION) -k $(KVER)
endif

dkms-uninstall:
	-dkms remove hostacct/$(VERSION) --all
	rm -rf $(DESTDIR)/usr/src/hostacct-$(VERSION)

# Sign the module for hosts that enforce signatures (Secure Boot): KEY and
# CERT are the MOK's private key and certificate (DER or PEM).
sign: $(KO)
	@test -n "$(KEY)" -a -n "$(CERT)" || { echo "usage: make sign KEY=MOK.priv CERT=MOK.der" >&2; exit 2; }
	$(KDIR)/scripts/sign-file sha256 $(KEY) $(CERT) kmod/hostacct.ko

clean:
	-$(MAKE) -C $(KDIR) M=$(SRC) clean 2>/dev/null
	$(MAKE) -C tools/hostacct clean
	$(MAKE) -C selftests clean
	rm -rf build
