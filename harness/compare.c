// SPDX-License-Identifier: GPL-2.0-or-later
#include "compare.h"
#include "html.h"
#include "reportdoc.h"
#include "strbuf.h"
#include "svg.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define R CMP_REGRESSION
#define I CMP_IMPROVEMENT
#define C CMP_CHANGE
#define S CMP_SAME

/* [base][new] in enum mc_result order: pass, fail, xfail, xpass, skip, error. */
static const enum cmp_kind transitions[MC_NRESULTS][MC_NRESULTS] = {
    /* pass  */ {S, R, R, C, R, R},
    /* fail  */ {I, S, I, I, C, C},
    /* xfail */ {I, R, S, I, C, R},
    /* xpass */ {C, R, R, S, R, R},
    /* skip  */ {I, R, C, I, S, R},
    /* error */ {I, C, I, I, C, S},
};

#undef R
#undef I
#undef C
#undef S

enum cmp_kind cmp_classify(enum mc_result base, enum mc_result new, int cross_release)
{
	enum cmp_kind k = transitions[base][new];

	if (k == CMP_REGRESSION && cross_release && new != MC_FAIL &&new != MC_ERROR)
		return CMP_CHANGE;
	return k;
}

/* What a report's verdicts were judged by: its policy tables, else its QEMU release. */
static char *expectations_of(json_t *report)
{
	json_t *c, *names = json_array();
	size_t i, j;
	struct strbuf b = {0};
	char *rel;

	json_array_foreach(json_object_get(report, "cases"), i, c)
	{
		const char *t = json_string_value(rd_path(c, "policy.table")), *base;
		json_t *n;
		bool seen = false;

		if (!t)
			continue;
		base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
		json_array_foreach(names, j, n) seen |= !strcmp(json_string_value(n), base);
		if (!seen)
			json_array_append_new(names, json_string(base));
	}
	if (json_array_size(names)) {
		json_t *n;

		json_array_foreach(names, i, n)
		    sb_printf(&b, "%s%s", i ? " " : "", json_string_value(n));
		json_decref(names);
		return sb_take(&b);
	}
	json_decref(names);
	rel = rd_qemu_release(report);
	if (rel) {
		sb_printf(&b, "QEMU %s", rel);
		free(rel);
		return sb_take(&b);
	}
	return strdup("unknown");
}

/* ---- metrics ---- */

static const struct metric {
	const char *path, *label;
	enum svg_unit unit;
	double floor; /* smallest absolute change that counts */
} metrics[] = {
    {"metrics.migration.downtime_ms", "downtime (QEMU)", SVG_MS, 5},
    {"metrics.migration.downtime_events_ms", "downtime (events)", SVG_MS, 5},
    {"metrics.guest.guest_pause_ms", "guest pause", SVG_MS, 10},
    {"metrics.migration.downtime_bytes", "RAM sent while stopped", SVG_BYTES, 1 << 20},
    {"metrics.migration.transferred_bytes", "RAM sent", SVG_BYTES, 8 << 20},
    {"metrics.downtime.slope_bytes_per_gib", "stop-copy bytes per GiB", SVG_BYTES, 1 << 20},
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))
/* Fewer repetitions than this on either side: a change is shown, never counted. */
#define MIN_SAMPLES 3

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The metric's values over a case's repetitions (or the case), sorted. */
static int metric_samples(json_t *c, const char *path, double **out)
{
	json_t *reps = json_object_get(c, "repetitions"), *r;
	size_t i, n = json_array_size(reps);
	int k = 0;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		abort();
	if (!n) {
		k = rd_number(c, path, &(*out)[0]);
	} else {
		json_array_foreach(reps, i, r) k += rd_number(r, path, &(*out)[k]);
	}
	qsort(*out, k, sizeof(**out), dcmp);
	return k;
}

static double med(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum mkind { M_REGRESSION, M_IMPROVEMENT, M_UNCONFIRMED };

struct mdelta {
	const char *name;
	const struct metric *m;
	double base, new, rel;
	int nb, nn;
	enum mkind kind;
};

/* ---- the comparison ---- */

struct entry {
	const char *name;
	enum mc_result base, new; /* -1: absent */
	int has_base, has_new;
	enum cmp_kind kind;
	const char *reason; /* NEW's reason (BASE's for a vanished case) */
};

struct result {
	struct entry *e;
	size_t n;
	struct mdelta *d;
	size_t nd;
	size_t same, not_run;
	int regressions, new_failing, metric_regressions;
	char *exp_base, *exp_new;
	int cross;
};

static void add_entry(struct result *r, const struct entry *e)
{
	r->e = realloc(r->e, (r->n + 1) * sizeof(*r->e));
	if (!r->e)
		abort();
	r->e[r->n++] = *e;
}

static void compare_metrics(struct result *res, const char *name, json_t *b, json_t *n, double thr)
{
	size_t k;

	for (k = 0; k < NMETRICS; k++) {
		const struct metric *m = &metrics[k];
		double *vb, *vn, mb, mn, delta, rel;
		int nb = metric_samples(b, m->path, &vb), nn = metric_samples(n, m->path, &vn);
		struct mdelta d;

		if (!nb || !nn)
			goto next;
		mb = med(vb, nb);
		mn = med(vn, nn);
		delta = mn - mb;
		rel = mb != 0 ? delta / fabs(mb) : (delta != 0 ? INFINITY : 0);
		if (fabs(delta) < m->floor || fabs(rel) * 100 < thr)
			goto next;
		d = (struct mdelta){
		    .name = name, .m = m, .base = mb, .new = mn, .rel = rel, .nb = nb, .nn = nn};
		/* Confirmed only when the repetitions do not overlap at all. */
		if (nb < MIN_SAMPLES || nn < MIN_SAMPLES)
			d.kind = M_UNCONFIRMED;
		else if (delta > 0 && vn[0] > vb[nb - 1])
			d.kind = M_REGRESSION;
		else if (delta < 0 && vn[nn - 1] < vb[0])
			d.kind = M_IMPROVEMENT;
		else
			d.kind = M_UNCONFIRMED;
		res->d = realloc(res->d, (res->nd + 1) * sizeof(*res->d));
		if (!res->d)
			abort();
		res->d[res->nd++] = d;
		res->metric_regressions += d.kind == M_REGRESSION;
	next:
		free(vb);
		free(vn);
	}
}

/* A case an interrupted run stopped was not run: it is neither compared nor new. */
static bool interrupted(json_t *c)
{
	return rd_result(c) == MC_ERROR && !strcmp(rd_str(c, "reason") ?: "", "interrupted");
}

static void compute(json_t *base, json_t *new, const struct cmp_options *o, struct result *res)
{
	json_t *bi = json_object(), *ni = json_object(), *c;
	size_t i;

	json_array_foreach(json_object_get(base, "cases"), i, c)
	{
		if (!interrupted(c))
			json_object_set(bi, rd_str(c, "name") ?: "?", c);
	}
	json_array_foreach(json_object_get(new, "cases"), i, c)
	{
		if (!interrupted(c))
			json_object_set(ni, rd_str(c, "name") ?: "?", c);
	}
	res->exp_base = expectations_of(base);
	res->exp_new = expectations_of(new);
	res->cross = strcmp(res->exp_base, res->exp_new) != 0;

	json_array_foreach(json_object_get(base, "cases"), i, c)
	{
		const char *name = rd_str(c, "name") ?: "?";
		json_t *nc = json_object_get(ni, name);
		struct entry e = {.name = name, .base = rd_result(c), .has_base = 1};

		if (interrupted(c)) {
			res->not_run++;
			continue;
		}
		if (!nc) {
			e.kind = CMP_CHANGE;
			e.reason = rd_str(c, "reason");
			add_entry(res, &e);
			continue;
		}
		e.has_new = 1;
		e.new = rd_result(nc);
		e.kind = cmp_classify(e.base, e.new, res->cross);
		e.reason = rd_str(nc, "reason");
		if (e.kind == CMP_SAME)
			res->same++;
		else
			add_entry(res, &e);
		res->regressions += e.kind == CMP_REGRESSION;
		compare_metrics(res, name, c, nc, o->threshold_pct);
	}
	json_array_foreach(json_object_get(new, "cases"), i, c)
	{
		const char *name = rd_str(c, "name") ?: "?";
		struct entry e = {.name = name, .new = rd_result(c), .has_new = 1};

		if (json_object_get(bi, name))
			continue;
		if (interrupted(c)) {
			res->not_run++;
			continue;
		}
		/* A new case that fails is a regression: the gate must not let it through. */
		e.kind = e.new == MC_FAIL || e.new == MC_ERROR ? CMP_REGRESSION : CMP_CHANGE;
		e.reason = rd_str(c, "reason");
		res->new_failing += e.kind == CMP_REGRESSION;
		add_entry(res, &e);
	}
	json_decref(bi);
	json_decref(ni);
}

/* ---- output ---- */

struct section {
	const char *title;
	bool (*match)(const struct entry *e);
};

static bool is_regression(const struct entry *e)
{
	return e->has_base && e->has_new && e->kind == CMP_REGRESSION;
}

static bool is_improvement(const struct entry *e)
{
	return e->has_base && e->has_new && e->kind == CMP_IMPROVEMENT;
}

static bool is_change(const struct entry *e)
{
	return e->has_base && e->has_new && e->kind == CMP_CHANGE;
}

static bool is_new(const struct entry *e)
{
	return !e->has_base;
}

static bool is_vanished(const struct entry *e)
{
	return !e->has_new;
}

static const struct section sections[] = {
    {"Regressions", is_regression},	  {"Improvements", is_improvement},
    {"Other verdict changes", is_change}, {"New cases", is_new},
    {"Vanished cases", is_vanished},
};

static const char *const mkind_title[] = {
    "Metric regressions", "Metric improvements",
    "Metric changes not confirmed (fewer than 3 repetitions on a side, or overlapping)"};

static void transition_text(char *buf, size_t len, const struct entry *e)
{
	if (!e->has_base)
		snprintf(buf, len, "new: %s", mc_result_name(e->new));
	else if (!e->has_new)
		snprintf(buf, len, "%s -> (absent)", mc_result_name(e->base));
	else
		snprintf(buf, len, "%s -> %s", mc_result_name(e->base), mc_result_name(e->new));
}

static void delta_text(char *buf, size_t len, const struct mdelta *d)
{
	char b[48], n[48];

	svg_format(b, sizeof(b), d->base, d->m->unit);
	svg_format(n, sizeof(n), d->new, d->m->unit);
	snprintf(buf, len, "%s -> %s (%+.0f%%; median of %d -> %d)", b, n, d->rel * 100, d->nb,
		 d->nn);
}

static void run_line(struct strbuf *b, const char *label, json_t *r, const char *exp)
{
	sb_printf(b, "%s (run %s, %s, %zu cases, %s; expectations: %s)", label,
		  rd_str(r, "run_id") ?: "?",
		  json_string_value(rd_path(r, "environment.qemu.version_line")) ?: "QEMU ?",
		  json_array_size(json_object_get(r, "cases")), rd_str(r, "state") ?: "?", exp);
}

static void put_text(struct strbuf *b, struct result *res, json_t *base, json_t *new,
		     const struct cmp_options *o, bool md)
{
	size_t s, i;
	int k;
	char t[160];

	sb_puts(b, md ? "## migcheck compare\n\n- base: " : "migcheck compare\n  base: ");
	run_line(b, o->base_label, base, res->exp_base);
	sb_puts(b, md ? "\n- new: " : "\n  new:  ");
	run_line(b, o->new_label, new, res->exp_new);
	sb_puts(b, "\n");
	if (res->cross) {
		sb_puts(b, md ? "- " : "  ");
		sb_puts(b, "the runs were judged by different expectations: a verdict change "
			   "between pass, xfail, xpass and skip is listed as a change, only a "
			   "move into fail or error is a regression\n");
	}
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		size_t n = 0;

		for (i = 0; i < res->n; i++)
			n += sections[s].match(&res->e[i]);
		if (!n)
			continue;
		if (md)
			sb_printf(b,
				  "\n### %s (%zu)\n\n| case | verdict | reason |\n|---|---|---|\n",
				  sections[s].title, n);
		else
			sb_printf(b, "\n%s (%zu):\n", sections[s].title, n);
		for (i = 0; i < res->n; i++) {
			const struct entry *e = &res->e[i];

			if (!sections[s].match(e))
				continue;
			transition_text(t, sizeof(t), e);
			if (md)
				sb_printf(b, "| `%s` | %s | %s |\n", e->name, t,
					  e->reason ? e->reason : "");
			else
				sb_printf(b, "  %s: %s%s%s\n", e->name, t, e->reason ? ": " : "",
					  e->reason ? e->reason : "");
		}
	}
	for (k = M_REGRESSION; k <= M_UNCONFIRMED; k++) {
		size_t n = 0;

		for (i = 0; i < res->nd; i++)
			n += res->d[i].kind == (enum mkind)k;
		if (!n)
			continue;
		if (md)
			sb_printf(b,
				  "\n### %s (%zu)\n\n| case | metric | change |\n|---|---|---|\n",
				  mkind_title[k], n);
		else
			sb_printf(b, "\n%s (%zu):\n", mkind_title[k], n);
		for (i = 0; i < res->nd; i++) {
			const struct mdelta *d = &res->d[i];

			if (d->kind != (enum mkind)k)
				continue;
			delta_text(t, sizeof(t), d);
			if (md)
				sb_printf(b, "| `%s` | %s | %s |\n", d->name, d->m->label, t);
			else
				sb_printf(b, "  %s: %s %s\n", d->name, d->m->label, t);
		}
	}
	sb_printf(b, "\n%zu cases with the same verdict", res->same);
	if (res->not_run)
		sb_printf(b, "; %zu cases an interrupted run did not finish", res->not_run);
	sb_puts(b, "\n");
	if (res->regressions + res->new_failing + res->metric_regressions)
		sb_printf(b,
			  "%sverdict: REGRESSION (%d verdicts, %d new failing cases, %d "
			  "metrics)%s\n",
			  md ? "\n**" : "", res->regressions, res->new_failing,
			  res->metric_regressions, md ? "**" : "");
	else
		sb_printf(b, "%sverdict: no regression%s\n", md ? "\n**" : "", md ? "**" : "");
}

static void put_html(struct strbuf *b, struct result *res, json_t *base, json_t *new,
		     const struct cmp_options *o)
{
	struct strbuf line = {0};
	size_t s, i;
	int k;
	char t[160];

	html_page_begin(b, "migcheck compare");
	sb_puts(b, "<body><h1>migcheck compare</h1>\n<p>base: ");
	run_line(&line, o->base_label, base, res->exp_base);
	sb_escape(b, line.s);
	sb_free(&line);
	sb_puts(b, "<br>new: ");
	run_line(&line, o->new_label, new, res->exp_new);
	sb_escape(b, line.s);
	sb_free(&line);
	sb_puts(b, "</p>\n");
	if (res->cross)
		sb_puts(b, "<p>The runs were judged by different expectations: a verdict change "
			   "between pass, xfail, xpass and skip is listed as a change, only a move "
			   "into fail or error is a regression.</p>\n");
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		size_t n = 0;

		for (i = 0; i < res->n; i++)
			n += sections[s].match(&res->e[i]);
		if (!n)
			continue;
		sb_printf(b,
			  "<h2>%s (%zu)</h2>\n<table class=\"list\"><tr><th>case</th>"
			  "<th>verdict</th><th>reason</th></tr>\n",
			  sections[s].title, n);
		for (i = 0; i < res->n; i++) {
			const struct entry *e = &res->e[i];

			if (!sections[s].match(e))
				continue;
			transition_text(t, sizeof(t), e);
			sb_puts(b, "<tr><td>");
			sb_escape(b, e->name);
			sb_puts(b, "</td><td>");
			sb_escape(b, t);
			sb_puts(b, "</td><td>");
			sb_escape(b, e->reason ? e->reason : "");
			sb_puts(b, "</td></tr>\n");
		}
		sb_puts(b, "</table>\n");
	}
	for (k = M_REGRESSION; k <= M_UNCONFIRMED; k++) {
		size_t n = 0;

		for (i = 0; i < res->nd; i++)
			n += res->d[i].kind == (enum mkind)k;
		if (!n)
			continue;
		sb_printf(b,
			  "<h2>%s (%zu)</h2>\n<table class=\"list\"><tr><th>case</th>"
			  "<th>metric</th><th>change</th></tr>\n",
			  mkind_title[k], n);
		for (i = 0; i < res->nd; i++) {
			const struct mdelta *d = &res->d[i];

			if (d->kind != (enum mkind)k)
				continue;
			delta_text(t, sizeof(t), d);
			sb_puts(b, "<tr><td>");
			sb_escape(b, d->name);
			sb_puts(b, "</td><td>");
			sb_escape(b, d->m->label);
			sb_puts(b, "</td><td>");
			sb_escape(b, t);
			sb_puts(b, "</td></tr>\n");
		}
		sb_puts(b, "</table>\n");
	}
	sb_printf(b, "<p>%zu cases with the same verdict", res->same);
	if (res->not_run)
		sb_printf(b, "; %zu cases an interrupted run did not finish", res->not_run);
	sb_puts(b, ".</p>\n<p id=\"verdict\"><b>");
	if (res->regressions + res->new_failing + res->metric_regressions)
		sb_printf(b, "REGRESSION (%d verdicts, %d new failing cases, %d metrics)",
			  res->regressions, res->new_failing, res->metric_regressions);
	else
		sb_puts(b, "no regression");
	sb_puts(b, "</b></p>\n");
	html_page_end(b);
}

int compare_reports(json_t *base, json_t *new, const struct cmp_options *o, FILE *out)
{
	struct result res = {0};
	struct strbuf b = {0};
	int ret;

	compute(base, new, o, &res);
	if (o->format == CMP_HTML)
		put_html(&b, &res, base, new, o);
	else
		put_text(&b, &res, base, new, o, o->format == CMP_MARKDOWN);
	fputs(b.s ? b.s : "", out);
	sb_free(&b);
	ret = res.regressions + res.new_failing + res.metric_regressions ? 1 : 0;
	free(res.e);
	free(res.d);
	free(res.exp_base);
	free(res.exp_new);
	return ret;
}
