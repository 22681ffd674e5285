#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the libFuzzer targets (meson -Dfuzz=true, clang) in their own build
# directory and runs each for a bounded number of executions over its seed
# corpus, tests/fuzz/corpus/<target>/ (the mock's targets: tests/fuzz/vfiomock/
# corpus/<kind>/).  New inputs libFuzzer finds stay in
# the build directory; a crash, leak or sanitizer report fails the target
# and leaves its input as <build>/fuzz-artifacts/<target>-crash-*.
#
# Environment: FUZZ_RUNS (executions per target, default 1000000),
# FUZZ_MAX_TIME (seconds per target, default 0: no limit), FUZZ_TARGETS
# (names to run, default all), FUZZ_BUILD (default build-fuzz), FUZZ_JOBS
# (targets run at once, default 1).
set -eu
cd "$(dirname "$0")/.."

BUILD=${FUZZ_BUILD:-build-fuzz}
RUNS=${FUZZ_RUNS:-1000000}
MAX_TIME=${FUZZ_MAX_TIME:-0}
PKGS="clang-14 libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "fuzz: missing Debian packages:$missing; run as root: apt-get install -y$missing" >&2
		exit 1
	fi
	echo "fuzz: installing Debian packages:$missing" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang-14 meson setup "$BUILD" -Dfuzz=true >"$BUILD.setup.log" 2>&1 ||
		{ cat "$BUILD.setup.log"; rm -f "$BUILD.setup.log"; exit 1; }
	rm -f "$BUILD.setup.log"
fi
ninja -C "$BUILD" fuzz >"$BUILD/.fuzz-build.log" 2>&1 || { cat "$BUILD/.fuzz-build.log"; exit 1; }

mkdir -p "$BUILD/fuzz-artifacts" "$BUILD/fuzz-corpus" "$BUILD/fuzz-logs"
passed=0
failed=0
targets=$(find "$BUILD/tests/fuzz" -type f -name 'fuzz-*' -perm -u+x | sort)
for t in $targets; do
	name=${t##*/fuzz-}
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in *" $name "*) ;; *) continue ;; esac
	fi
	# The mock's targets keep their seeds beside them (tests/fuzz/vfiomock/corpus/<kind>).
	case $name in
	vfiomock-*) seeds=tests/fuzz/vfiomock/corpus/${name#vfiomock-} ;;
	*) seeds=tests/fuzz/corpus/$name ;;
	esac
	if [ ! -d "$seeds" ]; then
		echo "fuzz-$name: no seed corpus in $seeds"
		failed=$((failed + 1))
		continue
	fi
	work=$BUILD/fuzz-corpus/$name
	log=$BUILD/fuzz-logs/$name.log
	mkdir -p "$work"
	rc=0
	# -timeout: one input may take 10 s at most; -rss_limit_mb: no runaway growth.
	# ASan keeps freed chunks in a quarantine (256 MB by default) and never
	# gives their size classes back: inputs that choose allocation sizes (the
	# mock's bitmaps) filled class after class to 2 GB of RSS with 25 MB live.
	# A 64 MB quarantine still catches use after a recent free.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=64 \
		UBSAN_OPTIONS=print_stacktrace=1 \
		nice "$t" -runs="$RUNS" -max_total_time="$MAX_TIME" -max_len=16384 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$BUILD/fuzz-artifacts/$name-" "$work" "$seeds" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz-$name: ${execs:-?} executions (${secs:-?}/s), no crash, leak or sanitizer report"
		passed=$((passed + 1))
	else
		echo "fuzz-$name: FAILED (exit $rc) after ${execs:-?} executions; log: $log"
		grep -m 3 -E 'ERROR: |runtime error|SUMMARY' "$log" | sed 's/^/  /' || true
		ls "$BUILD/fuzz-artifacts/$name-"* 2>/dev/null | sed 's/^/  input: /' || true
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
