#!/bin/sh
# migcheck ab on real runs: the smoke suite on one build twice (two clean
# runs of one build are no regression; a case forced to fail in a copy of
# one report is), and, when $MIGCHECK_QEMUS names an 11.0 build, policy
# cells that 11.0 opened show as changes against the installed QEMU.
# usage: check-ab.sh MIGCHECK QEMU
set -u
mc=$1
qemu=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "TAP version 13"
echo "1..8"
. "$(dirname "$0")/../lib/tap.sh"

"$mc" ab --qemu-a "$qemu" --qemu-b "$qemu" --reports "$dir" --run-id same -j 2 --timeout 400 \
	--no-progress smoke >"$dir/out" 2>"$dir/err"
rc=$?
sed 's/^/# /' "$dir/out"
ncases=$("$mc" list smoke | wc -l)
a=$dir/runs/same-a/report.json
b=$dir/runs/same-b/report.json
check two_runs_no_regression "$rc $(tail -1 "$dir/out")" "0 verdict: no regression"
check both_runs_complete_and_clean \
	"$(jq -r '"\(.state) \(.cases | length) \(.totals.fail + .totals.error)"' "$a" "$b" | tr '\n' ' ')" \
	"finished $ncases 0 finished $ncases 0 "
# Case by case: sorted by start, each pair of runs is one case on both builds.
starts() {
	for f in "$dir"/runs/same-*/cases/*/case.log; do
		head -1 "$f"
	done | sort -n | awk '{print $3}' | paste -d' ' - - | awk '$1 == $2 {print "same"; next} {print "split"}' | sort -u
}
check interleaved_case_by_case "$(starts)" "same"
check tap_of_each_build_kept "$(grep -c '^ok \|^not ok ' "$dir/runs/same-a/report.tap" "$dir/runs/same-b/report.tap" | tr '\n' ' ')" \
	"$dir/runs/same-a/report.tap:$ncases $dir/runs/same-b/report.tap:$ncases "

# A case that passed on A forced to fail in a copy of B's report.
victim=$(jq -r '[.cases[] | select(.result == "pass")][0].name // "none"' "$a")
jq --arg v "$victim" '(.cases[] | select(.name == $v)) |= (.result = "fail" | .reason = "forced to fail")' \
	"$b" >"$dir/forced.json"
"$mc" compare "$a" "$dir/forced.json" >"$dir/cmp" 2>&1
check forced_failure_exits_1 "$? $victim" "1 $victim"
check forced_failure_listed "$(grep -c "^  $victim: pass -> fail: forced to fail$" "$dir/cmp")" 1

# An 11.0 build: the first binary in $MIGCHECK_QEMUS reporting 10.2.50 or later.
new=""
for q in $(echo "${MIGCHECK_QEMUS:-}" | tr ':' ' '); do
	v=$("$q" --version 2>/dev/null | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\)\.\([0-9]*\).*/\1 \2 \3/p')
	set -- $v
	if [ $# -eq 3 ] && { [ "$1" -ge 11 ] || { [ "$1" -eq 10 ] && [ "$2" -ge 2 ] && [ "$3" -ge 50 ]; }; }; then
		new=$q
		break
	fi
done
if [ -z "$new" ]; then
	echo "ok 7 opened_cells_are_changes # SKIP no QEMU 11.0 build in MIGCHECK_QEMUS"
	echo "ok 8 opened_cells_not_regressions # SKIP no QEMU 11.0 build in MIGCHECK_QEMUS"
	exit 0
fi
opened="policy.iommufd_hwpt_auto_vtd_precopy_1dev.migrates policy.type1_perpetual_on_vtd_precopy_1dev.migrates"
"$mc" ab --qemu-a "$qemu" --qemu-b "$new" --reports "$dir" --run-id rel -j 2 --no-progress \
	$opened policy.type1_devlog_auto_vtd_precopy_1dev.migrates >"$dir/rel" 2>&1
rc=$?
sed 's/^/# /' "$dir/rel"
check opened_cells_are_changes \
	"$(for c in $opened; do grep -c "^  $c: xfail -> x\?pass" "$dir/rel"; done | tr '\n' ' ')" "1 1 "
check opened_cells_not_regressions "$rc $(grep -c '^Regressions' "$dir/rel")" "0 0"
