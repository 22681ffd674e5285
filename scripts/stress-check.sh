#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make check` on a busy machine: runs it STRESS_RUNS times (default 3)
# while a CPU hog keeps every core busy, and reports each run's result.
# The hog is stress-ng from Debian (installed when missing, as root), or
# else one shell loop per core.  Either way it is started here, bounded by
# `timeout` so that it ends by itself even if this script is killed, and
# stopped on exit; nothing of it is left running.
#
# usage: scripts/stress-check.sh   (exit 0 when every run passed)
# STRESS_HOG=loops uses the shell loops even where stress-ng exists.
set -u
cd "$(dirname "$0")/.."

RUNS=${STRESS_RUNS:-3}
CPUS=$(nproc)
# Longer than any `make check` could take: the hog's own bound.
HOG_LIMIT=${STRESS_HOG_LIMIT:-6h}
LOGDIR=${STRESS_LOGDIR:-stress-logs}
hog=""

stop_hog() {
	[ -n "$hog" ] || return 0
	kill -TERM "$hog" 2>/dev/null
	# timeout(1) passes the signal on to the hog, which stops its workers.
	i=0
	while kill -0 "$hog" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$hog" 2>/dev/null
	wait "$hog" 2>/dev/null
	hog=""
}
# make check runs in its own session, in the background, so that a signal to
# this script is handled at once (sh runs traps only between commands) and
# reaches every process of the run, not only make.
check=""
stop_check() {
	[ -n "$check" ] || return 0
	kill -TERM "-$check" 2>/dev/null
	wait "$check" 2>/dev/null
	check=""
}
trap 'stop_hog' EXIT
trap 'echo "stress-check: interrupted"; stop_check; stop_hog; exit 130' INT TERM

use_ng() { [ "${STRESS_HOG:-}" != loops ] && command -v stress-ng >/dev/null; }
if [ "${STRESS_HOG:-}" != loops ] && ! command -v stress-ng >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "stress-check: installing stress-ng from Debian" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null 2>&1 ||
		echo "stress-check: stress-ng not installable; using shell loops" >&2
fi

# Runs in its own process group so that stop_hog reaches every worker.
if use_ng; then
	setsid timeout "$HOG_LIMIT" stress-ng --cpu "$CPUS" --quiet &
	hog=$!
	what="stress-ng --cpu $CPUS"
else
	setsid timeout "$HOG_LIMIT" sh -c '
		i=0
		while [ $i -lt "$1" ]; do
			(while :; do :; done) &
			i=$((i + 1))
		done
		trap "kill 0" TERM
		wait' sh "$CPUS" &
	hog=$!
	what="$CPUS shell loops"
fi
echo "stress-check: CPU hog: $what (pid $hog)"
mkdir -p "$LOGDIR"

passed=0
failed=0
k=1
while [ $k -le "$RUNS" ]; do
	log=$LOGDIR/check-$k.log
	start=$(date +%s)
	rc=0
	setsid make check >"$log" 2>&1 &
	check=$!
	wait "$check" || rc=$?
	check=""
	took=$(($(date +%s) - start))
	sum() { sed -n "s/^$1: *\([0-9][0-9]*\).*/\1/p" "$log" | awk '{ s += $1 } END { print s + 0 }'; }
	counts="ok $(sum Ok), fail $(sum Fail), timeout $(sum Timeout), skipped $(sum Skipped)"
	if [ $rc -eq 0 ]; then
		echo "stress-check: run $k: PASS in $((took / 60)) min $((took % 60)) s ($counts)"
		passed=$((passed + 1))
	else
		echo "stress-check: run $k: FAIL (make check exit $rc) in $((took / 60)) min $((took % 60)) s ($counts); log: $log"
		grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|ERROR|TIMEOUT) ' "$log" | sed 's/^/  /'
		failed=$((failed + 1))
	fi
	if ! kill -0 "$hog" 2>/dev/null; then
		echo "stress-check: the CPU hog stopped early; the remaining runs would not be loaded" >&2
		failed=$((failed + RUNS - k))
		break
	fi
	k=$((k + 1))
done
stop_hog
left=$(pgrep -f 'stress-ng --cpu' 2>/dev/null | tr '\n' ' ')
echo "stress-check: $passed passed, $failed failed${left:+ (stress-ng still running elsewhere: $left)}"
[ $failed -eq 0 ]
