// SPDX-License-Identifier: GPL-2.0-or-later
#include "merge.h"
#include "report.h"
#include "reportdoc.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* to, relative to the directory from (both existing paths). */
static char *relative_to(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX], *out;
	size_t common = 0, i;
	const char *rest;
	int ups = 0;

	if (!realpath(from, a) || !realpath(to, b))
		return strdup(to);
	for (i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!a[i] && (b[i] == '/' || !b[i]))
		common = i;
	rest = b[common] == '/' ? b + common + 1 : b + common;
	for (i = common; a[i]; i++)
		ups += a[i] == '/';
	out = strdup("");
	while (ups--) {
		char *n = mc_strdup_printf("%s../", out);

		free(out);
		out = n;
	}
	{
		char *n = mc_strdup_printf("%s%s", out, rest);

		free(out);
		out = *n ? n : (free(n), strdup("."));
	}
	return out;
}

static long long int_of(json_t *o, const char *path)
{
	return json_integer_value(rd_path(o, path));
}

/* Shards must come from one plan, each once, all of them. */
static int check_shards(json_t *const *reports, int n, char **err)
{
	json_t *first = json_object_get(reports[0], "shard");
	long long count = int_of(reports[0], "shard.count");
	char *seen;
	int i;

	if (!json_is_object(first)) {
		for (i = 1; i < n; i++)
			if (json_is_object(json_object_get(reports[i], "shard"))) {
				mc_set_err(err, "report %d is a shard and report 1 is not", i + 1);
				return -1;
			}
		return 0;
	}
	seen = calloc(count + 1, 1);
	if (!seen)
		abort();
	for (i = 0; i < n; i++) {
		json_t *s = json_object_get(reports[i], "shard");
		long long k = int_of(reports[i], "shard.index");

		if (!json_is_object(s) || int_of(reports[i], "shard.count") != count ||
		    !json_equal(json_object_get(s, "plan"), json_object_get(first, "plan"))) {
			mc_set_err(err,
				   "report %d is not a shard of the same plan as report 1 (shard "
				   "count, selection or durations differ)",
				   i + 1);
			goto fail;
		}
		if (k < 1 || k > count || seen[k]) {
			mc_set_err(err, "shard %lld of %lld is given twice", k, count);
			goto fail;
		}
		seen[k] = 1;
	}
	for (i = 1; i <= count; i++)
		if (!seen[i]) {
			mc_set_err(err, "shard %d of %lld is missing", i, count);
			goto fail;
		}
	free(seen);
	return 0;
fail:
	free(seen);
	return -1;
}

static int by_order(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "order"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "order"));

	return x < y ? -1 : x > y;
}

json_t *merge_reports(json_t *const *reports, const char *const *dirs, int n, const char *out_dir,
		      char **err)
{
	const char *qemu = json_string_value(rd_path(reports[0], "environment.qemu.version_line"));
	json_t *doc, *cases = json_array(), *names = json_object(), *from = json_array(), *c;
	json_t **list;
	const char *started = NULL, *finished = NULL, *state = "finished";
	size_t i, total = 0;
	bool ordered = true;
	char *base;
	int r;

	if (check_shards(reports, n, err) < 0)
		goto fail;
	for (r = 0; r < n; r++) {
		const char *q =
		    json_string_value(rd_path(reports[r], "environment.qemu.version_line"));
		const char *s = rd_str(reports[r], "started"), *f = rd_str(reports[r], "finished");
		const char *st = rd_str(reports[r], "state") ?: "running";
		char *rel = relative_to(out_dir, dirs[r]);

		if (strcmp(q ?: "", qemu ?: "")) {
			mc_set_err(err, "report %d ran %s, report 1 ran %s", r + 1, q ?: "?",
				   qemu ?: "?");
			free(rel);
			goto fail;
		}
		if (int_of(reports[r], "repeat") != int_of(reports[0], "repeat")) {
			mc_set_err(err, "report %d repeated its cases %lld times, report 1 %lld",
				   r + 1, int_of(reports[r], "repeat"),
				   int_of(reports[0], "repeat"));
			free(rel);
			goto fail;
		}
		if (s && (!started || strcmp(s, started) < 0))
			started = s;
		if (f && (!finished || strcmp(f, finished) > 0))
			finished = f;
		if (strcmp(st, "finished") && strcmp(state, "interrupted"))
			state = st;
		json_array_append_new(from,
				      json_pack("{s:s, s:s, s:O*}", "run_id",
						rd_str(reports[r], "run_id") ?: "?", "dir", rel,
						"shard", json_object_get(reports[r], "shard")));
		json_array_foreach(json_object_get(reports[r], "cases"), i, c)
		{
			const char *name = rd_str(c, "name") ?: "?";
			json_t *copy = json_deep_copy(c);
			const char *wd = rd_str(c, "workdir");

			if (json_object_get(names, name)) {
				mc_set_err(err, "case %s is in report %d and report %lld", name,
					   r + 1, json_integer_value(json_object_get(names, name)));
				json_decref(copy);
				free(rel);
				goto fail;
			}
			json_object_set_new(names, name, json_integer(r + 1));
			ordered &= json_is_integer(json_object_get(c, "order"));
			if (wd) {
				char *w = strcmp(rel, ".") ? mc_strdup_printf("%s/%s", rel, wd)
							   : strdup(wd);

				json_object_set_new(copy, "workdir", json_string(w));
				free(w);
			}
			json_array_append_new(cases, copy);
		}
		free(rel);
	}
	/* A single run's order: the position each case had in the whole selection. */
	total = json_array_size(cases);
	list = calloc(total + 1, sizeof(*list));
	if (!list)
		abort();
	json_array_foreach(cases, i, c) list[i] = json_incref(c);
	if (ordered)
		qsort(list, total, sizeof(*list), by_order);
	json_array_clear(cases);
	for (i = 0; i < total; i++)
		json_array_append_new(cases, list[i]);
	free(list);

	base = strrchr(out_dir, '/') ? strdup(strrchr(out_dir, '/') + 1) : strdup(out_dir);
	doc = json_pack("{s:s, s:i, s:s, s:s*, s:s*, s:s, s:O, s:O, s:I, s:o, s:{}, s:o}", "schema",
			MC_REPORT_SCHEMA, "schema_version", MC_REPORT_SCHEMA_VERSION, "run_id",
			base, "started", started, "finished", finished, "state", state,
			"invocation", json_object_get(reports[0], "invocation"), "environment",
			json_object_get(reports[0], "environment"), "repeat",
			(json_int_t)(int_of(reports[0], "repeat") ?: 1), "merged_from", from,
			"totals", "cases", cases);
	free(base);
	json_decref(names);
	return doc;
fail:
	json_decref(cases);
	json_decref(names);
	json_decref(from);
	return NULL;
}

int merge_main(const char *out_dir, const char *const *paths, int n, FILE *tap_out)
{
	json_t **reports = calloc(n, sizeof(*reports)), *doc = NULL, *c;
	char **dirs = calloc(n, sizeof(*dirs)), *err = NULL;
	struct tap tap;
	int i, ret = 2;
	size_t k;

	if (!reports || !dirs)
		abort();
	for (i = 0; i < n; i++) {
		reports[i] = rd_load(paths[i], &dirs[i], &err);
		if (!reports[i])
			goto out;
	}
	if (mc_mkdir_p(out_dir, 0755) < 0) {
		mc_set_err(&err, "cannot create %s: %s", out_dir, strerror(errno));
		goto out;
	}
	doc = merge_reports(reports, (const char *const *)dirs, n, out_dir, &err);
	if (!doc || report_write_files(doc, out_dir, &err) < 0)
		goto out;
	tap_begin(&tap, tap_out, (int)json_array_size(json_object_get(doc, "cases")));
	tap_diag(&tap, "migcheck merge of %d reports: %s/report.json", n, out_dir);
	json_array_foreach(json_object_get(doc, "cases"), k, c)
	    tap_result(&tap, rd_str(c, "name") ?: "?", rd_result(c), rd_str(c, "reason"));
	tap_totals(&tap);
	ret = tap_exit_code(&tap);
out:
	if (err)
		fprintf(stderr, "migcheck: merge: %s\n", err);
	free(err);
	for (i = 0; i < n; i++) {
		json_decref(reports[i]);
		free(dirs[i]);
	}
	free(reports);
	free(dirs);
	json_decref(doc);
	return ret;
}
