/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * html.h: a run report as one self-contained HTML page (report.html): the
 * environment, the matrix as a colour grid, charts drawn as inline SVG, and
 * every failure with its evidence.  No script, nothing fetched when viewed.
 */
#ifndef MIGCHECK_HTML_H
#define MIGCHECK_HTML_H

#include "strbuf.h"

#include <jansson.h>

/*
 * The page for a report (schema: reports/SCHEMA.md).  run_dir, when not
 * NULL, is the directory the cases' work directories are relative to: QEMU's
 * last words are read from there and linked relative to it.
 */
char *html_render(json_t *report, const char *run_dir);
int html_write(json_t *report, const char *run_dir, const char *path, char **err);

/* The page's head with its style and content policy, and its end, for other pages (compare). */
void html_page_begin(struct strbuf *b, const char *title);
void html_page_end(struct strbuf *b);

#endif
