// SPDX-License-Identifier: GPL-2.0-or-later
#include "report.h"
#include "html.h"
#include "junit.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/*
 * A rewrite renders the whole report three times (JSON, JUnit, HTML), which
 * for a run of a thousand cases costs about half a second of CPU taken from
 * the cases.  Up to this many cases the files follow every case; beyond, a
 * case rewrites them only once REPORT_REWRITE_SPACING times the last
 * rewrite's cost has passed since it (every 10-20 s near the end of the
 * whole matrix), so rewriting takes at most a few per cent of the run.
 */
#define REPORT_ALWAYS_REWRITE_CASES 100
#define REPORT_REWRITE_SPACING 25

bool report_rewrite_due(size_t ncases, double since_last_s, double last_cost_s)
{
	return ncases <= REPORT_ALWAYS_REWRITE_CASES ||
	       since_last_s >= REPORT_REWRITE_SPACING * last_cost_s;
}

struct report {
	char *dir;
	char *path;
	char *latest;
	json_t *doc;
	double written_at; /* when the last rewrite ended (mc_now_s) */
	double write_cost; /* how long it took */
};

static char *iso_now(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

char *report_new_run_id(void)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
	return mc_strdup_printf("%s-%d", buf, (int)getpid());
}

static void update_totals(json_t *doc)
{
	json_t *totals = json_object(), *c;
	int counts[MC_NRESULTS] = {0};
	size_t i;
	int k;

	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		k = mc_result_parse(json_string_value(json_object_get(c, "result")));
		counts[k < 0 ? MC_ERROR : k]++;
	}
	for (k = 0; k < MC_NRESULTS; k++)
		json_object_set_new(totals, mc_result_name(k), json_integer(counts[k]));
	json_object_set_new(doc, "totals", totals);
}

int report_write_files(json_t *doc, const char *dir, char **err)
{
	char *text, *path;
	int ret;

	update_totals(doc);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		mc_set_err(err, "cannot serialise the report");
		return -1;
	}
	path = mc_strdup_printf("%s/report.json", dir);
	ret = mc_write_file_atomic(path, text, strlen(text), err);
	free(path);
	free(text);
	if (ret)
		return ret;
	/* Both are rendered from the document just written, never ahead of it. */
	path = mc_strdup_printf("%s/report.xml", dir);
	ret = junit_write(doc, path, err);
	free(path);
	if (ret)
		return ret;
	path = mc_strdup_printf("%s/report.html", dir);
	ret = html_write(doc, dir, path, err);
	free(path);
	return ret;
}

static int write_doc(struct report *r, char **err)
{
	double t0 = mc_now_s();
	char *tmp;
	int ret;

	ret = report_write_files(r->doc, r->dir, err);
	r->written_at = mc_now_s();
	r->write_cost = r->written_at - t0;
	if (!ret) {
		/* Swap the symlink atomically too. */
		const char *base = strrchr(r->dir, '/');

		char *target = mc_strdup_printf("runs%s", base);

		tmp = mc_strdup_printf("%s.tmp.%d", r->latest, (int)getpid());
		unlink(tmp);
		if (symlink(target, tmp) == 0 && rename(tmp, r->latest) < 0)
			unlink(tmp);
		free(target);
		free(tmp);
	}
	return ret;
}

/*
 * A run writes its cases' consoles and transcripts next to the report:
 * refuse to start one on a file system that is (nearly) full, before any
 * case runs, rather than fail in the middle.
 */
static bool enough_space(const char *dir, char **err)
{
	struct statvfs st;
	unsigned long long avail;

	if (statvfs(dir, &st) < 0)
		return true; /* nothing to say: writing will tell */
	avail = (unsigned long long)st.f_bavail * st.f_frsize;
	/* Some file systems count no inodes (f_files 0): only bytes then. */
	if (avail >= MC_REPORT_MIN_FREE && (!st.f_files || st.f_favail >= 64))
		return true;
	mc_set_err(err,
		   "reports directory %s: only %llu KiB and %lu inodes free on its file "
		   "system; a run needs at least %u MiB",
		   dir, avail >> 10, (unsigned long)st.f_favail, MC_REPORT_MIN_FREE >> 20);
	return false;
}

struct report *report_open(const char *reports_dir, const char *run_id, json_t *environment,
			   json_t *invocation, char **err)
{
	struct report *r = calloc(1, sizeof(*r));
	char *now = iso_now();

	if (!r)
		abort();
	r->dir = mc_strdup_printf("%s/runs/%s", reports_dir, run_id);
	r->path = mc_strdup_printf("%s/report.json", r->dir);
	r->latest = mc_strdup_printf("%s/latest", reports_dir);
	if (mc_mkdir_p(r->dir, 0755) < 0 || !enough_space(r->dir, err)) {
		mc_set_err(err, "cannot create %s: %s", r->dir, strerror(errno));
		rmdir(r->dir);
		free(now);
		json_decref(environment);
		json_decref(invocation);
		report_close(r);
		return NULL;
	}
	r->doc =
	    json_pack("{s:s, s:i, s:s, s:s, s:n, s:s, s:o, s:o, s:i, s:{}, s:[]}", "schema",
		      MC_REPORT_SCHEMA, "schema_version", MC_REPORT_SCHEMA_VERSION, "run_id",
		      run_id, "started", now, "finished", "state", "running", "invocation",
		      invocation ? invocation : json_object(), "environment",
		      environment ? environment : json_object(), "repeat", 1, "totals", "cases");
	free(now);
	if (write_doc(r, err) < 0) {
		report_close(r);
		return NULL;
	}
	return r;
}

const char *report_run_dir(const struct report *r)
{
	return r->dir;
}

const char *report_path(const struct report *r)
{
	return r->path;
}

void report_set(struct report *r, const char *key, json_t *value)
{
	json_object_set_new(r->doc, key, value);
}

int report_add_case(struct report *r, json_t *record, char **err)
{
	json_t *cases = json_object_get(r->doc, "cases");

	json_array_append_new(cases, record);
	if (!report_rewrite_due(json_array_size(cases), mc_now_s() - r->written_at, r->write_cost))
		return 0;
	return write_doc(r, err);
}

int report_finish(struct report *r, const char *state, char **err)
{
	char *now = iso_now();

	json_object_set_new(r->doc, "finished", json_string(now));
	free(now);
	json_object_set_new(r->doc, "state", json_string(state));
	return write_doc(r, err);
}

void report_close(struct report *r)
{
	if (!r)
		return;
	json_decref(r->doc);
	free(r->dir);
	free(r->path);
	free(r->latest);
	free(r);
}
