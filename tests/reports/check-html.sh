#!/bin/sh
# report.html rendered in headless Chromium: the grid holds every case, every
# chart the page names is drawn with marks, and nothing logs an error or is
# fetched.  The screenshot and the DOM stay in OUTDIR as test artefacts.
# usage: check-html.sh MIGCHECK REPORT.json OUTDIR
set -u
mc=$1
report=$2
out=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/html.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$out"
echo "TAP version 13"
echo "1..10"
. "$(dirname "$0")/../lib/tap.sh"
chromium_bin=$(command -v chromium || true)
if [ -z "$chromium_bin" ]; then
	echo "# chromium is missing: sh scripts/install-deps.sh installs Debian's chromium"
	echo "Bail out! no chromium"
	exit 1
fi
# A fresh profile each time, no network chatter of the browser's own.
browse() {
	rm -rf "$dir/profile"
	HOME=$dir timeout 180 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-default-apps --user-data-dir="$dir/profile" \
		--hide-scrollbars --virtual-time-budget=5000 "$@" 2>>"$dir/chromium.log"
}
# Records what the page raises, logs as errors, or is refused, into the DOM:
# inserted before the page's own content policy, so it runs and sees all.
recorder='<script>var errs=[];function rec(m){errs.push(String(m));}
window.addEventListener("error",function(e){rec("error: "+(e.message||(e.target&&(e.target.src||e.target.href))||"resource"));},true);
window.addEventListener("unhandledrejection",function(e){rec("rejection: "+e.reason);});
document.addEventListener("securitypolicyviolation",function(e){rec("refused: "+e.violatedDirective+" "+e.blockedURI);});
var ce=console.error;console.error=function(){rec("console.error: "+Array.prototype.join.call(arguments," "));ce.apply(console,arguments);};
window.addEventListener("load",function(){setTimeout(function(){var p=document.createElement("pre");p.id="console-errors";p.textContent=errs.join("\\n");document.body.appendChild(p);},500);});</script>'
instrument() { # instrument IN OUT
	awk -v r="$recorder" '{print} /<head>/&&!done{print r; done=1}' "$1" >"$2"
}
xp() {
	xmllint --html --xpath "$2" "$1" 2>/dev/null || true
}
# Every chart named in <body data-charts> must be an <svg> with marks in it.
charts_ok() { # charts_ok DOM
	for c in $(xp "$1" 'string(//body/@data-charts)'); do
		m=$(xp "$1" "count(//*[local-name()='svg' and @data-chart='$c']//*[local-name()='rect' or local-name()='circle' or local-name()='polyline'][local-name()!='rect' or @class='bar' or @class='median'])")
		[ "${m:-0}" -gt 0 ] || echo "missing $c"
	done
	echo done
}

# The report in a run directory where one failed case left QEMU's stderr.
fwd=cases/dirty.iommufd_hwpt_auto_novi_precopy_1dev.migrate
mkdir -p "$dir/run/$fwd"
cp "$report" "$dir/run/report.json"
printf 'qemu-system-x86_64: vfio: first words\nqemu-system-x86_64: terminating on signal 15\n' \
	>"$dir/run/$fwd/src.stderr"
: >"$dir/run/$fwd/dst.stderr"
"$mc" render "$dir/run" || exit 1
cp "$dir/run/report.html" "$dir/report.html"
instrument "$dir/run/report.html" "$dir/run/page.html"
browse --dump-dom "file://$dir/run/page.html" >"$out/report-dom.html"
browse --window-size=1300,4600 --screenshot="$out/report-screenshot.png" "file://$dir/run/report.html" >/dev/null
dom=$out/report-dom.html

check recorder_ran "$(xp "$dom" 'count(//pre[@id="console-errors"])')" 1
check no_console_errors "$(xp "$dom" 'string(//pre[@id="console-errors"])')" ""
check grid_holds_every_case "$(xp "$dom" 'count(//*[@id="grid"]/following::span[starts-with(@class, "case ") and @title])')" \
	"$(jq '.cases | length' "$report")"
check matrix_grid_per_suite "$(xp "$dom" 'count(//table[@class="grid"])')" \
	"$(jq '[.cases[] | select(.axes) | .suite] | unique | length' "$report")"
check charts_named "$(xp "$dom" 'string(//body/@data-charts)')" "downtime stopcopy amplification devstate"
check every_chart_drawn "$(charts_ok "$dom")" "done"
check qemu_last_words_and_links \
	"$(xp "$dom" "string(//section[h3[starts-with(., 'dirty.iommufd_hwpt_auto_novi_precopy_1dev.migrate')]]/pre[1])" | tail -1)|$(xp "$dom" "count(//a[@href='$fwd/src.stderr'])")" \
	"qemu-system-x86_64: terminating on signal 15|1"
check screenshot_kept "$(od -An -c -N4 "$out/report-screenshot.png" 2>/dev/null | tr -d ' ')" "211PNG"

# Negative controls: a chart taken out is noticed, and so is a page that
# tries to fetch something or raises an error.
sed 's/data-chart="stopcopy"/data-chart="gone"/' "$dom" >"$dir/nochart.html"
check missing_chart_noticed "$(charts_ok "$dir/nochart.html" | head -1)" "missing stopcopy"
sed 's|<body data-charts|<img src="http://127.0.0.1:9/x.png"><body data-charts|' "$dir/report.html" >"$dir/fetch.html"
instrument "$dir/fetch.html" "$dir/fetchpage.html"
browse --dump-dom "file://$dir/fetchpage.html" >"$dir/fetch-dom.html"
check fetch_attempt_recorded "$(xp "$dir/fetch-dom.html" 'string(//pre[@id="console-errors"])' | head -1 | cut -c1-22)" \
	"refused: img-src http:"
