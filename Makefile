# SPDX-License-Identifier: GPL-2.0
#
# hostacct: kernel module (kmod/), CLI (tools/hostacct/), selftests.
#
#   make                 module for the running kernel (or KDIR=...) + CLI
#   make deps            install the Debian packages the project needs
#   make check           the whole test suite, both kernels, under QEMU
#   make demo            boot a guest, start workloads, print the report
#   make install         module, CLI, man page, completion (DESTDIR, PREFIX)
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

.PHONY: all module tool selftests clean deps check demo bench stress \
	style sparse install uninstall

all: module tool

module:
	$(MAKE) -C $(KDIR) M=$(SRC) modules

tool:
	$(MAKE) -C tools/hostacct

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

clean:
	-$(MAKE) -C $(KDIR) M=$(SRC) clean 2>/dev/null
	$(MAKE) -C tools/hostacct clean
	$(MAKE) -C selftests clean
	rm -rf build
