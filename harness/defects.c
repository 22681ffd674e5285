// SPDX-License-Identifier: GPL-2.0-or-later
#include "defects.h"
#include "qemuid.h"
#include "runner.h"
#include "util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *expectations_dir(const char *given)
{
	const char *env = getenv("MIGCHECK_EXPECTATIONS");

	if (given && *given)
		return given;
	return env && *env ? env : MIGCHECK_EXPECTATIONS_DIR;
}

char *defects_path(const char *given_dir)
{
	char *p;

	if (asprintf(&p, "%s/defects.json", expectations_dir(given_dir)) < 0)
		abort();
	return p;
}

static void set_err(char **err, const char *fmt, const char *a, const char *b)
{
	if (err && !*err && asprintf(err, fmt, a, b) < 0)
		abort();
}

/* Checks a parsed file (root is consumed); NULL with *err naming @path. */
static json_t *defects_check(json_t *root, const json_error_t *je, const char *path, char **err)
{
	json_t *d;
	size_t i;

	if (!root) {
		set_err(err, "%s: %s", path, je->text);
		return NULL;
	}
	if (json_integer_value(json_object_get(root, "version")) != 1 ||
	    !json_is_array(json_object_get(root, "defects"))) {
		set_err(err, "%s: %s", path, "want {\"version\": 1, \"defects\": [...]}");
		json_decref(root);
		return NULL;
	}
	json_array_foreach(json_object_get(root, "defects"), i, d)
	{
		const json_t *sig = json_object_get(d, "signature");

		const json_t *pat = json_object_get(sig, "pattern");

		if (!json_is_string(json_object_get(d, "id")) ||
		    !json_is_array(json_object_get(d, "cases")) || !json_is_object(sig) ||
		    (!json_is_string(json_object_get(sig, "stderr")) && !json_is_string(pat) &&
		     !json_array_size(pat))) {
			set_err(err, "%s: %s", path,
				"every defect needs id, cases[] and a signature with stderr or "
				"pattern");
			json_decref(root);
			return NULL;
		}
		if (json_object_get(d, "intermittent") &&
		    !json_is_boolean(json_object_get(d, "intermittent"))) {
			set_err(err, "%s: %s", path, "\"intermittent\" must be true or false");
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

json_t *defects_load(const char *path, char **err)
{
	json_error_t je;

	return defects_check(json_load_file(path, 0, &je), &je, path, err);
}

json_t *defects_parse(const char *name, const char *text, size_t len, char **err)
{
	json_error_t je;

	return defects_check(json_loadb(text, len, 0, &je), &je, name, err);
}

static int parse_version(const char *s, int v[3])
{
	v[0] = v[1] = v[2] = 0;
	return s && sscanf(s, "%d.%d.%d", &v[0], &v[1], &v[2]) >= 2 ? 0 : -1;
}

bool defects_version_in(const char *version, const char *from, const char *before)
{
	int v[3];

	/* Unparsable versions and bounds match nothing. */
	if (parse_version(version, v) < 0)
		return false;
	if (from && (parse_version(from, v) < 0 || mc_version_cmp(version, from) < 0))
		return false;
	if (before && (parse_version(before, v) < 0 || mc_version_cmp(version, before) >= 0))
		return false;
	return true;
}

static bool affects(const json_t *d, const char *case_name, const char *version)
{
	const json_t *q = json_object_get(d, "qemu"), *g;
	char release[32];
	size_t j;

	/* Ranges are in releases: a development build is the release it leads to. */
	if (qemuid_release_of(version, release, sizeof(release)) < 0)
		return false;
	if (!defects_version_in(release, json_string_value(json_object_get(q, "from")),
				json_string_value(json_object_get(q, "before"))))
		return false;
	json_array_foreach(json_object_get(d, "cases"), j, g)
	{
		if (json_is_string(g) && !fnmatch(json_string_value(g), case_name, 0))
			return true;
	}
	return false;
}

const json_t *defect_find(const json_t *defects, const char *case_name, const char *version,
			  const struct defect_observation *o)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(defects, "defects"), i, d)
	{
		if (affects(d, case_name, version) && defect_matches(d, o))
			return d;
	}
	return NULL;
}

const json_t *defect_lookup(const json_t *defects, const char *case_name, const char *version)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(defects, "defects"), i, d)
	{
		if (affects(d, case_name, version))
			return d;
	}
	return NULL;
}

static bool observed(const struct defect_observation *o, const char *pattern)
{
	const char *const *p;

	if (o->pattern && !strcmp(pattern, o->pattern))
		return true;
	for (p = o->patterns; p && *p; p++)
		if (!strcmp(pattern, *p))
			return true;
	return false;
}

bool defect_matches(const json_t *defect, const struct defect_observation *o)
{
	const json_t *sig = json_object_get(defect, "signature");
	const char *text = json_string_value(json_object_get(sig, "stderr"));
	const json_t *pat = json_object_get(sig, "pattern"), *v;
	/* A pattern is a crash's signature only when the defect says so. */
	bool crash = json_is_true(json_object_get(sig, "crashed"));
	size_t i;

	if (text)
		return o->crashed && o->stderr_tail && strstr(o->stderr_tail, text);
	if (o->crashed != crash)
		return false;
	if (json_is_string(pat))
		return observed(o, json_string_value(pat));
	/* A list: the defect shows as any one of them. */
	json_array_foreach(pat, i, v)
	{
		if (json_is_string(v) && observed(o, json_string_value(v)))
			return true;
	}
	return false;
}

const char *defect_id(const json_t *defect)
{
	return json_string_value(json_object_get(defect, "id")) ?: "?";
}

const char *defect_title(const json_t *defect)
{
	return json_string_value(json_object_get(defect, "title")) ?: "";
}

void defects_decide(struct mc_case *c, const char *version, const struct defect_observation *o)
{
	const struct mc_config *cfg = mc_case_config(c);
	const char *name = mc_case_name(c);
	const json_t *expected, *seen;
	char *err = NULL, *path = defects_path(cfg ? cfg->expectations_dir : NULL);
	json_t *defects = defects_load(path, &err);

	free(path);
	if (!defects) {
		mc_case_error(c, "known defects: %s", err);
		free(err);
		return;
	}
	expected = defect_lookup(defects, name, version);
	if (mc_case_failed(c)) {
		seen = defect_find(defects, name, version, o);
		if (seen)
			mc_case_expect_fail(c, "known QEMU %s defect %s: %s; observed: %s", version,
					    defect_id(seen), defect_title(seen),
					    o->what ? o->what : "?");
		else if (expected)
			mc_case_log(c,
				    "QEMU %s is known for %s here, but this failure is something "
				    "else",
				    version, defect_id(expected));
	} else if (expected && json_is_true(json_object_get(expected, "intermittent"))) {
		/* A race that did not show this time proves nothing fixed. */
		mc_case_log(c, "QEMU %s has the intermittent defect %s here; it did not show",
			    version, defect_id(expected));
	} else if (expected && o && o->inconclusive) {
		mc_case_skip(c, "known QEMU %s defect %s could not show this time: %s", version,
			     defect_id(expected), o->inconclusive);
	} else if (expected) {
		mc_case_expect_fail(c, "known QEMU %s defect %s did not show: %s", version,
				    defect_id(expected), defect_title(expected));
	}
	json_decref(defects);
}
