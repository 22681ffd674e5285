#!/bin/sh
# migcheck merge over a report cut into shards: one report again, with the
# verdicts, order and totals of the whole, and refusals when a shard is
# missing or given twice.
# usage: check-merge.sh MIGCHECK REPORT.json
set -u
mc=$1
report=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/merge.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "TAP version 13"
echo "1..7"
. "$(dirname "$0")/../lib/tap.sh"
for k in 1 2; do
	mkdir -p "$dir/s$k"
	jq --argjson k $k '.run_id = "s\($k)"
		| .shard = {index: $k, count: 2, balance: "count", cases_total: (.cases | length), plan: "p1"}
		| .cases |= map(select(.order % 2 == $k - 1))' "$report" >"$dir/s$k/report.json"
done
verdicts() {
	jq -c '[.cases[] | [.order, .name, .result, .reason]], .totals' "$1"
}

"$mc" merge "$dir/out" "$dir/s2" "$dir/s1/report.json" >"$dir/tap" 2>"$dir/err"
check exit_status_of_a_run_with_failures "$?" 1
check same_verdicts_order_and_totals "$(verdicts "$dir/out/report.json")" "$(verdicts "$report")"
check tap_totals "$(grep '^# Totals:' "$dir/tap")" \
	"$(jq -r '.totals | "# Totals: pass:\(.pass) fail:\(.fail) xfail:\(.xfail) xpass:\(.xpass) skip:\(.skip) error:\(.error)"' "$report")"
check tap_plan_and_lines "$(sed -n 2p "$dir/tap") $(grep -c '^\(not \)\?ok ' "$dir/tap")" \
	"1..$(jq '.cases | length' "$report") $(jq '.cases | length' "$report")"
check junit_and_html_written "$(ls "$dir/out" | tr '\n' ' ')" "report.html report.json report.xml "
check workdir_relative_to_merge "$(jq -r '.cases[0].workdir' "$dir/out/report.json")" \
	"../s1/$(jq -r '.cases[0].workdir' "$report")"

"$mc" merge "$dir/bad" "$dir/s1" >/dev/null 2>"$dir/err1"
r1=$?
"$mc" merge "$dir/bad" "$dir/s1" "$dir/s1" >/dev/null 2>"$dir/err2"
r2=$?
check missing_or_twice_refused "$r1 $r2 $(cat "$dir/err1" "$dir/err2" | tr '\n' '|')" \
	"2 2 migcheck: merge: shard 2 of 2 is missing|migcheck: merge: shard 1 of 2 is given twice|"
