// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy_table.c: loading, checking and selecting the policy expectation
 * tables (format: fixtures/expectations/README.md, "Migration policy").
 * Applying a table to a cell is policy_verdict.c's job.
 */
#include "policy_table.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table may extend one that extends another; deeper chains are a mistake. */
#define PT_MAX_DEPTH 8

static const char *const outcome_names[PT_NOUTCOMES] = {"allowed", "blocked", "refused",
							"realize-error"};

const char *pt_outcome_name(enum pt_outcome o)
{
	return o < PT_NOUTCOMES ? outcome_names[o] : "?";
}

void pt_strv_add(struct pt_strv *s, const char *str)
{
	s->v = realloc(s->v, (s->n + 2) * sizeof(char *));
	if (!s->v)
		abort();
	s->v[s->n++] = strdup(str);
	s->v[s->n] = NULL;
}

void pt_strv_clear(struct pt_strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* ---- versions ---- */

static bool version_valid(const char *v)
{
	const char *p = v;
	int parts = 0;

	for (;;) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		parts++;
		if (!*p)
			return parts <= 4;
		if (*p != '.')
			return false;
		p++;
	}
}

bool pt_version_in(const char *v, const char *from, const char *before)
{
	if (from && mc_version_cmp(v, from) < 0)
		return false;
	if (before && mc_version_cmp(v, before) >= 0)
		return false;
	return true;
}

/* ---- loading ---- */

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(key, *allowed))
			return true;
	return false;
}

/* Checks a template: %s (the device name, any number of times) and %% only. */
static bool template_valid(const char *t)
{
	for (; *t; t++) {
		if (*t != '%')
			continue;
		t++;
		if (*t != 's' && *t != '%')
			return false;
	}
	return true;
}

/* A string or a non-empty array of strings into *out; `what` names it in errors. */
static int string_list(json_t *j, bool array_ok, bool templates, struct pt_strv *out,
		       const char *ctx, const char *what, char **err)
{
	size_t i;
	json_t *e;

	if (json_is_string(j)) {
		if (!*json_string_value(j)) {
			mc_set_err(err, "%s: \"%s\" is empty", ctx, what);
			return -1;
		}
		if (templates && !template_valid(json_string_value(j))) {
			mc_set_err(err, "%s: \"%s\" may hold %%s and %%%% only: \"%s\"", ctx, what,
				   json_string_value(j));
			return -1;
		}
		pt_strv_add(out, json_string_value(j));
		return 0;
	}
	if (!array_ok || !json_is_array(j) || !json_array_size(j)) {
		mc_set_err(err, "%s: \"%s\" must be a string%s", ctx, what,
			   array_ok ? " or a non-empty array of strings" : "");
		return -1;
	}
	json_array_foreach(j, i, e)
	{
		if (string_list(e, false, templates, out, ctx, what, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_match(json_t *m, struct pt_rule *r, const char *ctx, char **err)
{
	const char *key;
	json_t *val;

	if (!json_is_object(m)) {
		mc_set_err(err, "%s: \"match\" must be an object of axis values", ctx);
		return -1;
	}
	json_object_foreach(m, key, val)
	{
		int a = mx_axis_parse(key), v;
		size_t i;

		if (a < 0) {
			mc_set_err(err, "%s: unknown axis \"%s\" in \"match\"", ctx, key);
			return -1;
		}
		if (string_list(val, true, false, &r->match[a], ctx, key, err) < 0)
			return -1;
		for (i = 0; i < r->match[a].n; i++) {
			for (v = 0; v < mx_value_count(a); v++)
				if (!strcmp(r->match[a].v[i], mx_value_name(a, v)))
					break;
			if (v == mx_value_count(a)) {
				mc_set_err(err, "%s: axis %s has no value \"%s\"", ctx, key,
					   r->match[a].v[i]);
				return -1;
			}
		}
	}
	return 0;
}

static int parse_outcome(const char *s, enum pt_outcome *o)
{
	int i;

	for (i = 0; i < PT_NOUTCOMES; i++)
		if (!strcmp(s, outcome_names[i])) {
			*o = i;
			return 0;
		}
	return -1;
}

static void rule_clear(struct pt_rule *r)
{
	int a;

	free(r->id);
	free(r->origin);
	for (a = 0; a < MX_NAXES; a++)
		pt_strv_clear(&r->match[a]);
	pt_strv_clear(&r->texts);
	free(r->tracker);
	pt_strv_clear(&r->warnings);
}

static int parse_rule(json_t *j, const char *file, size_t index, struct pt_rule *r, char **err)
{
	static const char *const keys[] = {"id",      "match",	 "outcome", "text", "device",
					   "tracker", "warning", "why",	    NULL};
	const char *key, *s, *base;
	json_t *val;
	char *ctx;
	int ret = -1, t;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j)) {
		mc_set_err(err, "%s: rule %zu is not an object", file, index);
		return -1;
	}
	s = json_string_value(json_object_get(j, "id"));
	if (json_object_get(j, "id") && (!s || !*s)) {
		mc_set_err(err, "%s: rule %zu: \"id\" must be a non-empty string", file, index);
		return -1;
	}
	r->id = s ? strdup(s) : NULL;
	ctx = s ? mc_strdup_printf("%s: rule %zu (%s)", file, index, s)
		: mc_strdup_printf("%s: rule %zu", file, index);
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	r->origin = s ? mc_strdup_printf("%s rule %zu (%s)", base, index, s)
		      : mc_strdup_printf("%s rule %zu", base, index);

	json_object_foreach(j, key, val)
	{
		if (!key_allowed(key, keys)) {
			mc_set_err(err, "%s: unknown key \"%s\"", ctx, key);
			goto out;
		}
	}
	if (!json_object_get(j, "match")) {
		mc_set_err(err, "%s: no \"match\" (use {} to match every cell)", ctx);
		goto out;
	}
	if (parse_match(json_object_get(j, "match"), r, ctx, err) < 0)
		goto out;
	s = json_string_value(json_object_get(j, "outcome"));
	if (!s || parse_outcome(s, &r->outcome) < 0) {
		mc_set_err(err,
			   "%s: \"outcome\" must be one of allowed, blocked, refused, "
			   "realize-error",
			   ctx);
		goto out;
	}
	if (r->outcome == PT_ALLOWED) {
		s = json_string_value(json_object_get(j, "tracker"));
		for (t = 0; s && t < mx_value_count(MX_TRACKER); t++)
			if (!strcmp(s, mx_value_name(MX_TRACKER, t)))
				break;
		if (!s || t == mx_value_count(MX_TRACKER)) {
			mc_set_err(err,
				   "%s: an allowed outcome needs \"tracker\": device-log, "
				   "iommufd-hwpt, type1-perpetual or none",
				   ctx);
			goto out;
		}
		r->tracker = strdup(s);
		if (json_object_get(j, "text")) {
			mc_set_err(err, "%s: an allowed outcome has no \"text\" (use \"warning\")",
				   ctx);
			goto out;
		}
	} else {
		if (json_object_get(j, "tracker")) {
			mc_set_err(err, "%s: only an allowed outcome names a \"tracker\"", ctx);
			goto out;
		}
		if (!json_object_get(j, "text")) {
			mc_set_err(err, "%s: a %s outcome needs QEMU's \"text\"", ctx,
				   pt_outcome_name(r->outcome));
			goto out;
		}
		if (string_list(json_object_get(j, "text"), r->outcome == PT_BLOCKED, true,
				&r->texts, ctx, "text", err) < 0)
			goto out;
	}
	if (json_object_get(j, "warning") && string_list(json_object_get(j, "warning"), true, true,
							 &r->warnings, ctx, "warning", err) < 0)
		goto out;
	val = json_object_get(j, "device");
	if (val && (!json_is_integer(val) || json_integer_value(val) < 0 ||
		    json_integer_value(val) >= VFM_MAX_DEVICES ||
		    (r->outcome != PT_REFUSED && r->outcome != PT_REALIZE_ERROR))) {
		mc_set_err(err,
			   "%s: \"device\" (0-%d) names the device of a refused or "
			   "realize-error text",
			   ctx, VFM_MAX_DEVICES - 1);
		goto out;
	}
	r->device = val ? (int)json_integer_value(val) : 0;
	if (json_object_get(j, "why") && !json_is_string(json_object_get(j, "why"))) {
		mc_set_err(err, "%s: \"why\" must be a string", ctx);
		goto out;
	}
	ret = 0;
out:
	free(ctx);
	return ret;
}

void pt_free(struct pt_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrules; i++)
		rule_clear(&t->rules[i]);
	free(t->rules);
	for (i = 0; i < PT_MAX_BACKENDS; i++)
		free(t->naming[i]);
	free(t->path);
	free(t->from);
	free(t->before);
	free(t);
}

/* The version range of a parsed table. */
static int parse_range(json_t *root, const char *path, char **from, char **before, char **err)
{
	json_t *q = json_object_get(root, "qemu");
	const char *key;
	json_t *val;

	*from = *before = NULL;
	if (!json_is_object(q)) {
		mc_set_err(err, "%s: no \"qemu\" version range ({\"from\": ..., \"before\": ...})",
			   path);
		return -1;
	}
	json_object_foreach(q, key, val)
	{
		if (strcmp(key, "from") && strcmp(key, "before")) {
			mc_set_err(err, "%s: unknown key \"%s\" in \"qemu\"", path, key);
			return -1;
		}
		if (!json_is_string(val) || !version_valid(json_string_value(val))) {
			mc_set_err(err, "%s: qemu.%s must be a version such as \"10.1.0\"", path,
				   key);
			return -1;
		}
	}
	if (json_object_get(q, "from"))
		*from = strdup(json_string_value(json_object_get(q, "from")));
	if (json_object_get(q, "before"))
		*before = strdup(json_string_value(json_object_get(q, "before")));
	if (!*from && !*before) {
		mc_set_err(err, "%s: the \"qemu\" range needs \"from\" or \"before\"", path);
		return -1;
	}
	if (*from && *before && mc_version_cmp(*from, *before) >= 0) {
		mc_set_err(err, "%s: empty version range %s..%s", path, *from, *before);
		free(*from);
		free(*before);
		*from = *before = NULL;
		return -1;
	}
	return 0;
}

/*
 * A table file parsed: from @text (its contents, @len bytes) when given,
 * else read from @path.  NULL with *err naming @path.
 */
static json_t *read_json(const char *path, const char *text, size_t len, char **err)
{
	json_error_t je;
	json_t *root = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)
			    : json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (!root) {
		if (je.line < 0)
			mc_set_err(err, "%s: %s", path, je.text);
		else
			mc_set_err(err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		mc_set_err(err, "%s: the table must be a JSON object", path);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* "{sysfs}", "{id}" and "{fd}" are the only placeholders. */
static bool naming_valid(const char *t)
{
	for (t = strchr(t, '{'); t; t = strchr(t + 1, '{'))
		if (strncmp(t, "{sysfs}", 7) && strncmp(t, "{id}", 4) && strncmp(t, "{fd}", 4))
			return false;
	return true;
}

/* "device-names": {backend: template}; a table's own names beat the extended ones. */
static int parse_naming(struct pt_table *t, json_t *names, const char *path, char **err)
{
	const char *key;
	json_t *val;

	if (!json_is_object(names)) {
		mc_set_err(err, "%s: \"device-names\" must map backends to name templates", path);
		return -1;
	}
	json_object_foreach(names, key, val)
	{
		int b;

		for (b = 0; b < mx_value_count(MX_BACKEND); b++)
			if (!strcmp(key, mx_value_name(MX_BACKEND, b)))
				break;
		if (b == mx_value_count(MX_BACKEND) || b >= PT_MAX_BACKENDS) {
			mc_set_err(err, "%s: \"device-names\": unknown backend \"%s\"", path, key);
			return -1;
		}
		if (!json_is_string(val) || !*json_string_value(val) ||
		    !naming_valid(json_string_value(val))) {
			mc_set_err(err,
				   "%s: \"device-names\".%s must be a template using {sysfs}, {id} "
				   "or {fd}",
				   path, key);
			return -1;
		}
		if (!t->naming[b])
			t->naming[b] = strdup(json_string_value(val));
	}
	return 0;
}

static int load_rules(struct pt_table *t, const char *path, const char *text, size_t len, int depth,
		      char **err)
{
	static const char *const keys[] = {"format", "qemu",	     "description", "extends",
					   "rules",  "device-names", NULL};
	const char *key, *base;
	json_t *root, *val, *rules;
	char *from = NULL, *before = NULL;
	size_t i;
	int ret = -1;

	if (depth >= PT_MAX_DEPTH) {
		mc_set_err(err, "%s: \"extends\" chain deeper than %d (a loop?)", path,
			   PT_MAX_DEPTH);
		return -1;
	}
	root = read_json(path, text, len, err);
	if (!root)
		return -1;
	json_object_foreach(root, key, val)
	{
		if (!key_allowed(key, keys)) {
			mc_set_err(err, "%s: unknown key \"%s\"", path, key);
			goto out;
		}
	}
	if (json_integer_value(json_object_get(root, "format")) != PT_FORMAT ||
	    !json_is_integer(json_object_get(root, "format"))) {
		mc_set_err(err, "%s: \"format\" must be %d", path, PT_FORMAT);
		goto out;
	}
	if (parse_range(root, path, &from, &before, err) < 0)
		goto out;
	if (depth == 0) {
		t->from = from;
		t->before = before;
		from = before = NULL;
	}
	if (json_object_get(root, "device-names") &&
	    parse_naming(t, json_object_get(root, "device-names"), path, err) < 0)
		goto out;
	rules = json_object_get(root, "rules");
	if (!json_is_array(rules)) {
		mc_set_err(err, "%s: \"rules\" must be an array", path);
		goto out;
	}
	t->rules = realloc(t->rules, (t->nrules + json_array_size(rules) + 1) * sizeof(*t->rules));
	if (!t->rules)
		abort();
	json_array_foreach(rules, i, val)
	{
		if (parse_rule(val, path, i, &t->rules[t->nrules], err) < 0) {
			rule_clear(&t->rules[t->nrules]);
			goto out;
		}
		t->nrules++;
	}
	/* The extended table's rules come after this one's: the first match wins. */
	val = json_object_get(root, "extends");
	if (val) {
		char *dir, *bpath;

		base = json_string_value(val);
		if (!base || !*base || strchr(base, '/')) {
			mc_set_err(err,
				   "%s: \"extends\" must name a table file in the same directory",
				   path);
			goto out;
		}
		dir = strdup(path);
		if (strrchr(dir, '/'))
			*strrchr(dir, '/') = '\0';
		else
			strcpy(dir, ".");
		bpath = mc_strdup_printf("%s/%s", dir, base);
		free(dir);
		if (!mc_path_exists(bpath)) {
			mc_set_err(err, "%s: extends %s, which does not exist", path, bpath);
			free(bpath);
			goto out;
		}
		ret = load_rules(t, bpath, NULL, 0, depth + 1, err);
		free(bpath);
		goto out;
	}
	ret = 0;
out:
	free(from);
	free(before);
	json_decref(root);
	return ret;
}

static struct pt_table *load(const char *path, const char *text, size_t len, char **err)
{
	struct pt_table *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->path = strdup(path);
	if (load_rules(t, path, text, len, 0, err) < 0) {
		pt_free(t);
		return NULL;
	}
	if (!t->nrules) {
		mc_set_err(err, "%s: no rules", path);
		pt_free(t);
		return NULL;
	}
	return t;
}

struct pt_table *pt_load(const char *path, char **err)
{
	return load(path, NULL, 0, err);
}

struct pt_table *pt_parse(const char *path, const char *text, size_t len, char **err)
{
	return load(path, text, len, err);
}

int pt_select(const char *dir, const char *version, struct pt_table **out, char **err)
{
	struct pt_strv names = {0};
	char *chosen = NULL;
	struct dirent *de;
	size_t i;
	DIR *d;
	int ret = -1;

	*out = NULL;
	if (!version || !version_valid(version)) {
		mc_set_err(err, "QEMU version \"%s\" is not X.Y.Z", version ? version : "");
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		mc_set_err(err, "expectations directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (!fnmatch("qemu-*.json", de->d_name, 0))
			pt_strv_add(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), mc_strptr_cmp);
	for (i = 0; i < names.n; i++) {
		char *path = mc_strdup_printf("%s/%s", dir, names.v[i]), *from, *before;
		json_t *root = read_json(path, NULL, 0, err);
		bool in;

		if (!root || parse_range(root, path, &from, &before, err) < 0) {
			json_decref(root);
			free(path);
			goto out;
		}
		json_decref(root);
		in = pt_version_in(version, from, before);
		free(from);
		free(before);
		if (in && chosen) {
			mc_set_err(err, "QEMU %s is in the range of both %s and %s", version,
				   chosen, path);
			free(path);
			goto out;
		}
		if (in)
			chosen = path;
		else
			free(path);
	}
	ret = 0;
	if (chosen) {
		*out = pt_load(chosen, err);
		ret = *out ? 1 : -1;
	}
out:
	free(chosen);
	pt_strv_clear(&names);
	return ret;
}
