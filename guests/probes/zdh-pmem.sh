#!/bin/sh
# zdh-pmem: persistent-memory set-up for the workloads (busybox sh, in the guest).
#
#   zdh-pmem reset                       wait for the NVDIMM regions, destroy every namespace,
#                                        turn labels on (so that a region can be split)
#   zdh-pmem fsdax NAME SIZE MAP         an fsdax namespace, memmap in device memory (MAP=dev)
#                                        or in RAM (MAP=mem); /run/zdh/pmem/NAME holds /dev/pmemX
#   zdh-pmem devdax NAME SIZE ALIGN      a devdax namespace; /run/zdh/pmem/NAME holds daxX.Y
#   zdh-pmem mount-dax FS NAME DIR       mkfs (ext4, or xfs with reflink=0) on namespace NAME,
#                                        mount with dax=always, and check that DAX is on
#   zdh-pmem plain DIR                   a non-DAX ext4 for O_DIRECT targets: null_blk,
#                                        memory-backed, with completions delayed by a timer so
#                                        that page pins last while the I/O is in flight
#   zdh-pmem dev NAME                    print what NAME was set up as
#   zdh-pmem clean                       unmount everything under /mnt, destroy namespaces,
#                                        unload null_blk
#
# Every failure prints why and exits non-zero: a workload's set-up stops there.
set -u
STATE=/run/zdh/pmem
mkdir -p "$STATE"

die() {
	echo "zdh-pmem: $*" >&2
	exit 1
}

# The NFIT is probed asynchronously: the regions appear a moment after /init starts.
wait_regions() {
	i=0
	while [ ! -e /sys/bus/nd/devices/region0 ]; do
		i=$((i + 1))
		[ "$i" -gt 300 ] && die "no NVDIMM region after 30 s (/sys/bus/nd/devices: $(ls /sys/bus/nd/devices 2>/dev/null | tr '\n' ' '))"
		usleep 100000
	done
}

# The namespace that ndctl just created, from its JSON: the value of "key".
json_value() {
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1
}

# A dax device hot-plugged as system RAM back to device_dax (what daxctl does; daxctl
# itself needs /sys/devices/system/node, i.e. CONFIG_NUMA).
to_devdax() {
	daxctl reconfigure-device --mode=devdax -f "$1" >/dev/null 2>&1 && return 0
	base=/sys/bus/dax/devices/$1
	bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
	start=$(($(cat "$base/resource")))
	end=$((start + $(cat "$base/size")))
	b=$(((start + bs - 1) / bs))
	while [ $((b * bs + bs)) -le "$end" ]; do
		[ -e "/sys/devices/system/memory/memory$b/state" ] && echo offline >"/sys/devices/system/memory/memory$b/state" 2>/dev/null
		b=$((b + 1))
	done
	echo "$1" >/sys/bus/dax/drivers/kmem/unbind 2>/dev/null
	echo "$1" >/sys/bus/dax/drivers/kmem/remove_id 2>/dev/null
	echo "$1" >/sys/bus/dax/drivers/device_dax/bind 2>/dev/null
	true
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
reset)
	wait_regions
	ndctl destroy-namespace -f all >/dev/null 2>&1
	if command -v zdh-nvdimm-labels >/dev/null 2>&1; then
		zdh-nvdimm-labels >/dev/null || die "cannot initialise the NVDIMM labels"
	else
		ndctl disable-region all >/dev/null && ndctl init-labels -f all >/dev/null &&
			ndctl enable-region all >/dev/null || die "cannot initialise the NVDIMM labels"
	fi
	rm -f "$STATE"/*
	;;
fsdax)
	[ $# -eq 3 ] || die "usage: fsdax NAME SIZE dev|mem"
	wait_regions
	out=$(ndctl create-namespace -r region0 -m fsdax -M "$3" -s "$2" 2>&1) || die "ndctl create-namespace -m fsdax -M $3 -s $2: $out"
	dev=$(echo "$out" | json_value blockdev)
	[ -n "$dev" ] && [ -b "/dev/$dev" ] || die "no block device in: $out"
	echo "/dev/$dev" >"$STATE/$1"
	echo "$1: /dev/$dev (fsdax, memmap in $3, $2)"
	;;
devdax)
	[ $# -eq 3 ] || die "usage: devdax NAME SIZE ALIGN"
	wait_regions
	out=$(ndctl create-namespace -r region0 -m devdax -a "$3" -s "$2" 2>&1) || die "ndctl create-namespace -m devdax -a $3 -s $2: $out"
	dev=$(echo "$out" | json_value chardev)
	[ -n "$dev" ] && [ -c "/dev/$dev" ] || die "no dax device in: $out"
	echo "$dev" >"$STATE/$1"
	echo "$1: /dev/$dev (devdax, align $3, $2)"
	;;
mount-dax)
	[ $# -eq 3 ] || die "usage: mount-dax ext4|xfs NAME DIR"
	dev=$(cat "$STATE/$2" 2>/dev/null) || die "no namespace $2"
	mkdir -p "$3"
	case "$1" in
	# Stripe units of 2M: allocations aligned for PMD faults where the file system can.
	ext4) out=$(mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 "$dev" 2>&1) || die "mkfs.ext4 $dev failed: $out" ;;
	xfs) out=$(mkfs.xfs -q -f -m reflink=0 -d su=2m,sw=1,agcount=2 "$dev" 2>&1) || die "mkfs.xfs $dev failed: $(echo "$out" | head -n 3)" ;;
	*) die "unknown file system $1" ;;
	esac
	mount -t "$1" -o dax=always "$dev" "$3" || die "mount -o dax=always $dev $3 failed"
	# xfs only logs "Turning off DAX" on a device without DAX: look at the mount options.
	grep -q " $3 $1 .*dax=always" /proc/mounts || die "$3 is mounted without dax=always: $(grep " $3 " /proc/mounts)"
	echo "$3: $1 on $dev, dax=always"
	;;
plain)
	[ $# -eq 1 ] || die "usage: plain DIR"
	if [ ! -b /dev/nullb0 ]; then
		modprobe null_blk nr_devices=1 queue_mode=2 memory_backed=1 gb=1 bs=4096 irqmode=2 completion_nsec=2000000 ||
			die "modprobe null_blk failed"
	fi
	i=0
	while [ ! -b /dev/nullb0 ]; do
		i=$((i + 1))
		[ "$i" -gt 100 ] && die "/dev/nullb0 did not appear"
		usleep 100000
	done
	mkdir -p "$1"
	out=$(mkfs.ext4 -q -F -b 4096 /dev/nullb0 256M 2>&1) || die "mkfs.ext4 /dev/nullb0 failed: $out"
	mount -t ext4 /dev/nullb0 "$1" || die "mount /dev/nullb0 $1 failed"
	echo "$1: ext4 on null_blk (memory-backed, 2 ms completions), no DAX"
	;;
dev)
	cat "$STATE/$1" 2>/dev/null || die "no namespace $1"
	;;
clean)
	for m in $(awk '$2 ~ "^/mnt/" { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	for d in $(ls /sys/bus/dax/devices 2>/dev/null); do
		drv=$(basename "$(readlink "/sys/bus/dax/devices/$d/driver" 2>/dev/null)" 2>/dev/null)
		[ "$drv" = kmem ] && to_devdax "$d"
	done
	ndctl destroy-namespace -f all >/dev/null 2>&1
	[ -e /sys/module/null_blk ] && rmmod null_blk 2>/dev/null
	rm -f "$STATE"/*
	true
	;;
*)
	die "usage: zdh-pmem reset|fsdax|devdax|mount-dax|plain|dev|clean ..."
	;;
esac
