// SPDX-License-Identifier: GPL-2.0-or-later
/* certify.c: the certification run and its certificate (certify.h). */
#include "certify.h"
#include "certhtml.h"
#include "certprofile.h"
#include "hostcells.h"
#include "hostdev.h"
#include "report.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One profile item over its repetitions. */
struct item_runs {
	char *name;
	struct mx_cell cell;
	char *not_applicable; /* why it does not apply, or NULL */
	json_t *runs;	      /* one object per repetition that ran it */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* {n, min, median, max, spread} over the numbers runs[].key, or null without any. */
static json_t *stats(json_t *runs, const char *key, double *median)
{
	double v[64];
	size_t n = 0, i;
	json_t *r;

	json_array_foreach(runs, i, r)
	{
		json_t *x = json_object_get(r, key);

		if (json_is_number(x) && n < 64)
			v[n++] = json_number_value(x);
	}
	if (!n)
		return json_null();
	qsort(v, n, sizeof(v[0]), cmp_double);
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return json_pack("{s:i, s:f, s:f, s:f, s:f}", "n", (int)n, "min", v[0], "median", *median,
			 "max", v[n - 1], "spread", v[n - 1] - v[0]);
}

/* metrics.<group>.<key> when it is a number, else null. */
static json_t *number_at(json_t *metrics, const char *group, const char *key)
{
	json_t *x = json_object_get(json_object_get(metrics, group), key);

	return json_is_number(x) ? json_incref(x) : json_null();
}

/* The record of `name` in a run's report, or NULL. */
static json_t *find_case(json_t *report, const char *name)
{
	json_t *c;
	size_t i;

	json_array_foreach(
	    json_object_get(report, "cases"), i,
	    c) if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name)) return c;
	return NULL;
}

static json_t *run_entry(json_t *rec, int rep, const char *report_rel)
{
	json_t *m = json_object_get(rec, "metrics"), *reason = json_object_get(rec, "reason");
	json_t *result = json_object_get(rec, "result");

	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "repetition", rep, "result",
			 result ? json_incref(result) : json_string("error"), "reason",
			 reason ? json_incref(reason) : json_null(), "downtime_ms",
			 number_at(m, "migration", "downtime_ms"), "downtime_events_ms",
			 number_at(m, "migration", "downtime_events_ms"), "guest_pause_ms",
			 number_at(m, "guest", "guest_pause_ms"), "device_state_bytes",
			 number_at(m, "migration", "vfio_transferred_bytes"), "report", report_rel);
}

/* pass, fail, known-defect, skip: the worst over the repetitions. */
static const char *verdict(json_t *runs, const char **reason)
{
	bool fail = false, xfail = false, skip = false, pass = false;
	json_t *r;
	size_t i;

	*reason = NULL;
	json_array_foreach(runs, i, r)
	{
		const char *res = json_string_value(json_object_get(r, "result")) ?: "error";
		const char *why = json_string_value(json_object_get(r, "reason"));

		if (!strcmp(res, "pass") || !strcmp(res, "xpass")) {
			pass = true;
		} else if (!strcmp(res, "xfail")) {
			xfail = true;
		} else if (!strcmp(res, "skip")) {
			skip = true;
		} else {
			if (!fail)
				*reason = why;
			fail = true;
		}
		if (!*reason && !pass && why)
			*reason = why;
	}
	if (fail)
		return "fail";
	if (xfail)
		return "known-defect";
	if (skip || !pass)
		return "skip";
	return "pass";
}

static char *iso_now(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* One item's record, and its TAP line. */
static json_t *item_record(const struct cert_profile *p, struct item_runs *it, struct tap *tap,
			   bool *failed, bool *incomplete)
{
	const struct mx_tracker_info *t = mx_tracker_info(it->cell.v[MX_TRACKER]);
	const char *why = NULL, *v;
	double dt = 0, dte = 0, pause = 0, bytes = 0;
	json_t *o, *budget = json_null();
	char *line;

	o = json_pack("{s:s, s:o}", "case", it->name, "axes", mx_cell_json(&it->cell));
	if (it->not_applicable) {
		json_object_set_new(o, "verdict", json_string("not-applicable"));
		json_object_set_new(o, "reason", json_string(it->not_applicable));
		tap_result(tap, it->name, MC_SKIP, it->not_applicable);
		return o;
	}
	v = verdict(it->runs, &why);
	json_object_set_new(o, "verdict", json_string(v));
	json_object_set_new(o, "reason", why ? json_string(why) : json_null());
	json_object_set_new(o, "runs", json_incref(it->runs));
	json_object_set_new(o, "downtime_ms", stats(it->runs, "downtime_ms", &dt));
	json_object_set_new(o, "downtime_events_ms", stats(it->runs, "downtime_events_ms", &dte));
	json_object_set_new(o, "guest_pause_ms", stats(it->runs, "guest_pause_ms", &pause));
	json_object_set_new(o, "device_state_bytes", stats(it->runs, "device_state_bytes", &bytes));
	if (!strcmp(v, "pass") && t && t->precise &&
	    json_is_object(json_object_get(o, "downtime_ms"))) {
		double most = json_number_value(
		    json_object_get(json_object_get(o, "device_state_bytes"), "max"));
		int limit = cert_budget_ms(p, (uint64_t)most);

		budget = json_pack("{s:i, s:f, s:I, s:b}", "limit_ms", limit, "median_ms", dt,
				   "device_state_bytes", (json_int_t)most, "pass", dt <= limit);
		if (dt > limit) {
			line = mc_strdup_printf("downtime median %.1f ms over the budget of %d ms "
						"for %.0f bytes of device state",
						dt, limit, most);
			json_object_set_new(o, "verdict", json_string("fail"));
			json_object_set_new(o, "reason", json_string(line));
			tap_result(tap, it->name, MC_FAIL, line);
			free(line);
			*failed = true;
			json_object_set_new(o, "budget", budget);
			return o;
		}
	}
	json_object_set_new(o, "budget", budget);
	if (!strcmp(v, "pass")) {
		tap_diag(tap,
			 "%s: %zu/%d runs pass; downtime median %.1f ms (events %.1f ms, "
			 "guest pause %.1f ms), device state %.0f bytes",
			 it->name, json_array_size(it->runs), p->repetitions, dt, dte, pause,
			 bytes);
		tap_result(tap, it->name, MC_PASS, NULL);
	} else if (!strcmp(v, "fail")) {
		tap_result(tap, it->name, MC_FAIL, why);
		*failed = true;
	} else if (!strcmp(v, "known-defect")) {
		tap_result(tap, it->name, MC_XFAIL, why);
		*incomplete = true;
	} else {
		tap_result(tap, it->name, MC_SKIP, why ? why : "did not run");
		*incomplete = true;
	}
	return o;
}

static json_t *reports_json(const char *dir, int reps)
{
	json_t *arr = json_array();
	int k;

	for (k = 1; k <= reps; k++) {
		char *rel = mc_strdup_printf("runs/rep%d/report.json", k);
		char *path = mc_strdup_printf("%s/%s", dir, rel), hex[65];

		if (sha256_file_hex(path, hex) == 0)
			json_array_append_new(arr, json_pack("{s:i, s:s, s:s}", "repetition", k,
							     "path", rel, "sha256", hex));
		free(rel);
		free(path);
	}
	return arr;
}

int certify_run(const struct mc_config *cfg, json_t *environment, json_t *invocation)
{
	const struct cert_profile *p = &cert_profile_v1;
	const struct hostdev_set *hs = hostdev_run();
	struct item_runs *items = calloc(p->nitems, sizeof(*items));
	const char **patterns = calloc(p->nitems + 1, sizeof(*patterns));
	char *id = report_new_run_id(), *dir, *path, *text, *created = iso_now(), hex[65];
	char *err = NULL;
	bool failed = false, incomplete = false, interrupted = false;
	json_t *cert, *cases = json_array(), *na = json_array(), *hj;
	struct tap tap;
	size_t i, npat = 0;
	int k, code;

	if (!items || !patterns)
		abort();
	if (!hs) {
		fprintf(stderr, "migcheck: certify needs --device host=SRC_BDF,DST_BDF\n");
		return 2;
	}
	dir = mc_strdup_printf("%s/certificates/%s", cfg->reports_dir, id);
	if (mc_mkdir_p(dir, 0755) < 0) {
		fprintf(stderr, "migcheck: cannot create %s: %s\n", dir, strerror(errno));
		return 2;
	}
	for (i = 0; i < p->nitems; i++) {
		items[i].name = cert_item_case(&p->items[i]);
		cert_item_cell(&p->items[i], &items[i].cell);
		items[i].runs = json_array();
		if (!hostcells_applies(&items[i].cell, hs, &items[i].not_applicable))
			continue;
		patterns[npat++] = items[i].name;
	}
	tap_begin(&tap, stdout, (int)p->nitems);
	tap_diag(&tap,
		 "migcheck certify %s: profile %s version %d, %d repetitions, %zu case(s) "
		 "apply; work in %s",
		 id, p->name, p->version, p->repetitions, npat, dir);
	if (hs->emulated)
		tap_diag(&tap, "host emulation: the VFIO mock answers for the kernel; the devices "
			       "are the mock's, not hardware");
	for (k = 1; k <= p->repetitions && npat && !interrupted; k++) {
		struct mc_config rc = *cfg;
		struct mc_selection sel = {.patterns = patterns};
		char *tap_path = mc_strdup_printf("%s/rep%d.tap", dir, k);
		char *run_id = mc_strdup_printf("rep%d", k);
		FILE *f = fopen(tap_path, "w");
		json_t *report;

		rc.reports_dir = dir;
		rc.run_id = run_id;
		rc.tap_out = f;
		tap_diag(&tap, "repetition %d of %d (TAP: %s)", k, p->repetitions, tap_path);
		fflush(stdout);
		interrupted = mc_run(&rc, &sel, json_deep_copy(environment),
				     json_deep_copy(invocation)) == 130;
		if (f)
			fclose(f);
		path = mc_strdup_printf("%s/runs/%s/report.json", dir, run_id);
		report = json_load_file(path, 0, NULL);
		free(path);
		for (i = 0; i < p->nitems; i++) {
			json_t *rec = report ? find_case(report, items[i].name) : NULL;
			char *rel = mc_strdup_printf("runs/%s/report.json", run_id);

			if (rec)
				json_array_append_new(items[i].runs, run_entry(rec, k, rel));
			free(rel);
		}
		json_decref(report);
		free(tap_path);
		free(run_id);
	}
	for (i = 0; i < p->nitems; i++) {
		json_array_append_new(cases, item_record(p, &items[i], &tap, &failed, &incomplete));
		if (items[i].not_applicable)
			json_array_append_new(na, json_pack("{s:s, s:s}", "case", items[i].name,
							    "reason", items[i].not_applicable));
	}
	if (!npat || interrupted)
		incomplete = true;
	hj = hostdev_json(hs);
	cert = json_pack(
	    "{s:s, s:i, s:s, s:s, s:s, s:o, s:s, s:o, s:O*, s:O*, s:O*, s:o, s:o, s:o, s:o, "
	    "s:s, s:o, s:{s:[s, s], s:s}}",
	    "schema", MC_CERT_SCHEMA, "schema_version", MC_CERT_SCHEMA_VERSION, "id", id, "created",
	    created, "migcheck_version", MIGCHECK_VERSION, "profile", cert_profile_json(p),
	    "vfio_provider",
	    hs->emulated ? "vfiomock host emulation: the VFIO mock answered for the kernel"
			 : "kernel",
	    "emulated", json_boolean(hs->emulated), "host", json_object_get(environment, "host"),
	    "qemu", json_object_get(environment, "qemu"), "guest",
	    json_object_get(environment, "guest"), "devices",
	    json_incref(json_object_get(hj, "devices")), "cases", cases, "not_applicable", na,
	    "not_generated", hostcells_not_generated_json(), "result",
	    failed	 ? "fail"
	    : incomplete ? "incomplete"
			 : "pass",
	    "reports", reports_json(dir, p->repetitions), "forms", "written", "json", "html",
	    "html",
	    "certificate.html: the same certificate as a page; the JSON is the one to quote");
	json_decref(hj);
	text = json_dumps(cert, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	path = mc_strdup_printf("%s/certificate.json", dir);
	if (!text || mc_write_file_atomic(path, text, strlen(text), &err) < 0) {
		tap_diag(&tap, "cannot write %s: %s", path, err ? err : "out of memory");
		code = 2;
	} else {
		char *sum = mc_strdup_printf("%s/certificate.sha256", dir);
		char *line;

		sha256_hex(text, strlen(text), hex);
		line = mc_strdup_printf("%s  certificate.json\n", hex);
		mc_write_file_atomic(sum, line, strlen(line), NULL);
		{
			char *page = cert_html(cert, hex), *hpath;

			hpath = mc_strdup_printf("%s/certificate.html", dir);
			if (mc_write_file_atomic(hpath, page, strlen(page), &err) < 0)
				tap_diag(&tap, "cannot write %s: %s", hpath, err);
			free(hpath);
			free(page);
		}
		tap_diag(&tap, "certificate: %s (%s)", path,
			 failed	      ? "fail"
			 : incomplete ? "incomplete"
				      : "pass");
		tap_diag(&tap, "sha256: %s", hex);
		free(line);
		free(sum);
		code = interrupted ? 130 : failed ? 1 : incomplete ? 4 : 0;
	}
	tap_totals(&tap);
	free(path);
	free(text);
	free(err);
	json_decref(cert);
	for (i = 0; i < p->nitems; i++) {
		free(items[i].name);
		free(items[i].not_applicable);
		json_decref(items[i].runs);
	}
	free(items);
	free(patterns);
	free(created);
	free(dir);
	free(id);
	return code;
}
