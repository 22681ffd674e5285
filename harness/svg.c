// SPDX-License-Identifier: GPL-2.0-or-later
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {"#3366cc", "#e08a1e", "#2ca02c", "#b03a8c",
				      "#17becf", "#8c564b", "#7f7f7f", "#bcbd22"};

const char *svg_color(int series)
{
	return palette[(unsigned)series % (sizeof(palette) / sizeof(palette[0]))];
}

void svg_format(char *buf, int len, double v, enum svg_unit u)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int k = 0;

	switch (u) {
	case SVG_MS:
		snprintf(buf, len, v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms", v);
		break;
	case SVG_BYTES:
		while (fabs(v) >= 1024 && k < 4) {
			v /= 1024;
			k++;
		}
		snprintf(buf, len, k == 0 || fabs(v) >= 100 ? "%.0f %s" : "%.1f %s", v, units[k]);
		break;
	case SVG_GIB:
		snprintf(buf, len, "%g GiB", v);
		break;
	default:
		snprintf(buf, len, fabs(v) >= 100 || v == floor(v) ? "%.0f" : "%.2f", v);
		break;
	}
}

struct scale {
	double lo, hi; /* data space (log10 of it when log) */
	double p0, p1; /* pixels */
	bool log;
};

static double nice_step(double span)
{
	double raw = span / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;

	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

/* A scale over [lo, hi] of the data, widened to nice ends; linear from 0 when asked. */
static void scale_fit(struct scale *s, double lo, double hi, bool log, bool from_zero, double p0,
		      double p1)
{
	s->log = log;
	s->p0 = p0;
	s->p1 = p1;
	if (log) {
		if (!(lo > 0))
			lo = hi > 0 ? hi / 10 : 1;
		if (!(hi > 0))
			hi = 10;
		s->lo = floor(log10(lo));
		s->hi = ceil(log10(hi));
		if (s->hi <= s->lo)
			s->hi = s->lo + 1;
		return;
	}
	if (from_zero && lo > 0)
		lo = 0;
	if (!(hi > lo))
		hi = lo + 1;
	{
		double step = nice_step(hi - lo);

		s->lo = floor(lo / step) * step;
		s->hi = ceil(hi / step) * step;
	}
}

static double scale_map(const struct scale *s, double v)
{
	double d = s->log ? log10(v) : v;

	return s->p0 + (d - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

/* Tick values in data units. */
static int scale_ticks(const struct scale *s, double *out, int max)
{
	int n = 0;
	double t, step;

	if (s->log) {
		for (t = s->lo; t <= s->hi + 1e-9 && n < max; t++)
			out[n++] = pow(10, t);
		return n;
	}
	step = nice_step(s->hi - s->lo);
	for (t = s->lo; t <= s->hi + step * 1e-6 && n < max; t += step)
		out[n++] = fabs(t) < step * 1e-9 ? 0 : t;
	return n;
}

static void open_svg(struct strbuf *b, const char *id, const char *title, int w, int h)
{
	sb_puts(b, "<figure class=\"chart\"><figcaption>");
	sb_escape(b, title);
	sb_printf(b,
		  "</figcaption>\n<svg class=\"chart\" data-chart=\"%s\" id=\"chart-%s\" "
		  "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		  "viewBox=\"0 0 %d %d\" role=\"img\"><title>",
		  id, id, w, h, w, h);
	sb_escape(b, title);
	sb_puts(b, "</title>\n");
}

static void close_svg(struct strbuf *b)
{
	sb_puts(b, "</svg></figure>\n");
}

static void text(struct strbuf *b, double x, double y, const char *anchor, const char *cls,
		 const char *s)
{
	sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor,
		  cls);
	sb_escape(b, s);
	sb_puts(b, "</text>");
}

/* Vertical grid lines and labels of a horizontal (x) scale. */
static void x_axis(struct strbuf *b, const struct scale *s, const struct svg_axis *a, double top,
		   double bottom)
{
	double ticks[32];
	int n = scale_ticks(s, ticks, 32), i;
	char label[48];

	for (i = 0; i < n; i++) {
		double x = scale_map(s, ticks[i]);

		sb_printf(b,
			  "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			  x, top, x, bottom);
		svg_format(label, sizeof(label), ticks[i], a->unit);
		text(b, x, bottom + 14, "middle", "tick", label);
	}
	text(b, (s->p0 + s->p1) / 2, bottom + 30, "middle", "axis", a->label);
	sb_puts(b, "\n");
}

static void y_axis(struct strbuf *b, const struct scale *s, const struct svg_axis *a, double left,
		   double right)
{
	double ticks[32];
	int n = scale_ticks(s, ticks, 32), i;
	char label[48];

	for (i = 0; i < n; i++) {
		double y = scale_map(s, ticks[i]);

		sb_printf(b,
			  "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
			  left, y, right, y);
		svg_format(label, sizeof(label), ticks[i], a->unit);
		text(b, left - 6, y + 4, "end", "tick", label);
	}
	sb_printf(b,
		  "<text class=\"axis\" text-anchor=\"middle\" transform=\"translate(14 %.1f) "
		  "rotate(-90)\">",
		  (s->p0 + s->p1) / 2);
	sb_escape(b, a->label);
	sb_puts(b, "</text>\n");
}

static void legend(struct strbuf *b, const char *const *names, int n, double x, double y)
{
	int i;

	for (i = 0; i < n; i++) {
		sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>",
			  x, y - 9, svg_color(i));
		text(b, x + 14, y, "start", "legend", names[i]);
		x += 24 + 7.0 * strlen(names[i]);
	}
	sb_puts(b, "\n");
}

static int label_width(const char *const *labels, int n)
{
	size_t max = 8;
	int i;

	for (i = 0; i < n; i++)
		if (labels[i] && strlen(labels[i]) > max)
			max = strlen(labels[i]);
	return max > 52 ? 52 * 6.4 + 12 : (int)(max * 6.4) + 12;
}

void svg_bars(struct strbuf *b, const struct svg_bars *c)
{
	int left = label_width(c->rows, c->nrows), width = left + 520, top = 34, bar = 8, gap = 10,
	    nhead = 0, r, s, h;
	double lo = INFINITY, hi = -INFINITY, y;
	struct scale sc;
	char val[48];

	for (r = 0; r < c->nrows; r++) {
		nhead += c->heading && c->heading[r];
		for (s = 0; s < c->nseries; s++) {
			double v = c->values[r * c->nseries + s];

			if (isnan(v) || (c->x.log && v <= 0))
				continue;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	}
	if (lo > hi)
		lo = hi = 0;
	h = top + c->nrows * (c->nseries * bar + gap) + nhead * 18 + 44;
	scale_fit(&sc, lo, hi, c->x.log, true, left, width - 20);
	open_svg(b, c->id, c->title, width, h);
	legend(b, c->series, c->nseries, left, 16);
	x_axis(b, &sc, &c->x, top - 6, h - 40);
	y = top;
	for (r = 0; r < c->nrows; r++) {
		if (c->heading && c->heading[r]) {
			text(b, 4, y + 12, "start", "heading", c->heading[r]);
			y += 18;
		}
		text(b, left - 6, y + c->nseries * bar / 2.0 + 4, "end", "label", c->rows[r]);
		for (s = 0; s < c->nseries; s++) {
			double v = c->values[r * c->nseries + s],
			       x0 = scale_map(&sc, sc.log ? pow(10, sc.lo) : 0);

			if (isnan(v) || (sc.log && v <= 0))
				continue;
			svg_format(val, sizeof(val), v, c->x.unit);
			sb_printf(b,
				  "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				  "height=\"%d\" fill=\"%s\"><title>",
				  x0, y + s * bar, scale_map(&sc, v) - x0, bar - 1, svg_color(s));
			sb_escape(b, c->rows[r]);
			sb_puts(b, ": ");
			sb_escape(b, c->series[s]);
			sb_printf(b, " %s</title></rect>", val);
		}
		sb_puts(b, "\n");
		y += c->nseries * bar + gap;
	}
	close_svg(b);
}

void svg_xy(struct strbuf *b, const struct svg_xy *c)
{
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	const char **names = calloc(c->nseries + 1, sizeof(*names));
	int width = 640, height = 360, left = 80, top = 34, bottom = 44, s, i;
	struct scale sx, sy;
	char xv[48], yv[48];

	if (!names)
		abort();
	for (s = 0; s < c->nseries; s++) {
		names[s] = c->series[s].name;
		for (i = 0; i < c->series[s].n; i++) {
			double x = c->series[s].x[i], y = c->series[s].y[i];

			if ((c->x.log && x <= 0) || (c->y.log && y <= 0) || isnan(x) || isnan(y))
				continue;
			xlo = x < xlo ? x : xlo;
			xhi = x > xhi ? x : xhi;
			ylo = y < ylo ? y : ylo;
			yhi = y > yhi ? y : yhi;
		}
	}
	if (xlo > xhi)
		xlo = xhi = 0;
	if (ylo > yhi)
		ylo = yhi = 0;
	scale_fit(&sx, xlo, xhi, c->x.log, true, left, width - 20);
	scale_fit(&sy, ylo, yhi, c->y.log, true, height - bottom, top);
	open_svg(b, c->id, c->title, width, height);
	legend(b, names, c->nseries, left, 16);
	x_axis(b, &sx, &c->x, top, height - bottom);
	y_axis(b, &sy, &c->y, left, width - 20);
	for (s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];

		if (se->has_fit) {
			double x0 = sx.log ? pow(10, sx.lo) : sx.lo,
			       x1 = sx.log ? pow(10, sx.hi) : sx.hi;
			int k;

			/* Sampled, so the line also reads right on a log axis. */
			sb_printf(b, "<polyline class=\"fit\" stroke=\"%s\" points=\"",
				  svg_color(s));
			for (k = 0; k <= 40; k++) {
				double x = x0 + (x1 - x0) * k / 40, y = se->fit_a + se->fit_b * x;

				if (sy.log && y <= 0)
					continue;
				if (y < (sy.log ? pow(10, sy.lo) : sy.lo) ||
				    y > (sy.log ? pow(10, sy.hi) : sy.hi))
					continue;
				sb_printf(b, "%.1f,%.1f ", scale_map(&sx, x), scale_map(&sy, y));
			}
			sb_puts(b, "\"><title>");
			sb_escape(b, se->name);
			sb_puts(b, ": fitted line</title></polyline>\n");
		}
		for (i = 0; i < se->n; i++) {
			double x = se->x[i], y = se->y[i];

			if ((sx.log && x <= 0) || (sy.log && y <= 0) || isnan(x) || isnan(y))
				continue;
			svg_format(xv, sizeof(xv), x, c->x.unit);
			svg_format(yv, sizeof(yv), y, c->y.unit);
			sb_printf(b,
				  "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
				  "fill=\"%s\"><title>",
				  scale_map(&sx, x), scale_map(&sy, y), svg_color(s));
			sb_escape(b, se->name);
			sb_printf(b, ": %s, %s</title></circle>", xv, yv);
		}
		sb_puts(b, "\n");
	}
	close_svg(b);
	free(names);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void svg_ranges(struct strbuf *b, const struct svg_ranges *c)
{
	int left = label_width(c->rows, c->nrows), width = left + 520, top = 20, row = 26, r, i;
	int height = top + c->nrows * row + 44;
	double lo = INFINITY, hi = -INFINITY;
	struct scale sc;
	char val[48];

	for (r = 0; r < c->nrows; r++)
		for (i = 0; i < c->count[r]; i++) {
			double v = c->values[r][i];

			if (c->x.log && v <= 0)
				continue;
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	if (lo > hi)
		lo = hi = 1;
	scale_fit(&sc, lo, hi, c->x.log, false, left, width - 20);
	open_svg(b, c->id, c->title, width, height);
	x_axis(b, &sc, &c->x, top - 6, height - 40);
	for (r = 0; r < c->nrows; r++) {
		double y = top + r * row + row / 2.0, *v = malloc((c->count[r] + 1) * sizeof(*v));
		int n = 0;

		if (!v)
			abort();
		for (i = 0; i < c->count[r]; i++)
			if (!(c->x.log && c->values[r][i] <= 0))
				v[n++] = c->values[r][i];
		qsort(v, n, sizeof(*v), cmp_double);
		text(b, left - 6, y + 4, "end", "label", c->rows[r]);
		if (n) {
			double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;

			sb_printf(b,
				  "<line class=\"range\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				  "y2=\"%.1f\" stroke=\"%s\"/>",
				  scale_map(&sc, v[0]), y, scale_map(&sc, v[n - 1]), y,
				  svg_color(r));
			for (i = 0; i < n; i++)
				sb_printf(b,
					  "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
					  "fill=\"%s\" fill-opacity=\"0.5\"/>",
					  scale_map(&sc, v[i]), y, svg_color(r));
			svg_format(val, sizeof(val), med, c->x.unit);
			sb_printf(b,
				  "<rect class=\"median\" x=\"%.1f\" y=\"%.1f\" width=\"3\" "
				  "height=\"14\" fill=\"#222\"><title>",
				  scale_map(&sc, med) - 1.5, y - 7);
			sb_escape(b, c->rows[r]);
			sb_printf(b, ": median %s of %d (", val, n);
			svg_format(val, sizeof(val), v[0], c->x.unit);
			sb_printf(b, "%s to ", val);
			svg_format(val, sizeof(val), v[n - 1], c->x.unit);
			sb_printf(b, "%s)</title></rect>", val);
		}
		sb_puts(b, "\n");
		free(v);
	}
	close_svg(b);
}
