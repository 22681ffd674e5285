#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live migration between two QEMUs with the mock device's ring writer active,
# under each dirty tracker.  Guest RAM is a shared file on both sides; after
# "completed" (both sides stopped) the two files must be identical.  Each
# tracker also gets a negative control: with its dirty bits dropped, the
# files must differ.  No guest OS: SeaBIOS idles, the ring lives at 128 MiB.
. "$(dirname "$0")/lib.sh"

RING='"ring":{"iova":"0x8000000","pages":64,"rate_hz":2000,"autostart":true}'
S1=$(mk_sysfs 0000:01:00.0 42 vfio0 511:0)

qmp() { # qmp SIDE JSON -> prints the first return/error line
	local side=$1 line w r
	if [ "$side" = src ]; then w=$SRC_W r=$SRC_R; else w=$DST_W r=$DST_R; fi
	echo "$2" >&"$w" || return 1
	while IFS= read -r -t 60 line <&"$r"; do
		case "$line" in *'"return"'* | *'"error"'*) echo "$line"; return 0 ;; esac
	done
	return 1
}

# start_qemu SIDE CONFIG RAMFILE ARGS...: QMP on stdio through two FIFOs.
start_qemu() {
	local side=$1 cfg=$2 ram=$3 w r
	shift 3
	rm -f "$WORK/$side.in" "$WORK/$side.out"
	mkfifo "$WORK/$side.in" "$WORK/$side.out"
	env LD_PRELOAD="$VFIOMOCK_LIB" VFIOMOCK_CONFIG="$cfg" "$QEMU" -machine q35,memory-backend=m \
		-accel tcg -nodefaults -display none -m 256 \
		-object memory-backend-file,id=m,size=256M,mem-path="$ram",share=on -qmp stdio "$@" \
		<"$WORK/$side.in" >"$WORK/$side.out" 2>"$WORK/$side.err" &
	PIDS="$PIDS $!"
	exec {w}>"$WORK/$side.in"
	exec {r}<"$WORK/$side.out"
	if [ "$side" = src ]; then SRC_W=$w SRC_R=$r; else DST_W=$w DST_R=$r; fi
}

stop_all() {
	qmp src '{"execute":"quit"}' >/dev/null 2>&1
	qmp dst '{"execute":"quit"}' >/dev/null 2>&1
	for p in $PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	PIDS=""
	exec {SRC_W}>&- {SRC_R}<&- {DST_W}>&- {DST_R}<&-
}

# migrate NAME EXPECT(equal|differ) IOMMU_EXTRA DEVICE_EXTRA FAULTS BACKEND DEVOPTS
migrate() {
	local name=$1 expect=$2 iommu=$3 devx=$4 faults=$5 backend=$6 devopts=$7
	local dir="$WORK/$name" obj=() dev st diff seq
	mkdir -p "$dir"
	for side in src dst; do
		cat >"$dir/$side.json" <<EOC
{"version":1,"log":"$dir/$side.log","control":"@vfiomock-mig-$$-$name-$side",
 "iommu":{"page_sizes":["4K","2M","1G"]$iommu},
 "devices":[{"name":"0000:01:00.0","group":42,"cdev":"vfio0","devt":"511:0",
   "require_bme":false,$RING$devx}],
 "faults":[$( [ $side = src ] && echo "$faults")]}
EOC
	done
	if [ "$backend" = iommufd ]; then
		obj=(-object iommufd,id=i0)
		dev="vfio-pci,sysfsdev=$S1,iommufd=i0,id=vf0$devopts"
	else
		dev="vfio-pci,sysfsdev=$S1,id=vf0$devopts"
	fi
	start_qemu dst "$dir/dst.json" "$dir/dst.ram" "${obj[@]}" -device "$dev" \
		-incoming "unix:$dir/mig.sock" -S
	start_qemu src "$dir/src.json" "$dir/src.ram" "${obj[@]}" -device "$dev"
	qmp src '{"execute":"qmp_capabilities"}' >/dev/null
	qmp dst '{"execute":"qmp_capabilities"}' >/dev/null
	sleep 1 # let SeaBIOS settle and the ring run
	# type1 reports all of RAM dirty at every sync: it converges only with a
	# downtime limit that covers a full pass.
	qmp src "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":${BW:-4294967296},\"downtime-limit\":${DOWNTIME:-300}}}" >/dev/null
	qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"unix:$dir/mig.sock\"}}" >"$dir/migrate.out"
	st=none
	# Bounded, generously: a loaded host migrates slowly, a stuck one never does.
	for _ in $(seq 1 1200); do
		st=$(qmp src '{"execute":"query-migrate"}' | jq -r '.return.status // "none"')
		case "$st" in completed | failed | cancelled) break ;; esac
		sleep 0.1
	done
	# The destination has received everything once it reports paused/postmigrate.
	for _ in $(seq 1 300); do
		qmp dst '{"execute":"query-status"}' | grep -q '"status": "paused"' && break
		sleep 0.1
	done
	sleep 0.2
	diff=$(cmp -l "$dir/src.ram" "$dir/dst.ram" 2>/dev/null | awk '{print int(($1 - 1) / 4096)}' | uniq | wc -l)
	seq=$(grep -o '"event":"state_received"' "$dir/dst.log" | wc -l)
	stop_all
	local info="status=$st differing_pages=$diff dst_state_records=$seq"
	if [ "$st" != completed ]; then
		not_ok "$name" "$info" "$(cat "$dir/migrate.out")" "$(head -3 "$WORK/src.err" "$WORK/dst.err")"
	elif [ "$expect" = equal ] && [ "$diff" -eq 0 ] && [ "$seq" -ge 1 ]; then
		ok "$name # $info"
	elif [ "$expect" = differ ] && [ "$diff" -gt 0 ]; then
		ok "$name # $info"
	else
		not_ok "$name" "expected $expect: $info"
	fi
	rm -f "$dir/src.ram" "$dir/dst.ram"
}

DROP() { echo "{\"kind\":\"drop_dirty\",\"tracker\":\"$1\",\"fraction\":1.0}"; }
NOLOG=',"dma_logging":false'

migrate migrate_device_logging_type1 equal ',"dirty_tracking":false' "" "" type1 ""
migrate migrate_device_logging_iommufd equal ',"dirty_tracking":false' "" "" iommufd ""
migrate migrate_iommufd_hwpt_dirty equal ',"dirty_tracking":true' "$NOLOG" "" iommufd ""
DOWNTIME=20000 migrate migrate_type1_perpetual equal '' "$NOLOG" "" type1 ",enable-migration=on"
migrate migrate_device_logging_drop_detected differ ',"dirty_tracking":false' "" "$(DROP device)" type1 ""
migrate migrate_iommufd_hwpt_drop_detected differ ',"dirty_tracking":true' "$NOLOG" "$(DROP iommu)" iommufd ""
DOWNTIME=20000 migrate migrate_type1_perpetual_drop_detected differ '' "$NOLOG" "$(DROP type1)" type1 ",enable-migration=on"
finish
