# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the host-device tests (sourced; POSIX sh): the VFIO mock as
# the host kernel (vfiomock-host) of a namespace with two mock devices at
# 0000:3b:00.1 (group 61) and 0000:3b:00.2 (group 62), and TAP output.
#
# usage from a test: . lib.sh; pt_setup MIGCHECK VFIOMOCK_HOST

PT_SRC=0000:3b:00.1
PT_DST=0000:3b:00.2
PT_PAIR="host=$PT_SRC,$PT_DST"
PT_N=0
PT_FAILED=0

pt_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

pt_setup() {
	MIGCHECK=$1
	HOSTEMU=$2
	command -v jq >/dev/null || pt_skip_all "jq is not installed"
	[ "$(id -u)" -eq 0 ] || pt_skip_all "host emulation needs root (a mount namespace, device nodes)"
	unshare -m true 2>/dev/null || pt_skip_all "this machine refuses mount namespaces"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcpt-XXXXXX")
	trap pt_cleanup EXIT
	# A mock under the harness: an ASan build must let it come first.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export ASAN_OPTIONS
	cat >"$WORK/base.json" <<JSON
{
  "version": 1,
  "log": "$WORK/mock.jsonl",
  "iommu": {"dirty_tracking": true},
  "devices": [
    {"name": "$PT_SRC", "group": 61, "cdev": "vfio0", "devt": "511:0"},
    {"name": "$PT_DST", "group": 62, "cdev": "vfio1", "devt": "511:1"}
  ],
  "host": {}
}
JSON
}

pt_cleanup() {
	rc=$?
	pkill -KILL -f "$WORK" 2>/dev/null || true
	if [ $rc -eq 0 ] && [ $PT_FAILED -eq 0 ]; then
		rm -rf "$WORK"
	else
		echo "# scratch directory kept: $WORK" >&2
	fi
	exit $rc
}

# pt_config NAME JQ-FILTER: $WORK/NAME.json from the base configuration.
pt_config() {
	jq "$2" "$WORK/base.json" >"$WORK/$1.json"
}

# pt_ok CONDITION-RESULT DESCRIPTION [DIAGNOSTIC...]
pt_result() {
	ok=$1
	shift
	PT_N=$((PT_N + 1))
	if [ "$ok" -eq 0 ]; then
		echo "ok $PT_N - $1"
	else
		echo "not ok $PT_N - $1"
		shift
		for d in "$@"; do
			printf '%s\n' "$d" | sed 's/^/# /'
		done
		PT_FAILED=1
	fi
}

# The harness inside the namespace of configuration NAME.
pt_migcheck() {
	name=$1
	shift
	"$HOSTEMU" "$WORK/$name.json" -- "$MIGCHECK" "$@"
}

# Nothing of ours is left: no process naming $WORK, no staging directory.
pt_assert_clean() {
	i=0
	while [ $i -lt 100 ] && pgrep -f -- "$WORK" >/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	procs=$(pgrep -af -- "$WORK" || true)
	staging=$(ls -d "${TMPDIR:-/tmp}"/vfiomock-host-* 2>/dev/null || true)
	[ -z "$procs" ] && [ -z "$staging" ]
	pt_result $? "nothing left behind (processes, staging directories)" "$procs" "$staging"
}
