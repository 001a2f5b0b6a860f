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
set -u

die() {
	echo "zdh-hmm: $*" >&2
	exit 1
}

wait_node() {
	i=0
	while [ ! -c "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt 50 ] && return 1
		usleep 100000
	done
}

case "${1:-}" in
load)
	coherent=0
	[ "${2:-}" = --coherent ] && coherent=1
	if [ -e /sys/module/test_hmm ]; then
		rmmod test_hmm || die "test_hmm is loaded and cannot be unloaded"
	fi
	if [ -n "${ZDH_SPM_DEV0:-}" ] && [ -n "${ZDH_SPM_DEV1:-}" ]; then
		modprobe test_hmm "spm_addr_dev0=$ZDH_SPM_DEV0" "spm_addr_dev1=$ZDH_SPM_DEV1" || die "modprobe test_hmm failed"
	else
		[ "$coherent" = 1 ] && die "no SPM range (ZDH_SPM_DEV0/1 unset): the machine profile needs spm: for device-coherent memory"
		modprobe test_hmm || die "modprobe test_hmm failed"
	fi
	for d in 0 1; do
		wait_node "/dev/hmm_dmirror$d" || die "/dev/hmm_dmirror$d did not appear"
	done
	if [ -n "${ZDH_SPM_DEV0:-}" ]; then
		for d in 2 3; do
			wait_node "/dev/hmm_dmirror$d" || die "/dev/hmm_dmirror$d (device-coherent, SPM at $ZDH_SPM_DEV0/$ZDH_SPM_DEV1) did not appear"
		done
		echo "test_hmm: device-private dmirror0/1, device-coherent dmirror2/3 (SPM $ZDH_SPM_DEV0, $ZDH_SPM_DEV1)"
	else
		echo "test_hmm: device-private dmirror0/1 only"
	fi
	;;
unload)
	[ -e /sys/module/test_hmm ] || exit 0
	rmmod test_hmm
	;;
*)
	die "usage: zdh-hmm load [--coherent] | unload"
	;;
esac
