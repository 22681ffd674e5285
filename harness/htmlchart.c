// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report page's Measurements section: downtime bars, stop-copy bytes
 * against RAM size, dirty amplification and device state against downtime.
 * Each chart is drawn only when some case recorded its figures, and its id
 * is added to the list of charts drawn.
 */
#include "htmlchart.h"
#include "reportdoc.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the cases' data ---- */

/* A case's measured samples: its repetitions when it has them, else itself. */
static size_t samples(json_t *c, json_t ***out)
{
	json_t *reps = json_object_get(c, "repetitions"), *r;
	size_t i, n = json_array_size(reps);

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		abort();
	if (!n) {
		(*out)[0] = c;
		return 1;
	}
	json_array_foreach(reps, i, r)
	{
		(*out)[i] = r;
	}
	return n;
}

/* What a case's charts are grouped by: its tracker axis if it has one, else its suite. */
static const char *tracker_of(json_t *c)
{
	const char *t = json_string_value(rd_path(c, "axes.tracker"));

	if (!t)
		t = json_string_value(rd_path(c, "cell.tracker"));
	return t ? t : rd_str(c, "suite") ?: "?";
}

static double median(double *v, int n)
{
	int i, j;

	if (!n)
		return NAN;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Growable list of doubles. */
struct dlist {
	double *v;
	int n, cap;
};

static void dl_add(struct dlist *l, double v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = v;
}

/* ---- charts ---- */

struct bar_row {
	const char *label, *tracker;
	struct dlist v[3];
};

static void chart_downtime(struct strbuf *b, json_t *report, struct strbuf *drawn)
{
	static const char *const series[] = {"QEMU downtime", "STOP to RESUME (events)",
					     "pause the guest saw"};
	static const char *const paths[] = {"metrics.migration.downtime_ms",
					    "metrics.migration.downtime_events_ms",
					    "metrics.guest.guest_pause_ms"};
	json_t *cases = json_object_get(report, "cases"), *c, *index = json_object(),
	       *trackers = json_object();
	struct bar_row *rows = NULL;
	size_t i, n = 0, t, s, nt;
	const char **heading, **labels, *prev = NULL;
	double *values;
	int r, out = 0;

	json_array_foreach(cases, i, c)
	{
		json_t **sm;
		size_t ns = samples(c, &sm), m;
		char *key = mc_strdup_printf("%s\x1e%s", rd_str(c, "suite") ?: "?",
					     rd_str(c, "variant") ?: "?");
		json_t *at = json_object_get(index, key);
		struct bar_row *row;
		bool any = false;

		for (m = 0; m < ns; m++)
			for (s = 0; s < 3; s++) {
				double v;

				any |= rd_number(sm[m], paths[s], &v);
			}
		if (!any) {
			free(sm);
			free(key);
			continue;
		}
		if (!at) {
			rows = realloc(rows, (n + 1) * sizeof(*rows));
			if (!rows)
				abort();
			memset(&rows[n], 0, sizeof(rows[n]));
			rows[n].label = json_object_size(json_object_get(c, "axes"))
					    ? rd_str(c, "variant")
					    : rd_str(c, "name");
			rows[n].tracker = tracker_of(c);
			if (!json_object_get(trackers, rows[n].tracker))
				json_object_set_new(trackers, rows[n].tracker,
						    json_integer(json_object_size(trackers)));
			at = json_integer(n++);
			json_object_set_new(index, key, at);
		}
		row = &rows[json_integer_value(at)];
		for (m = 0; m < ns; m++)
			for (s = 0; s < 3; s++) {
				double v;

				if (rd_number(sm[m], paths[s], &v))
					dl_add(&row->v[s], v);
			}
		free(sm);
		free(key);
	}
	if (n) {
		nt = json_object_size(trackers);
		heading = calloc(n, sizeof(*heading));
		labels = calloc(n, sizeof(*labels));
		values = calloc(n * 3, sizeof(*values));
		if (!heading || !labels || !values)
			abort();
		/* Rows grouped by tracker, in the order trackers first appear. */
		for (t = 0; t < nt; t++)
			for (i = 0; i < n; i++) {
				if ((size_t)json_integer_value(
					json_object_get(trackers, rows[i].tracker)) != t)
					continue;
				labels[out] = rows[i].label;
				for (s = 0; s < 3; s++)
					values[out * 3 + s] =
					    median(rows[i].v[s].v, rows[i].v[s].n);
				heading[out] =
				    !prev || strcmp(prev, rows[i].tracker) ? rows[i].tracker : NULL;
				prev = rows[i].tracker;
				out++;
			}
		{
			struct svg_bars chart = {
			    .id = "downtime",
			    .title =
				"Downtime per tracker and cell: QEMU's figure, from QMP events, "
				"and as the guest saw it (median over repetitions)",
			    .nrows = (int)n,
			    .nseries = 3,
			    .rows = labels,
			    .heading = heading,
			    .series = series,
			    .values = values,
			    .x = {.label = "milliseconds", .unit = SVG_MS},
			};

			svg_bars(b, &chart);
		}
		sb_puts(drawn, "downtime ");
		free(heading);
		free(labels);
		free(values);
	}
	for (i = 0; i < n; i++)
		for (r = 0; r < 3; r++)
			free(rows[i].v[r].v);
	free(rows);
	json_decref(index);
	json_decref(trackers);
}

static void chart_stopcopy(struct strbuf *b, json_t *report, struct strbuf *drawn)
{
	json_t *cases = json_object_get(report, "cases"), *c, *p;
	struct svg_series *series = NULL;
	size_t i, j, n = 0;
	double lo = INFINITY, hi = 0;
	char v1[48], v2[48], v3[48];

	json_array_foreach(cases, i, c)
	{
		json_t *dt = rd_path(c, "metrics.downtime"), *pts = json_object_get(dt, "points");
		struct svg_series *s;
		double *x, *y;
		int k = 0;

		if (!json_array_size(pts))
			continue;
		series = realloc(series, (n + 1) * sizeof(*series));
		x = calloc(json_array_size(pts), sizeof(*x));
		y = calloc(json_array_size(pts), sizeof(*y));
		if (!series || !x || !y)
			abort();
		json_array_foreach(pts, j, p)
		{
			double mib, bytes;

			if (!rd_number(p, "ram_mib", &mib) ||
			    !rd_number(p, "downtime_bytes", &bytes))
				continue;
			x[k] = mib / 1024;
			y[k] = bytes;
			lo = bytes > 0 && bytes < lo ? bytes : lo;
			hi = bytes > hi ? bytes : hi;
			k++;
		}
		s = &series[n++];
		*s = (struct svg_series){
		    .name = rd_str(c, "variant") ?: rd_str(c, "name"), .n = k, .x = x, .y = y};
		s->has_fit = rd_number(dt, "intercept_bytes", &s->fit_a) &&
			     rd_number(dt, "slope_bytes_per_gib", &s->fit_b);
	}
	if (!n)
		return;
	{
		struct svg_xy chart = {
		    .id = "stopcopy",
		    .title = "Stop-copy bytes against guest RAM size, with the fitted line",
		    .nseries = (int)n,
		    .series = series,
		    .x = {.label = "guest RAM", .unit = SVG_GIB},
		    .y = {.label = "bytes sent while stopped",
			  .unit = SVG_BYTES,
			  .log = hi > 50 * lo},
		};

		svg_xy(b, &chart);
	}
	sb_puts(b, "<table class=\"list\"><tr><th>case</th><th>slope per GiB</th>"
		   "<th>intercept</th><th>1 TiB guest: stop-copy</th><th>downtime at 10 Gb/s</th>"
		   "</tr>\n");
	json_array_foreach(cases, i, c)
	{
		json_t *dt = rd_path(c, "metrics.downtime");
		double slope, icpt, proj, secs;

		if (!json_array_size(json_object_get(dt, "points")))
			continue;
		sb_puts(b, "<tr><td>");
		sb_escape(b, rd_str(c, "name") ?: "?");
		sb_puts(b, "</td>");
		if (rd_number(dt, "slope_bytes_per_gib", &slope))
			svg_format(v1, sizeof(v1), slope, SVG_BYTES);
		else
			strcpy(v1, "-");
		if (rd_number(dt, "intercept_bytes", &icpt))
			svg_format(v2, sizeof(v2), icpt, SVG_BYTES);
		else
			strcpy(v2, "-");
		if (rd_number(dt, "projected_1tib_stop_copy_bytes", &proj))
			svg_format(v3, sizeof(v3), proj, SVG_BYTES);
		else
			strcpy(v3, "-");
		sb_printf(b, "<td>%s</td><td>%s</td><td>%s</td>", v1, v2, v3);
		if (rd_number(dt, "projected_1tib_downtime_s_10gbps", &secs))
			sb_printf(b, "<td>%.3g s</td></tr>\n", secs);
		else
			sb_puts(b, "<td>-</td></tr>\n");
	}
	sb_puts(b, "</table>\n");
	sb_puts(drawn, "stopcopy ");
	for (i = 0; i < n; i++) {
		free((void *)series[i].x);
		free((void *)series[i].y);
	}
	free(series);
}

static void chart_amplification(struct strbuf *b, json_t *report, struct strbuf *drawn)
{
	json_t *cases = json_object_get(report, "cases"), *c, *trackers = json_object(), *d;
	struct dlist *vals = NULL;
	const char **rows;
	const double **values;
	int *count;
	size_t i, j, m, n;

	json_array_foreach(cases, i, c)
	{
		json_t **sm;
		size_t ns = samples(c, &sm);

		for (m = 0; m < ns; m++)
			json_array_foreach(rd_path(sm[m], "metrics.dirty"), j, d)
			{
				double amp, written;
				const char *t = tracker_of(c);
				json_t *at;

				if (!rd_number(d, "dirty_amplification", &amp) ||
				    !rd_number(d, "dma_pages_written", &written) || amp <= 0 ||
				    written <= 0)
					continue;
				at = json_object_get(trackers, t);
				if (!at) {
					n = json_object_size(trackers);
					vals = realloc(vals, (n + 1) * sizeof(*vals));
					if (!vals)
						abort();
					memset(&vals[n], 0, sizeof(vals[n]));
					at = json_integer(n);
					json_object_set_new(trackers, t, at);
				}
				dl_add(&vals[json_integer_value(at)], amp);
			}
		free(sm);
	}
	n = json_object_size(trackers);
	if (n) {
		const char *key;
		json_t *v;

		rows = calloc(n, sizeof(*rows));
		values = calloc(n, sizeof(*values));
		count = calloc(n, sizeof(*count));
		if (!rows || !values || !count)
			abort();
		json_object_foreach(trackers, key, v)
		{
			i = json_integer_value(v);
			rows[i] = key;
			values[i] = vals[i].v;
			count[i] = vals[i].n;
		}
		{
			struct svg_ranges chart = {
			    .id = "amplification",
			    .title =
				"Dirty amplification per tracker: pages reported dirty for each "
				"page a device wrote",
			    .nrows = (int)n,
			    .rows = rows,
			    .count = count,
			    .values = values,
			    .x = {.label = "pages reported per page written (log)", .log = true},
			};

			svg_ranges(b, &chart);
		}
		sb_puts(drawn, "amplification ");
		free(rows);
		free(values);
		free(count);
	}
	for (i = 0; i < n; i++)
		free(vals[i].v);
	free(vals);
	json_decref(trackers);
}

/* Device state bytes sent in stop-copy (all of it when the phase is not named). */
static bool stop_copy_bytes(json_t *sample, double *out)
{
	json_t *dsb = rd_path(sample, "metrics.device_state_bytes"), *v;
	const char *k;

	if (!json_is_object(dsb))
		return false;
	if (rd_number(dsb, "STOP_COPY", out))
		return true;
	*out = 0;
	json_object_foreach(dsb, k, v)
	{
		*out += json_number_value(v);
	}
	return json_object_size(dsb) > 0;
}

static void chart_devstate(struct strbuf *b, json_t *report, struct strbuf *drawn)
{
	json_t *cases = json_object_get(report, "cases"), *c, *trackers = json_object();
	struct dlist *xs = NULL, *ys = NULL;
	struct svg_series *series;
	size_t i, m, n;
	const char *key;
	json_t *v;

	json_array_foreach(cases, i, c)
	{
		json_t **sm;
		size_t ns = samples(c, &sm);

		for (m = 0; m < ns; m++) {
			double x, y;
			json_t *at;

			if (!stop_copy_bytes(sm[m], &x) ||
			    !rd_number(sm[m], "metrics.migration.downtime_ms", &y))
				continue;
			at = json_object_get(trackers, tracker_of(c));
			if (!at) {
				n = json_object_size(trackers);
				xs = realloc(xs, (n + 1) * sizeof(*xs));
				ys = realloc(ys, (n + 1) * sizeof(*ys));
				if (!xs || !ys)
					abort();
				memset(&xs[n], 0, sizeof(*xs));
				memset(&ys[n], 0, sizeof(*ys));
				at = json_integer(n);
				json_object_set_new(trackers, tracker_of(c), at);
			}
			dl_add(&xs[json_integer_value(at)], x);
			dl_add(&ys[json_integer_value(at)], y);
		}
		free(sm);
	}
	n = json_object_size(trackers);
	if (!n) {
		json_decref(trackers);
		return;
	}
	series = calloc(n, sizeof(*series));
	if (!series)
		abort();
	json_object_foreach(trackers, key, v)
	{
		i = json_integer_value(v);
		series[i] =
		    (struct svg_series){.name = key, .n = xs[i].n, .x = xs[i].v, .y = ys[i].v};
	}
	{
		struct svg_xy chart = {
		    .id = "devstate",
		    .title = "Device state sent in stop-copy against QEMU's downtime",
		    .nseries = (int)n,
		    .series = series,
		    .x = {.label = "device state bytes in stop-copy", .unit = SVG_BYTES},
		    .y = {.label = "downtime", .unit = SVG_MS},
		};

		svg_xy(b, &chart);
	}
	sb_puts(drawn, "devstate ");
	for (i = 0; i < n; i++) {
		free(xs[i].v);
		free(ys[i].v);
	}
	free(xs);
	free(ys);
	free(series);
	json_decref(trackers);
}

void html_charts(struct strbuf *b, json_t *report, struct strbuf *drawn)
{
	size_t before = drawn->len;

	sb_puts(b, "<h2 id=\"charts\">Measurements</h2>\n");
	chart_downtime(b, report, drawn);
	chart_stopcopy(b, report, drawn);
	chart_amplification(b, report, drawn);
	chart_devstate(b, report, drawn);
	if (drawn->len == before)
		sb_puts(b, "<p>No case recorded downtime, stop-copy or dirty-page figures.</p>\n");
}
