// SPDX-License-Identifier: GPL-2.0-or-later
#include "runner.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct mc_test **registry;
static size_t nregistry, registry_cap;

void mc_register_tests(const struct mc_test *tests, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (nregistry == registry_cap) {
			registry_cap = registry_cap ? registry_cap * 2 : 64;
			registry = realloc(registry, registry_cap * sizeof(*registry));
			if (!registry)
				abort();
		}
		registry[nregistry++] = &tests[i];
	}
}

size_t mc_test_count(void)
{
	return nregistry;
}

const struct mc_test *mc_test_at(size_t i)
{
	return i < nregistry ? registry[i] : NULL;
}

const char *mc_test_name(const struct mc_test *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s.%s", t->fixture, t->variant, t->test);
	return buf;
}

static bool pattern_selects(const char *pat, const struct mc_test *t)
{
	char name[256];

	if (!strcmp(pat, t->suite))
		return true;
	return !fnmatch(pat, mc_test_name(t, name, sizeof(name)), 0);
}

/* "tracker=device-*" against the test's "tracker=device-log". */
static bool axis_matches(const struct mc_test *t, const char *filter)
{
	const char *eq = strchr(filter, '=');
	size_t klen = eq ? (size_t)(eq - filter) : strlen(filter);
	int i;

	for (i = 0; eq && t->axes && t->axes[i]; i++)
		if (!strncmp(t->axes[i], filter, klen) && t->axes[i][klen] == '=')
			return !fnmatch(eq + 1, t->axes[i] + klen + 1, 0);
	return false;
}

bool mc_test_selected(const struct mc_test *t, const struct mc_selection *sel)
{
	bool any = !sel->patterns || !sel->patterns[0];
	int i;

	for (i = 0; !any && sel->patterns[i]; i++)
		any = pattern_selects(sel->patterns[i], t);
	if (!any)
		return false;
	if (sel->fixture && fnmatch(sel->fixture, t->fixture, 0))
		return false;
	if (sel->variant && fnmatch(sel->variant, t->variant, 0))
		return false;
	if (sel->test && fnmatch(sel->test, t->test, 0))
		return false;
	for (i = 0; sel->axis_filters && sel->axis_filters[i]; i++)
		if (!axis_matches(t, sel->axis_filters[i]))
			return false;
	return true;
}

const char *mc_selection_unmatched(const struct mc_selection *sel)
{
	size_t i;
	int p;

	for (p = 0; sel->patterns && sel->patterns[p]; p++) {
		bool hit = false;

		for (i = 0; i < nregistry && !hit; i++)
			hit = pattern_selects(sel->patterns[p], registry[i]);
		if (!hit)
			return sel->patterns[p];
	}
	return NULL;
}

/* ---------------- the case context (lives in the child) ---------------- */

struct mc_case {
	const struct mc_config *cfg;
	const struct mc_test *test;
	char *name;
	char *workdir;
	json_t *record;
	char *fail_reason;
	char *skip_reason;
	char *error_reason;
	char *xfail_reason;
	FILE *log;
};

const struct mc_config *mc_case_config(struct mc_case *c)
{
	return c->cfg;
}

const char *mc_case_workdir(struct mc_case *c)
{
	return c->workdir;
}

const char *mc_case_name(struct mc_case *c)
{
	return c->name;
}

void mc_case_log(struct mc_case *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->log)
		return;
	fprintf(c->log, "%.3f ", mc_now_s());
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
	fflush(c->log);
}

#define SET_REASON(field, fmt)                                                                     \
	do {                                                                                       \
		va_list ap;                                                                        \
		char *msg;                                                                         \
		va_start(ap, fmt);                                                                 \
		msg = mc_strdup_vprintf(fmt, ap);                                                  \
		va_end(ap);                                                                        \
		mc_case_log(c, "%s: %s", #field, msg);                                             \
		if (!c->field)                                                                     \
			c->field = msg;                                                            \
		else                                                                               \
			free(msg);                                                                 \
	} while (0)

void mc_case_fail(struct mc_case *c, const char *fmt, ...)
{
	SET_REASON(fail_reason, fmt);
}

void mc_case_skip(struct mc_case *c, const char *fmt, ...)
{
	SET_REASON(skip_reason, fmt);
}

void mc_case_error(struct mc_case *c, const char *fmt, ...)
{
	SET_REASON(error_reason, fmt);
}

void mc_case_expect_fail(struct mc_case *c, const char *fmt, ...)
{
	SET_REASON(xfail_reason, fmt);
}

bool mc_case_failed(const struct mc_case *c)
{
	return c->fail_reason || c->error_reason;
}

void mc_case_phase(struct mc_case *c, const char *phase, double seconds)
{
	json_object_set_new(json_object_get(c->record, "phases"), phase, json_real(seconds));
}

json_t *mc_case_metrics(struct mc_case *c)
{
	return json_object_get(c->record, "metrics");
}

void mc_case_set(struct mc_case *c, const char *key, json_t *value)
{
	json_object_set_new(c->record, key, value);
}

void mc_case_oracle(struct mc_case *c, const char *name, bool pass, const char *summary,
		    json_t *details)
{
	json_t *o = json_pack("{s:b, s:s}", "pass", pass, "summary", summary ? summary : "");

	if (details)
		json_object_set_new(o, "details", details);
	json_object_set_new(json_object_get(c->record, "oracles"), name, o);
	if (!pass)
		mc_case_fail(c, "%s oracle: %s", name, summary ? summary : "failed");
	mc_case_checkpoint(c);
}

static void finalize(struct mc_case *c)
{
	enum mc_result r;
	const char *reason = NULL;

	if (c->error_reason) {
		r = MC_ERROR;
		reason = c->error_reason;
	} else if (c->skip_reason && !c->fail_reason) {
		r = MC_SKIP;
		reason = c->skip_reason;
	} else if (c->fail_reason) {
		r = c->xfail_reason ? MC_XFAIL : MC_FAIL;
		reason = c->xfail_reason ? c->xfail_reason : c->fail_reason;
	} else {
		r = c->xfail_reason ? MC_XPASS : MC_PASS;
		reason = c->xfail_reason;
	}
	json_object_set_new(c->record, "result", json_string(mc_result_name(r)));
	json_object_set_new(c->record, "reason", reason ? json_string(reason) : json_null());
	if (c->fail_reason)
		json_object_set_new(c->record, "failure", json_string(c->fail_reason));
}

void mc_case_checkpoint(struct mc_case *c)
{
	char *path = mc_strdup_printf("%s/case.json", c->workdir);
	char *text;

	finalize(c);
	text = json_dumps(c->record, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		mc_write_file_atomic(path, text, strlen(text), NULL);
	free(text);
	free(path);
}

static json_t *new_record(const struct mc_test *t, const char *name)
{
	json_t *r =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:{}, s:{}, s:{}}", "name", name,
		      "suite", t->suite, "fixture", t->fixture, "variant", t->variant, "test",
		      t->test, "result", "error", "reason", "phases", "metrics", "oracles");
	int i;

	if (t->axes) {
		json_t *axes = json_object();

		for (i = 0; t->axes[i]; i++) {
			const char *eq = strchr(t->axes[i], '=');
			char *key = eq ? strndup(t->axes[i], eq - t->axes[i]) : NULL;

			if (key)
				json_object_set_new(axes, key, json_string(eq + 1));
			free(key);
		}
		json_object_set_new(r, "axes", axes);
	}
	return r;
}

static void child_main(const struct mc_config *cfg, const struct mc_test *t, const char *name,
		       const char *workdir)
{
	struct mc_case c = {.cfg = cfg, .test = t};
	char *log = mc_strdup_printf("%s/case.log", workdir);

	c.name = strdup(name);
	c.workdir = strdup(workdir);
	c.log = fopen(log, "ae");
	free(log);
	c.record = new_record(t, name);
	mc_case_log(&c, "case %s starts", name);
	t->fn(&c, t->data);
	mc_case_checkpoint(&c);
	mc_case_log(&c, "case %s ends: %s", name,
		    json_string_value(json_object_get(c.record, "result")));
	fflush(NULL);
	_exit(0);
}

/* ---------------- the parent ---------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The case's partial record if it wrote one, else a fresh one. */
static json_t *load_record(const struct mc_test *t, const char *name, const char *workdir)
{
	char *path = mc_strdup_printf("%s/case.json", workdir);
	json_t *rec = json_load_file(path, 0, NULL);

	free(path);
	return json_is_object(rec) ? rec : new_record(t, name);
}

static void mark(json_t *rec, enum mc_result r, const char *reason)
{
	json_object_set_new(rec, "result", json_string(mc_result_name(r)));
	json_object_set_new(rec, "reason", json_string(reason));
}

/* A case in flight: its child process and where its record will come from. */
struct running {
	const struct mc_test *t;
	size_t index;
	pid_t pid; /* 0: finished (or never started) */
	char name[256];
	char *workdir;
	double t0;
	uint64_t deadline;
	int timeout_s;
	json_t *rec; /* set when the case could not even start */
};

static void start_case(const struct mc_config *cfg, struct running *c, const char *run_dir)
{
	/* A --timeout is taken as given; the tests' own limits scale with the host's load. */
	c->timeout_s = cfg->timeout_s
			   ? cfg->timeout_s
			   : (c->t->timeout_s ? c->t->timeout_s : 120) * (int)mc_time_scale();
	c->t0 = mc_now_s();
	mc_test_name(c->t, c->name, sizeof(c->name));
	c->workdir = mc_strdup_printf("%s/cases/%s", run_dir, c->name);
	mc_rm_rf(c->workdir);
	if (mc_mkdir_p(c->workdir, 0755) < 0) {
		char *why = mc_strdup_printf("cannot create work directory %s: %s", c->workdir,
					     strerror(errno));

		c->rec = new_record(c->t, c->name);
		mark(c->rec, MC_ERROR, why);
		free(why);
		return;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		char *why = mc_strdup_printf("fork: %s", strerror(errno));

		c->pid = 0;
		c->rec = new_record(c->t, c->name);
		mark(c->rec, MC_ERROR, why);
		free(why);
		return;
	}
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		child_main(cfg, c->t, c->name, c->workdir);
	}
	c->deadline = mc_now_ns() + (uint64_t)c->timeout_s * 1000000000ull;
}

/*
 * Reaps a case if it ended, killing it at its deadline or on interrupt;
 * returns its record once done, NULL while it runs.
 */
static json_t *poll_case(struct running *c, const char *run_dir)
{
	int status = 0;
	bool timed_out = false;
	char *why = NULL;
	json_t *rec;

	if (c->pid > 0) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == 0 && !interrupted && mc_now_ns() < c->deadline)
			return NULL;
		if (r == 0) {
			timed_out = !interrupted;
			/* QEMUs die with the case process (parent-death signal). */
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
		}
		c->pid = 0;
		rec = load_record(c->t, c->name, c->workdir);
		if (interrupted) {
			mark(rec, MC_ERROR, "interrupted");
		} else if (timed_out) {
			why = mc_strdup_printf("timed out after %d s", c->timeout_s);
			mark(rec, MC_FAIL, why);
		} else if (WIFSIGNALED(status)) {
			why = mc_strdup_printf("case process killed by signal %d (%s)",
					       WTERMSIG(status), strsignal(WTERMSIG(status)));
			mark(rec, MC_FAIL, why);
		} else if (WEXITSTATUS(status) != 0) {
			why = mc_strdup_printf("case process exited with status %d",
					       WEXITSTATUS(status));
			mark(rec, MC_FAIL, why);
		}
	} else {
		rec = c->rec;
		c->rec = NULL;
	}
	json_object_set_new(rec, "duration_s", json_real(mc_now_s() - c->t0));
	json_object_set_new(rec, "workdir", json_string(c->workdir + strlen(run_dir) + 1));
	free(why);
	free(c->workdir);
	c->workdir = NULL;
	return rec;
}

static void progress(const struct mc_config *cfg, size_t k, size_t n, const char *name, double t0)
{
	double el = mc_now_s() - t0;

	if (!cfg->progress)
		return;
	if (k == 0)
		fprintf(stderr, "migcheck: [%zu/%zu] %s (elapsed %d:%02d)\n", k + 1, n, name,
			(int)el / 60, (int)el % 60);
	else {
		double left = el / k * (n - k);

		fprintf(stderr, "migcheck: [%zu/%zu] %s (elapsed %d:%02d, about %d:%02d left)\n",
			k + 1, n, name, (int)el / 60, (int)el % 60, (int)left / 60, (int)left % 60);
	}
}

/*
 * The matrix summary: rows backend/tracker, columns vIOMMU/migration mode,
 * each cell counting its cases as pass/fail/skip/xfail (XPASS counts as
 * pass, errors as fail).  Printed as TAP comments so stdout stays TAP.
 */
static void print_matrix(struct tap *tap, json_t *cases)
{
	static const char *const rows[][2] = {
	    {"type1", "device-log"},
	    {"type1", "type1-perpetual"},
	    {"iommufd", "device-log"},
	    {"iommufd", "iommufd-hwpt"},
	    {"iommufd", "none"},
	    {"iommufd-fd", "device-log"},
	    {"iommufd-fd", "iommufd-hwpt"},
	    {"iommufd-fd", "none"},
	};
	static const char *const vi[] = {"none", "legacy", "scalable"};
	static const char *const mig[] = {"precopy", "multifd", "postcopy"};
	int counts[8][9][4] = {{{0}}};
	bool any = false;
	size_t i;
	json_t *c;

	json_array_foreach(cases, i, c)
	{
		json_t *ax = json_object_get(c, "axes");
		const char *be = json_string_value(json_object_get(ax, "backend"));
		const char *tr = json_string_value(json_object_get(ax, "tracker"));
		const char *v = json_string_value(json_object_get(ax, "viommu"));
		const char *m = json_string_value(json_object_get(ax, "migration"));
		int res = mc_result_parse(json_string_value(json_object_get(c, "result")));
		int r, col, k;

		if (!be || !tr || !v || !m)
			continue;
		for (r = 0; r < 8 && (strcmp(rows[r][0], be) || strcmp(rows[r][1], tr)); r++)
			;
		for (col = 0; col < 9 && (strcmp(vi[col / 3], v) || strcmp(mig[col % 3], m)); col++)
			;
		if (r == 8 || col == 9)
			continue;
		k = res == MC_PASS || res == MC_XPASS ? 0
		    : res == MC_SKIP		      ? 2
		    : res == MC_XFAIL		      ? 3
						      : 1;
		counts[r][col][k]++;
		any = true;
	}
	if (!any)
		return;
	tap_diag(tap, "matrix: pass/fail/skip/xfail per cell (rows backend/tracker, columns "
		      "vIOMMU/migration)");
	{
		char line[512];
		int n = snprintf(line, sizeof(line), "%-26s", "");
		int col, r;

		for (col = 0; col < 9; col++)
			n += snprintf(line + n, sizeof(line) - n, " %-11.11s",
				      col % 3 == 0 ? vi[col / 3] : "");
		tap_diag(tap, "%s", mc_rstrip(line));
		n = snprintf(line, sizeof(line), "%-26s", "");
		for (col = 0; col < 9; col++)
			n += snprintf(line + n, sizeof(line) - n, " %-11.11s", mig[col % 3]);
		tap_diag(tap, "%s", mc_rstrip(line));
		for (r = 0; r < 8; r++) {
			char label[40];

			snprintf(label, sizeof(label), "%s/%s", rows[r][0], rows[r][1]);
			n = snprintf(line, sizeof(line), "%-26s", label);
			for (col = 0; col < 9; col++) {
				int *k = counts[r][col];
				char cell[24];

				if (k[0] + k[1] + k[2] + k[3])
					snprintf(cell, sizeof(cell), "%d/%d/%d/%d", k[0], k[1],
						 k[2], k[3]);
				else
					snprintf(cell, sizeof(cell), "-");
				n += snprintf(line + n, sizeof(line) - n, " %-11s", cell);
			}
			tap_diag(tap, "%s", mc_rstrip(line));
		}
	}
}

/*
 * Suites run cheapest and most basic first, so a broken environment shows
 * in the first seconds; within a suite, registration order is kept.
 */
static int suite_rank(const char *suite)
{
	static const char *const order[] = {"smoke", "policy", "dirty", "downtime", "domain"};
	unsigned i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(order[i], suite))
			return (int)i;
	return (int)i;
}

static void sort_by_suite(const struct mc_test **list, size_t n)
{
	size_t i, j;

	/* Insertion sort: stable, and n is a few thousand at most. */
	for (i = 1; i < n; i++) {
		const struct mc_test *t = list[i];
		int r = suite_rank(t->suite);

		for (j = i; j > 0 && suite_rank(list[j - 1]->suite) > r; j--)
			list[j] = list[j - 1];
		list[j] = t;
	}
}

int mc_run(const struct mc_config *cfg, const struct mc_selection *sel, json_t *environment,
	   json_t *invocation)
{
	const struct mc_test **list = calloc(nregistry + 1, sizeof(*list));
	struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
	struct report *rep;
	struct tap tap;
	char *run_id = cfg->run_id ? strdup(cfg->run_id) : report_new_run_id(), *err = NULL;
	size_t n = 0, i, next = 0, printed = 0;
	bool stopped = false;
	double t0 = mc_now_s();
	int code, jobs = cfg->jobs > 0 ? cfg->jobs : 1, active = 0;
	json_t *done, **recs;
	struct running *run;

	for (i = 0; i < nregistry; i++)
		if (mc_test_selected(registry[i], sel))
			list[n++] = registry[i];
	sort_by_suite(list, n);
	done = json_array();
	recs = calloc(n + 1, sizeof(*recs));
	run = calloc(n + 1, sizeof(*run));
	rep = report_open(cfg->reports_dir, run_id, environment, invocation, &err);
	if (!rep) {
		fprintf(stderr, "migcheck: %s\n", err);
		free(err);
		free(run_id);
		free(list);
		free(recs);
		free(run);
		json_decref(done);
		return 2;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	tap_begin(&tap, cfg->tap_out ? cfg->tap_out : stdout, (int)n);
	tap_diag(&tap, "migcheck run %s: %zu cases; report: %s", run_id, n, report_path(rep));

	/*
	 * Up to `jobs` cases run at once; results are printed and reported in
	 * the order the cases were selected, whatever order they end in.
	 */
	while (printed < n) {
		bool progressed = false;

		while (!interrupted && !stopped && active < jobs && next < n) {
			run[next].t = list[next];
			run[next].index = next;
			progress(cfg, next, n,
				 mc_test_name(list[next], run[next].name, sizeof(run[next].name)),
				 t0);
			start_case(cfg, &run[next], report_run_dir(rep));
			if (run[next].pid > 0)
				active++;
			next++;
		}
		for (i = printed; i < next; i++) {
			if (recs[i] || (!run[i].workdir && !run[i].rec))
				continue;
			bool was_running = run[i].pid > 0;

			recs[i] = poll_case(&run[i], report_run_dir(rep));
			if (recs[i]) {
				progressed = true;
				if (was_running)
					active--;
			}
		}
		while (printed < next && recs[printed]) {
			json_t *rec = recs[printed];
			const char *reason;
			int r;

			if (!stopped && report_add_case(rep, json_incref(rec), &err) < 0) {
				/*
				 * A report that cannot be written (a full disk) ends the
				 * run: the case that hit it errors, no other starts, and
				 * the file keeps the last complete report.
				 */
				char *why = mc_strdup_printf("cannot write the report: %s", err);

				mark(rec, MC_ERROR, why);
				fprintf(stderr,
					"migcheck: %s; stopping the run (%s keeps the "
					"cases before this one)\n",
					why, report_path(rep));
				free(why);
				free(err);
				err = NULL;
				stopped = true;
			}
			reason = json_string_value(json_object_get(rec, "reason"));
			r = mc_result_parse(json_string_value(json_object_get(rec, "result")));
			tap_result(&tap, run[printed].name, r < 0 ? MC_ERROR : r, reason);
			json_array_append_new(
			    done, json_pack("{s:O*, s:O}", "axes", json_object_get(rec, "axes"),
					    "result", json_object_get(rec, "result")));
			printed++;
			progressed = true;
		}
		if ((interrupted || stopped) && next == printed)
			break; /* nothing left running; the rest never started */
		if (!progressed)
			usleep(10000);
	}
	for (i = 0; i < n; i++)
		json_decref(recs[i]);
	free(recs);
	free(run);
	print_matrix(&tap, done);
	json_decref(done);
	tap_diag(&tap, "report: %s", report_path(rep));
	tap_totals(&tap);
	if (report_finish(rep,
			  interrupted ? "interrupted"
			  : stopped   ? "stopped"
				      : "finished",
			  &err) < 0) {
		fprintf(stderr, "migcheck: cannot write the report: %s\n", err);
		free(err);
		err = NULL;
	}
	if (cfg->progress)
		fprintf(stderr, "migcheck: report: %s\n", report_path(rep));
	code = interrupted ? 130 : stopped ? 1 : tap_exit_code(&tap);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	report_close(rep);
	free(run_id);
	free(list);
	return code;
}
