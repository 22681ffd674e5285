#!/bin/sh
# migcheck compare over edited copies of a report: which verdict changes are
# regressions, and the noise rule for metrics.
# usage: check-compare.sh MIGCHECK REPORT.json
set -u
mc=$1
report=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/compare.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "TAP version 13"
echo "1..16"
. "$(dirname "$0")/../lib/tap.sh"
edit() { # edit NAME JQ-FILTER: a copy of the report
	jq "$2" "$report" >"$dir/$1.json"
}
cmp_rc() { # cmp_rc BASE NEW [options]: exit status, output in $dir/out
	b=$1
	nw=$2
	shift 2
	"$mc" compare "$@" "$b" "$nw" >"$dir/out" 2>&1
	echo $?
}
pass1=smoke.idle.migrate
fail1=policy.type1_devlog_auto_novi_precopy_1dev.migrates
xfail1=$(jq -r '[.cases[] | select(.suite == "policy" and .result == "xfail")][0].name' "$report")
rep=dirty.type1_devlog_auto_novi_precopy_1dev.migrate

check same_report_no_regression "$(cmp_rc "$report" "$report")" 0
check same_report_says_so "$(tail -1 "$dir/out")" "verdict: no regression"

edit regressed "(.cases[] | select(.name == \"$pass1\")) |= (.result = \"fail\" | .reason = \"ram oracle: injected\")"
check injected_regression_exits_1 "$(cmp_rc "$report" "$dir/regressed.json")" 1
check injected_regression_listed \
	"$(sed -n '/^Regressions (1):$/{n;p}' "$dir/out")" "  $pass1: pass -> fail: ram oracle: injected"

edit fixed "(.cases[] | select(.name == \"$fail1\")) |= (.result = \"pass\" | .reason = null)"
check improvement_exits_0 "$(cmp_rc "$report" "$dir/fixed.json")" 0
check improvement_listed "$(sed -n '/^Improvements (1):$/{n;p}' "$dir/out")" "  $fail1: fail -> pass"

edit moved "del(.cases[] | select(.name == \"$pass1\")) | .cases += [{name: \"smoke.brand.new\", suite: \"smoke\", result: \"pass\", reason: null}]"
check vanished_and_new_exit_0 "$(cmp_rc "$report" "$dir/moved.json")" 0
check vanished_and_new_listed \
	"$(grep -c -e "^  $pass1: pass -> (absent)" -e '^  smoke.brand.new: new: pass$' "$dir/out")" 2
edit newfail ".cases += [{name: \"smoke.brand.new\", suite: \"smoke\", result: \"fail\", reason: \"broken\"}]"
check new_failing_case_exits_1 "$(cmp_rc "$report" "$dir/newfail.json")" 1

# pass -> xfail is a regression on one release, an expected change across
# releases (the other release's table says so); a new failure is a
# regression either way.
edit knowndefect "(.cases[] | select(.name == \"$pass1\")) |= (.result = \"xfail\" | .reason = \"known defect\")"
check same_release_pass_to_xfail_exits_1 "$(cmp_rc "$report" "$dir/knowndefect.json")" 1
edit nextrel "(.cases[] | select(.policy.table) | .policy.table) |= sub(\"qemu-10.0\"; \"qemu-11.0\")
	| (.cases[] | select(.name == \"$pass1\")) |= (.result = \"xfail\" | .reason = \"known defect\")
	| (.cases[] | select(.name == \"$xfail1\")) |= (.result = \"pass\" | .reason = null)"
check cross_release_changes_exit_0 "$(cmp_rc "$report" "$dir/nextrel.json")" 0
check cross_release_lists_both \
	"$(grep -c -e "^  $pass1: pass -> xfail" -e "^  $xfail1: xfail -> pass" "$dir/out")" 2

# Metrics: three repetitions a side that do not overlap are a regression;
# overlapping ones, or one measurement a side, are shown but not counted.
dt='.metrics.migration.downtime_ms'
edit base3 "(.cases[] | select(.name == \"$rep\") | .repetitions) |= [.[0] | ($dt = 20), ($dt = 22), ($dt = 21)]"
edit slow3 "(.cases[] | select(.name == \"$rep\") | .repetitions) |= [.[0] | ($dt = 40), ($dt = 42), ($dt = 41)]"
edit noisy3 "(.cases[] | select(.name == \"$rep\") | .repetitions) |= [.[0] | ($dt = 20), ($dt = 60), ($dt = 21)]"
check metric_regression_exits_1 "$(cmp_rc "$dir/base3.json" "$dir/slow3.json")" 1
check overlapping_jitter_exits_0 "$(cmp_rc "$dir/base3.json" "$dir/noisy3.json")" 0
edit slow1 "(.cases[] | select(.name == \"$pass1\") | $dt) |= . * 10"
check single_measurement_not_counted "$(cmp_rc "$report" "$dir/slow1.json")" 0

# Markdown and HTML say the same; bad input is a usage error.
cmp_rc "$report" "$dir/regressed.json" --format markdown >/dev/null
md=$(grep -c -e '^| case | verdict | reason |$' -e "^| \`$pass1\` | pass -> fail |" "$dir/out")
cmp_rc "$report" "$dir/regressed.json" --format html >/dev/null
html=$(xmllint --html --xpath 'string(//p[@id="verdict"])' "$dir/out" 2>/dev/null)
bad=$(cmp_rc "$report" /nonexistent/report.json)
echo '{"schema": "other"}' >"$dir/other.json"
bad="$bad $(cmp_rc "$report" "$dir/other.json")"
check formats_and_bad_input "$md|$html|$bad" \
	"2|REGRESSION (1 verdicts, 0 new failing cases, 0 metrics)|2 2"
