# One line per run: id, state, QEMU, totals.
# usage: jq -r -f reports/tools/summary.jq reports/runs/*/report.json
"\(.run_id)\t\(.state)\t\(.environment.qemu.version_line // "?")\t" +
 (.totals | to_entries | map("\(.key):\(.value)") | join(" "))
