// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The running case as hooks and oracles see it (the calls migcase.h offers
 * them), and the runner's side of that: running the hooks planned at a point,
 * checking that they all ran, running the oracles and judging a negative
 * control by where its oracle found the injected fault.
 */
#include "matrix.h"
#include "migcase_int.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	size_t i;

	for (i = 0; pattern && i < MCASE_MAX_PATTERNS && k->patterns[i]; i++)
		if (!strcmp(k->patterns[i], pattern))
			break;
	if (pattern && i < MCASE_MAX_PATTERNS && !k->patterns[i])
		k->patterns[i] = pattern;
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
void mcase_step_failed(struct mcase *k, const char *what, const char *err)
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
	mcase_step_failed(k, "setting migration limits", err);
	free(err);
	return -1;
}

int mcase_set_downtime(struct mcase *k, uint64_t downtime_ms)
{
	char *err = NULL;

	if (!k->mig || mig_run_set_downtime(k->mig, downtime_ms, &err) == 0)
		return k->mig ? 0 : -1;
	mcase_step_failed(k, "setting the downtime limit", err);
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
	mcase_step_failed(k, "reading the mock's state", err);
	free(err);
	return -1;
}

json_t *mcase_mock(struct mcase *k, enum vm_role side, json_t *req)
{
	char *err = NULL;
	json_t *r = mock_rig_call(&k->rig, side, req, &err);

	if (!r)
		mcase_step_failed(k, "mock control", err);
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
		mcase_step_failed(k, cmd, err);
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

/* ---- the runner's side: hooks ---- */

/* Runs the hooks planned at `at` (and `sync`); -1 if one stopped the case. */
int mcase_run_hooks(struct mcase *k, enum mcase_at at, int sync)
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
bool mcase_hooks_ran(struct mcase *k, enum mcase_at upto)
{
	int i;

	for (i = 0; i < MCASE_MAX_HOOKS && k->s->hooks[i].fn; i++) {
		const struct mcase_hook *h = &k->s->hooks[i];

		if (h->at > upto || k->ran[i] || h->optional)
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

/* ---- the runner's side: oracles ---- */

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

void mcase_run_oracles(struct mcase *k, enum mcase_at at)
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
bool mcase_detect_valid(struct mcase *k)
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

/* The device's DMA loss, or the guest CPU's, as the known-defects table names it. */
void mcase_observe_dma_loss(struct mcase *k)
{
	struct mc_ranges dma;
	const char *sig;
	size_t i;
	int d;

	if (k->patterns[0] || ranges_empty(&k->ram_flagged) || !k->have_rig)
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
	sig = ram_loss_signature(&k->ram_flagged, &dma);
	if (sig && !strcmp(sig, RAM_LOSS_DMA))
		mcase_observe(k, sig, "every differing page is one the device wrote by DMA");
	else if (sig)
		mcase_observe(k, sig,
			      "no differing page is one the device wrote: the guest's own writes "
			      "were lost");
	ranges_free(&dma);
}
