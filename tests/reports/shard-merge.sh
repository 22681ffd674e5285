#!/bin/sh
# A selection run whole and as two shards merged: the same cases, verdicts,
# order and totals.  Real runs, so not part of `make check`: `make
# check-shards` runs it over `smoke policy` (SELECTION= to change).
# usage: shard-merge.sh MIGCHECK DIR SELECTION...
set -u
# Generous limits, as make check has: a case timing out on a loaded machine
# in one run and not the other is not what this compares.
export MIGCHECK_TIME_SCALE="${MIGCHECK_TIME_SCALE:-3}"
mc=$1
dir=$2
shift 2
rm -rf "$dir"
mkdir -p "$dir"
echo "TAP version 13"
echo "1..4"
"$mc" run --no-progress --reports "$dir" --run-id whole "$@" >"$dir/whole.tap"
for k in 1 2; do
	"$mc" run --no-progress --reports "$dir" --run-id "shard$k" --shard "$k/2" "$@" >"$dir/shard$k.tap"
done
"$mc" merge "$dir/merged" "$dir/runs/shard1" "$dir/runs/shard2" >"$dir/merged.tap"
. "$(dirname "$0")/../lib/tap.sh"
verdicts() {
	jq -c '[.cases[] | [.name, .result]]' "$1"
}
check shards_split_the_selection \
	"$(jq -s 'map(.cases | length) | add' "$dir/runs/shard1/report.json" "$dir/runs/shard2/report.json")" \
	"$(jq '.cases | length' "$dir/runs/whole/report.json")"
check same_verdicts_in_order "$(verdicts "$dir/merged/report.json")" "$(verdicts "$dir/runs/whole/report.json")"
check same_totals "$(jq -c .totals "$dir/merged/report.json")" "$(jq -c .totals "$dir/runs/whole/report.json")"
check same_tap_totals "$(grep '^# Totals' "$dir/merged.tap")" "$(grep '^# Totals' "$dir/whole.tap")"
exit $tap_failed
