#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Nothing outlives the harness: SIGKILL migcheck while its case has QEMU
# running, then (within a bounded wait) no QEMU or case process of it may remain and
# /dev/shm must hold no migcheck-* file.  The report written so far stays
# readable.
#
# usage: killed_harness.sh MIGCHECK
set -eu

MIGCHECK=$1
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "1..0 # SKIP jq is not installed"; exit 77; }
setup

"$MIGCHECK" run smoke.idle.migrate --no-progress --reports "$WORK/r" \
	>"$WORK/tap" 2>"$WORK/err" &
harness=$!

# Wait for the source QEMU (its -name is migcheck-src, its files are in $WORK).
i=0
while ! pgrep -f -- "migcheck-src.*$WORK" >/dev/null; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $harness 2>/dev/null; then
		fail "no source QEMU appeared; migcheck said: $(cat "$WORK/tap" "$WORK/err")"
	fi
	sleep 0.1
done
note "source QEMU: $(pgrep -f -- "migcheck-src.*$WORK" | tr '\n' ' ')"
# Let the destination start too, when it does so quickly.
sleep 0.5

kill -KILL $harness
wait $harness 2>/dev/null || true

assert_clean

# The run's report is there and parses; the killed run never finished.
[ "$(report '.schema' "$WORK/r")" = migcheck-report ] || fail "report.json unreadable"
[ "$(report '.state' "$WORK/r")" = running ] || fail "report state is not 'running'"
# JUnit and HTML were written with it, so a killed run leaves all three.
[ -s "$WORK/r/latest/report.xml" ] && [ -s "$WORK/r/latest/report.html" ] ||
	fail "report.xml or report.html missing beside report.json"
note "migcheck killed; nothing left behind"
