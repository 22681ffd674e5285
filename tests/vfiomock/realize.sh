#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU realizes one and two mock devices over type1, iommufd (sysfsdev=) and
# iommufd fd passing; query-pci must list them and stderr must stay clean.
. "$(dirname "$0")/lib.sh"

DEV1='{"name":"0000:01:00.0","group":42,"cdev":"vfio0","devt":"511:0","fd":41}'
DEV2='{"name":"0000:02:00.0","group":43,"cdev":"vfio1","devt":"511:1","fd":42}'
S1=$(mk_sysfs 0000:01:00.0 42 vfio0 511:0)
S2=$(mk_sysfs 0000:02:00.0 43 vfio1 511:1)

check() {
	local name=$1 ndev=$2
	shift 2
	local cfg="$WORK/$name.json"
	mk_config "$cfg" ',"iommufd_fd":40' "$DEV1,$DEV2"
	qemu_qmp "$cfg" "$WORK/$name.out" "$WORK/$name.err" "$@"
	local found
	found=$(grep '"return": \[' "$WORK/$name.out" | jq '[.return[].devices[] | select(.id.vendor == 6966 and .id.device == 153)] | length' 2>/dev/null)
	if [ "${found:-0}" = "$ndev" ] && [ ! -s "$WORK/$name.err" ]; then
		ok "$name"
	else
		not_ok "$name" "found=${found:-none} devices, stderr:" "$(head -5 "$WORK/$name.err")"
	fi
}

check realize_type1_one 1 -device vfio-pci,sysfsdev="$S1",id=vf0
check realize_type1_two 2 -device vfio-pci,sysfsdev="$S1",id=vf0 -device vfio-pci,sysfsdev="$S2",id=vf1
check realize_iommufd_one 1 -object iommufd,id=i0 -device vfio-pci,sysfsdev="$S1",iommufd=i0,id=vf0
check realize_iommufd_two 2 -object iommufd,id=i0 -device vfio-pci,sysfsdev="$S1",iommufd=i0,id=vf0 \
	-device vfio-pci,sysfsdev="$S2",iommufd=i0,id=vf1
check realize_fdpass_one 1 -object iommufd,id=i0,fd=40 -device vfio-pci,iommufd=i0,fd=41,id=vf0
check realize_fdpass_two 2 -object iommufd,id=i0,fd=40 -device vfio-pci,iommufd=i0,fd=41,id=vf0 \
	-device vfio-pci,iommufd=i0,fd=42,id=vf1
finish
