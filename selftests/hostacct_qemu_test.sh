#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Real QEMU (nested KVM in the guest), started the way libvirt starts it:
# its own firmware (SeaBIOS), a full default device model (VGA, balloon),
# -m 512, and a guest kernel (build/selftests/mbtouch) that touches a
# known amount of guest RAM and says so on the debug console (and, with a
# vhost-net NIC, transmits frames through it). Each VM runs
# alone (memory), and each is checked against independent sources: what
# QEMU was told (-m, vgamem_mb), what the guest touched, the VMM's smaps
# (the host's own count of the RAM mapping's resident pages) and
# /proc/PID/status.
# TAP on stdout.

set -u
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../build/selftests"
HA="$here/../tools/hostacct/hostacct"
T=$(mktemp -d)
HP="$T/hugepages"
qpid=
MiB=$((1 << 20))
RAM_MB=512
TOUCH_MB=192

. "$here/../tools/testing/lib.sh"

cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	umount "$HP" 2>/dev/null
	ip link del hatap0 2>/dev/null
	[ -n "${hp_before:-}" ] && echo "$hp_before" >/proc/sys/vm/nr_hugepages
	rm -rf "$T"
}
trap cleanup EXIT

echo "TAP version 13"

QEMU=$(command -v qemu-system-x86_64)
bios=/usr/share/seabios/bios-256k.bin

# vmm_threads: what the VMM's threads are doing, as TAP comments
vmm_threads() {
	local d
	ps -L -o tid,stat,time,wchan:32,comm -p "$qpid" 2>&1 | sed 's/^/#   /'
	for d in "/proc/$qpid/task"/*; do
		[ -r "$d/stack" ] || continue
		echo "#   $(cat "$d/comm" 2>/dev/null) (${d##*/}):"
		sed 's/^/#     /' "$d/stack" 2>/dev/null | head -12
	done
}

# start_vm NAME ARGS...: a VM as libvirt runs one (machine type, memory
# backend, no user config, no default devices but the ones named), the
# guest kernel touching TOUCH_MB; waits for the guest to say it did.
#
# Under nested KVM in an emulated (TCG) guest, the firmware now and then
# never hands over to the guest kernel (seen: the vCPU thread running
# flat out, not one byte from the kernel, for 420 s; the next VM boots).
# That is the emulator's, not what this test checks, so a VM whose kernel
# has not started gets up to three tries; each try is a comment with the
# firmware's log. A kernel that started and then fails is a failure.
start_vm() {
	local name=$1 try
	shift
	for try in 1 2 3; do
		boot_vm "$name" "$try" "$@"
		case $? in
		0) return 0 ;;
		1) return 1 ;;
		esac
		echo "# $name: try $try: the firmware did not start the guest kernel in" \
			"180 s; the VMM's threads and the firmware's last words:"
		vmm_threads
		tail -n 5 "$T/$name.bios" 2>/dev/null | awk '{ print "#     bios: " $0 }'
		stop_vm
	done
	echo "# $name: the guest kernel never started in three tries"
	return 1
}

# boot_vm NAME TRY ARGS...: 0 when the guest said it touched its RAM, 2
# when its kernel had not started after 180 s (a hang guard, not a speed
# bound: it starts in seconds here), 1 for any other failure
boot_vm() {
	local name=$1 try=$2 started=
	shift 2
	: >"$T/$name.con"
	: >"$T/$name.bios"
	"$QEMU" -name "guest=$name,debug-threads=on" \
		-machine pc,usb=off,dump-guest-core=off,memory-backend=pc.ram \
		-accel kvm -m "$RAM_MB" -smp 1 -overcommit mem-lock=off \
		-no-user-config -nodefaults -rtc base=utc -no-shutdown \
		-boot strict=on -display none -serial none -monitor none \
		-device virtio-balloon-pci,id=balloon0 \
		-debugcon "file:$T/$name.con" \
		-chardev "file,id=fwlog,path=$T/$name.bios" \
		-device isa-debugcon,iobase=0x402,chardev=fwlog \
		-kernel "$B/mbtouch" -append "touch=$TOUCH_MB${APPEND:+ $APPEND}" \
		-msg timestamp=on "$@" 2>"$T/$name.err" &
	qpid=$!
	local t0=$SECONDS
	while [ $((SECONDS - t0)) -lt 420 ]; do
		if grep -q "^touched $TOUCH_MB" "$T/$name.con"; then
			echo "# $name: up in $((SECONDS - t0)) s (try $try)"
			return 0
		fi
		if [ -z "$started" ] && grep -q "^mbtouch" "$T/$name.con"; then
			started=1
		fi
		[ -z "$started" ] && [ $((SECONDS - t0)) -ge 180 ] && return 2
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# $name: the guest never said it touched its RAM" \
		"(after $((SECONDS - t0)) s):" \
		"$(cat "$T/$name.con" "$T/$name.err" | head -c 400)"
	vmm_threads
	return 1
}

stop_vm() {
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
}

# host_ram_kb: resident kB of the VMM's RAM mapping (the one VMA of
# exactly RAM_MB), small pages and huge alike, from its smaps
host_ram_kb() {
	awk -v want=$((RAM_MB * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { in_ram = 0 }
		/^Size:/ { in_ram = ($2 == want) }
		in_ram && /^(Rss|Private_Hugetlb|Shared_Hugetlb):/ { kb += $2 }
		END { print kb + 0 }' "/proc/$qpid/smaps"
}

# snap NAME: what hostacct and procfs say of the running VM, side by side
snap() {
	local name=$1
	"$HA" show -j --exact-mem -P "$qpid" >"$T/$name.json" 2>&1
	host_ram_kb >"$T/$name.smaps"
	awk '/^(VmRSS|HugetlbPages):/ { print $2 }' "/proc/$qpid/status" |
		paste -sd' ' >"$T/$name.status"
	"$HA" report -j --since-boot --natives 0 --exact-mem >"$T/$name.report" 2>&1
	"$HA" show -j --exact-mem -P "$qpid" >"$T/$name.after.json" 2>&1
	echo "# $name as hostacct show prints it:"
	"$HA" show -P "$qpid" | sed 's/^/#   /'
}

# check NAME JQ-EXPR FILE: the expression is true of the VM's record ($w),
# with $smaps_kb, $rss_kb and $hugetlb_kb from procfs at hand
check() {
	local name=$1 expr=$2 file=$3 rss_kb hugetlb_kb
	read -r rss_kb hugetlb_kb <"${file%.json}.status"
	if jq -e --argjson smaps_kb "$(cat "${file%.json}.smaps")" \
		--argjson rss_kb "${rss_kb:-0}" --argjson hugetlb_kb "${hugetlb_kb:-0}" \
		--argjson MiB $MiB --argjson touched $((TOUCH_MB * MiB)) \
		".[0] as \$w | $expr" "$file" >/dev/null 2>&1; then
		ok "$name"
	else
		notok "$name" "jq: $expr" "smaps RAM kB $(cat "${file%.json}.smaps"), VmRSS/HugetlbPages kB ${rss_kb:-?}/${hugetlb_kb:-?}" \
			"$(jq -c '.[0] | del(.kvm_vcpus)' "$file" 2>&1 | head -c 900)"
	fi
}

# check_own NAME VM: the report's VMM own memory of the VM is its RSS plus
# hugetlbfs pages minus resident guest RAM, as the exact records taken just
# before and after the report have them (it lies between the two), and > 0
check_own() {
	local name=$1 vm=$2
	local want='.[0] | .mem_rss_anon_bytes + .mem_rss_file_bytes + .mem_rss_shmem_bytes +
		    .mem_hugetlb_bytes - .kvm_guest_resident_bytes'
	if jq -e --argjson a "$(jq "$want" "$T/$vm.json")" \
		--argjson b "$(jq "$want" "$T/$vm.after.json")" \
		"(.vms[] | select(.id == $qpid) | .vmm_overhead_bytes) as \$own |
		 \$own > 0 and \$own >= ([\$a, \$b] | min) and \$own <= ([\$a, \$b] | max)" \
		"$T/$vm.report" >/dev/null 2>&1; then
		ok "$name"
	else
		notok "$name" "report: $(jq -c ".vms[] | select(.id == $qpid)" "$T/$vm.report" 2>&1 | head -c 600)" \
			"show before: $(jq -c '.[0] | del(.kvm_vcpus)' "$T/$vm.json" 2>&1 | head -c 900)" \
			"show after: $(jq -c '.[0] | del(.kvm_vcpus)' "$T/$vm.after.json" 2>&1 | head -c 900)"
	fi
}

# --- 1. default machine, std VGA (16 MiB of VRAM), RAM from anonymous memory
if start_vm std -object memory-backend-ram,id=pc.ram,size=$((RAM_MB * MiB)) \
	-device VGA,id=video0,vgamem_mb=16; then
	snap std
	check "std VGA: the VM is one kvm workload, the VMM's pid" \
		"\$w.class == \"kvm\" and \$w.id == $qpid and \$w.kvm_nr_vms == 1 and \$w.kvm_nr_vcpus == 1" \
		"$T/std.json"
	check "std VGA: configured guest RAM is exactly -m ($RAM_MB MiB)" \
		"\$w.kvm_guest_mem_bytes == $((RAM_MB * MiB))" "$T/std.json"
	# Device memory: the 16 MiB of VRAM, the 256 KiB BIOS, and the VGA
	# BIOS and option ROMs, each well under 1 MiB.
	check "std VGA: device memory is the VRAM and the firmware" \
		"\$w.kvm_device_mem_bytes >= 16 * \$MiB + $(stat -c %s $bios) and
		 \$w.kvm_device_mem_bytes <= 17 * \$MiB + $(stat -c %s $bios)" "$T/std.json"
	check "std VGA: resident guest RAM holds every page the guest touched" \
		"\$w.kvm_guest_resident_bytes >= \$touched" "$T/std.json"
	check "std VGA: resident guest RAM within 2% of the RAM mapping's resident pages (smaps)" \
		"(\$w.kvm_guest_resident_bytes - \$smaps_kb * 1024 | fabs) <= 0.02 * \$smaps_kb * 1024" \
		"$T/std.json"
	check "std VGA: no hugetlbfs pages, as /proc/PID/status says" \
		"\$w.mem_hugetlb_bytes == 0 and \$hugetlb_kb == 0" "$T/std.json"
	check_own "std VGA: the report's VMM own memory is RSS minus resident guest RAM, > 0" \
		std
	stop_vm
else
	notok "std VGA: the VM boots and touches its RAM"
	stop_vm
fi

# --- 2. 64 MiB of VRAM, as libvirt's vgamem_mb sets it
if start_vm vga64 -object memory-backend-ram,id=pc.ram,size=$((RAM_MB * MiB)) \
	-device VGA,id=video0,vgamem_mb=64; then
	snap vga64
	check "VGA 64 MiB: configured guest RAM is still exactly -m" \
		"\$w.kvm_guest_mem_bytes == $((RAM_MB * MiB))" "$T/vga64.json"
	check "VGA 64 MiB: the VRAM is device memory" \
		"\$w.kvm_device_mem_bytes >= 64 * \$MiB + $(stat -c %s $bios) and
		 \$w.kvm_device_mem_bytes <= 65 * \$MiB + $(stat -c %s $bios)" "$T/vga64.json"
	stop_vm
else
	notok "VGA 64 MiB: the VM boots and touches its RAM"
	stop_vm
fi

# --- 3. guest RAM on hugetlbfs (libvirt's <hugepages/>): not in the RSS
# counters; 2 MiB pages, a few more than RAM_MB needs for firmware slack
hp_before=$(cat /proc/sys/vm/nr_hugepages)
mkdir -p "$HP"
echo $((RAM_MB / 2 + 8)) >/proc/sys/vm/nr_hugepages
if mount -t hugetlbfs -o pagesize=2M none "$HP" &&
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge $((RAM_MB / 2)) ] &&
	start_vm huge -object memory-backend-file,id=pc.ram,size=$((RAM_MB * MiB)),mem-path="$HP",share=off \
		-device VGA,id=video0,vgamem_mb=16; then
	snap huge
	check "hugetlbfs: configured guest RAM is exactly -m" \
		"\$w.kvm_guest_mem_bytes == $((RAM_MB * MiB))" "$T/huge.json"
	check "hugetlbfs: the VMM's hugetlbfs pages are its HugetlbPages (/proc/PID/status)" \
		"\$w.mem_hugetlb_bytes == \$hugetlb_kb * 1024 and \$w.mem_hugetlb_bytes >= \$touched" \
		"$T/huge.json"
	check "hugetlbfs: resident guest RAM holds every page the guest touched" \
		"\$w.kvm_guest_resident_bytes >= \$touched" "$T/huge.json"
	check "hugetlbfs: resident guest RAM within 2% of the RAM mapping's huge pages (smaps)" \
		"(\$w.kvm_guest_resident_bytes - \$smaps_kb * 1024 | fabs) <= 0.02 * \$smaps_kb * 1024" \
		"$T/huge.json"
	check_own "hugetlbfs: VMM own memory is RSS + hugetlbfs pages - resident guest RAM, > 0" \
		huge
	stop_vm
else
	notok "hugetlbfs: a hugetlbfs mount with $((RAM_MB / 2)) 2 MiB pages and a VM on it" \
		"nr_hugepages $(cat /proc/sys/vm/nr_hugepages)"
	stop_vm
fi

# --- 4. vhost-net (libvirt's default for a virtio NIC on a tap): the
# guest transmits without end; every frame is work for the VM's vhost
# worker, a kernel thread vhost-QEMUPID on 6.1, a thread of QEMU on 6.4+.

# runtime_ns TASKDIR: the task's precise runtime (schedstat), 0 if gone
runtime_ns() {
	local rt
	read -r rt _ <"$1/schedstat" 2>/dev/null || rt=0
	echo "${rt:-0}"
}

# vhost_dir: /proc's directory of the VM's vhost worker, thread or kthread
vhost_dir() {
	local d
	for d in /proc/$qpid/task/*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "vhost-$qpid" ] && { echo "$d"; return 0; }
	done
	d=$(pgrep -x "vhost-$qpid" | head -n1)
	[ -n "$d" ] && echo "/proc/$d"
}

# qemu_threads_ns [PREFIX]: the summed runtime of QEMU's threads (whose
# name starts with PREFIX)
qemu_threads_ns() {
	local d sum=0
	for d in /proc/$qpid/task/*; do
		case "$(cat "$d/comm" 2>/dev/null)" in
		"${1:-}"*) sum=$((sum + $(runtime_ns "$d"))) ;;
		esac
	done
	echo "$sum"
}

modprobe vhost_net 2>/dev/null
modprobe tun 2>/dev/null
if [ -c /dev/vhost-net ] && [ -c /dev/net/tun ] &&
	APPEND="net=4000000000" start_vm vhost \
		-object memory-backend-ram,id=pc.ram,size=$((RAM_MB * MiB)) \
		-netdev tap,id=hostnet0,ifname=hatap0,script=no,downscript=no,vhost=on \
		-device virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:12:34:56,disable-modern=on; then
	ip link set hatap0 up 2>/dev/null
	vd=
	for _ in $(seq 3000); do
		[ -z "$vd" ] && vd=$(vhost_dir)
		# the worker has done real work: 100 ms of CPU (a count of events,
		# whatever the speed of the machine)
		[ -n "$vd" ] && grep -q "^net up" "$T/vhost.con" &&
			[ "$(runtime_ns "$vd")" -gt 100000000 ] && break
		sleep 0.1
	done
	if [ -z "$vd" ] || [ "$(runtime_ns "$vd")" -le 100000000 ]; then
		notok "vhost: the VM's vhost worker runs" \
			"worker ${vd:-not found}, console: $(head -c 300 "$T/vhost.con")"
	else
		kthread=0
		[ "${vd%/task/*}" = "$vd" ] && kthread=1
		v0=$(runtime_ns "$vd")
		s0=$(qemu_threads_ns)
		[ "$kthread" = 1 ] && s0=$((s0 + v0))
		"$HA" show -j -P "$qpid" >"$T/vhost.json" 2>&1
		v1=$(runtime_ns "$vd")
		nx1=$(qemu_threads_ns kvm-nx)
		"$HA" show -j -P "${vd##*/}" >"$T/vhost.bypid.json" 2>&1
		for f in vhost vhost.bypid; do	# what check() reads beside
			echo 0 >"$T/$f.smaps"
			echo "0 0" >"$T/$f.status"
		done
		echo "# vhost worker: $vd ($([ "$kthread" = 1 ] && echo kernel thread || echo thread of QEMU)), runtime $v0..$v1 ns"
		echo "# the VM as hostacct show prints it:"
		"$HA" show -P "$qpid" | sed 's/^/#   /'
		rx=$(cat /sys/class/net/hatap0/statistics/rx_packets 2>/dev/null || echo 0)
		if [ "$rx" -gt 0 ]; then
			ok "vhost: the guest's frames reach the tap device ($rx)"
		else
			notok "vhost: the guest's frames reach the tap device" "rx_packets $rx"
		fi
		check "vhost: the VM's worker time holds its vhost worker's runtime (schedstat)" \
			"\$w.cpu_workers_ns >= $v0 and \$w.cpu_workers_ns <= $v1 + $nx1" "$T/vhost.json"
		check "vhost: the VM's CPU time holds QEMU's threads and the vhost worker" \
			"\$w.cpu_ns >= $s0" "$T/vhost.json"
		check "vhost: the VM's overhead holds the vhost worker" \
			"\$w.kvm_overhead_ns >= $v0" "$T/vhost.json"
		check "vhost: the worker's pid names the VM, not the kernel class" \
			"\$w.class == \"kvm\" and \$w.id == $qpid" "$T/vhost.bypid.json"
		# KVM's NX huge-page recovery worker: a thread of QEMU on 6.12,
		# a kernel thread on 6.1 (the only one: this VM runs alone)
		nx=$(for d in /proc/$qpid/task/* /proc/[0-9]*; do
			case "$(cat "$d/comm" 2>/dev/null)" in kvm-nx-lpage*) echo "${d##*/}" ;; esac
		done | sort -u)
		if [ "$(echo "$nx" | grep -c .)" = 1 ]; then
			"$HA" show -j -P "$nx" >"$T/nx.json" 2>&1
			echo 0 >"$T/nx.smaps"
			echo "0 0" >"$T/nx.status"
			check "KVM's NX recovery worker ($nx) names the VM, not the kernel class" \
				"\$w.class == \"kvm\" and \$w.id == $qpid" "$T/nx.json"
		else
			notok "KVM's NX recovery worker: one, found" "found: $(echo $nx)"
		fi
	fi
	stop_vm
else
	notok "vhost: a VM with a vhost-net NIC on a tap device" \
		"$(ls -l /dev/vhost-net /dev/net/tun 2>&1)"
	stop_vm
fi

echo "1..$n"
[ "$failed" -eq 0 ]
