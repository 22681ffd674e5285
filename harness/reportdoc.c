// SPDX-License-Identifier: GPL-2.0-or-later
#include "reportdoc.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_t *rd_load(const char *path, char **dir_out, char **err)
{
	struct stat st;
	char *file, *dir, *slash;
	json_error_t jerr;
	json_t *doc, *v;

	if (stat(path, &st) < 0) {
		mc_set_err(err, "%s: no such report or run directory", path);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		file = mc_strdup_printf("%s/report.json", path);
		dir = strdup(path);
	} else {
		file = strdup(path);
		dir = strdup(path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(dir, ".");
	}
	doc = json_load_file(file, 0, &jerr);
	if (!doc) {
		mc_set_err(err, "%s: %s (line %d)", file, jerr.text, jerr.line);
		goto fail;
	}
	v = json_object_get(doc, "schema_version");
	if (!json_is_object(doc) || strcmp(rd_str(doc, "schema") ?: "", MC_REPORT_SCHEMA)) {
		mc_set_err(err, "%s: not a migcheck report (schema is not \"%s\")", file,
			   MC_REPORT_SCHEMA);
		goto fail;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > MC_REPORT_SCHEMA_VERSION) {
		mc_set_err(err,
			   "%s: report schema version %lld is not one this migcheck reads (1-%d)",
			   file, json_is_integer(v) ? (long long)json_integer_value(v) : -1LL,
			   MC_REPORT_SCHEMA_VERSION);
		goto fail;
	}
	if (!json_is_array(json_object_get(doc, "cases"))) {
		mc_set_err(err, "%s: the report has no cases array", file);
		goto fail;
	}
	free(file);
	if (dir_out)
		*dir_out = dir;
	else
		free(dir);
	return doc;
fail:
	json_decref(doc);
	free(file);
	free(dir);
	return NULL;
}

enum mc_result rd_result(json_t *c)
{
	int r = mc_result_parse(rd_str(c, "result"));

	return r < 0 ? MC_ERROR : (enum mc_result)r;
}

const char *rd_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_t *rd_path(json_t *obj, const char *path)
{
	char *copy = strdup(path), *tok, *save = NULL;

	if (!copy)
		abort();
	for (tok = strtok_r(copy, ".", &save); tok && obj; tok = strtok_r(NULL, ".", &save))
		obj = json_object_get(obj, tok);
	free(copy);
	return obj;
}

bool rd_number(json_t *obj, const char *path, double *out)
{
	json_t *v = rd_path(obj, path);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

static char *scalar_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return strdup(json_string_value(v));
	case JSON_INTEGER:
		return mc_strdup_printf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return mc_strdup_printf("%g", json_real_value(v));
	case JSON_TRUE:
		return strdup("true");
	case JSON_FALSE:
		return strdup("false");
	case JSON_NULL:
		return strdup("");
	default:
		return NULL;
	}
}

void rd_flatten(json_t *obj, const char *prefix,
		void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		char *key = prefix && *prefix ? mc_strdup_printf("%s.%s", prefix, k) : strdup(k);

		if (json_is_object(v)) {
			rd_flatten(v, key, fn, arg);
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;
			char *joined = strdup("");

			json_array_foreach(v, i, e)
			{
				char *t = scalar_text(e), *n;

				n = mc_strdup_printf("%s%s%s", joined, i ? " " : "", t ? t : "?");
				free(joined);
				free(t);
				joined = n;
			}
			fn(key, joined, arg);
			free(joined);
		} else {
			char *t = scalar_text(v);

			fn(key, t ? t : "", arg);
			free(t);
		}
		free(key);
	}
}

json_t *rd_suites(json_t *report)
{
	json_t *out = json_array(), *c, *s;
	size_t i, j;

	json_array_foreach(json_object_get(report, "cases"), i, c)
	{
		const char *name = rd_str(c, "suite") ?: "unknown";
		bool seen = false;

		json_array_foreach(out, j, s)
		{
			if (!strcmp(json_string_value(s), name))
				seen = true;
		}
		if (!seen)
			json_array_append_new(out, json_string(name));
	}
	return out;
}

char *rd_qemu_release(json_t *report)
{
	const char *line = json_string_value(rd_path(report, "environment.qemu.version_line"));
	const char *p;
	int major, minor;

	if (!line)
		return NULL;
	p = strstr(line, "version ");
	if (!p || sscanf(p + 8, "%d.%d", &major, &minor) != 2)
		return NULL;
	return mc_strdup_printf("%d.%d", major, minor);
}
