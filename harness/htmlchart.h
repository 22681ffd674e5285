/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * htmlchart.h: the charts of the HTML report (html.h), drawn as inline SVG
 * from the figures the cases recorded.
 */
#ifndef MIGCHECK_HTMLCHART_H
#define MIGCHECK_HTMLCHART_H

#include "strbuf.h"

#include <jansson.h>

/*
 * The page's Measurements section into b.  The id of each chart drawn goes
 * into drawn followed by a space; a section with no chart says so.
 */
void html_charts(struct strbuf *b, json_t *report, struct strbuf *drawn);

#endif
