# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for vfiomock's shell tests: a private work directory, the
# fake sysfs tree, mock configs, QEMU runs with QMP on stdio, TAP output.
set -u

: "${QEMU:=qemu-system-x86_64}"
: "${VFIOMOCK_LIB:?VFIOMOCK_LIB must name libvfiomock.so}"

WORK=$(mktemp -d /tmp/vfiomock-test.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

T=0
FAILED=0
ok() { T=$((T + 1)); echo "ok $T $1"; }
not_ok() { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { T=$((T + 1)); echo "ok $T $1 # SKIP $2"; }
finish() { echo "1..$T"; [ "$FAILED" -eq 0 ]; }

# mk_sysfs NAME GROUP CDEV MAJ:MIN -> prints the sysfsdev path
mk_sysfs() {
	local d="$WORK/sys/devices/$1"
	mkdir -p "$d/vfio-dev/$3" "$WORK/sys/kernel/iommu_groups/$2" "$WORK/sys/bus/pci"
	ln -sfn "../../kernel/iommu_groups/$2" "$d/iommu_group"
	ln -sfn "../../bus/pci" "$d/subsystem"
	echo "$4" >"$d/vfio-dev/$3/dev"
	echo "$d"
}

# mk_config FILE EXTRA_IOMMU_JSON DEVICES_JSON
mk_config() {
	cat >"$1" <<EOC
{"version":1,"log":"$1.log","control":"@vfiomock-$$-$(basename "$1")",
 "iommu":{"dirty_tracking":true,"page_sizes":["4K","2M","1G"]$2},
 "devices":[$3]}
EOC
}

# qemu_qmp CONFIG OUT ERR ARGS... : runs QEMU, sends query-pci, quits.
qemu_qmp() {
	local cfg=$1 out=$2 err=$3
	shift 3
	{
		echo '{"execute":"qmp_capabilities"}'
		sleep 1
		echo '{"execute":"query-pci"}'
		sleep 0.3
		echo '{"execute":"quit"}'
	} | timeout 60 env LD_PRELOAD="$VFIOMOCK_LIB" VFIOMOCK_CONFIG="$cfg" \
		"$QEMU" -machine q35 -accel tcg -nodefaults -display none -m 256 \
		-qmp stdio "$@" >"$out" 2>"$err"
}
