#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Bad input for libvirt runs, each with a precise reason and nothing left:
# libvirt too old, no libvirt daemon, a daemon that does not start (its log
# in the reason), namespace creation refused, and a bad --via.
#
# usage: libvirt_bad.sh MIGCHECK
set -eu

MIGCHECK=$1
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/lvlib.sh
. "$(dirname "$0")/lvlib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }
lv_require_root
setup
lv_setup
n=0

# run_case NAME EXPECTED_RESULT REASON_SUBSTRING [env/command prefix...]
run_case() {
	name=$1
	want=$2
	text=$3
	shift 3
	n=$((n + 1))
	rc=0
	"$@" "$MIGCHECK" run --via libvirt smoke.idle.migrate --timeout 300 --no-progress \
		--reports "$WORK/r$n" >"$WORK/out$n" 2>"$WORK/err$n" || rc=$?
	got=$(report '.cases[0].result' "$WORK/r$n")
	reason=$(report '.cases[0].reason' "$WORK/r$n")
	[ "$got" = "$want" ] || fail "$name: result $got (exit $rc), expected $want: $reason"
	case "$reason" in
	*"$text"*) ;;
	*) fail "$name: reason does not name '$text': $reason" ;;
	esac
	lv_assert_clean 20
	note "$name: $got: $reason"
}

run_case "libvirt too old" skip "older than 99.0.0" env MIGCHECK_LIBVIRT_MIN_VERSION=99.0.0
run_case "no libvirt daemon" skip "no libvirt daemon at $WORK/none" \
	env MIGCHECK_LIBVIRTD="$WORK/none"
# A line libvirtd cannot parse: it exits at once, and its log says why.
run_case "daemon does not start" fail "libvirtd.conf:12: expecting an assignment" \
	env MIGCHECK_LIBVIRTD_CONF="this is not a setting"
# Without CAP_SYS_ADMIN no namespace can be made.
run_case "namespaces refused" skip "namespaces for the libvirt hosts refused: src host: unshare" \
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin

rc=0
"$MIGCHECK" run --via frob smoke >"$WORK/out" 2>"$WORK/err" || rc=$?
[ $rc -eq 2 ] || fail "--via frob: exit $rc, expected 2"
assert_one_line_naming "$WORK/err" "'frob'"
note "--via frob: $(cat "$WORK/err")"
note "all bad input for libvirt runs reported; nothing left behind"
