/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * svg.h: the few chart forms the HTML report draws, as inline SVG with no
 * script: grouped horizontal bars, x/y points with lines, and value ranges.
 * Every mark carries a <title>, so hovering shows its value.
 */
#ifndef MIGCHECK_SVG_H
#define MIGCHECK_SVG_H

#include "strbuf.h"

#include <stdbool.h>

enum svg_unit { SVG_PLAIN, SVG_MS, SVG_BYTES, SVG_GIB };

/* Value as a short human text: "12.3 ms", "1.5 MiB", "3.03". */
void svg_format(char *buf, int len, double v, enum svg_unit u);

struct svg_axis {
	const char *label;
	enum svg_unit unit;
	bool log; /* log10 scale; values <= 0 are left out */
};

/*
 * Rows of nseries bars each; values[row * nseries + s] (NAN: no bar).
 * heading[row], when not NULL, starts a titled block of rows (a tracker).
 */
struct svg_bars {
	const char *id, *title;
	int nrows, nseries;
	const char *const *rows;
	const char *const *heading;
	const char *const *series;
	const double *values;
	struct svg_axis x;
};
void svg_bars(struct strbuf *b, const struct svg_bars *c);

struct svg_series {
	const char *name;
	int n;
	const double *x, *y;
	/* A fitted line y = a + b * x drawn across the x range, when has_fit. */
	bool has_fit;
	double fit_a, fit_b;
};
struct svg_xy {
	const char *id, *title;
	int nseries;
	const struct svg_series *series;
	struct svg_axis x, y;
};
void svg_xy(struct strbuf *b, const struct svg_xy *c);

/* Per row: its values as dots, their range as a line, the median as a tick. */
struct svg_ranges {
	const char *id, *title;
	int nrows;
	const char *const *rows;
	const int *count;	     /* values per row */
	const double *const *values; /* values[row][0..count[row]) */
	struct svg_axis x;
};
void svg_ranges(struct strbuf *b, const struct svg_ranges *c);

/* The palette the charts use, for the page's legend and CSS. */
const char *svg_color(int series);

#endif
