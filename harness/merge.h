/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * merge.h: joins the reports of a sharded run (migcheck run --shard K/N)
 * into one: report.json, report.xml and report.html in OUT, and the TAP a
 * single run would have printed on stdout, cases in selection order.
 */
#ifndef MIGCHECK_MERGE_H
#define MIGCHECK_MERGE_H

#include <jansson.h>
#include <stdio.h>

/*
 * The merged document of n loaded reports whose run directories are dirs[];
 * case work directories are rewritten relative to out_dir.  NULL with *err
 * when they do not belong together (shards of different plans, a missing
 * or repeated shard, different QEMU builds, a case in two reports).
 */
json_t *merge_reports(json_t *const *reports, const char *const *dirs, int n, const char *out_dir,
		      char **err);

/* The command: loads, merges, writes, prints TAP; returns the run's exit status. */
int merge_main(const char *out_dir, const char *const *paths, int n, FILE *tap_out);

#endif
