#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# --device host=SRC,DST end to end on the code path a real host takes, with
# the VFIO mock as the host kernel (vfiomock-host): the harness checks and
# probes /sys and /dev, QEMU gets vfio-pci,host=BDF and finds the device
# under /sys/bus/pci/devices, the guest agent drives it through its driver.
#
#  - the passthrough cases of one cell pass (migrate, dma, and the negative
#    control of the dma oracles);
#  - a cell the device cannot do SKIPs with what the kernel said;
#  - a tracker that drops dirty bits (the mock's fault, standing in for a
#    broken driver) fails the dma case: the oracles catch it on this path;
#  - a host whose VFIO stops answering mid-migration (its dirty query
#    fails) fails the case with the reason;
#  - nothing is bound differently afterwards, nothing is left behind.
#
# usage: run.sh MIGCHECK VFIOMOCK_HOST
set -u
. "$(dirname "$0")/lib.sh"
pt_setup "$1" "$2"
CELL=passthrough.type1_devlog_auto_novi_precopy_1dev

pt_config two '.'
pt_config notrack '.devices[].personality = "no-tracker"'
pt_config dropdirty '.faults = [{"kind": "drop_dirty", "tracker": "device", "fraction": 1.0, "when": "sync"}]'
pt_config silent '.faults = [{"kind": "fail_request", "request": "VFIO_IOMMU_DIRTY_PAGES", "errno": "EIO", "after": 2}]'

# run NAME CONFIG SELECTION: TAP in $WORK/NAME.tap, the report in $WORK/NAME.
run() {
	rc=0
	pt_migcheck "$2" run --no-progress -j 2 --reports "$WORK/$1" --device "$PT_PAIR" "$3" \
		>"$WORK/$1.tap" 2>"$WORK/$1.err" || rc=$?
	echo "$rc" >"$WORK/$1.rc"
}

rep() {
	jq -r "$2" "$WORK/$1/latest/report.json"
}

echo "1..9"

# The cell, with a look at the host inside the namespace afterwards.
rc=0
"$HOSTEMU" "$WORK/two.json" -- sh -c '
	cat /sys/bus/pci/devices/*/driver_override >"$1/overrides.before"
	"$0" run --no-progress -j 2 --reports "$1/good" --device "$2" "$3.*" >"$1/good.tap" 2>"$1/good.err"
	echo $? >"$1/good.rc"
	cat /sys/bus/pci/devices/*/driver_override >"$1/overrides"
	readlink /sys/bus/pci/devices/*/driver >"$1/drivers"
	cat /sys/bus/pci/drivers/*/bind /sys/bus/pci/drivers/*/unbind /sys/bus/pci/drivers_probe >"$1/writes"
' "$MIGCHECK" "$WORK" "$PT_PAIR" "$CELL" || rc=$?
grep -qx "ok 1 $CELL.migrate" "$WORK/good.tap" && grep -qx "ok 2 $CELL.dma" "$WORK/good.tap" &&
	grep -qx "ok 3 $CELL.dma_selftest" "$WORK/good.tap" && [ "$(cat "$WORK/good.rc")" -eq 0 ]
pt_result $? "$CELL: migrate, dma and dma_selftest pass" "$(cat "$WORK/good.tap" "$WORK/good.err")"

# QEMU was given the host's devices, one per side, and the mock served them.
src=$(rep good '.cases[1].qemu.src_cmdline')
dst=$(rep good '.cases[1].qemu.dst_cmdline')
starts=$(grep -c '"event":"start"' "$WORK/mock.jsonl")
case "$src" in *"vfio-pci,host=$PT_SRC,id=hd0"*) ok=0 ;; *) ok=1 ;; esac
case "$dst" in *"vfio-pci,host=$PT_DST,id=hd0"*) ;; *) ok=1 ;; esac
[ "$ok" -eq 0 ] && [ "$starts" -ge 7 ] && [ "$(rep good '.environment.host_devices.emulated')" = true ]
pt_result $? "QEMU takes vfio-pci,host=BDF per side; the mock answered the harness and every QEMU" \
	"src: $src" "dst: $dst" "mock instances: $starts"

# The oracles of the dma case looked at what the device wrote.
engine=$(rep good ".cases[1].stream_engine")
fill=$(rep good '.cases[1].oracles.dma_fill.summary')
stream=$(rep good '.cases[1].oracles.dma_stream.summary')
[ "$engine" = ring ] && case "$fill" in *"checked=64 seed=2"*) true ;; *) false ;; esac &&
	case "$stream" in *"checked=64 engine=ring"*) true ;; *) false ;; esac
pt_result $? "dma: the refill and the ring stream checked on the destination" "$fill" "$stream"

# Never bound or unbound anything.
cmp -s "$WORK/overrides.before" "$WORK/overrides" &&
	[ "$(sort -u "$WORK/drivers")" = "../../drivers/vfio-pci" ] &&
	[ ! -s "$WORK/writes" ]
pt_result $? "no driver_override, bind or unbind was written; bindings as found" \
	"$(cat "$WORK/overrides" "$WORK/drivers" "$WORK/writes")"

# A cell the device cannot do.
run notrack notrack "$CELL.migrate"
reason=$(rep notrack '.cases[0].reason')
[ "$(rep notrack '.cases[0].result')" = skip ] &&
	[ "$reason" = "0000:3b:00.1 offers no DMA logging (a PROBE of DMA_LOGGING_START: ENOTTY)" ]
pt_result $? "a device without DMA logging: the device-log cell SKIPs with the kernel's answer" "$reason"

# The same cell with a tracker that forgets dirty bits: the dma case must fail.
run dropdirty dropdirty "$CELL.dma"
failed=$(rep dropdirty '[.cases[0].oracles | to_entries[] | select(.value.pass == false) | .key] | join(",")')
[ "$(rep dropdirty '.cases[0].result')" = fail ] && case "$failed" in *dma_fill*) true ;; *) false ;; esac &&
	case "$failed" in *ram*) true ;; *) false ;; esac
pt_result $? "dirty bits dropped: the dma case fails on RAM and dma_fill" \
	"failed oracles: $failed" "$(rep dropdirty '.cases[0].reason')"

# VFIO that stops answering mid-migration: the dirty query fails after the first sync.
run silent silent passthrough.type1_perpetual_on_novi_precopy_1dev.migrate
reason=$(rep silent '.cases[0].reason')
[ "$(rep silent '.cases[0].result')" = fail ] && case "$reason" in *migration*) true ;; *) false ;; esac
pt_result $? "VFIO that stops answering mid-migration fails the case with the reason" "$reason"

# Without --device the cases SKIP, as the kernel's selftests do without a BDF.
rc=0
"$MIGCHECK" run --no-progress --reports "$WORK/nodev" "$CELL.migrate" >"$WORK/nodev.tap" 2>&1 || rc=$?
grep -q "^ok 1 $CELL.migrate # SKIP no host device named: --device host=SRC_BDF,DST_BDF" "$WORK/nodev.tap"
pt_result $? "no --device: SKIP with the option to use" "$(cat "$WORK/nodev.tap")"
pt_assert_clean
exit $PT_FAILED
