#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Negative control of the policy suite, through the CLI and a real QEMU: the
# verdict must follow the expectations table.  One cell QEMU blocks
# (iommufd, no tracker, enable-migration=auto) and one it lets migrate
# (iommufd, device DMA logging) are judged against hand-written tables:
#   the right text            -> XFAIL
#   another text              -> FAIL (never XFAIL)
#   blocked, for a cell QEMU allows   -> XPASS
#   another tracker           -> FAIL
#   no table for the release  -> SKIP naming the version and directory
# Usage: negative-control.sh MIGCHECK
set -u

MIGCHECK=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/policy-nc-XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
BLOCKED=iommufd_notrack_auto_novi_precopy_1dev
ALLOWED=iommufd_devlog_auto_novi_precopy_1dev
TEXT="%s: VFIO device doesn't support device and IOMMU dirty tracking"
n=0
failed=0

echo "TAP version 13"
echo "1..5"

# table DIR RANGE RULE: one table with one rule covering every cell.
table() {
	mkdir -p "$WORK/$1"
	cat >"$WORK/$1/qemu-any.json" <<EOF
{"format": 1, "qemu": $2, "rules": [$3]}
EOF
}

# check NAME DIR VARIANT PATTERN: the case's TAP line must match PATTERN.
check() {
	n=$((n + 1))
	out=$(MIGCHECK_EXPECTATIONS="$WORK/$2" "$MIGCHECK" run "policy.$3.migrates" \
		--no-progress --reports "$WORK/reports" 2>&1)
	line=$(printf '%s\n' "$out" | grep -E "^(not )?ok 1 " | head -n 1)
	if printf '%s\n' "$line" | grep -Eq "$4"; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=1
	fi
}

table right '{"from": "0.0"}' \
	"{\"match\": {}, \"outcome\": \"blocked\", \"text\": \"$TEXT\"}"
table wrong '{"from": "0.0"}' \
	'{"match": {}, "outcome": "blocked", "text": "%s: VFIO device lacks dirty tracking"}'
table tracker '{"from": "0.0"}' \
	'{"match": {}, "outcome": "allowed", "tracker": "iommufd-hwpt"}'
table old '{"before": "1.0"}' \
	'{"match": {}, "outcome": "allowed", "tracker": "none"}'

check right_text_is_xfail right "$BLOCKED" "^ok 1 .* # XFAIL "
check wrong_text_is_fail wrong "$BLOCKED" "^not ok 1 "
check lifted_block_is_xpass wrong "$ALLOWED" "^ok 1 .* # XPASS expected blocked"
check wrong_tracker_is_fail tracker "$ALLOWED" "^not ok 1 "
check no_table_is_skip old "$BLOCKED" "^ok 1 .* # SKIP no policy expectations for QEMU [0-9.]+ in $WORK/old"

# The FAIL must name both decisions.
if [ $failed -eq 0 ]; then
	out=$(MIGCHECK_EXPECTATIONS="$WORK/wrong" "$MIGCHECK" run "policy.$BLOCKED.migrates" \
		--no-progress --reports "$WORK/reports" 2>&1)
	printf '%s\n' "$out" | grep -q "expected blocked: .*lacks dirty tracking.*; observed blocked: .*doesn't support device and IOMMU dirty tracking" ||
		{
			echo "# the FAIL reason does not name both decisions:"
			printf '%s\n' "$out" | sed 's/^/# /'
			failed=1
		}
fi
exit $failed
