#!/bin/sh
# zdh-hmm: test_hmm for the workloads (busybox sh, in the guest).
#
#   zdh-hmm load [--coherent]   (re)load test_hmm the way test_hmm.sh does; with the
#                               machine's SPM range (ZDH_SPM_DEV0/1, set by /init from the
#                               machine profile) it also creates the device-coherent
#                               /dev/hmm_dmirror2 and 3. --coherent: fail without them, so
#                               that the device_coherent variants cannot silently pass.
#   zdh-hmm unload              rmmod test_hmm (a hang here is a finding: run it under a
#                               time limit)
#
# The SPM options go only to a test_hmm that has them (spm_addr_dev0/1: 6.1, 6.12 and
# mainline do; test_hmm before 6.0 has no parameters): asked of /sys/module/test_hmm/parameters
# when it is already loaded (before it is unloaded), else of `modinfo -p` (busybox and kmod
# print "name:description").
# Without modinfo they are passed (the kernel ignores an unknown module parameter with a
# warning, and the device-coherent nodes then do not appear, which --coherent reports).
# ZDH_HMM_SYS and ZDH_HMM_DEV (default /sys, /dev) exist for the unit tests.
set -u

SYS=${ZDH_HMM_SYS:-/sys}
DEV=${ZDH_HMM_DEV:-/dev}

die() {
	echo "zdh-hmm: $*" >&2
	exit 1
}

# Whether this kernel's test_hmm takes parameter $1.
has_param() {
	[ -e "$SYS/module/test_hmm/parameters/$1" ] && return 0
	command -v modinfo >/dev/null 2>&1 || return 0
	modinfo -p test_hmm 2>/dev/null | grep -Eq "(^|[[:space:]])$1:"
}

wait_node() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && return 1
		usleep 100000
	done
}

case "${1:-}" in
load)
	coherent=0
	[ "${2:-}" = --coherent ] && coherent=1
	spm=0
	if [ -n "${ZDH_SPM_DEV0:-}" ] && [ -n "${ZDH_SPM_DEV1:-}" ]; then
		if has_param spm_addr_dev0 && has_param spm_addr_dev1; then
			spm=1
		else
			[ "$coherent" = 1 ] && die "this kernel's test_hmm has no spm_addr_dev0/spm_addr_dev1 parameters: no device-coherent devices"
			echo "test_hmm: this kernel's module has no spm_addr_dev0/1 parameters: device-private only"
		fi
	else
		[ "$coherent" = 1 ] && die "no SPM range (ZDH_SPM_DEV0/1 unset): the machine profile needs spm: for device-coherent memory"
	fi
	if [ -e "$SYS/module/test_hmm" ]; then
		rmmod test_hmm || die "test_hmm is loaded and cannot be unloaded"
	fi
	if [ "$spm" = 1 ]; then
		modprobe test_hmm "spm_addr_dev0=$ZDH_SPM_DEV0" "spm_addr_dev1=$ZDH_SPM_DEV1" || die "modprobe test_hmm failed"
	else
		modprobe test_hmm || die "modprobe test_hmm failed"
	fi
	for d in 0 1; do
		wait_node "$DEV/hmm_dmirror$d" || die "$DEV/hmm_dmirror$d did not appear"
	done
	if [ "$spm" = 1 ]; then
		for d in 2 3; do
			wait_node "$DEV/hmm_dmirror$d" || die "$DEV/hmm_dmirror$d (device-coherent, SPM at $ZDH_SPM_DEV0/$ZDH_SPM_DEV1) did not appear"
		done
		echo "test_hmm: device-private dmirror0/1, device-coherent dmirror2/3 (SPM $ZDH_SPM_DEV0, $ZDH_SPM_DEV1)"
	else
		echo "test_hmm: device-private dmirror0/1 only"
	fi
	;;
unload)
	[ -e "$SYS/module/test_hmm" ] || exit 0
	rmmod test_hmm
	;;
*)
	die "usage: zdh-hmm load [--coherent] | unload"
	;;
esac
