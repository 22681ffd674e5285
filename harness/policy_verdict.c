// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_verdict.c: applying a loaded policy table to a matrix cell.
 *
 * The first matching rule, QEMU's device names filled into its texts, and
 * the judgement of what QEMU did against what the rule promised.  Loading
 * and selecting the tables is policy_table.c's job.
 */
#include "policy_table.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *pt_verdict_name(enum pt_verdict v)
{
	switch (v) {
	case PT_PASS:
		return "pass";
	case PT_XFAIL:
		return "xfail";
	case PT_XPASS:
		return "xpass";
	case PT_FAIL:
		return "fail";
	}
	return "?";
}

const struct pt_rule *pt_match(const struct pt_table *t, const char *const *axes)
{
	size_t i, k;

	for (i = 0; i < t->nrules; i++) {
		const struct pt_rule *r = &t->rules[i];
		bool ok = true;
		int a;

		for (a = 0; a < MX_NAXES && ok; a++) {
			const char *val = NULL;
			size_t len = strlen(mx_axis_name(a));
			const char *const *p;

			if (!r->match[a].n)
				continue;
			for (p = axes; p && *p; p++)
				if (!strncmp(*p, mx_axis_name(a), len) && (*p)[len] == '=')
					val = *p + len + 1;
			ok = false;
			for (k = 0; val && k < r->match[a].n; k++)
				if (!strcmp(val, r->match[a].v[k]))
					ok = true;
		}
		if (ok)
			return r;
	}
	return NULL;
}

char *pt_subst(const char *tmpl, const char *name)
{
	size_t count = 0, len = 0;
	const char *p;
	char *out;

	for (p = strstr(tmpl, "%s"); p; p = strstr(p + 2, "%s"))
		count++;
	out = malloc(strlen(tmpl) + count * strlen(name) + 1);
	if (!out)
		abort();
	for (; *tmpl; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			memcpy(out + len, name, strlen(name));
			len += strlen(name);
			tmpl++;
			continue;
		}
		if (tmpl[0] == '%' && tmpl[1] == '%')
			tmpl++;
		out[len++] = *tmpl;
	}
	out[len] = '\0';
	return out;
}

char *pt_device_name(const struct pt_table *t, int backend, const struct pt_device *d)
{
	const char *tmpl = backend >= 0 && backend < PT_MAX_BACKENDS ? t->naming[backend] : NULL;
	char *out = strdup(""), *old;

	if (!tmpl)
		tmpl = d->fd ? "{id}" : "{sysfs}";
	while (*tmpl) {
		const char *val = NULL;
		size_t skip = 1;

		if (!strncmp(tmpl, "{sysfs}", 7)) {
			val = d->sysfs;
			skip = 7;
		} else if (!strncmp(tmpl, "{id}", 4)) {
			val = d->id;
			skip = 4;
		} else if (!strncmp(tmpl, "{fd}", 4)) {
			val = d->fd;
			skip = 4;
		}
		old = out;
		if (skip > 1)
			out = mc_strdup_printf("%s%s", old, val ? val : "?");
		else
			out = mc_strdup_printf("%s%c", old, *tmpl);
		free(old);
		tmpl += skip;
	}
	return out;
}

static void expand(const struct pt_strv *tmpl, const char *const *names, int n, int first,
		   bool per_device, struct pt_strv *out)
{
	size_t i;
	int k;

	for (i = 0; i < tmpl->n; i++) {
		int count = per_device && strstr(tmpl->v[i], "%s") ? n : 1;

		for (k = 0; k < count; k++) {
			int dev = per_device ? k : first;
			char *s = pt_subst(tmpl->v[i], dev < n ? names[dev] : "?");

			pt_strv_add(out, s);
			free(s);
		}
	}
}

void pt_expect(const struct pt_rule *r, const char *const *names, int n, struct pt_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->outcome = r->outcome;
	out->tracker = r->tracker ? strdup(r->tracker) : NULL;
	expand(&r->texts, names, n, r->device, r->outcome == PT_BLOCKED, &out->texts);
	expand(&r->warnings, names, n, 0, true, &out->warnings);
}

/* Same strings, in any order, with the same multiplicity. */
static bool same_texts(const struct pt_strv *a, const struct pt_strv *b)
{
	char **x, **y;
	bool same = true;
	size_t i;

	if (a->n != b->n)
		return false;
	if (!a->n)
		return true;
	x = malloc(a->n * sizeof(char *));
	y = malloc(b->n * sizeof(char *));
	if (!x || !y)
		abort();
	memcpy(x, a->v, a->n * sizeof(char *));
	memcpy(y, b->v, b->n * sizeof(char *));
	qsort(x, a->n, sizeof(char *), mc_strptr_cmp);
	qsort(y, b->n, sizeof(char *), mc_strptr_cmp);
	for (i = 0; i < a->n && same; i++)
		same = !strcmp(x[i], y[i]);
	free(x);
	free(y);
	return same;
}

/* The first expected warning the observation lacks, or NULL. */
static const char *missing_warning(const struct pt_decision *exp, const struct pt_decision *obs)
{
	size_t i, k;

	for (i = 0; i < exp->warnings.n; i++) {
		for (k = 0; k < obs->warnings.n; k++)
			if (!strcmp(exp->warnings.v[i], obs->warnings.v[k]))
				break;
		if (k == obs->warnings.n)
			return exp->warnings.v[i];
	}
	return NULL;
}

static void append_quoted(char **s, const struct pt_strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		char *old = *s;

		*s = mc_strdup_printf("%s%s\"%s\"", old, i ? " + " : " ", v->v[i]);
		free(old);
	}
}

char *pt_decision_str(const struct pt_decision *d)
{
	char *s;

	if (d->outcome == PT_ALLOWED)
		s = mc_strdup_printf("allowed, tracker %s", d->tracker ? d->tracker : "?");
	else
		s = mc_strdup_printf("%s:", pt_outcome_name(d->outcome));
	append_quoted(&s, &d->texts);
	if (d->warnings.n) {
		char *old = s;

		s = mc_strdup_printf("%s; warning%s", old, d->warnings.n > 1 ? "s" : "");
		free(old);
		append_quoted(&s, &d->warnings);
	}
	return s;
}

static json_t *strv_json(const struct pt_strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

json_t *pt_decision_json(const struct pt_decision *d)
{
	json_t *o = json_pack("{s:s}", "outcome", pt_outcome_name(d->outcome));

	if (d->outcome == PT_ALLOWED)
		json_object_set_new(o, "tracker", json_string(d->tracker ? d->tracker : "?"));
	else if (d->texts.n == 1)
		json_object_set_new(o, "text", json_string(d->texts.v[0]));
	else
		json_object_set_new(o, "text", strv_json(&d->texts));
	if (d->warnings.n)
		json_object_set_new(o, "warnings", strv_json(&d->warnings));
	return o;
}

void pt_decision_clear(struct pt_decision *d)
{
	pt_strv_clear(&d->texts);
	pt_strv_clear(&d->warnings);
	free(d->tracker);
	memset(d, 0, sizeof(*d));
}

enum pt_verdict pt_compare(const struct pt_decision *exp, const struct pt_decision *obs,
			   char **reason)
{
	char *es = pt_decision_str(exp), *os = pt_decision_str(obs);
	const char *warn = NULL;
	enum pt_verdict v;
	bool same;

	same = exp->outcome == obs->outcome;
	if (same && exp->outcome == PT_ALLOWED)
		same = exp->tracker && obs->tracker && !strcmp(exp->tracker, obs->tracker);
	else if (same)
		same = same_texts(&exp->texts, &obs->texts);
	if (same)
		warn = missing_warning(exp, obs);

	if (same && !warn) {
		v = exp->outcome == PT_ALLOWED ? PT_PASS : PT_XFAIL;
		*reason = exp->outcome == PT_ALLOWED ? mc_strdup_printf("%s", os)
						     : mc_strdup_printf("QEMU %s", os);
	} else if (exp->outcome != PT_ALLOWED && obs->outcome == PT_ALLOWED) {
		v = PT_XPASS;
		*reason = mc_strdup_printf("expected %s; observed %s", es, os);
	} else if (same) {
		v = PT_FAIL;
		*reason = mc_strdup_printf("expected warning \"%s\" missing; expected %s; "
					   "observed %s",
					   warn, es, os);
	} else {
		v = PT_FAIL;
		*reason = mc_strdup_printf("expected %s; observed %s", es, os);
	}
	free(es);
	free(os);
	return v;
}
