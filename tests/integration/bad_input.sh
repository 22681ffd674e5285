#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What migcheck does with bad input: unknown commands, options and suites;
# a QEMU that cannot be executed or dies at once; a guest that never comes
# up; a case that overruns its timeout.  Each must give a precise reason, a
# report.json, and leave no process and no /dev/shm file behind.
#
# usage: bad_input.sh MIGCHECK GUEST_DIR
set -eu

MIGCHECK=$1
GUEST_DIR=$2
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }
setup

# ---- the command line ----

expect_usage_error() {
	what=$1
	shift
	rc=0
	"$MIGCHECK" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ $rc -eq 2 ] || fail "migcheck $*: exit $rc, expected 2"
	assert_one_line_naming "$WORK/err" "$what"
	[ ! -s "$WORK/out" ] || fail "migcheck $*: unexpected stdout: $(cat "$WORK/out")"
	note "migcheck $*: $(cat "$WORK/err")"
}

expect_usage_error frobnicate frobnicate
expect_usage_error --frob run --frob
expect_usage_error --frob list --frob smoke
expect_usage_error no_such_suite run --reports "$WORK/r0" no_such_suite
expect_usage_error 'nope.*' list smoke 'nope.*'
expect_usage_error --timeout run --timeout
expect_usage_error "'abc'" run --timeout abc smoke
[ ! -e "$WORK/r0" ] || fail "a rejected command line still created a report"

# ---- a QEMU that cannot be executed ----

rc=0
"$MIGCHECK" run smoke.idle.migrate --no-progress --qemu /nonexistent/qemu \
	--reports "$WORK/r1" >"$WORK/tap1" 2>"$WORK/err1" || rc=$?
[ $rc -eq 1 ] || fail "nonexistent QEMU: exit $rc, expected 1"
grep -qx 'not ok 1 smoke.idle.migrate' "$WORK/tap1" ||
	fail "nonexistent QEMU: no 'not ok 1' line in: $(cat "$WORK/tap1")"
[ "$(report '.cases[0].result' "$WORK/r1")" = fail ] || fail "nonexistent QEMU: result not fail"
reason=$(report '.cases[0].reason' "$WORK/r1")
case $reason in
*"cannot execute"*/nonexistent/qemu*) note "nonexistent QEMU: $reason" ;;
*) fail "nonexistent QEMU: reason '$reason' does not say it cannot execute it" ;;
esac
[ "$(report '.state' "$WORK/r1")" = finished ] || fail "nonexistent QEMU: report not finished"
assert_clean

# ---- a QEMU that aborts after saying why ----

cat >"$WORK/qemu-aborts" <<'WRAP'
#!/bin/sh
echo "qemu-system-x86_64: -machine q35: simulated start-up failure 4711" >&2
kill -ABRT $$
WRAP
chmod +x "$WORK/qemu-aborts"
rc=0
"$MIGCHECK" run smoke.idle.migrate --no-progress --qemu "$WORK/qemu-aborts" \
	--reports "$WORK/r2" >"$WORK/tap2" 2>"$WORK/err2" || rc=$?
[ $rc -eq 1 ] || fail "aborting QEMU: exit $rc, expected 1"
grep -qx 'not ok 1 smoke.idle.migrate' "$WORK/tap2" || fail "aborting QEMU: no 'not ok' line"
reason=$(report '.cases[0].reason' "$WORK/r2")
case $reason in
*"simulated start-up failure 4711"*) note "aborting QEMU: $reason" ;;
*) fail "aborting QEMU: reason '$reason' lacks QEMU's message" ;;
esac
assert_clean

# ---- a guest that never becomes ready ----

mkdir "$WORK/guest"
cp "$GUEST_DIR/vmlinuz" "$WORK/guest/vmlinuz"
cp "$GUEST_DIR/kernel-release" "$WORK/guest/kernel-release" 2>/dev/null || true
# A cpio magic and then garbage: it passes migcheck's look at the file, the
# kernel finds no /init and no root to mount.  (Plain garbage is named before
# QEMU starts: tests/integration/faults.sh.)
{ printf '070701'; head -c 65536 /dev/urandom; } >"$WORK/guest/initramfs.cpio"
start=$(date +%s)
rc=0
"$MIGCHECK" run smoke.idle.migrate --no-progress --timeout 100 --guest-dir "$WORK/guest" \
	--reports "$WORK/r3" >"$WORK/tap3" 2>"$WORK/err3" || rc=$?
took=$(($(date +%s) - start))
[ $rc -eq 1 ] || fail "bad initramfs: exit $rc, expected 1"
grep -qx 'not ok 1 smoke.idle.migrate' "$WORK/tap3" || fail "bad initramfs: no 'not ok' line"
[ "$(report '.cases[0].result' "$WORK/r3")" = fail ] || fail "bad initramfs: result not fail"
reason=$(report '.cases[0].reason' "$WORK/r3")
if [ -z "$reason" ] || [ "$reason" = null ]; then
	fail "bad initramfs: no reason"
fi
case $reason in
*"timed out"*) fail "bad initramfs: the case ran into its timeout instead of saying why: $reason" ;;
esac
[ "$took" -lt 100 ] || fail "bad initramfs: took $took s"
note "bad initramfs ($took s): $reason"
assert_clean

# ---- a case that overruns its timeout ----

rc=0
"$MIGCHECK" run smoke.idle.migrate --no-progress --timeout 1 \
	--reports "$WORK/r4" >"$WORK/tap4" 2>"$WORK/err4" || rc=$?
[ $rc -eq 1 ] || fail "timeout: exit $rc, expected 1"
grep -qx '# smoke.idle.migrate: timed out after 1 s' "$WORK/tap4" ||
	fail "timeout: no diagnostic in: $(cat "$WORK/tap4")"
grep -qx 'not ok 1 smoke.idle.migrate' "$WORK/tap4" || fail "timeout: no 'not ok' line"
[ "$(report '.cases[0].reason' "$WORK/r4")" = "timed out after 1 s" ] ||
	fail "timeout: reason is '$(report '.cases[0].reason' "$WORK/r4")'"
[ "$(report '.totals.fail' "$WORK/r4")" = 1 ] || fail "timeout: totals.fail is not 1"
assert_clean

note "all bad-input checks passed"
