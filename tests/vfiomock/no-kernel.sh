#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Proof that no VFIO or IOMMUFD request reaches the real kernel: run QEMU
# under strace with the mock preloaded and look for ';' (0x3b) ioctls and
# opens of /dev/vfio or /dev/iommu.  Also a positive control: without the
# mock, the open of /dev/vfio must show up in the trace.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || { skip no_vfio_request_reaches_kernel "strace not installed"; finish; exit; }
DEV1='{"name":"0000:01:00.0","group":42,"cdev":"vfio0","devt":"511:0","fd":41}'
S1=$(mk_sysfs 0000:01:00.0 42 vfio0 511:0)
mk_config "$WORK/c.json" ',"iommufd_fd":40' "$DEV1"

trace() {
	local name=$1 preload=$2
	shift 2
	{
		echo '{"execute":"qmp_capabilities"}'
		sleep 1.5
		echo '{"execute":"quit"}'
	} | timeout 90 strace -f -qq -e trace=ioctl,open,openat -o "$WORK/$name.trace" \
		-E LD_PRELOAD="$preload" -E VFIOMOCK_CONFIG="$WORK/c.json" \
		"$QEMU" -machine q35 -accel tcg -nodefaults -display none -m 256 -qmp stdio "$@" \
		>/dev/null 2>"$WORK/$name.err"
}

leaks() {
	grep -E "ioctl\([0-9]+, (VFIO_|IOMMU_|_IOC\([^,]*, 0x3b|_IOC\([^,]*, ';')" "$1"
	grep -E 'open(at)?\(.*"/dev/(vfio|iommu)' "$1"
}

for mode in type1 iommufd; do
	if [ $mode = type1 ]; then
		args=(-device vfio-pci,sysfsdev="$S1",id=vf0)
	else
		args=(-object iommufd,id=i0 -device vfio-pci,sysfsdev="$S1",iommufd=i0,id=vf0)
	fi
	trace "$mode" "$VFIOMOCK_LIB" "${args[@]}"
	l=$(leaks "$WORK/$mode.trace")
	if [ -s "$WORK/$mode.trace" ] && [ -z "$l" ] && grep -q 'VFIO_DEVICE_GET_INFO' "$WORK/c.json.log"; then
		ok "no_vfio_request_reaches_kernel_$mode"
	else
		not_ok "no_vfio_request_reaches_kernel_$mode" "$(echo "$l" | head -5)"
	fi
done

# Positive control: the same QEMU without the mock does try /dev/vfio.
trace control "" -device vfio-pci,sysfsdev="$S1",id=vf0
if grep -qE 'open(at)?\(.*"/dev/vfio/42"' "$WORK/control.trace"; then
	ok "strace_sees_unmocked_vfio_open"
else
	not_ok "strace_sees_unmocked_vfio_open" "trace has no /dev/vfio open"
fi
finish
