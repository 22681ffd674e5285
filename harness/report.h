/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h: the JSON run report (schema: reports/SCHEMA.md).
 *
 * reports/runs/<run-id>/report.json is rewritten atomically as cases finish
 * (after each one unless the last rewrite was too recent for its cost) and
 * when the run ends or is interrupted, so a run killed outright keeps nearly
 * all that finished; reports/latest points at the newest run directory.
 * report.xml (JUnit) and report.html are rendered from it each time it is
 * written.
 */
#ifndef MIGCHECK_REPORT_H
#define MIGCHECK_REPORT_H

#include "tap.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MC_REPORT_SCHEMA "migcheck-report"
#define MC_REPORT_SCHEMA_VERSION 2

struct report;

/* Free space a run needs on the reports file system to start. */
#define MC_REPORT_MIN_FREE (8u << 20)

/*
 * Creates the run directory and an empty report (environment is stolen);
 * NULL with *err when it cannot be written or its file system is full.
 */
struct report *report_open(const char *reports_dir, const char *run_id, json_t *environment,
			   json_t *invocation, char **err);
const char *report_run_dir(const struct report *r);
const char *report_path(const struct report *r);
/* Adds a finished case record (stolen) and rewrites the files when due. */
int report_add_case(struct report *r, json_t *record, char **err);
/*
 * Whether a report of ncases, last rewritten since_last_s ago at a cost of
 * last_cost_s, is due for a rewrite: always while small, then only when
 * rewriting stays a small share of the time.
 */
bool report_rewrite_due(size_t ncases, double since_last_s, double last_cost_s);
/* Sets a top-level member (value stolen); written with the next case. */
void report_set(struct report *r, const char *key, json_t *value);
/* Marks the run finished (or interrupted, or stopped) and rewrites the file. */
int report_finish(struct report *r, const char *state, char **err);
void report_close(struct report *r);

/*
 * Writes doc as dir/report.json, then dir/report.xml and dir/report.html
 * rendered from it (case work directories are relative to dir).
 */
int report_write_files(json_t *doc, const char *dir, char **err);

/* A run id from the current time: 20261120-230501-12345. */
char *report_new_run_id(void);

#endif
