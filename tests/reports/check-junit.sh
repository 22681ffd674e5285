#!/bin/sh
# report.xml against the JUnit schema GitLab and Jenkins read (junit.xsd),
# case for case against the report it was rendered from.
# usage: check-junit.sh MIGCHECK JUNIT.XSD REPORT.json V1-REPORT.json
set -eu
mc=$1
xsd=$2
report=$3
v1=$4
dir=$(mktemp -d "${TMPDIR:-/tmp}/junit.XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "TAP version 13"
echo "1..10"
. "$(dirname "$0")/../lib/tap.sh"
xpath() {
	xmllint --xpath "$2" "$1" 2>/dev/null || true
}
valid() {
	if xmllint --noout --schema "$xsd" "$1" >"$dir/lint" 2>&1; then echo valid; else echo invalid; fi
}

"$mc" render --junit "$dir/report.xml" --html "$dir/report.html" "$report"
"$mc" render --junit "$dir/v1.xml" --html "$dir/v1.html" "$v1"
check validates "$(valid "$dir/report.xml")" valid
check schema_version_1_report_validates "$(valid "$dir/v1.xml")" valid

# Every case once, named as on its TAP line, in report order, under its suite.
check testcase_names_in_order \
	"$(xpath "$dir/report.xml" '//testcase/@name' | sed 's/^ name="\(.*\)"$/\1/')" \
	"$(jq -r '.cases[].name' "$report")"
check suites_in_first_seen_order \
	"$(xpath "$dir/report.xml" '/testsuites/testsuite/@name' | sed 's/^ name="\(.*\)"$/\1/' | tr '\n' ' ')" \
	"$(jq -r '[.cases[].suite] | reduce .[] as $s ([]; if index([$s]) then . else . + [$s] end) | join(" ")' "$report") "

# Results: fail -> failure, error -> error, skip and XFAIL -> skipped, XPASS -> passed with a line.
check counts \
	"$(xpath "$dir/report.xml" 'concat(count(//testcase/failure), " ", count(//testcase/error), " ", count(//testcase/skipped[@type="skip"]), " ", count(//testcase/skipped[starts-with(@message, "XFAIL: ")]), " ", count(//testcase/system-out[starts-with(., "XPASS: ")]))')" \
	"$(jq -r '[.totals.fail, .totals.error, .totals.skip, .totals.xfail, .totals.xpass] | map(tostring) | join(" ")' "$report")"
check failure_message_is_reason \
	"$(xpath "$dir/report.xml" 'string(//testcase[@name="policy.type1_devlog_auto_novi_precopy_1dev.migrates"]/failure/@message)')" \
	"$(jq -r '.cases[] | select(.name == "policy.type1_devlog_auto_novi_precopy_1dev.migrates") | .reason' "$report")"
check environment_as_properties \
	"$(xpath "$dir/report.xml" 'string(/testsuites/testsuite[1]/properties/property[@name="environment.qemu.version_line"]/@value)')" \
	"$(jq -r '.environment.qemu.version_line' "$report")"

# Negative controls: the schema rejects a testcase without a name, and an
# outcome after its output (element order matters to the consumers).
sed '0,/<testcase name="[^"]*"/s//<testcase/' "$dir/report.xml" >"$dir/noname.xml"
check schema_rejects_nameless_testcase "$(valid "$dir/noname.xml")" invalid
awk '/<failure /&&!done{print "      <system-out>x</system-out>"; done=1} {print}' \
	"$dir/report.xml" >"$dir/order.xml"
check mutation_applied "$(grep -A1 '<system-out>x</system-out>' "$dir/order.xml" | grep -c '<failure ')" 1
check schema_rejects_output_before_outcome "$(valid "$dir/order.xml")" invalid
