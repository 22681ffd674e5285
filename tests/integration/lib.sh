# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers shared by the integration tests (sourced; POSIX sh).
#
# Every test works in its own scratch directory, $WORK, whose path appears in
# the command line of every QEMU and case process it starts (through the
# reports directory), so "our processes" are exactly those mentioning $WORK.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

setup() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcint-XXXXXX")
	SHM_BEFORE="$WORK/shm.before"
	shm_list >"$SHM_BEFORE"
	trap cleanup EXIT
}

cleanup() {
	rc=$?
	# Never leave anything behind, even when a check failed.
	pkill -KILL -f "$WORK" 2>/dev/null || true
	if [ $rc -eq 0 ]; then
		rm -rf "$WORK"
	else
		echo "# scratch directory kept: $WORK" >&2
	fi
	exit $rc
}

# Names of migcheck-* files in /dev/shm, sorted.
shm_list() {
	for f in /dev/shm/migcheck-*; do
		[ -e "$f" ] && echo "${f#/dev/shm/}"
	done | sort
}

# Processes (QEMU or case children) started for this test, if any.
our_processes() {
	pgrep -af -- "$WORK" || true
}

# migcheck-* files in /dev/shm that were not there when the test started.
new_shm_files() {
	shm_list | comm -13 "$SHM_BEFORE" -
}

# Nothing of ours may remain: no process, no /dev/shm file.  Waits up to $1 s
# (default 30: a loaded host may take a while to reap what was killed).
assert_clean() {
	limit=${1:-30}
	i=0
	while [ $i -lt $((limit * 10)) ]; do
		if [ -z "$(our_processes)" ] && [ -z "$(new_shm_files)" ]; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	procs=$(our_processes)
	shm=$(new_shm_files)
	[ -z "$procs" ] || fail "processes left behind: $procs"
	[ -z "$shm" ] || fail "files left in /dev/shm: $shm"
}

# The single line a command printed on stderr must name $1.
assert_one_line_naming() {
	file=$1
	what=$2
	[ "$(wc -l <"$file")" -eq 1 ] || fail "expected one line on stderr, got: $(cat "$file")"
	grep -qF -- "$what" "$file" || fail "message does not name '$what': $(cat "$file")"
}

# jq over the newest report under a reports directory.
report() {
	jq -r "$1" "$2/latest/report.json"
}
