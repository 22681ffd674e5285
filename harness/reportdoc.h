/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reportdoc.h: reading a JSON run report (schema: reports/SCHEMA.md) for the
 * tools that work from files alone: JUnit and HTML rendering, compare, merge.
 */
#ifndef MIGCHECK_REPORTDOC_H
#define MIGCHECK_REPORTDOC_H

#include "tap.h"

#include <jansson.h>
#include <stdbool.h>

/*
 * Loads PATH, a report.json or a run directory holding one, and checks its
 * schema and version (1 and 2 are read).  *dir_out (optional) gets the run
 * directory, to which a case's `workdir` is relative.
 */
json_t *rd_load(const char *path, char **dir_out, char **err);

/* A case's result; unknown or missing reads as MC_ERROR. */
enum mc_result rd_result(json_t *c);
const char *rd_str(json_t *obj, const char *key);
/* The number at a dotted path ("metrics.migration.downtime_ms"), or false. */
bool rd_number(json_t *obj, const char *path, double *out);
json_t *rd_path(json_t *obj, const char *path);

/*
 * Leaf values of an object as "a.b.c" -> text pairs, in document order
 * (arrays joined with spaces); calls fn for each.
 */
void rd_flatten(json_t *obj, const char *prefix,
		void (*fn)(const char *key, const char *value, void *arg), void *arg);

/* Every suite name in case order, each once (a JSON array of strings). */
json_t *rd_suites(json_t *report);

/* The "X.Y" release a report's QEMU reported ("10.0" from "... version 10.0.2 ..."), or NULL. */
char *rd_qemu_release(json_t *report);

#endif
