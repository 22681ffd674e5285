# Failed and errored cases with their reasons, one per line.
# usage: jq -r -f reports/tools/failed.jq reports/latest/report.json
.cases[] | select(.result == "fail" or .result == "error")
| "\(.name)\t\(.result)\t\(.reason // "")"
