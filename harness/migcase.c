// SPDX-License-Identifier: GPL-2.0-or-later
/* The runner of declarative migration cases (migcase.h has the sequence). */
#include "migcase.h"
#include "defects.h"
#include "hostdev.h"
#include "matrix.h"
#include "migcase_int.h"
#include "qemuid.h"
#include "util.h"
#include "viommu.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_BANDWIDTH (64ull << 20) /* bytes/s while pre-copy is held */
#define RELEASE_BANDWIDTH (4ull << 30)
#define AGENT_MS 60000

struct mc_case *mcase_case(struct mcase *k)
{
	return k->c;
}

const struct mcase_spec *mcase_spec(struct mcase *k)
{
	return k->s;
}

const void *mcase_data(struct mcase *k)
{
	return k->s->data;
}

void **mcase_scratch(struct mcase *k)
{
	return &k->scratch;
}

struct pair *mcase_pair(struct mcase *k)
{
	return &k->p;
}

struct mock_rig *mcase_rig(struct mcase *k)
{
	return &k->rig;
}

const struct mig_result *mcase_result(struct mcase *k)
{
	return &k->r;
}

/* "ram", or "256mib.ram" when a test runs several cases, "hop2.ram" in a round. */
char *mcase_name(struct mcase *k, const char *what)
{
	return mc_strdup_printf("%s%s%s%s%s", k->s->label ? k->s->label : "",
				k->s->label ? "." : "", k->round ? k->round : "",
				k->round ? "." : "", what);
}

const char *mcase_label_phase(struct mcase *k, const char *what)
{
	free(k->phase_name);
	k->phase_name = mcase_name(k, what);
	return k->phase_name;
}

void mcase_note_dma(struct mcase *k, uint64_t iova, uint64_t len)
{
	ranges_add(&k->extra_dma, mcase_iova_to_gpa(k, iova), len);
}

void mcase_observe(struct mcase *k, const char *pattern, const char *what)
{
	if (!k->pattern)
		k->pattern = pattern;
	if (what && !k->observed)
		k->observed = strdup(what);
}

/* A QEMU that died is the root cause of whatever follows: say so once, first. */
bool mcase_alive(struct mcase *k)
{
	struct vm *vms[2] = {k->p.src, k->p.dst};
	int i;

	if (k->crashed)
		return false;
	for (i = 0; i < 2; i++) {
		char *why = NULL;

		if (!vms[i] || !vm_dead(vms[i], &why))
			continue;
		k->crashed = true;
		k->stderr_tail = vm_last_words(vms[i]);
		mc_case_fail(k->c, "%s", why);
		mcase_observe(k, NULL, why);
		free(why);
		return false;
	}
	return true;
}

/* A step failed: QEMU's death explains it better when it died. */
static void step_failed(struct mcase *k, const char *what, const char *err)
{
	struct vm *vms[2] = {k->p.src, k->p.dst};
	int i;

	for (i = 0; i < 2; i++)
		if (vms[i])
			mc_proc_wait(&vms[i]->proc, 500);
	if (mcase_alive(k)) {
		mc_case_fail(k->c, "%s: %s", what, err ? err : "failed");
		mcase_observe(k, NULL, err);
	}
}

int mcase_set_limits(struct mcase *k, uint64_t bandwidth, uint64_t downtime_ms)
{
	char *err = NULL;

	if (!k->mig || mig_run_set_limits(k->mig, bandwidth, downtime_ms, &err) == 0)
		return k->mig ? 0 : -1;
	step_failed(k, "setting migration limits", err);
	free(err);
	return -1;
}

int mcase_break_channel(struct mcase *k)
{
	if (k->mig && mig_run_break_channel(k->mig) == 0)
		return 0;
	mc_case_error(k->c, "no migration relay to break (the plan needs .relay)");
	return -1;
}

int mcase_state(struct mcase *k, enum vm_role side, struct ms_state *st)
{
	char *err = NULL;

	if (mock_rig_state(&k->rig, side, st, &err) == 0)
		return 0;
	step_failed(k, "reading the mock's state", err);
	free(err);
	return -1;
}

json_t *mcase_mock(struct mcase *k, enum vm_role side, json_t *req)
{
	char *err = NULL;
	json_t *r = mock_rig_call(&k->rig, side, req, &err);

	if (!r)
		step_failed(k, "mock control", err);
	free(err);
	return r;
}

json_t *mcase_agent(struct mcase *k, enum vm_role side, const char *fmt, ...)
{
	struct vm *vm = side == VM_SRC ? k->p.src : k->p.dst;
	char *cmd, *err = NULL;
	json_t *r;
	va_list ap;

	va_start(ap, fmt);
	cmd = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
	r = agentlink_cmd(vm->agent, cmd, AGENT_MS, &err);
	if (r)
		mc_case_log(k->c, "%s agent: %s -> %s", vm->name, cmd,
			    json_string_value(json_object_get(r, "_text")));
	else
		step_failed(k, cmd, err);
	free(cmd);
	free(err);
	return r;
}

uint64_t mcase_iova_to_gpa(struct mcase *k, uint64_t iova)
{
	/* Without translation (no vIOMMU, or an identity domain) IOVA is GPA. */
	(void)k;
	return iova;
}

/* Runs the hooks planned at `at` (and `sync`); -1 if one stopped the case. */
static int run_hooks(struct mcase *k, enum mcase_at at, int sync)
{
	int i;

	for (i = 0; i < MCASE_MAX_HOOKS && k->s->hooks[i].fn; i++) {
		const struct mcase_hook *h = &k->s->hooks[i];

		if (h->at != at || (at == MCASE_SYNC && h->sync != sync) || k->ran[i])
			continue;
		k->ran[i] = true;
		if (!mcase_alive(k) || h->fn(k) < 0)
			return -1;
	}
	return 0;
}

static const char *const at_names[MCASE_NPOINTS] = {
    [MCASE_LAUNCHED] = "at launch",
    [MCASE_READY] = "before migration",
    [MCASE_SETUP] = "at migration setup",
    [MCASE_SYNC] = "after a dirty sync",
    [MCASE_PRE_SWITCHOVER] = "in pre-switchover",
    [MCASE_MIGRATED] = "after migration",
    [MCASE_RESUMED] = "after resume",
};

/* Every hook that was planned before `upto` must have run. */
static bool hooks_ran(struct mcase *k, enum mcase_at upto)
{
	int i;

	for (i = 0; i < MCASE_MAX_HOOKS && k->s->hooks[i].fn; i++) {
		const struct mcase_hook *h = &k->s->hooks[i];

		if (h->at > upto || k->ran[i])
			continue;
		if (h->at == MCASE_SYNC)
			mc_case_error(k->c,
				      "the hook after dirty sync %d never ran (%d syncs): the "
				      "scenario did not run as planned",
				      h->sync, k->r.passes);
		else
			mc_case_error(k->c,
				      "the hook %s never ran: the scenario did not run as "
				      "planned",
				      at_names[h->at]);
		return false;
	}
	return true;
}

/* The plan's hook: the case's hooks, then the runner's own hold and release. */
static int on_migration(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err)
{
	struct mcase *k = opaque;
	int rc = 0;

	k->mig = run;
	switch (at) {
	case MIG_AT_SETUP:
		rc = run_hooks(k, MCASE_SETUP, 0);
		break;
	case MIG_AT_SYNC:
		rc = run_hooks(k, MCASE_SYNC, n);
		if (rc == 0 && k->s->hold_syncs && n == k->s->hold_syncs)
			rc = mcase_set_limits(k, RELEASE_BANDWIDTH,
					      k->s->release_downtime_ms ? k->s->release_downtime_ms
									: 500);
		break;
	case MIG_AT_PRE_SWITCHOVER:
		rc = run_hooks(k, MCASE_PRE_SWITCHOVER, 0);
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
	size_t n = 0;
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
	if (s->start_paused)
		k->args = push_arg(k->args, &n, "-S");
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

static unsigned oracle_flags(const struct mcase_spec *s)
{
	unsigned f = s->oracles;
	int d;

	if (f & MCASE_NO_ORACLES)
		return 0;
	if (f)
		return f;
	f = MCASE_RAM | (s->guest == MX_GUEST_LINUX ? MCASE_VERIFY : 0);
	for (d = 0; d < s->mock.ndev; d++)
		if (s->mock.dev[d].ring_pages)
			f |= MCASE_RING;
	return f;
}

/* The negative control's entry naming this oracle, or NULL. */
static const struct mcase_detect *detect_for(const struct mcase_spec *s, const char *oracle)
{
	int i;

	for (i = 0; i < MCASE_MAX_DETECT && s->detect[i].oracle; i++)
		if (!strcmp(s->detect[i].oracle, oracle))
			return &s->detect[i];
	return NULL;
}

bool mcase_detected(const struct mcase_verdict *v, const struct mc_ranges *where, char **summary)
{
	const struct mc_range *out = ranges_first_outside(&v->flagged, where);
	bool ok = !v->pass && !ranges_empty(&v->flagged) && !out && !ranges_empty(where);

	if (v->pass)
		*summary = mc_strdup_printf("the injected fault went unnoticed: %s", v->summary);
	else if (ranges_empty(where))
		*summary = mc_strdup_printf("the fault was injected nowhere, yet: %s", v->summary);
	else if (ranges_empty(&v->flagged))
		*summary = mc_strdup_printf("it failed without saying where: %s", v->summary);
	else if (out)
		*summary = mc_strdup_printf("flagged 0x%" PRIx64 "+0x%" PRIx64 ", outside the "
					    "%" PRIu64 " injected byte(s): %s",
					    out->start, out->len, ranges_bytes(where), v->summary);
	else
		*summary = mc_strdup_printf("caught the injected fault exactly where it was "
					    "injected (%" PRIu64 " page(s) flagged, %" PRIu64
					    " byte(s) injected): %s",
					    v->units, ranges_bytes(where), v->summary);
	return ok;
}

/* Records a negative control's verdict on one oracle. */
static void judge_detection(struct mcase *k, const struct mcase_detect *d, const char *name,
			    struct mcase_verdict *v)
{
	struct mc_ranges where;
	char *err = NULL, *sum;
	bool ok;

	ranges_init(&where);
	if (d->where(k, &where, &err) < 0) {
		mc_case_error(k->c, "%s: where the fault was injected: %s", name, err);
		free(err);
		ranges_free(&where);
		return;
	}
	ok = mcase_detected(v, &where, &sum);
	json_object_set_new(v->details ? v->details : (v->details = json_object()), "injected",
			    ranges_json(&where, 64));
	mc_case_oracle(k->c, name, ok, sum, json_incref(v->details));
	free(sum);
	ranges_free(&where);
}

/* Runs one oracle and records its verdict (or its detection). */
static void run_oracle(struct mcase *k, const struct mcase_oracle *o)
{
	struct mcase_verdict v = {0};
	const struct mcase_detect *d = detect_for(k->s, o->name);
	char *name = mcase_name(k, o->name);

	ranges_init(&v.flagged);
	if (o->check(k, &v) < 0) {
		if (mcase_alive(k))
			mc_case_error(k->c, "%s oracle could not run: %s", name,
				      v.summary ? v.summary : "?");
	} else if (d) {
		judge_detection(k, d, name, &v);
	} else {
		mc_case_oracle(k->c, name, v.pass, v.summary, json_incref(v.details));
		if (!v.pass)
			mcase_observe(k, NULL, v.summary);
	}
	if (!v.pass && !strcmp(o->name, "ram"))
		ranges_add_all(&k->ram_flagged, &v.flagged);
	free(name);
	free(v.summary);
	json_decref(v.details);
	ranges_free(&v.flagged);
}

static void run_oracles(struct mcase *k, enum mcase_at at)
{
	const struct mcase_oracle *std[] = {&mcase_oracle_ram, &mcase_oracle_ring,
					    &mcase_oracle_verify};
	const unsigned bits[] = {MCASE_RAM, MCASE_RING, MCASE_VERIFY};
	unsigned f = oracle_flags(k->s);
	size_t i;
	double t0 = mc_now_s();

	for (i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		if ((f & bits[i]) && std[i]->at == at && mcase_alive(k))
			run_oracle(k, std[i]);
	for (i = 0; i < MCASE_MAX_EXTRA && k->s->extra[i]; i++)
		if (k->s->extra[i]->at == at && mcase_alive(k))
			run_oracle(k, k->s->extra[i]);
	if (at == MCASE_MIGRATED)
		mc_case_phase(k->c, "oracle", mc_now_s() - t0);
}

/* Every detect entry must name an oracle this case runs. */
static bool detect_valid(struct mcase *k)
{
	const char *names[] = {"ram", "dma_ring", "guest_verify"};
	const unsigned bits[] = {MCASE_RAM, MCASE_RING, MCASE_VERIFY};
	unsigned f = oracle_flags(k->s);
	int i, j;

	for (i = 0; i < MCASE_MAX_DETECT && k->s->detect[i].oracle; i++) {
		bool found = false;

		for (j = 0; j < 3; j++)
			found |= (f & bits[j]) && !strcmp(names[j], k->s->detect[i].oracle);
		for (j = 0; j < MCASE_MAX_EXTRA && k->s->extra[j]; j++)
			found |= !strcmp(k->s->extra[j]->name, k->s->detect[i].oracle);
		if (!found) {
			mc_case_error(k->c,
				      "negative control names oracle %s, which this case "
				      "does not run",
				      k->s->detect[i].oracle);
			return false;
		}
	}
	return true;
}

/* The device's DMA loss, as the known-defects table names it. */
static void observe_dma_loss(struct mcase *k)
{
	struct mc_ranges dma;
	size_t i;
	int d;

	if (k->pattern || ranges_empty(&k->ram_flagged) || !k->have_rig)
		return;
	ranges_init(&dma);
	for (d = 0; d < k->s->mock.ndev; d++) {
		const struct mock_device_spec *dev = &k->s->mock.dev[d];
		int e;

		if (dev->ring_pages)
			ranges_add(&dma, mcase_iova_to_gpa(k, dev->ring_iova),
				   (uint64_t)dev->ring_pages << 12);
		for (e = 0; dev->events && e < (int)json_array_size(dev->events); e++) {
			json_t *ev = json_array_get(dev->events, e);

			ranges_add(&dma,
				   mcase_iova_to_gpa(
				       k, json_integer_value(json_object_get(ev, VFM_KEY_IOVA))),
				   (uint64_t)json_integer_value(json_object_get(ev, VFM_KEY_PAGES))
				       << 12);
		}
	}
	for (i = 0; i < k->extra_dma.n; i++)
		ranges_add(&dma, k->extra_dma.v[i].start, k->extra_dma.v[i].len);
	if (ranges_within(&k->ram_flagged, &dma))
		mcase_observe(k, "dma_pages_lost",
			      "every differing page is one the device wrote by DMA");
	ranges_free(&dma);
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
	plan.switchover_ack = true;
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
		step_failed(k, "could not drive the migration", err);
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
	run_oracles(k, MCASE_RESUMED);
	if (mc_case_failed(k->c) || run_hooks(k, MCASE_RESUMED, 0) < 0)
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
	if (!detect_valid(k) || launch(k) < 0 || run_hooks(k, MCASE_LAUNCHED, 0) < 0)
		goto ended;
	if (check_blockers(k, &done) < 0 || done)
		goto ended;
	if (s->start_paused && qmp_call_void(k->p.src->qmp, "cont", NULL, 10000, NULL) < 0) {
		step_failed(k, "continuing the source", "cont failed");
		goto ended;
	}
	if (s->guest == MX_GUEST_LINUX &&
	    (pair_wait_ready(k->c, &k->p) < 0 || start_workload(k) < 0))
		goto ended;
	if (run_hooks(k, MCASE_READY, 0) < 0 || !hooks_ran(k, MCASE_READY))
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
	if (!k->r.status || !check_outcome(k) || !hooks_ran(k, MCASE_PRE_SWITCHOVER))
		return false;
	check_syncs(k);
	return true;
}

void mcase_check(struct mcase *k)
{
	if (k->ended || run_hooks(k, MCASE_MIGRATED, 0) < 0)
		return;
	run_oracles(k, MCASE_MIGRATED);
	observe_dma_loss(k);
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
							    .pattern = k->pattern,
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
