// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The runner of declarative migration cases: the sequence migcase.h
 * describes, from launch through the migration to teardown.  The hooks and
 * oracles it runs along the way are driven from migcase_hooks.c.
 */
#include "migcase.h"
#include "defects.h"
#include "hostdev.h"
#include "matrix.h"
#include "migcase_int.h"
#include "qemuid.h"
#include "util.h"
#include "viommu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_BANDWIDTH (64ull << 20) /* bytes/s while pre-copy is held */
#define RELEASE_BANDWIDTH (4ull << 30)

/* The plan's hook: the case's hooks, then the runner's own hold and release. */
static int on_migration(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err)
{
	struct mcase *k = opaque;
	int rc = 0;

	k->mig = run;
	switch (at) {
	case MIG_AT_SETUP:
		rc = mcase_run_hooks(k, MCASE_SETUP, 0);
		break;
	case MIG_AT_SYNC:
		rc = mcase_run_hooks(k, MCASE_SYNC, n);
		if (rc == 0 && k->s->hold_syncs && n == k->s->hold_syncs)
			rc = mcase_set_limits(k, RELEASE_BANDWIDTH,
					      k->s->release_downtime_ms ? k->s->release_downtime_ms
									: 500);
		break;
	case MIG_AT_PRE_SWITCHOVER:
		rc = mcase_run_hooks(k, MCASE_PRE_SWITCHOVER, 0);
		break;
	}
	if (rc < 0)
		*err = strdup("the case stopped it (see the case's reason)");
	return rc;
}

static bool has_hook(const struct mcase_spec *s, enum mcase_at at)
{
	int i;

	for (i = 0; i < MCASE_MAX_HOOKS && s->hooks[i].fn; i++)
		if (s->hooks[i].at == at)
			return true;
	return false;
}

static char **push_arg(char **v, size_t *n, const char *s)
{
	v = realloc(v, (*n + 2) * sizeof(*v));
	if (!v)
		abort();
	v[(*n)++] = strdup(s);
	v[*n] = NULL;
	return v;
}

/* The mock, the command lines and both QEMUs. */
static int launch(struct mcase *k)
{
	const struct mcase_spec *s = k->s;
	const struct mc_config *cfg = mc_case_config(k->c);
	struct pair_opts o = {.mem_bytes = (uint64_t)(s->mem_mib ? s->mem_mib : 256) << 20,
			      .refusal_skips = s->expect.skip_unsupported};
	const char *const *vi = viommu_qemu_args(s->viommu, s->guest == MX_GUEST_LINUX);
	char *err = NULL, *vargs;
	size_t n = 0, m = 0;
	int i;

	if (!vi) {
		mc_case_skip(k->c, "this QEMU's intel-iommu has no scalable mode");
		return -1;
	}
	if (s->mock.ndev) {
		if (mock_rig_prepare(mc_case_workdir(k->c), cfg->mock_lib, &s->mock, &k->rig,
				     &err) < 0) {
			mc_case_error(k->c, "%s", err);
			free(err);
			return -1;
		}
		k->have_rig = true;
	}
	if (s->host && hostrig_args(s->host, hostdev_run(), &k->host_args[VM_SRC],
				    &k->host_args[VM_DST], &err) < 0) {
		mc_case_error(k->c, "%s", err);
		free(err);
		return -1;
	}
	/* The source's own arguments go after its host devices'. */
	while (k->host_args[VM_SRC] && k->host_args[VM_SRC][m])
		m++;
	for (i = 0; s->src_args && s->src_args[i]; i++)
		k->host_args[VM_SRC] = push_arg(k->host_args[VM_SRC], &m, s->src_args[i]);
	if (s->start_paused || s->guest == MX_GUEST_BARE)
		k->args = push_arg(k->args, &n, "-S");
	o.bare = s->guest == MX_GUEST_BARE;
	/* The vIOMMU must precede the devices on the command line. */
	for (; *vi; vi++)
		k->args = push_arg(k->args, &n, *vi);
	for (i = 0; k->have_rig && k->rig.args[i]; i++)
		k->args = push_arg(k->args, &n, k->rig.args[i]);
	vargs = viommu_kernel_args(s->viommu, s->guest_iommu, s->invalidation);
	k->append = mc_strdup_printf("%s%s%s", vargs, *vargs && s->append ? " " : "",
				     s->append ? s->append : "");
	free(vargs);
	o.append = k->append;
	o.extra_args = (const char *const *)k->args;
	o.extra_args_side[VM_SRC] = (const char *const *)k->host_args[VM_SRC];
	o.extra_args_side[VM_DST] = (const char *const *)k->host_args[VM_DST];
	if (k->have_rig) {
		o.env_side[VM_SRC] = (const char *const *)k->rig.env[VM_SRC];
		o.env_side[VM_DST] = (const char *const *)k->rig.env[VM_DST];
	}
	/* Two builds (the spec's own, or --qemu-dst): the machine type both run. */
	o.qemu_side[VM_SRC] = s->qemu_src ? s->qemu_src : cfg->qemu;
	o.qemu_side[VM_DST] = s->qemu_dst ? s->qemu_dst : cfg->qemu_dst ? cfg->qemu_dst : cfg->qemu;
	k->machine = qemuid_common_machine(o.qemu_side[VM_SRC], o.qemu_side[VM_DST], &err);
	if (!k->machine) {
		mc_case_error(k->c, "%s", err);
		free(err);
		return -1;
	}
	o.machine = k->machine;
	return pair_launch(k->c, &o, &k->p);
}

/* BLOCKED cases end here; other cases stop (or skip) when QEMU blocks them. */
static int check_blockers(struct mcase *k, bool *done)
{
	json_t *b = pair_blockers(k->p.src);
	char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;
	int rc = 0;

	*done = false;
	if (k->s->expect.outcome == MCASE_BLOCKED) {
		bool ok = text && (!k->s->expect.text || strstr(text, k->s->expect.text));
		char *sum = mc_strdup_printf("QEMU's blockers: %s", text ? text : "none");
		char *name = mcase_name(k, "blocked");

		mc_case_oracle(k->c, name, ok, sum, json_incref(b));
		free(name);
		free(sum);
		*done = true;
	} else if (text && k->s->expect.skip_unsupported) {
		mc_case_skip(k->c, "QEMU blocks migration of this configuration: %s", text);
		*done = true;
	} else if (text && k->s->expect.outcome != MCASE_STAYS &&
		   k->s->expect.outcome != MCASE_REFUSED) {
		mc_case_fail(k->c, "QEMU blocks the migration: %s", text);
		rc = -1;
	}
	free(text);
	json_decref(b);
	return rc;
}

/* The workload every Linux-guest case gets: heartbeats, and the tagged buffer. */
static int start_workload(struct mcase *k)
{
	json_t *r = mcase_agent(k, VM_SRC, "heartbeat start interval_ms=10");

	if (!r)
		return -1;
	json_decref(r);
	if (!k->s->buffer_mib)
		return 0;
	r = mcase_agent(k, VM_SRC, "cpu-dirty start mib=%u rate=0", k->s->buffer_mib);
	if (r && !k->s->dirtying) {
		json_decref(r);
		r = mcase_agent(k, VM_SRC, "cpu-dirty stop");
	}
	json_decref(r);
	return r ? 0 : -1;
}

static void record_migration(struct mcase *k)
{
	char *name = mcase_name(k, "migration");

	json_object_set_new(mc_case_metrics(k->c), name, mig_metrics(&k->r));
	free(name);
	mc_case_set(k->c, "migration_status", json_string(k->r.status ? k->r.status : "?"));
	mc_case_set(k->c, "migration_outcome", json_string(mig_outcome_name(k->r.outcome)));
	if (k->r.error)
		mc_case_set(k->c, "migration_error", json_string(k->r.error));
	mc_case_checkpoint(k->c);
}

/*
 * What the mock refused during this migration, as "; the src mock refused
 * ...": often why QEMU failed it.  Valid until the next call.
 */
static const char *mock_refusal(struct mcase *k)
{
	static char *text;
	char *s = NULL;
	int side;

	free(text);
	text = NULL;
	for (side = 0; k->have_rig && side < 2 && !s; side++)
		s = mock_rig_last_refusal(&k->rig, side, k->r.t_start);
	if (s)
		text = mc_strdup_printf("; the %s mock refused %s", side == 1 ? "src" : "dst", s);
	free(s);
	return text ? text : "";
}

/* Checks QEMU's outcome against the expected one; false when the case ends here. */
static bool check_outcome(struct mcase *k)
{
	const struct mcase_expect *e = k->expect;
	enum mig_outcome want = e->outcome == MCASE_REFUSED	? MIG_REFUSED
				: e->outcome == MCASE_FAILS	? MIG_FAILED
				: e->outcome == MCASE_CANCELLED ? MIG_CANCELLED
								: MIG_COMPLETED;
	bool text_ok = !e->text || (k->r.error && strstr(k->r.error, e->text));
	char *sum, *name;

	if (k->r.outcome == MIG_DIED) {
		k->crashed = true;
		k->stderr_tail = vm_last_words(k->r.side == VM_SRC ? k->p.src : k->p.dst);
		mc_case_fail(k->c, "%s", k->r.error);
		mcase_observe(k, NULL, k->r.error);
		return false;
	}
	if (want == MIG_COMPLETED) {
		if (k->r.outcome == MIG_COMPLETED)
			return true;
		if (k->r.outcome == MIG_REFUSED && e->skip_unsupported) {
			mc_case_skip(k->c, "QEMU refuses to migrate this configuration: %s",
				     k->r.error);
			return false;
		}
		mc_case_fail(k->c, "migration %s: %s%s", mig_outcome_name(k->r.outcome),
			     k->r.error ? k->r.error : "no reason given", mock_refusal(k));
		mcase_observe(k, NULL, k->r.error);
		return false;
	}
	/* Error-path conformance: QEMU must end the migration this way. */
	sum = mc_strdup_printf("the migration ended %s%s%s (expected %s%s%s)",
			       mig_outcome_name(k->r.outcome), k->r.error ? ": " : "",
			       k->r.error ? k->r.error : "", mig_outcome_name(want),
			       e->text ? " with " : "", e->text ? e->text : "");
	name = mcase_name(k, want == MIG_REFUSED     ? "migration_refused"
			     : want == MIG_CANCELLED ? "migration_cancelled"
						     : "migration_fails");
	mc_case_oracle(k->c, name, k->r.outcome == want && text_ok, sum, NULL);
	free(name);
	free(sum);
	return false;
}

static void check_syncs(struct mcase *k)
{
	if (k->s->min_syncs && k->r.passes < k->s->min_syncs)
		mc_case_error(k->c,
			      "pre-copy ran %d dirty syncs, the case needs %d: the scenario did "
			      "not run as planned",
			      k->r.passes, k->s->min_syncs);
}

static void migrate(struct mcase *k)
{
	struct mig_plan plan = k->s->plan;
	char *err = NULL;
	double t0 = mc_now_s();

	plan.return_path = true;
	plan.switchover_ack = !k->s->no_switchover_ack;
	plan.timeout_ms = plan.timeout_ms ? plan.timeout_ms : 120000;
	plan.hook = on_migration;
	plan.opaque = k;
	if (has_hook(k->s, MCASE_PRE_SWITCHOVER))
		plan.pause_before_switchover = true;
	if (k->s->hold_syncs) {
		/* Held open: capped bandwidth and a limit nothing can meet. */
		plan.max_bandwidth = k->s->hold_bandwidth ? k->s->hold_bandwidth : HOLD_BANDWIDTH;
		plan.switchover_bandwidth = plan.max_bandwidth;
		plan.downtime_limit_ms = 1;
	}
	if (pair_migrate(k->c, &k->p, &plan, &k->r, &err) < 0) {
		mcase_step_failed(k, "could not drive the migration", err);
		free(err);
		k->r.outcome = MIG_LOST;
		return;
	}
	k->mig = NULL;
	mc_case_phase(k->c, mcase_label_phase(k, "migration"), mc_now_s() - t0);
}

static void resume(struct mcase *k)
{
	json_t *r;

	if (pair_resume(k->c, &k->p, &k->r) < 0) {
		mcase_alive(k);
		return;
	}
	mcase_run_oracles(k, MCASE_RESUMED);
	if (mc_case_failed(k->c) || mcase_run_hooks(k, MCASE_RESUMED, 0) < 0)
		return;
	r = mig_heartbeat_metrics(k->p.src, k->p.dst, &k->r);
	{
		char *name = mcase_name(k, "guest");

		json_object_set_new(mc_case_metrics(k->c), name, r);
		free(name);
	}
	record_migration(k);
}

static bool mcase_is_control(struct mc_case *c)
{
	const char *kind = json_string_value(mc_case_get(c, "kind"));

	return kind && !strcmp(kind, "negative-control");
}

struct mcase *mcase_open(struct mc_case *c, const struct mcase_spec *s)
{
	struct mcase *k = calloc(1, sizeof(*k));
	bool done;

	if (!k)
		abort();
	k->c = c;
	k->s = s;
	ranges_init(&k->ram_flagged);
	ranges_init(&k->extra_dma);
	/* A case of several runs is a negative control if any run injects a fault. */
	if (!mcase_is_control(c))
		mc_case_set(c, "kind",
			    json_string(s->detect[0].oracle		   ? "negative-control"
					: s->expect.outcome == MCASE_FAILS ? "error-path"
									   : "conformance"));
	if (!mcase_detect_valid(k) || launch(k) < 0 || mcase_run_hooks(k, MCASE_LAUNCHED, 0) < 0)
		goto ended;
	if (check_blockers(k, &done) < 0 || done)
		goto ended;
	if (s->start_paused && qmp_call_void(k->p.src->qmp, "cont", NULL, 10000, NULL) < 0) {
		mcase_step_failed(k, "continuing the source", "cont failed");
		goto ended;
	}
	if (s->guest == MX_GUEST_LINUX &&
	    (pair_wait_ready(k->c, &k->p) < 0 || start_workload(k) < 0))
		goto ended;
	if (mcase_run_hooks(k, MCASE_READY, 0) < 0 || !mcase_hooks_ran(k, MCASE_READY))
		goto ended;
	return k;
ended:
	k->ended = true;
	return k;
}

bool mcase_migrate(struct mcase *k, const struct mcase_expect *expect)
{
	int i;

	if (k->ended || !mcase_alive(k))
		return false;
	/* Each migration runs the spec's migration hooks afresh. */
	for (i = 0; i < MCASE_MAX_HOOKS; i++)
		if (k->s->hooks[i].at >= MCASE_SETUP && k->s->hooks[i].at <= MCASE_MIGRATED)
			k->ran[i] = false;
	k->expect = expect ? expect : &k->s->expect;
	mig_result_clear(&k->r);
	migrate(k);
	if (k->r.status)
		record_migration(k);
	if (!k->r.status || !check_outcome(k) || !mcase_hooks_ran(k, MCASE_PRE_SWITCHOVER))
		return false;
	check_syncs(k);
	return true;
}

void mcase_check(struct mcase *k)
{
	if (k->ended || mcase_run_hooks(k, MCASE_MIGRATED, 0) < 0)
		return;
	mcase_run_oracles(k, MCASE_MIGRATED);
	mcase_observe_dma_loss(k);
	if (k->s->guest == MX_GUEST_LINUX && !k->crashed)
		resume(k);
}

void mcase_round(struct mcase *k, const char *label)
{
	free(k->round);
	k->round = label ? strdup(label) : NULL;
}

int mcase_new_destination(struct mcase *k)
{
	char *err = NULL;

	if (k->have_rig && mock_rig_new_destination(&k->rig, &err) < 0) {
		mc_case_error(k->c, "%s", err);
		free(err);
		return -1;
	}
	return pair_new_destination(k->c, &k->p,
				    k->have_rig ? (const char *const *)k->rig.env[VM_DST] : NULL);
}

int mcase_swap(struct mcase *k)
{
	char *err = NULL;

	if (k->have_rig) {
		mock_rig_swap(&k->rig);
		if (mock_rig_new_destination(&k->rig, &err) < 0) {
			mc_case_error(k->c, "%s", err);
			free(err);
			return -1;
		}
	}
	return pair_swap(k->c, &k->p, k->have_rig ? (const char *const *)k->rig.env[VM_DST] : NULL);
}

void mcase_close(struct mcase *k)
{
	const char *version = k->p.src && k->p.src->qmp ? qmp_version(k->p.src->qmp) : NULL;
	size_t i;

	if (version && !mc_case_skipped(k->c))
		defects_decide(k->c, version,
			       &(struct defect_observation){.crashed = k->crashed,
							    .stderr_tail = k->stderr_tail,
							    .patterns = k->patterns,
							    .what = k->observed});
	pair_stop(&k->p);
	free(k->machine);
	if (k->have_rig)
		mock_rig_free(&k->rig);
	mig_result_clear(&k->r);
	for (i = 0; k->args && k->args[i]; i++)
		free(k->args[i]);
	free(k->args);
	hostrig_free_args(k->host_args[VM_SRC]);
	hostrig_free_args(k->host_args[VM_DST]);
	free(k->append);
	free(k->stderr_tail);
	free(k->observed);
	free(k->phase_name);
	free(k->round);
	free(k->scratch);
	ranges_free(&k->ram_flagged);
	ranges_free(&k->extra_dma);
	free(k);
}

int mcase_run(struct mc_case *c, const struct mcase_spec *s)
{
	struct mcase *k = mcase_open(c, s);

	if (s->expect.outcome == MCASE_STAYS)
		mcase_alive(k);
	else if (mcase_migrate(k, NULL))
		mcase_check(k);
	mcase_close(k);
	return 0;
}

void mcase_test(struct mc_case *c, const void *spec)
{
	mcase_run(c, spec);
}

void mcase_register(struct mc_test *tests, size_t n)
{
	struct mx_cell *cells = calloc(n, sizeof(*cells));
	size_t i;

	if (!cells)
		abort();
	for (i = 0; i < n; i++) {
		const struct mcase_spec *s = tests[i].data;

		if (tests[i].axes || tests[i].fn != mcase_test)
			continue;
		mx_cell_clear(&cells[i]);
		cells[i].v[MX_GUEST] = s->guest;
		cells[i].v[MX_VIOMMU] = s->viommu;
		if (s->viommu != MX_VI_NONE && s->guest == MX_GUEST_LINUX)
			cells[i].v[MX_GUEST_IOMMU] = s->guest_iommu;
		if (s->mock.ndev)
			cells[i].v[MX_BACKEND] = s->mock.backend;
		if (s->host) {
			cells[i].v[MX_BACKEND] = s->host->backend;
			cells[i].v[MX_HARDWARE] = MX_HW_HOST;
		}
		mx_cell_name(&cells[i]);
		tests[i].axes = cells[i].axes;
	}
	/* The cells live as long as the registry. */
	mc_register_tests(tests, n);
}
