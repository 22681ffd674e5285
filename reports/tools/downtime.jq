# Downtime table: QEMU's figure, the event-derived one, the guest-observed
# pause, and the RAM sent while stopped.
# usage: jq -r -f reports/tools/downtime.jq reports/latest/report.json | column -t
(["case", "downtime_ms", "events_ms", "guest_pause_ms", "downtime_bytes", "syncs"] | @tsv),
(.cases[] | select(.metrics.migration != null)
 | [.name,
    (.metrics.migration.downtime_ms // "-"),
    ((.metrics.migration.downtime_events_ms // null) | if . == null then "-" else (. * 10 | round / 10) end),
    ((.metrics.guest.guest_pause_ms // null) | if . == null then "-" else (. * 10 | round / 10) end),
    (.metrics.migration.downtime_bytes // "-"),
    (.metrics.migration.dirty_sync_count // "-")]
 | @tsv)
