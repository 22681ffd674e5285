// SPDX-License-Identifier: GPL-2.0-or-later
#include "summary.h"
#include "matrix.h"
#include "runner.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_W 11

/* The axes of one role, in table order. */
static int role_axes(enum mx_role role, int *out)
{
	int a, n = 0;

	for (a = 0; a < MX_NAXES; a++)
		if (mx_axes[a].role == role)
			out[n++] = a;
	return n;
}

/*
 * The index of a case's combination of `axes` values among all
 * combinations (the last axis varying fastest), or -1 if it lacks one.
 */
static int combo_index(json_t *ax, const int *axes, int n)
{
	int i, idx = 0;

	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_object_get(ax, mx_axes[axes[i]].name));
		int v = s ? mx_value_parse(axes[i], s) : -1;

		if (v < 0)
			return -1;
		idx = idx * mx_value_count(axes[i]) + v;
	}
	return idx;
}

static int combo_count(const int *axes, int n)
{
	int i, c = 1;

	for (i = 0; i < n; i++)
		c *= mx_value_count(axes[i]);
	return c;
}

/* Value of axis i (of n) in combination idx. */
static const char *combo_value(int idx, const int *axes, int n, int i)
{
	int j;

	for (j = n - 1; j > i; j--)
		idx /= mx_value_count(axes[j]);
	return mx_value_name(axes[i], idx % mx_value_count(axes[i]));
}

static int result_slot(const char *result)
{
	int r = mc_result_parse(result);

	return r == MC_PASS || r == MC_XPASS ? 0 : r == MC_SKIP ? 2 : r == MC_XFAIL ? 3 : 1;
}

void summary_matrix(struct tap *tap, json_t *cases)
{
	int rows[MX_NAXES], cols[MX_NAXES], nr = role_axes(MX_ROLE_ROW, rows);
	int nc = role_axes(MX_ROLE_COLUMN, cols), R = combo_count(rows, nr);
	int C = combo_count(cols, nc), r, c, i;
	int(*counts)[4] = calloc((size_t)R * C, sizeof(*counts));
	bool *row_used = calloc(R, 1), *col_used = calloc(C, 1), any = false;
	char line[1024];
	size_t k;
	json_t *rec;

	if (!counts || !row_used || !col_used)
		abort();
	json_array_foreach(cases, k, rec)
	{
		json_t *ax = json_object_get(rec, "axes");

		r = combo_index(ax, rows, nr);
		c = combo_index(ax, cols, nc);
		if (r < 0 || c < 0)
			continue;
		counts[r * C + c][result_slot(json_string_value(json_object_get(rec, "result")))]++;
		row_used[r] = col_used[c] = any = true;
	}
	if (!any)
		goto out;
	{
		int n = 0;

		for (i = 0; i < nr; i++)
			n += snprintf(line + n, sizeof(line) - n, "%s%s", i ? "/" : "",
				      mx_axes[rows[i]].name);
		n += snprintf(line + n, sizeof(line) - n, "; columns ");
		for (i = 0; i < nc; i++)
			n += snprintf(line + n, sizeof(line) - n, "%s%s", i ? "/" : "",
				      mx_axes[cols[i]].name);
		tap_diag(tap, "matrix: pass/fail/skip/xfail per cell (rows %s)", line);
	}
	/* One header line per column axis; a value is printed where it changes. */
	for (i = 0; i < nc; i++) {
		const char *prev = NULL;
		int n = snprintf(line, sizeof(line), "%-26s", "");

		for (c = 0; c < C && n < (int)sizeof(line) - CELL_W - 2; c++) {
			const char *v = combo_value(c, cols, nc, i);

			if (!col_used[c])
				continue;
			n += snprintf(line + n, sizeof(line) - n, " %-*.*s", CELL_W, CELL_W,
				      i < nc - 1 && prev && !strcmp(prev, v) ? "" : v);
			prev = v;
		}
		tap_diag(tap, "%s", mc_rstrip(line));
	}
	for (r = 0; r < R; r++) {
		char label[64];
		int n = 0;

		if (!row_used[r])
			continue;
		for (i = 0; i < nr; i++)
			n += snprintf(label + n, sizeof(label) - n, "%s%s", i ? "/" : "",
				      combo_value(r, rows, nr, i));
		n = snprintf(line, sizeof(line), "%-26s", label);
		for (c = 0; c < C && n < (int)sizeof(line) - CELL_W - 2; c++) {
			int *q = counts[r * C + c];
			char cell[32];

			if (!col_used[c])
				continue;
			if (q[0] + q[1] + q[2] + q[3])
				snprintf(cell, sizeof(cell), "%d/%d/%d/%d", q[0], q[1], q[2], q[3]);
			else
				snprintf(cell, sizeof(cell), "-");
			n += snprintf(line + n, sizeof(line) - n, " %-*s", CELL_W, cell);
		}
		tap_diag(tap, "%s", mc_rstrip(line));
	}
out:
	free(counts);
	free(row_used);
	free(col_used);
}
