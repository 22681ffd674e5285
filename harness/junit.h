/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * junit.h: a run report as JUnit XML (report.xml), the form GitLab and
 * Jenkins read.  Mapping of results: reports/JUNIT.md.
 */
#ifndef MIGCHECK_JUNIT_H
#define MIGCHECK_JUNIT_H

#include <jansson.h>

/* The XML document for a report (schema: reports/SCHEMA.md); malloc'd. */
char *junit_render(json_t *report);
/* Renders and writes it atomically to path. */
int junit_write(json_t *report, const char *path, char **err);

#endif
