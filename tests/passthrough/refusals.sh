#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every refusal of --device host=...: the harness checks the host before
# anything starts and refuses, with the exact reason (and for a driver, the
# commands a user would run), a device that is not there or badly named, a
# device bound to anything but vfio-pci or a VFIO variant driver, an IOMMU
# group holding a device not named or both sides' devices, a missing or
# unusable /dev/vfio or /dev/iommu.  The host is the VFIO mock's emulation
# in a private mount namespace (vfiomock-host): the harness reads the same
# paths a real host has.  A refusal exits 2, writes no report, starts no
# QEMU.
#
# usage: refusals.sh MIGCHECK VFIOMOCK_HOST
set -u
. "$(dirname "$0")/lib.sh"
pt_setup "$1" "$2"

pt_config two '.'
pt_config same_group '.devices[1].group = 61'
pt_config others '.host.others = [
  {"bdf": "0000:3b:00.3", "driver": "mlx5_core", "group": 63, "vendor": "0x15b3", "device": "0x101e"},
  {"bdf": "0000:3b:00.4", "driver": "mlx5_core", "group": 61, "vendor": "0x15b3", "device": "0x101e"},
  {"bdf": "0000:3c:00.0", "driver": "vfio-pci", "group": 64, "vendor": "0x15b3", "device": "0x101e"}]'
pt_config nodriver '.host.devices = {"0000:3b:00.2": {"driver": ""}}'
pt_config variant '.host.devices = {"0000:3b:00.2": {"driver": "mlx5_vfio_pci"}}'
pt_config nogroup 'del(.devices[1].group)'
pt_config noiommu '.host.dev_iommu = false'
pt_config novfio '.host.dev_vfio = false'
pt_config unusable '.faults = [{"kind": "fail_request", "request": "VFIO_GROUP_GET_DEVICE_FD", "errno": "EIO"}]'

# refuse DESCRIPTION CONFIG EXPECTED-TEXT ARGS...
refuse() {
	what=$1
	cfg=$2
	want=$3
	shift 3
	rm -rf "$WORK/r"
	rc=0
	pt_migcheck "$cfg" "$@" --no-progress --reports "$WORK/r" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ $rc -eq 2 ] && grep -qF -- "$want" "$WORK/err" && [ ! -e "$WORK/r" ] &&
		! grep -q 'TAP version' "$WORK/out"
	pt_result $? "refused: $what" "exit $rc, want 2 and: $want" "$(cat "$WORK/err")"
}

echo "1..18"
refuse "not a PCI address" two "'eth0' is not a PCI address (DDDD:BB:DD.F)" \
	run --device host=eth0,eth1 passthrough
refuse "an odd number of devices" two "1 device(s): both QEMUs run on this host" \
	run --device host=$PT_SRC passthrough
refuse "a device named twice" two "--device: $PT_SRC is named twice" \
	run --device host=$PT_SRC,$PT_SRC passthrough
refuse "not host=" two "--device takes host=BDF,BDF" run --device $PT_SRC,$PT_DST passthrough
refuse "a device that is not there" two \
	"no PCI device 0000:3b:00.7 on this host (/sys/bus/pci/devices/0000:3b:00.7: No such file" \
	run --device host=$PT_SRC,0000:3b:00.7 passthrough
refuse "bound to a host driver" others \
	"0000:3b:00.3 is bound to mlx5_core, not vfio-pci or a VFIO variant driver" \
	run --device host=$PT_SRC,0000:3b:00.3 passthrough
refuse "... and the commands to bind it" others \
	"echo vfio-pci > /sys/bus/pci/devices/0000:3b:00.3/driver_override" \
	run --device host=$PT_SRC,0000:3b:00.3 passthrough
refuse "bound to no driver" nodriver \
	"0000:3b:00.2 is bound to no driver: bind it to vfio-pci or a VFIO variant driver" \
	run --device $PT_PAIR passthrough
refuse "a group member not named" others \
	"IOMMU group 61 of 0000:3b:00.1 also holds 0000:3b:00.4 (mlx5_core), which was not named" \
	run --device $PT_PAIR passthrough
refuse "both sides in one group" same_group \
	"0000:3b:00.1 and 0000:3b:00.2 share IOMMU group 61" run --device $PT_PAIR passthrough
refuse "a pair of two models" others \
	"the source's 0000:3b:00.1 is 1b36:0099, the destination's 0000:3c:00.0 is 15b3:101e" \
	run --device host=$PT_SRC,0000:3c:00.0 passthrough
refuse "a pair on two drivers" variant \
	"the source's 0000:3b:00.1 is bound to vfio-pci, the destination's 0000:3b:00.2 to mlx5_vfio_pci" \
	run --device $PT_PAIR passthrough
refuse "no IOMMU group" nogroup "0000:3b:00.2 has no IOMMU group: the host runs without an IOMMU" \
	run --device $PT_PAIR passthrough
refuse "no /dev/iommu" noiommu \
	"/dev/iommu: No such file or directory: the kernel offers no iommufd" \
	run --device $PT_PAIR passthrough
refuse "no /dev/vfio" novfio "/dev/vfio/vfio: No such file or directory: load VFIO" \
	run --device $PT_PAIR passthrough
refuse "VFIO unusable for the device" unusable \
	"0000:3b:00.1: VFIO is unusable for it: VFIO_GROUP_GET_DEVICE_FD 0000:3b:00.1: Input/output error" \
	run --device $PT_PAIR passthrough
refuse "certify without devices" two "certify takes --device host=SRC_BDF,DST_BDF" certify
pt_assert_clean
exit $PT_FAILED
