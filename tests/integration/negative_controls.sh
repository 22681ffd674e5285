#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every negative control, both directions: with its fault injected the named
# oracle must fail exactly where the fault went (the control passes), and in
# the fault-free twin case the same oracle must pass.  A control may end
# XFAIL on a known QEMU defect that showed in another of its runs; its own
# oracle's verdict is what is judged.  TAP on stdout.
#
# usage: negative_controls.sh MIGCHECK
set -u
. "$(dirname "$0")/lib.sh"
MIGCHECK=$1
setup

# control twin oracle...
PAIRS='smoke.idle.oracle_selftest smoke.idle.migrate ram guest_verify
dirty.type1_devlog_auto_novi_precopy_1dev.drop_dirty dirty.type1_devlog_auto_novi_precopy_1dev.migrate ram dma_ring
dirty.type1_devlog_auto_novi_precopy_1dev.dma_after_stop dirty.type1_devlog_auto_novi_precopy_1dev.migrate ram
dirty.iommufd_hwpt_auto_novi_precopy_1dev.drop_dirty dirty.iommufd_hwpt_auto_novi_precopy_1dev.migrate ram dma_ring
dirty.type1_perpetual_on_novi_precopy_1dev.drop_dirty dirty.type1_perpetual_on_novi_precopy_1dev.migrate ram dma_ring
downtime.type1_devlog.bound_selftest downtime.type1_devlog.scaling 512mib.stop_copy
downtime.type1_devlog.limit_selftest downtime.type1_devlog.limit 262144kib.limit'

sel=$(echo "$PAIRS" | awk '{print $1; print $2}' | sort -u)
# shellcheck disable=SC2086
"$MIGCHECK" run -j 2 --no-progress --reports "$WORK/reports" $sel >"$WORK/run.tap" 2>"$WORK/run.err"
REPORT="$WORK/reports/latest/report.json"
[ -f "$REPORT" ] || fail "no report ($(tail -n 3 "$WORK/run.err"))"

n=0
echo "TAP version 13"
echo "$PAIRS" | while read -r control twin oracles; do
	for o in $oracles; do
		n=$((n + 1))
		verdict=$(jq -r --arg c "$control" --arg t "$twin" --arg o "$o" '
			def case($n): .cases[] | select(.name == $n);
			(case($c)) as $k | (case($t)) as $w |
			if $k.kind != "negative-control" then "\($c) is not a negative control"
			elif ($k.oracles[$o].pass | not) then "\($c): \($o) did not catch its fault: \($k.oracles[$o].summary)"
			elif ($k.oracles[$o].summary | startswith("caught the injected fault exactly") | not) then "\($c): \($o): \($k.oracles[$o].summary)"
			elif ($w.oracles[$o].pass != true) then "\($t): \($o) fails without a fault: \($w.oracles[$o].summary // $w.reason)"
			elif ($k.result != "pass" and $k.result != "xfail") then "\($c): \($k.result): \($k.reason)"
			else "ok" end' "$REPORT")
		if [ "$verdict" = ok ]; then
			echo "ok $n $control $o catches its fault; $twin passes it"
		else
			echo "# $verdict"
			echo "not ok $n $control $o"
		fi
	done
	echo "$n" >"$WORK/count"
done
echo "1..$(cat "$WORK/count")"
assert_clean
