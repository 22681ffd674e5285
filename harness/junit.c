// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One <testsuite> per suite in the order suites first appear, one <testcase>
 * per case named exactly as on its TAP line.  XFAIL is a skipped test whose
 * message starts "XFAIL:" (GitLab and Jenkins show it skipped, not failed,
 * as the TAP line says ok); XPASS passes with an "XPASS:" line on its
 * standard output, since neither system has a verdict for it and migcheck
 * does not fail a run for it.
 */
#include "junit.h"
#include "reportdoc.h"
#include "strbuf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_prop(const char *key, const char *value, void *arg)
{
	struct strbuf *b = arg;

	sb_puts(b, "      <property name=\"");
	sb_escape(b, key);
	sb_puts(b, "\" value=\"");
	sb_escape(b, value);
	sb_puts(b, "\"/>\n");
}

/* "2026-11-20T23:14:50Z" as JUnit's zone-less timestamp (the run's clock is UTC). */
static void put_timestamp(struct strbuf *b, const char *iso)
{
	char ts[32];

	if (!iso || strlen(iso) < 19)
		return;
	memcpy(ts, iso, 19);
	ts[19] = '\0';
	sb_puts(b, " timestamp=\"");
	sb_escape(b, ts);
	sb_puts(b, "\"");
}

static double case_time(json_t *c)
{
	double t = 0;

	rd_number(c, "duration_s", &t);
	return t < 0 ? 0 : t;
}

/* Body text of a failure or error: reason, first failure, where to look. */
static void failure_body(struct strbuf *b, json_t *c)
{
	const char *reason = rd_str(c, "reason"), *failure = rd_str(c, "failure");
	json_t *diffs = rd_path(c, "oracles.ram.details.first_differences"), *d;
	size_t i;

	if (reason)
		sb_escape(b, reason);
	if (failure && (!reason || strcmp(failure, reason))) {
		sb_puts(b, "\nfirst failure: ");
		sb_escape(b, failure);
	}
	json_array_foreach(diffs, i, d)
	{
		if (i == 4)
			break;
		sb_printf(b, "\ndiffering page at GPA %s", rd_str(d, "gpa") ?: "?");
	}
	if (rd_str(c, "workdir")) {
		sb_puts(b, "\nwork directory: ");
		sb_escape(b, rd_str(c, "workdir"));
	}
}

static void repetitions_line(struct strbuf *b, json_t *c)
{
	json_t *reps = json_object_get(c, "repetitions"), *r;
	int counts[MC_NRESULTS] = {0}, k;
	size_t i;

	if (json_array_size(reps) < 2)
		return;
	json_array_foreach(reps, i, r) counts[rd_result(r)]++;
	sb_printf(b, "repetitions: %zu", json_array_size(reps));
	for (k = 0; k < MC_NRESULTS; k++)
		if (counts[k])
			sb_printf(b, " %s:%d", mc_result_name(k), counts[k]);
	sb_puts(b, "\n");
}

static void put_case(struct strbuf *b, json_t *c)
{
	enum mc_result r = rd_result(c);
	const char *reason = rd_str(c, "reason") ?: "";
	struct strbuf out = {0};

	sb_puts(b, "    <testcase name=\"");
	sb_escape(b, rd_str(c, "name") ?: "?");
	sb_puts(b, "\" classname=\"");
	sb_escape(b, rd_str(c, "suite") ?: "unknown");
	sb_printf(b, "\" time=\"%.3f\">\n", case_time(c));
	switch (r) {
	case MC_FAIL:
	case MC_ERROR:
		sb_printf(b, "      <%s message=\"", r == MC_FAIL ? "failure" : "error");
		sb_escape(b, reason);
		sb_printf(b, "\" type=\"%s\">", mc_result_name(r));
		failure_body(b, c);
		sb_printf(b, "</%s>\n", r == MC_FAIL ? "failure" : "error");
		break;
	case MC_SKIP:
		sb_puts(b, "      <skipped message=\"");
		sb_escape(b, reason);
		sb_puts(b, "\" type=\"skip\"/>\n");
		break;
	case MC_XFAIL:
		sb_puts(b, "      <skipped message=\"XFAIL: ");
		sb_escape(b, reason);
		sb_puts(b, "\" type=\"xfail\">");
		failure_body(b, c);
		sb_puts(b, "</skipped>\n");
		break;
	case MC_XPASS:
		sb_puts(&out, "XPASS: ");
		sb_escape(&out, reason);
		sb_puts(&out, "\n");
		break;
	default:
		break;
	}
	repetitions_line(&out, c);
	if (out.len) {
		sb_puts(b, "      <system-out>");
		sb_puts(b, out.s);
		sb_puts(b, "</system-out>\n");
	}
	sb_free(&out);
	sb_puts(b, "    </testcase>\n");
}

char *junit_render(json_t *report)
{
	json_t *suites = rd_suites(report), *cases = json_object_get(report, "cases"), *s, *c;
	int total[MC_NRESULTS] = {0};
	double total_time = 0;
	struct strbuf b = {0};
	const char *host = json_string_value(rd_path(report, "environment.host.hostname"));
	size_t i, j;
	int k;

	json_array_foreach(cases, i, c)
	{
		total[rd_result(c)]++;
		total_time += case_time(c);
	}
	sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	sb_printf(&b,
		  "<testsuites name=\"migcheck\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" "
		  "skipped=\"%d\" time=\"%.3f\"",
		  json_array_size(cases), total[MC_FAIL], total[MC_ERROR],
		  total[MC_SKIP] + total[MC_XFAIL], total_time);
	put_timestamp(&b, rd_str(report, "started"));
	sb_puts(&b, ">\n");
	json_array_foreach(suites, i, s)
	{
		const char *suite = json_string_value(s);
		int n[MC_NRESULTS] = {0}, count = 0;
		double t = 0;

		json_array_foreach(cases, j, c)
		{
			if (strcmp(rd_str(c, "suite") ?: "unknown", suite))
				continue;
			n[rd_result(c)]++;
			count++;
			t += case_time(c);
		}
		sb_puts(&b, "  <testsuite name=\"");
		sb_escape(&b, suite);
		sb_printf(&b,
			  "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" "
			  "time=\"%.3f\"",
			  count, n[MC_FAIL], n[MC_ERROR], n[MC_SKIP] + n[MC_XFAIL], t);
		put_timestamp(&b, rd_str(report, "started"));
		sb_puts(&b, " hostname=\"");
		sb_escape(&b, host ? host : "localhost");
		sb_printf(&b, "\" id=\"%zu\" package=\"migcheck\">\n", i);
		sb_puts(&b, "    <properties>\n");
		add_prop("run_id", rd_str(report, "run_id") ?: "", &b);
		add_prop("state", rd_str(report, "state") ?: "", &b);
		add_prop("started", rd_str(report, "started") ?: "", &b);
		for (k = 0; k < MC_NRESULTS; k++) {
			char key[32], v[16];

			snprintf(key, sizeof(key), "totals.%s", mc_result_name(k));
			snprintf(v, sizeof(v), "%d", n[k]);
			add_prop(key, v, &b);
		}
		rd_flatten(json_object_get(report, "environment"), "environment", add_prop, &b);
		if (json_is_object(json_object_get(report, "shard")))
			rd_flatten(json_object_get(report, "shard"), "shard", add_prop, &b);
		sb_puts(&b, "    </properties>\n");
		json_array_foreach(cases, j, c)
		{
			if (!strcmp(rd_str(c, "suite") ?: "unknown", suite))
				put_case(&b, c);
		}
		sb_puts(&b, "  </testsuite>\n");
	}
	sb_puts(&b, "</testsuites>\n");
	json_decref(suites);
	return sb_take(&b);
}

int junit_write(json_t *report, const char *path, char **err)
{
	char *xml = junit_render(report);
	int ret = mc_write_file_atomic(path, xml, strlen(xml), err);

	free(xml);
	return ret;
}
