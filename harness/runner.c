// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * runner.c: runs the cases a selection plans (registry.c), each in a child
 * of its own.  The child keeps the case's record behind the mc_case_* calls
 * and runs setup, test and teardown; the parent starts up to `jobs` of
 * them, reaps or kills them at their deadline, and reports the results in
 * selection order, also over repetitions and the two builds of an A/B run.
 */
#include "runner_int.h"
#include "qemuid.h"
#include "repeat.h"
#include "report.h"
#include "summary.h"
#include "shard.h"
#include "util.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
	jmp_buf *stop; /* where MC_ASSERT returns to, while a test runs */
};

void mc_case_abort(struct mc_case *c)
{
	mc_case_log(c, "the test stopped on an assertion");
	if (c->stop)
		longjmp(*c->stop, 1);
	/* Outside a test (a setup's helper, say): end the case as it stands. */
	mc_case_checkpoint(c);
	fflush(NULL);
	_exit(0);
}

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

bool mc_case_skipped(const struct mc_case *c)
{
	return c->skip_reason != NULL;
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

json_t *mc_case_get(struct mc_case *c, const char *key)
{
	return json_object_get(c->record, key);
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
		      "suite", t->fixture, "fixture", t->fixture, "variant", t->variant, "test",
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

/* Setup, the test, teardown: the teardown runs however the test ended. */
static void run_test(struct mc_case *c, const struct mc_test *t)
{
	const struct mc_fixture *f = mc_fixture_find(t->fixture);
	jmp_buf stop;

	if (f && f->setup) {
		c->stop = &stop;
		if (!setjmp(stop))
			f->setup(c, t->data);
		c->stop = NULL;
		if (c->fail_reason || c->error_reason || c->skip_reason) {
			mc_case_log(c,
				    "the fixture's setup did not succeed: the test does not run");
			goto teardown;
		}
	}
	c->stop = &stop;
	if (!setjmp(stop))
		t->fn(c, t->data);
	c->stop = NULL;
teardown:
	if (f && f->teardown) {
		c->stop = &stop;
		if (!setjmp(stop))
			f->teardown(c, t->data);
		c->stop = NULL;
	}
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
	run_test(&c, t);
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
	int rep;     /* repetition (0-based) when a case runs more than once, else -1 */
	int arm;     /* which build and report (migcheck ab), else 0 */
};

static void start_case(const struct mc_config *cfg, struct running *c, const char *run_dir)
{
	/* A --timeout is taken as given; the tests' own limits scale with the host's load. */
	c->timeout_s = cfg->timeout_s
			   ? cfg->timeout_s
			   : (c->t->timeout_s ? c->t->timeout_s : 120) * (int)mc_time_scale();
	c->t0 = mc_now_s();
	mc_test_name(c->t, c->name, sizeof(c->name));
	if (c->rep >= 0)
		c->workdir = mc_strdup_printf("%s/cases/%s/rep-%d", run_dir, c->name, c->rep + 1);
	else
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
		/* The identity of this case's QEMU (an A/B run alternates builds). */
		qemuid_get(cfg->qemu, NULL);
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

/* One build and its report: migcheck run has one, migcheck ab two. */
struct arm {
	const struct mc_config *cfg;
	struct report *rep;
	struct tap tap;
	FILE *tap_file; /* ab: each arm's TAP goes to report.tap in its run */
	size_t printed;
	json_t *done;
};

int mc_run_arms(const struct mc_config *const *cfgs, int narms, const struct mc_selection *sel,
		json_t *const *environments, json_t *invocation, char **run_dirs)
{
	const struct mc_config *cfg = cfgs[0];
	const struct mc_test **list = calloc(mc_test_count() + 1, sizeof(*list));
	size_t *order = calloc(mc_test_count() + 1, sizeof(*order));
	struct sigaction sa = {.sa_handler = on_interrupt}, old_int, old_term;
	struct arm *arms = calloc(narms, sizeof(*arms));
	char *err = NULL;
	size_t n, i, next = 0, nslots, open_from = 0, *slot_of;
	double t0 = mc_now_s();
	int code = 0, jobs = cfg->jobs > 0 ? cfg->jobs : 1, active = 0, a;
	int repeat = cfg->repeat > 1 ? cfg->repeat : 1, r;
	json_t **recs, *shard_info = NULL;
	struct running *run;
	bool all_printed, stopped = false;

	if (!list || !order || !arms)
		abort();
	n = mc_plan_cases(cfg, sel, list, order, &shard_info, &err);
	if (n == (size_t)-1) {
		fprintf(stderr, "migcheck: --shard: %s\n", err);
		free(err);
		free(list);
		free(order);
		free(arms);
		for (a = 0; a < narms; a++)
			json_decref(environments[a]);
		json_decref(invocation);
		return 2;
	}
	/*
	 * A slot is one run of one case on one build: every repetition of a
	 * case, and both builds of migcheck ab, run next to each other so the
	 * machine's noise falls on all of them alike; ab alternates which build
	 * goes first.
	 */
	nslots = n * repeat * narms;
	recs = calloc(nslots + 1, sizeof(*recs));
	run = calloc(nslots + 1, sizeof(*run));
	slot_of = calloc(nslots + 1, sizeof(*slot_of));
	if (!recs || !run || !slot_of)
		abort();
	for (i = 0; i < n; i++)
		for (r = 0; r < repeat; r++)
			for (a = 0; a < narms; a++) {
				size_t s = (i * repeat + r) * narms + a;
				int arm = (i + r) % 2 && narms == 2 ? 1 - a : a;

				run[s].t = list[i];
				run[s].index = i;
				run[s].rep = repeat > 1 ? r : -1;
				run[s].arm = arm;
				slot_of[(i * repeat + r) * narms + arm] = s;
			}
	for (a = 0; a < narms; a++) {
		char *run_id = cfgs[a]->run_id ? strdup(cfgs[a]->run_id) : report_new_run_id();

		arms[a].cfg = cfgs[a];
		arms[a].done = json_array();
		arms[a].rep = report_open(cfgs[a]->reports_dir, run_id, environments[a],
					  a ? NULL : invocation, &err);
		if (a && arms[a].rep)
			report_set(arms[a].rep, "invocation", json_incref(invocation));
		free(run_id);
		if (!arms[a].rep) {
			fprintf(stderr, "migcheck: %s\n", err);
			free(err);
			for (r = a + 1; r < narms; r++)
				json_decref(environments[r]);
			code = 2;
			goto out;
		}
		report_set(arms[a].rep, "repeat", json_integer(repeat));
		if (shard_info)
			report_set(arms[a].rep, "shard", json_deep_copy(shard_info));
		if (narms > 1) {
			char *path = mc_strdup_printf("%s/report.tap", report_run_dir(arms[a].rep));

			arms[a].tap_file = fopen(path, "we");
			free(path);
		}
		tap_begin(&arms[a].tap,
			  arms[a].tap_file ? arms[a].tap_file
			  : cfg->tap_out   ? cfg->tap_out
					   : stdout,
			  (int)n);
		tap_diag(&arms[a].tap, "migcheck run %s: %zu cases; report: %s",
			 strrchr(report_run_dir(arms[a].rep), '/') + 1, n,
			 report_path(arms[a].rep));
		if (shard_info)
			tap_diag(
			    &arms[a].tap, "shard %d of %d: %zu of %zu cases, balanced by %s%s",
			    cfg->shard->index, cfg->shard->count, n,
			    (size_t)json_integer_value(json_object_get(shard_info, "cases_total")),
			    cfg->shard->durations ? "the durations in " : "count",
			    cfg->shard->durations ? cfg->shard->durations : "");
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	/*
	 * Up to `jobs` slots run at once; each build's results are printed and
	 * reported in selection order, whatever order its slots end in.
	 */
	for (;;) {
		bool progressed = false;

		while (!interrupted && !stopped && active < jobs && next < nslots) {
			struct running *c = &run[next];

			progress(cfg, next, nslots, mc_test_name(c->t, c->name, sizeof(c->name)),
				 t0);
			start_case(arms[c->arm].cfg, c, report_run_dir(arms[c->arm].rep));
			if (c->pid > 0)
				active++;
			next++;
		}
		for (i = open_from; i < next; i++) {
			bool was_running = run[i].pid > 0;

			if (recs[i] || (!run[i].workdir && !run[i].rec))
				continue;
			recs[i] = poll_case(&run[i], report_run_dir(arms[run[i].arm].rep));
			if (recs[i]) {
				progressed = true;
				if (was_running)
					active--;
			}
		}
		while (open_from < next && recs[open_from])
			open_from++;
		all_printed = true;
		for (a = 0; a < narms; a++) {
			struct arm *m = &arms[a];

			while (m->printed < n) {
				json_t *mine[repeat], *rec;
				const char *reason;
				int res;

				for (r = 0; r < repeat; r++) {
					mine[r] =
					    recs[slot_of[(m->printed * repeat + r) * narms + a]];
					if (!mine[r])
						break;
				}
				if (r < repeat)
					break;
				rec = repeat_fold(mine, repeat);
				json_object_set_new(rec, "order", json_integer(order[m->printed]));
				if (!stopped &&
				    report_add_case(m->rep, json_incref(rec), &err) < 0) {
					/*
					 * A report that cannot be written (a full disk) ends
					 * the run: the case that hit it errors, no other
					 * starts, and the file keeps the last complete report.
					 */
					char *why =
					    mc_strdup_printf("cannot write the report: %s", err);

					mark(rec, MC_ERROR, why);
					fprintf(
					    stderr,
					    "migcheck: %s; stopping the run (%s keeps the cases "
					    "before this one)\n",
					    why, report_path(m->rep));
					free(why);
					free(err);
					err = NULL;
					stopped = true;
				}
				reason = json_string_value(json_object_get(rec, "reason"));
				res = mc_result_parse(
				    json_string_value(json_object_get(rec, "result")));
				if (json_is_true(json_object_get(rec, "flaky")))
					tap_diag(&m->tap, "%s: the %d repetitions disagree",
						 json_string_value(json_object_get(rec, "name")),
						 repeat);
				tap_result(&m->tap, json_string_value(json_object_get(rec, "name")),
					   res < 0 ? MC_ERROR : res, reason);
				json_array_append_new(
				    m->done,
				    json_pack("{s:O*, s:O}", "axes", json_object_get(rec, "axes"),
					      "result", json_object_get(rec, "result")));
				json_decref(rec);
				m->printed++;
				progressed = true;
			}
			all_printed &= m->printed == n;
		}
		if (all_printed)
			break;
		if ((interrupted || stopped) && active == 0)
			break; /* nothing left running; the rest never started */
		if (!progressed)
			usleep(10000);
	}
	for (a = 0; a < narms; a++) {
		struct arm *m = &arms[a];

		summary_matrix(&m->tap, m->done);
		tap_diag(&m->tap, "report: %s", report_path(m->rep));
		tap_totals(&m->tap);
		report_finish(m->rep,
			      interrupted ? "interrupted"
			      : stopped	  ? "stopped"
					  : "finished",
			      NULL);
		if (cfg->progress)
			fprintf(stderr, "migcheck: report: %s\n", report_path(m->rep));
		if (!code || tap_exit_code(&m->tap) == 1)
			code = tap_exit_code(&m->tap);
	}
	if (interrupted)
		code = 130;
	else if (stopped)
		code = 1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	for (i = 0; i < nslots; i++)
		json_decref(recs[i]);
	for (a = 0; a < narms; a++) {
		if (run_dirs)
			run_dirs[a] = arms[a].rep ? strdup(report_run_dir(arms[a].rep)) : NULL;
		report_close(arms[a].rep);
		json_decref(arms[a].done);
		if (arms[a].tap_file)
			fclose(arms[a].tap_file);
	}
	json_decref(shard_info);
	free(recs);
	free(run);
	free(slot_of);
	free(arms);
	free(list);
	free(order);
	return code;
}

int mc_run(const struct mc_config *cfg, const struct mc_selection *sel, json_t *environment,
	   json_t *invocation)
{
	return mc_run_arms(&cfg, 1, sel, &environment, invocation, NULL);
}
