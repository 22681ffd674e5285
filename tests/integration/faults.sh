#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Faults migcheck must survive, each with a precise reason, the run going
# on (or, for a report that cannot be written, stopping cleanly), a report
# written and nothing left behind:
#  - the reports directory unwritable, or full when the run starts, or
#    filling up while a case runs (tmpfs mounts: root only, SKIP otherwise);
#  - the guest kernel or initramfs missing, empty, truncated or corrupt;
#  - a QEMU that ignores "quit" and SIGTERM (a fake QEMU: it greets on QMP,
#    closes the agent's port, answers everything and never exits).
#
# usage: faults.sh MIGCHECK GUEST_DIR
set -eu

MIGCHECK=$1
GUEST_DIR=$2
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }
setup
MOUNTS=""
undo_mounts() {
	for m in $MOUNTS; do umount -l "$m" 2>/dev/null || true; done
}
trap 'rc=$?; undo_mounts; (exit $rc); cleanup' EXIT
trap 'exit 143' INT TERM
CASES="smoke.idle.migrate smoke.dirty.migrate"
ROOT=no
[ "$(id -u)" = 0 ] && ROOT=yes
skipped=""

# A QEMU that greets, answers every command (quit too) with an empty return,
# closes the guest agent's port at once, and logs quit and SIGTERM but
# ignores both: only SIGKILL ends it.
FAKE=$WORK/fake-qemu
cat >"$FAKE" <<FAKE
#!/bin/bash
[ "\$1" = --version ] && { echo "QEMU emulator version 10.0.0 (fake)"; exit 0; }
log=$WORK/fake-qemu.log
# The run's identity probe (-machine none) is logged apart from the cases' QEMUs.
case " \$* " in *" -machine none "*) echo "probe \$\$" >>"\$log" ;; *) echo "pid \$\$" >>"\$log" ;; esac
trap 'echo "TERM \$\$" >>"\$log"' TERM
exec 5>&-
printf '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 10}, "package": "fake"}, "capabilities": []}}\r\n' >&3
while :; do
	if IFS= read -r -t 1 line <&3; then
		id=\$(printf '%s' "\$line" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
		case \$line in *'"quit"'*) echo "quit \$\$" >>"\$log" ;; esac
		printf '{"return": {}, "id": %s}\r\n' "\${id:-null}" >&3 2>/dev/null
	elif [ \$? -le 128 ]; then
		sleep 0.2 # QMP closed: carry on regardless
	fi
done
FAKE
chmod +x "$FAKE"

# run NAME EXPECTED_RC ARGS...: runs migcheck on $CASES, output in $WORK/NAME.*
run() {
	name=$1
	want=$2
	shift 2
	rc=0
	"$MIGCHECK" run --no-progress "$@" $CASES >"$WORK/$name.tap" 2>"$WORK/$name.err" || rc=$?
	[ $rc -eq "$want" ] || fail "$name: exit $rc, expected $want; stderr: $(cat "$WORK/$name.err")"
}

# Both cases failed with a reason containing $2, and the report says so.
both_fail_with() {
	name=$1
	what=$2
	r=$3
	for c in $CASES; do
		grep -Eq "^not ok [12] $c( #.*)?$" "$WORK/$name.tap" ||
			fail "$name: no 'not ok' line for $c: $(cat "$WORK/$name.tap")"
	done
	[ "$(report '.state' "$r")" = finished ] || fail "$name: report state is not finished"
	[ "$(report '.cases | length' "$r")" = 2 ] || fail "$name: report does not hold both cases"
	for i in 0 1; do
		reason=$(report ".cases[$i].reason" "$r")
		case $reason in
		*"$what"*) ;;
		*) fail "$name: case $i's reason '$reason' does not say '$what'" ;;
		esac
	done
	note "$name: $(report '.cases[0].reason' "$r")"
}

# ---- the reports directory cannot be created ----

touch "$WORK/afile"
run reports-under-file 2 --reports "$WORK/afile/r"
assert_one_line_naming "$WORK/reports-under-file.err" "$WORK/afile"
[ ! -s "$WORK/reports-under-file.tap" ] || fail "reports-under-file: a case ran: $(cat "$WORK/reports-under-file.tap")"
note "reports under a file: $(cat "$WORK/reports-under-file.err")"
assert_clean

mkdir "$WORK/ro"
if [ $ROOT = yes ]; then
	# Root ignores permission bits: a read-only file system refuses it too.
	mount -t tmpfs -o ro,size=1m migcheck-test "$WORK/ro"
	MOUNTS="$MOUNTS $WORK/ro"
	want="Read-only file system"
else
	chmod 0555 "$WORK/ro"
	want="Permission denied"
fi
run reports-readonly 2 --reports "$WORK/ro/r"
assert_one_line_naming "$WORK/reports-readonly.err" "$want"
[ ! -s "$WORK/reports-readonly.tap" ] || fail "reports-readonly: a case ran"
note "read-only reports directory: $(cat "$WORK/reports-readonly.err")"
assert_clean

# ---- the reports file system is full, at the start or during a case ----

if [ $ROOT = yes ]; then
	mkdir "$WORK/small"
	mount -t tmpfs -o size=4m migcheck-test "$WORK/small"
	MOUNTS="$MOUNTS $WORK/small"
	run reports-full 2 --reports "$WORK/small/r"
	assert_one_line_naming "$WORK/reports-full.err" "free on its file system"
	[ ! -s "$WORK/reports-full.tap" ] || fail "reports-full: a case ran"
	[ ! -e "$WORK/small/r/runs/"* ] || fail "reports-full: a run directory was left"
	note "full reports file system: $(cat "$WORK/reports-full.err")"
	assert_clean

	# Room to start; the disk fills up while the first case's QEMU runs.
	mkdir "$WORK/fills"
	mount -t tmpfs -o size=24m migcheck-test "$WORK/fills"
	MOUNTS="$MOUNTS $WORK/fills"
	: >"$WORK/fake-qemu.log"
	"$MIGCHECK" run --no-progress --qemu "$FAKE" --reports "$WORK/fills/r" $CASES \
		>"$WORK/fills.tap" 2>"$WORK/fills.err" &
	harness=$!
	i=0
	until grep -q '^pid' "$WORK/fake-qemu.log"; do
		i=$((i + 1))
		[ $i -le 600 ] && kill -0 $harness 2>/dev/null ||
			fail "fills: no QEMU started: $(cat "$WORK/fills.tap" "$WORK/fills.err")"
		sleep 0.1
	done
	dd if=/dev/zero of="$WORK/fills/filler" bs=1M 2>/dev/null || true
	rc=0
	wait $harness || rc=$?
	[ $rc -eq 1 ] || fail "fills: exit $rc, expected 1; stderr: $(cat "$WORK/fills.err")"
	grep -q "cannot write the report.*stopping the run" "$WORK/fills.err" ||
		fail "fills: stderr does not say the run stopped: $(cat "$WORK/fills.err")"
	grep -Eq "^not ok 1 smoke.idle.migrate( #.*)?$" "$WORK/fills.tap" || fail "fills: case 1 did not fail: $(cat "$WORK/fills.tap")"
	! grep -q 'smoke.dirty.migrate$' "$WORK/fills.tap" || fail "fills: case 2 ran"
	# Two QEMUs (case 1's source and destination) and no more.
	[ "$(grep -c '^pid' "$WORK/fake-qemu.log")" -le 2 ] || fail "fills: case 2 started QEMU"
	# The report so far: it parses, the run never finished, no case was recorded.
	[ "$(report '.state' "$WORK/fills/r")" = running ] || fail "fills: report state changed"
	[ "$(report '.cases | length' "$WORK/fills/r")" = 0 ] || fail "fills: report grew"
	note "disk full during a case: $(head -n 1 "$WORK/fills.err")"
	assert_clean
	rm -f "$WORK/fills/filler"
else
	skipped="$skipped full-reports-file-system(needs root for a tmpfs)"
fi

# ---- a QEMU that ignores quit and SIGTERM ----

: >"$WORK/fake-qemu.log"
start=$(date +%s)
run stubborn 1 --qemu "$FAKE" --reports "$WORK/r-stubborn"
both_fail_with stubborn "agent channel closed" "$WORK/r-stubborn"
# Each of the four QEMUs was asked to quit, then sent SIGTERM, then killed.
for p in $(sed -n 's/^pid //p' "$WORK/fake-qemu.log"); do
	grep -qx "quit $p" "$WORK/fake-qemu.log" || fail "stubborn: QEMU $p was never asked to quit"
	grep -qx "TERM $p" "$WORK/fake-qemu.log" || fail "stubborn: QEMU $p never got SIGTERM"
	[ ! -e "/proc/$p" ] || fail "stubborn: QEMU $p is still there"
done
[ "$(grep -c '^pid' "$WORK/fake-qemu.log")" -eq 4 ] || fail "stubborn: expected 4 QEMUs"
note "QEMU ignoring quit and SIGTERM: killed after $(($(date +%s) - start)) s for 2 cases"
assert_clean

# ---- the guest kernel or initramfs missing, truncated or corrupt ----

# guest NAME: a guest directory with the real files, to be damaged.
guest() {
	mkdir "$WORK/$1"
	cp "$GUEST_DIR/vmlinuz" "$GUEST_DIR/initramfs.cpio" "$WORK/$1/"
	cp "$GUEST_DIR/kernel-release" "$WORK/$1/" 2>/dev/null || true
}
bad_guest() {
	name=$1
	what=$2
	run "$name" 1 --guest-dir "$WORK/$name" --reports "$WORK/r-$name"
	both_fail_with "$name" "$what" "$WORK/r-$name"
	assert_clean
}

guest no-kernel
rm "$WORK/no-kernel/vmlinuz"
bad_guest no-kernel "guest artefacts missing"

guest no-initramfs
rm "$WORK/no-initramfs/initramfs.cpio"
bad_guest no-initramfs "guest artefacts missing"

guest junk-kernel
head -c 1048576 /dev/urandom >"$WORK/junk-kernel/vmlinuz"
bad_guest junk-kernel "is not a Linux bzImage"

guest short-kernel
head -c 1048576 "$GUEST_DIR/vmlinuz" >"$WORK/short-kernel/vmlinuz"
bad_guest short-kernel "is truncated"

# The uncompressed kernel is booted whenever the build made one.
if [ -s "$GUEST_DIR/vmlinux" ]; then
	guest short-pvh
	head -c 1048576 "$GUEST_DIR/vmlinux" >"$WORK/short-pvh/vmlinux"
	bad_guest short-pvh "is truncated"
fi

guest empty-initramfs
: >"$WORK/empty-initramfs/initramfs.cpio"
bad_guest empty-initramfs "truncated or empty"

guest junk-initramfs
printf 'this is not an archive' >"$WORK/junk-initramfs/initramfs.cpio"
head -c 65536 /dev/urandom >>"$WORK/junk-initramfs/initramfs.cpio"
bad_guest junk-initramfs "is not a cpio archive"

note "all fault checks passed${skipped:+; skipped:$skipped}"
