// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The HTML report.  Everything is derived from the report's data: the grid's
 * rows and columns are the axes the matrix cases carry (no axis name or value
 * is known here), and a chart (htmlchart.c) is drawn only when some case
 * recorded what it shows.  The <body> lists the charts drawn in data-charts,
 * so a test can check that each is there.
 */
#include "html.h"
#include "htmlchart.h"
#include "reportdoc.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const style =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222;max-width:1400px}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
    "h3{font-size:1em;margin:1em 0 .3em}"
    "table{border-collapse:collapse}td,th{padding:2px 6px;text-align:left;vertical-align:top}"
    "table.kv td:first-child{color:#555;white-space:nowrap}"
    "table.list td,table.list th{border-bottom:1px solid #eee}"
    ".chip{display:inline-block;padding:1px 8px;border-radius:9px;margin-right:4px;color:#fff}"
    ".pass{background:#2e9d4a}.fail{background:#d73a3a}.xfail{background:#e0a030}"
    ".xpass{background:#3a7bd5}.skip{background:#b5b5b5}.error{background:#7d2a9c}"
    "table.grid{margin:.4em 0 1em}table.grid th{font-weight:normal;font-size:11px;color:#444;"
    "white-space:nowrap;text-align:center;border:1px solid #e4e4e4}"
    "table.grid tbody th{text-align:right}table.grid td{padding:1px;border:1px solid #e4e4e4}"
    "span.case{display:inline-block;width:14px;height:14px;margin:1px;border-radius:2px}"
    "div.strip{display:flex;flex-wrap:wrap;max-width:900px}"
    "figure.chart{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}"
    "svg.chart text{font:11px sans-serif;fill:#333}svg.chart text.axis{font-weight:bold}"
    "svg.chart text.heading{font-weight:bold;fill:#000}"
    "svg.chart line.grid{stroke:#e6e6e6}svg.chart line.range{stroke-width:2}"
    "svg.chart polyline.fit{fill:none;stroke-width:1.5;stroke-dasharray:5 3}"
    "pre{background:#f6f6f6;padding:6px;overflow-x:auto;white-space:pre-wrap;font-size:12px}"
    "section.failure{border-left:4px solid #d73a3a;padding-left:10px;margin:1em 0}"
    "code{font-size:12px}";

void html_page_begin(struct strbuf *b, const char *title)
{
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		   "style-src 'unsafe-inline'; img-src data:\">\n<title>");
	sb_escape(b, title);
	sb_printf(b, "</title>\n<style>%s</style></head>\n", style);
}

void html_page_end(struct strbuf *b)
{
	sb_puts(b, "</body></html>\n");
}

/* ---- header, environment ---- */

static void summary(struct strbuf *b, json_t *report)
{
	json_t *totals = json_object_get(report, "totals"), *argv;
	const char *started = rd_str(report, "started"), *finished = rd_str(report, "finished");
	size_t i;
	int k;

	sb_puts(b, "<h1>migcheck run ");
	sb_escape(b, rd_str(report, "run_id") ?: "?");
	sb_puts(b, "</h1>\n<p>");
	sb_escape(b, json_string_value(rd_path(report, "environment.qemu.version_line")) ?: "");
	sb_puts(b, "<br>state: ");
	sb_escape(b, rd_str(report, "state") ?: "?");
	sb_puts(b, ", started ");
	sb_escape(b, started ?: "?");
	if (finished) {
		sb_puts(b, ", finished ");
		sb_escape(b, finished);
	}
	if (json_integer_value(json_object_get(report, "repeat")) > 1)
		sb_printf(b, ", every case run %lld times",
			  (long long)json_integer_value(json_object_get(report, "repeat")));
	if (json_is_object(json_object_get(report, "shard")))
		sb_printf(b, ", shard %lld of %lld",
			  (long long)json_integer_value(rd_path(report, "shard.index")),
			  (long long)json_integer_value(rd_path(report, "shard.count")));
	if (json_is_array(json_object_get(report, "merged_from")))
		sb_printf(b, ", merged from %zu reports",
			  json_array_size(json_object_get(report, "merged_from")));
	sb_puts(b, "</p>\n<p id=\"totals\">");
	for (k = 0; k < MC_NRESULTS; k++)
		sb_printf(
		    b, "<span class=\"chip %s\">%s %lld</span>", mc_result_name(k),
		    mc_result_name(k),
		    (long long)json_integer_value(json_object_get(totals, mc_result_name(k))));
	sb_puts(b, "</p>\n");
	argv = rd_path(report, "invocation.argv");
	if (json_array_size(argv)) {
		json_t *a;

		sb_puts(b, "<p>command: <code>");
		json_array_foreach(argv, i, a)
		{
			sb_puts(b, i ? " " : "");
			sb_escape(b, json_string_value(a) ?: "");
		}
		sb_puts(b, "</code></p>\n");
	}
}

static void env_row(const char *key, const char *value, void *arg)
{
	struct strbuf *b = arg;

	sb_puts(b, "<tr><td>");
	sb_escape(b, key);
	sb_puts(b, "</td><td>");
	sb_escape(b, value);
	sb_puts(b, "</td></tr>\n");
}

static void environment(struct strbuf *b, json_t *report)
{
	sb_puts(b, "<h2 id=\"environment\">Environment</h2>\n<table class=\"kv\">\n");
	rd_flatten(json_object_get(report, "environment"), "", env_row, b);
	sb_puts(b, "</table>\n");
}

/* ---- the grid ---- */

static void case_mark(struct strbuf *b, json_t *c)
{
	enum mc_result r = rd_result(c);
	const char *reason = rd_str(c, "reason");

	sb_printf(b, "<span class=\"case %s\" title=\"", mc_result_name(r));
	sb_escape(b, rd_str(c, "name") ?: "?");
	sb_printf(b, "&#10;%s", mc_result_name(r));
	if (reason) {
		sb_puts(b, ": ");
		sb_escape(b, reason);
	}
	sb_puts(b, "\"></span>");
}

/* Values of axes[from..to) joined, as a key. */
static char *tuple(json_t *axes, json_t *names, size_t from, size_t to)
{
	struct strbuf k = {0};
	size_t i;

	for (i = from; i < to; i++) {
		sb_puts(&k, json_string_value(
				json_object_get(axes, json_string_value(json_array_get(names, i))))
				?: "-");
		sb_puts(&k, "\x1f");
	}
	return sb_take(&k);
}

/* Distinct tuples of axes[from..to) over the cases, in first-seen order. */
static json_t *distinct(json_t *cases, json_t *names, size_t from, size_t to)
{
	json_t *set = json_object(), *c;
	size_t i;

	json_array_foreach(cases, i, c)
	{
		char *k = tuple(json_object_get(c, "axes"), names, from, to);

		if (!json_object_get(set, k))
			json_object_set_new(set, k, json_integer(json_object_size(set)));
		free(k);
	}
	return set;
}

/* The i-th part of a tuple key. */
static char *part(const char *key, size_t i)
{
	const char *p = key, *e;

	while (i-- && (p = strchr(p, '\x1f')))
		p++;
	if (!p)
		return strdup("-");
	e = strchr(p, '\x1f');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* Does key a equal key b in its first n parts? */
static bool same_prefix(const char *a, const char *b, size_t n)
{
	size_t i;
	bool same = true;

	for (i = 0; i < n && same; i++) {
		char *x = part(a, i), *y = part(b, i);

		same = !strcmp(x, y);
		free(x);
		free(y);
	}
	return same;
}

/* Keys of an ordered set as an array, in order. */
static const char **keys_of(json_t *set)
{
	const char **k = calloc(json_object_size(set) + 1, sizeof(*k)), *key;
	json_t *v;

	if (!k)
		abort();
	json_object_foreach(set, key, v) k[json_integer_value(v)] = key;
	return k;
}

/* Rows take the first k axes and columns the rest; k makes the grid closest to square. */
static size_t split_axes(json_t *cases, json_t *names)
{
	size_t na = json_array_size(names), k, best = 1;
	long best_cost = -1;

	for (k = 1; k < na; k++) {
		json_t *r = distinct(cases, names, 0, k), *c = distinct(cases, names, k, na);
		long nr = json_object_size(r), nc = json_object_size(c);
		long cost = labs(nr - nc) + (nc > 36 ? 1000 * nc : 0);

		if (best_cost < 0 || cost < best_cost) {
			best_cost = cost;
			best = k;
		}
		json_decref(r);
		json_decref(c);
	}
	return na < 2 ? 0 : best;
}

/* Does the axis take more than one value over the cases? */
static bool axis_varies(json_t *cases, const char *axis)
{
	const char *first = NULL;
	json_t *c;
	size_t i;

	json_array_foreach(cases, i, c)
	{
		const char *v =
		    json_string_value(json_object_get(json_object_get(c, "axes"), axis)) ?: "-";

		if (first && strcmp(first, v))
			return true;
		first = v;
	}
	return false;
}

/*
 * One suite's matrix cases: rows and columns are the axes that vary (in the
 * order the cases name them), the axes with one value are said above; a
 * cell holds a mark for each case (test) of that cell.
 */
static void grid(struct strbuf *b, const char *suite, json_t *cases, int id)
{
	json_t *names = json_array(), *fixed = json_array(), *c, *rows, *cols,
	       *cells = json_object();
	size_t na, k, i, j, nr, nc;
	const char **rk, **ck;

	json_array_foreach(cases, i, c)
	{
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(c, "axes"), key, v)
		{
			bool seen = false;
			json_t *n;

			json_array_foreach(names, j, n) seen |= !strcmp(json_string_value(n), key);
			json_array_foreach(fixed, j, n) seen |= !strcmp(json_string_value(n), key);
			if (!seen)
				json_array_append_new(axis_varies(cases, key) ? names : fixed,
						      json_string(key));
		}
	}
	na = json_array_size(names);
	k = split_axes(cases, names);
	rows = distinct(cases, names, 0, k);
	cols = distinct(cases, names, k, na);
	nr = json_object_size(rows);
	nc = json_object_size(cols);
	rk = keys_of(rows);
	ck = keys_of(cols);
	json_array_foreach(cases, i, c)
	{
		char *r = tuple(json_object_get(c, "axes"), names, 0, k),
		     *col = tuple(json_object_get(c, "axes"), names, k, na);
		char *cell = mc_strdup_printf("%s\x1e%s", r, col);
		json_t *list = json_object_get(cells, cell);

		if (!list) {
			list = json_array();
			json_object_set_new(cells, cell, list);
		}
		json_array_append(list, c);
		free(r);
		free(col);
		free(cell);
	}

	sb_puts(b, "<h3>");
	sb_escape(b, suite);
	sb_printf(b, " (%zu cases)</h3>\n", json_array_size(cases));
	if (json_array_size(fixed)) {
		json_t *n;

		sb_puts(b, "<p>all cells: ");
		json_array_foreach(fixed, i, n)
		{
			const char *axis = json_string_value(n);

			sb_puts(b, i ? ", " : "");
			sb_escape(b, axis);
			sb_puts(b, "=");
			sb_escape(b, json_string_value(json_object_get(
					 json_object_get(json_array_get(cases, 0), "axes"), axis))
					 ?: "-");
		}
		sb_puts(b, "</p>\n");
	}
	sb_printf(b, "<table class=\"grid\" id=\"grid-%d\" data-cases=\"%zu\"><thead>\n", id,
		  json_array_size(cases));
	for (j = k; j < na || (j == k && na == k); j++) {
		sb_puts(b, "<tr>");
		if (j == k) {
			sb_printf(b, "<th class=\"corner\" colspan=\"%zu\" rowspan=\"%zu\">",
				  k ? k : 1, na > k ? na - k : 1);
			for (i = 0; i < na; i++) {
				sb_puts(b, i == k ? " / " : i ? ", " : "");
				sb_escape(b, json_string_value(json_array_get(names, i)));
			}
			sb_puts(b, "</th>");
		}
		for (i = 0; i < nc && na > k;) {
			size_t run = 1;
			char *v = part(ck[i], j - k);

			while (i + run < nc && same_prefix(ck[i], ck[i + run], j - k + 1))
				run++;
			sb_printf(b, "<th colspan=\"%zu\">", run);
			sb_escape(b, v);
			sb_puts(b, "</th>");
			free(v);
			i += run;
		}
		sb_puts(b, "</tr>\n");
		if (na == k)
			break;
	}
	sb_puts(b, "</thead><tbody>\n");
	for (i = 0; i < nr; i++) {
		sb_puts(b, "<tr>");
		for (j = 0; j < k; j++) {
			size_t run = 1;
			char *v;

			if (i > 0 && same_prefix(rk[i - 1], rk[i], j + 1))
				continue;
			while (i + run < nr && same_prefix(rk[i], rk[i + run], j + 1))
				run++;
			v = part(rk[i], j);
			sb_printf(b, "<th rowspan=\"%zu\">", run);
			sb_escape(b, v);
			sb_puts(b, "</th>");
			free(v);
		}
		if (!k)
			sb_puts(b, "<th></th>");
		for (j = 0; j < nc; j++) {
			char *cell = mc_strdup_printf("%s\x1e%s", rk[i], ck[j]);
			json_t *list = json_object_get(cells, cell), *e;
			size_t m;

			sb_puts(b, "<td>");
			json_array_foreach(list, m, e) case_mark(b, e);
			sb_puts(b, "</td>");
			free(cell);
		}
		sb_puts(b, "</tr>\n");
	}
	sb_puts(b, "</tbody></table>\n");
	free(rk);
	free(ck);
	json_decref(rows);
	json_decref(cols);
	json_decref(cells);
	json_decref(names);
	json_decref(fixed);
}

static void grids(struct strbuf *b, json_t *report)
{
	json_t *cases = json_object_get(report, "cases"), *groups = json_object(), *strips, *c,
	       *list;
	const char *key;
	size_t i;
	int id = 0;

	sb_puts(b, "<h2 id=\"grid\">Results</h2>\n<p>");
	for (i = 0; i < MC_NRESULTS; i++)
		sb_printf(b, "<span class=\"case %s\"></span> %s &nbsp; ", mc_result_name(i),
			  mc_result_name(i));
	sb_puts(b, " (hover over a cell for its case and reason)</p>\n");
	strips = json_object();
	json_array_foreach(cases, i, c)
	{
		bool matrix = json_object_size(json_object_get(c, "axes")) > 0;
		char *k = strdup(rd_str(c, "suite") ?: "?");
		json_t *into = matrix ? groups : strips;

		list = json_object_get(into, k);
		if (!list) {
			list = json_array();
			json_object_set_new(into, k, list);
		}
		json_array_append(list, c);
		free(k);
	}
	json_object_foreach(groups, key, list) grid(b, key, list, id++);
	json_object_foreach(strips, key, list)
	{
		sb_puts(b, "<h3>");
		sb_escape(b, key);
		sb_printf(b, " (%zu cases)</h3>\n<div class=\"strip\">", json_array_size(list));
		json_array_foreach(list, i, c) case_mark(b, c);
		sb_puts(b, "</div>\n");
	}
	json_decref(groups);
	json_decref(strips);
}

/* ---- failures ---- */

static void case_files(struct strbuf *b, const char *run_dir, const char *workdir)
{
	static const char *const usual[] = {"case.log", "case.json", "src.stderr", "dst.stderr",
					    NULL};
	char *dir = run_dir ? mc_strdup_printf("%s/%s", run_dir, workdir) : NULL;
	DIR *d = dir ? opendir(dir) : NULL;
	char **names = NULL;
	size_t n = 0, i;
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names)
				abort();
			names[n++] = strdup(de->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof(*names), mc_strptr_cmp);
	} else {
		for (n = 0; usual[n]; n++) {
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names)
				abort();
			names[n] = strdup(usual[n]);
		}
	}
	sb_puts(b, "<p class=\"files\">files: ");
	for (i = 0; i < n; i++) {
		sb_puts(b, "<a href=\"");
		sb_escape(b, workdir);
		sb_puts(b, "/");
		sb_escape(b, names[i]);
		sb_puts(b, "\">");
		sb_escape(b, names[i]);
		sb_puts(b, "</a> ");
		free(names[i]);
	}
	sb_puts(b, "</p>\n");
	free(names);
	free(dir);
}

/* The last lines of a case's file (QEMU's stderr, the case log), when it is there to read. */
static void last_words(struct strbuf *b, const char *run_dir, const char *workdir, const char *file,
		       const char *what, int max_lines)
{
	char *path = mc_strdup_printf("%s/%s/%s", run_dir, workdir, file);
	size_t len;
	char *text = mc_read_file(path, &len), *start;
	int lines = 0;

	free(path);
	if (!text)
		return;
	mc_rstrip(text);
	len = strlen(text);
	sb_printf(b, "<p>%s (", what);
	sb_escape(b, file);
	if (!len) {
		sb_puts(b, "): nothing</p>\n");
		free(text);
		return;
	}
	start = text + len;
	while (start > text && lines < max_lines && (size_t)(text + len - start) < 2000)
		if (*--start == '\n')
			lines++;
	if (*start == '\n')
		start++;
	sb_puts(b, "):</p><pre>");
	sb_escape(b, start);
	sb_puts(b, "</pre>\n");
	free(text);
}

static void first_differences(struct strbuf *b, json_t *c)
{
	json_t *oracles = json_object_get(c, "oracles"), *o, *d;
	const char *name;
	size_t i;

	json_object_foreach(oracles, name, o)
	{
		json_t *diffs = rd_path(o, "details.first_differences");

		if (!json_array_size(diffs))
			continue;
		sb_puts(b, "<p>first differing pages (");
		sb_escape(b, name);
		sb_puts(b, "):</p><table class=\"list\"><tr><th>GPA</th><th>offset</th>"
			   "<th>source</th><th>destination</th></tr>\n");
		json_array_foreach(diffs, i, d)
		{
			sb_puts(b, "<tr><td><code>");
			sb_escape(b, rd_str(d, "gpa") ?: "");
			sb_puts(b, "</code></td><td><code>");
			if (json_is_integer(json_object_get(d, "offset")))
				sb_printf(b, "0x%llx",
					  (unsigned long long)json_integer_value(
					      json_object_get(d, "offset")));
			else
				sb_escape(b, rd_str(d, "offset") ?: "");
			sb_puts(b, "</code></td><td><code>");
			sb_escape(b, rd_str(d, "src") ?: "");
			sb_puts(b, "</code></td><td><code>");
			sb_escape(b, rd_str(d, "dst") ?: "");
			sb_puts(b, "</code></td></tr>\n");
		}
		sb_puts(b, "</table>\n");
	}
}

static void failures(struct strbuf *b, json_t *report, const char *run_dir)
{
	json_t *cases = json_object_get(report, "cases"), *c, *o;
	size_t i, n = 0;
	const char *name;

	sb_puts(b, "<h2 id=\"failures\">Failures</h2>\n");
	json_array_foreach(cases, i, c)
	{
		enum mc_result r = rd_result(c);
		const char *reason = rd_str(c, "reason"), *failure = rd_str(c, "failure"),
			   *wd = rd_str(c, "workdir");

		if (r != MC_FAIL && r != MC_ERROR)
			continue;
		sb_printf(b, "<section class=\"failure\" id=\"failure-%zu\"><h3>", n++);
		sb_escape(b, rd_str(c, "name") ?: "?");
		sb_printf(b, " <span class=\"chip %s\">%s</span></h3>\n<p class=\"reason\">",
			  mc_result_name(r), mc_result_name(r));
		sb_escape(b, reason ?: "(no reason recorded)");
		sb_puts(b, "</p>\n");
		if (failure && (!reason || strcmp(failure, reason))) {
			sb_puts(b, "<p>first failure: ");
			sb_escape(b, failure);
			sb_puts(b, "</p>\n");
		}
		json_object_foreach(json_object_get(c, "oracles"), name, o)
		{
			if (json_is_true(json_object_get(o, "pass")))
				continue;
			sb_puts(b, "<p>oracle <b>");
			sb_escape(b, name);
			sb_puts(b, "</b>: ");
			sb_escape(b, rd_str(o, "summary") ?: "");
			sb_puts(b, "</p>\n");
		}
		if (rd_str(c, "migration_error")) {
			sb_puts(b, "<p>migration ");
			sb_escape(b, rd_str(c, "migration_status") ?: "");
			sb_puts(b, ": ");
			sb_escape(b, rd_str(c, "migration_error"));
			sb_puts(b, "</p>\n");
		}
		first_differences(b, c);
		if (wd) {
			if (run_dir) {
				last_words(b, run_dir, wd, "src.stderr", "QEMU's last words", 12);
				last_words(b, run_dir, wd, "dst.stderr", "QEMU's last words", 12);
				last_words(b, run_dir, wd, "case.log", "the case's log", 8);
			}
			case_files(b, run_dir, wd);
		}
		sb_puts(b, "</section>\n");
	}
	if (!n)
		sb_puts(b, "<p>No case failed.</p>\n");
}

static void all_cases(struct strbuf *b, json_t *report)
{
	json_t *c;
	size_t i;

	sb_puts(b, "<h2 id=\"cases\">All cases</h2>\n<details><summary>every case with its "
		   "result, time and reason</summary>\n<table class=\"list\"><tr><th>case</th>"
		   "<th>result</th><th>seconds</th><th>reason</th></tr>\n");
	json_array_foreach(json_object_get(report, "cases"), i, c)
	{
		double t = 0;

		rd_number(c, "duration_s", &t);
		sb_puts(b, "<tr><td>");
		sb_escape(b, rd_str(c, "name") ?: "?");
		sb_printf(b, "</td><td><span class=\"chip %s\">%s</span></td><td>%.1f</td><td>",
			  mc_result_name(rd_result(c)), mc_result_name(rd_result(c)), t);
		sb_escape(b, rd_str(c, "reason") ?: "");
		sb_puts(b, "</td></tr>\n");
	}
	sb_puts(b, "</table></details>\n");
}

char *html_render(json_t *report, const char *run_dir)
{
	struct strbuf b = {0}, body = {0}, drawn = {0};
	char *title = mc_strdup_printf("migcheck %s", rd_str(report, "run_id") ?: "report");

	summary(&body, report);
	environment(&body, report);
	grids(&body, report);
	html_charts(&body, report, &drawn);
	failures(&body, report, run_dir);
	all_cases(&body, report);

	html_page_begin(&b, title);
	sb_puts(&b, "<body data-charts=\"");
	if (drawn.len)
		drawn.s[--drawn.len] = '\0';
	sb_puts(&b, drawn.s ? drawn.s : "");
	sb_puts(&b, "\">\n");
	sb_puts(&b, body.s);
	html_page_end(&b);
	sb_free(&body);
	sb_free(&drawn);
	free(title);
	return sb_take(&b);
}

int html_write(json_t *report, const char *run_dir, const char *path, char **err)
{
	char *page = html_render(report, run_dir);
	int ret = mc_write_file_atomic(path, page, strlen(page), err);

	free(page);
	return ret;
}
