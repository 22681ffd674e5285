#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `migcheck certify --device host=SRC,DST` end to end against the VFIO
# mock as the host kernel (vfiomock-host): the profile runs, the
# certificate validates against its documented schema
# (reports/certificate.schema.json), its digest and the digests of the
# reports it quotes check out, and what it says agrees with itself: every
# profile item is there with its verdict, every repetition of an item that
# ran is there, a verdict is the worst of its runs, a downtime budget is
# judged from the median it records, and the result follows from the
# verdicts.  It says that the mock answered for the kernel.  Downtime is
# timing: the test checks how the budget was judged, never the figure.
#
# usage: certify.sh MIGCHECK VFIOMOCK_HOST SCHEMA [SAMPLE_OUT]
set -u
. "$(dirname "$0")/lib.sh"
SCHEMA=$3
SAMPLE=${4:-}
pt_setup "$1" "$2"
python3 -c 'import jsonschema' 2>/dev/null ||
	pt_skip_all "python3-jsonschema is not installed (scripts/install-deps.sh)"
pt_config two '.'

echo "1..9"
rc=0
pt_migcheck two certify -j 2 --no-progress --reports "$WORK/r" --device "$PT_PAIR" \
	>"$WORK/tap" 2>"$WORK/err" || rc=$?
cert=$(sed -n 's/^# certificate: \(.*\) (\(pass\|fail\|incomplete\))$/\1/p' "$WORK/tap")
result=$(sed -n 's/^# certificate: .* (\(pass\|fail\|incomplete\))$/\1/p' "$WORK/tap")
want_rc=$(case "$result" in pass) echo 0 ;; fail) echo 1 ;; incomplete) echo 4 ;; *) echo x ;; esac)
[ -n "$cert" ] && [ -f "$cert" ] && [ "$rc" = "$want_rc" ] && grep -qx "1..6" "$WORK/tap" &&
	[ "$(grep -cE '^(not )?ok [1-6] passthrough\.' "$WORK/tap")" -eq 6 ]
pt_result $? "certify ran the profile: six items, a certificate, exit $rc for '$result'" \
	"$(cat "$WORK/tap" "$WORK/err")"
[ -n "$cert" ] && [ -f "$cert" ] || { pt_assert_clean; exit 1; }
dir=$(dirname "$cert")

python3 - "$cert" "$SCHEMA" >"$WORK/schema.out" 2>&1 <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[1])), schema, cls=jsonschema.Draft202012Validator)
PY
pt_result $? "the certificate validates against reports/certificate.schema.json" \
	"$(cat "$WORK/schema.out")"

(cd "$dir" && sha256sum -c --quiet certificate.sha256) >"$WORK/sum.out" 2>&1 &&
	grep -q "^# sha256: $(cut -d' ' -f1 "$dir/certificate.sha256")$" "$WORK/tap"
pt_result $? "its digest is the one printed and sha256sum agrees" "$(cat "$WORK/sum.out")"

ok=0
for i in $(seq 0 $(($(jq '.reports | length' "$cert") - 1))); do
	p=$(jq -r ".reports[$i].path" "$cert")
	want=$(jq -r ".reports[$i].sha256" "$cert")
	[ "$(sha256sum "$dir/$p" | cut -d' ' -f1)" = "$want" ] || ok=1
done
[ "$(jq '.reports | length' "$cert")" -eq 3 ]
pt_result $((ok | $?)) "the three reports it quotes have the digests it gives"

# Host emulation says so, and the devices are the pair named.
jq -e '.emulated == true and (.vfio_provider | startswith("vfiomock host emulation")) and
	(.devices | map(.bdf) == ["0000:3b:00.1", "0000:3b:00.2"]) and
	(.devices[0].capabilities.dma_logging.supported) and
	(.devices[0].capabilities.iommufd.dirty_tracking) and
	(.profile.version == 1) and (.profile.repetitions == 3) and
	(.not_generated | length >= 12)' "$cert" >/dev/null
pt_result $? "it says the mock answered for the kernel, names the devices and the profile"

# Every item; the ones that ran have three runs; verdicts are the worst run.
jq -e '(.cases | length) == (.profile.items | length) and
	([.cases[].case] == [.profile.items[].case]) and
	all(.cases[] | select(.verdict != "not-applicable"); (.runs | length) == 3) and
	all(.cases[] | select(.verdict == "pass" or (.verdict == "fail" and (.reason | startswith("downtime median"))));
	    all(.runs[]; .result == "pass")) and
	all(.cases[] | select(.verdict == "skip"); any(.runs[]; .result == "skip"))' "$cert" >/dev/null
pt_result $? "every item, three runs each, verdicts from the runs; every run that ran passed its oracles" \
	"$(jq -c '[.cases[] | {case, verdict, reason, runs: [.runs[]?.result]}]' "$cert")"

# Budgets: judged from the recorded median, only for trackers that report what was written.
jq -e 'all(.cases[] | select(.budget != null);
	    (.budget.median_ms == .downtime_ms.median) and
	    (.budget.pass == (.budget.median_ms <= .budget.limit_ms)) and
	    (.axes.tracker == "device-log" or .axes.tracker == "iommufd-hwpt") and
	    (.verdict == (if .budget.pass then "pass" else "fail" end))) and
	all(.cases[] | select(.axes.tracker == "type1-perpetual"); .budget == null) and
	(.result == (if any(.cases[]; .verdict == "fail") then "fail"
		     elif any(.cases[]; .verdict == "skip" or .verdict == "known-defect") then "incomplete"
		     else "pass" end))' "$cert" >/dev/null
pt_result $? "budgets judged from their medians; the result follows from the verdicts" \
	"$(jq -c '[.cases[] | {case, verdict, budget}], .result' "$cert")"
# The page form: every item with its verdict, the devices, the digest of the JSON.
page=$(dirname "$cert")/certificate.html
digest=$(cut -d' ' -f1 "$(dirname "$cert")/certificate.sha256")
ok=0
[ -s "$page" ] && grep -q "$digest" "$page" && grep -q "0000:3b:00.1" "$page" || ok=1
for c in $(jq -r '.cases[] | "\(.case)|\(.verdict)"' "$cert"); do
	grep -q "<td>${c%|*}</td><td class=\"${c#*|}\">${c#*|}</td>" "$page" || ok=1
done
jq -e '.forms.written == ["json", "html"]' "$cert" >/dev/null || ok=1
pt_result $ok "certificate.html: every item and its verdict, the devices, the JSON's digest" \
	"$(head -c 600 "$page" 2>/dev/null)"
[ -z "$SAMPLE" ] || cp "$cert" "$SAMPLE"
pt_assert_clean
exit $PT_FAILED
