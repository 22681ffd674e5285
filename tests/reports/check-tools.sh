#!/bin/sh
# The jq tools in reports/tools/ against a sample report whose contents are known.
set -eu
tools=$1
sample=$2
echo "TAP version 13"
echo "1..4"
. "$(dirname "$0")/../lib/tap.sh"
check failed_lists_only_failures "$(jq -r -f "$tools/failed.jq" "$sample" | cut -f1,2)" \
	"$(printf 'smoke.dirty.migrate\tfail')"
check downtime_has_header_and_rows "$(jq -r -f "$tools/downtime.jq" "$sample" | wc -l)" 3
check downtime_first_row "$(jq -r -f "$tools/downtime.jq" "$sample" | sed -n 2p | cut -f1,2)" \
	"$(printf 'smoke.idle.migrate\t%s' "$(jq '.cases[0].metrics.migration.downtime_ms' "$sample")")"
check summary_totals "$(jq -r -f "$tools/summary.jq" "$sample" | cut -f4)" \
	"pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0"
