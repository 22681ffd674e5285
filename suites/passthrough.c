// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/passthrough: live migration with real host devices
 * (--device host=SRC_BDF,DST_BDF, hostdev.h), over the matrix cells that
 * apply to them (hostcells.h).
 *
 * migrate: the device migrates with a guest that dirties its memory;
 *          RAM equality and the agent's verify decide.
 * dma:     guest-side DMA through the agent's driver for the device
 *          (guests/agent/driver.h): a continuous stream runs from before the
 *          migration until the third dirty sync, and a fill of 64 pages at
 *          the start is rewritten by the device after the first RAM pass
 *          sent it.  Only the dirty tracker can tell QEMU about either.  On
 *          the destination the agent checks the fill (dma_fill) and, from
 *          the count the device carried over, every stream page
 *          (dma_stream); RAM equality and the agent's tags decide too.
 * dma_selftest: the negative control of those oracles: one fill page and
 *          one stream page corrupted in the destination's RAM with both
 *          sides stopped must be caught by RAM equality at both places, by
 *          dma_fill and dma_stream each at its own, and nowhere else.
 *
 * Nothing here needs the mock: fault injection and host-side DMA plans are
 * not generated for host devices (hostcells_not_generated).  Without
 * --device every case SKIPs, as the kernel's VFIO selftests do without a
 * BDF; a cell the devices cannot do SKIPs with what the kernel said.
 */
#include "hostcells.h"
#include "hostdev.h"
#include "hostrig.h"
#include "lvpair.h"
#include "matrix.h"
#include "migcase.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILL_PAGES 64
#define STREAM_PAGES 64
#define STREAM_RATE 500
#define HOLD_SYNCS 3
#define REFILL_SYNC 2
#define CORRUPT_FILL_PAGE 5
#define CORRUPT_STREAM_PAGE 0
#define AGENT_MS 60000

enum pt_kind { PT_MIGRATE, PT_DMA, PT_DMA_SELFTEST, PT_KINDS };

struct pt_case {
	struct mx_cell cell;
	enum pt_kind kind;
	struct host_spec host;
	struct mcase_spec spec;
};

/* Per run: where the corrupted pages are, for the negative control. */
struct pt_scratch {
	uint64_t fill_gpa, stream_gpa;
};

static const struct {
	const char *test;
	const char *summary;
} kinds[PT_KINDS] = {
    [PT_MIGRATE] = {"migrate", "host devices migrate with a dirtying guest; RAM and verify"},
    [PT_DMA] = {"dma", "guest-side DMA by the agent's driver across pre-copy; the fill and "
		       "the stream checked on the destination"},
    [PT_DMA_SELFTEST] = {"dma_selftest", "negative control: a corrupted fill page and stream "
					 "page must be caught exactly where they are"},
};

static struct pt_scratch *scratch(struct mcase *k)
{
	void **s = mcase_scratch(k);

	if (!*s && !(*s = calloc(1, sizeof(struct pt_scratch))))
		abort();
	return *s;
}

/* An agent request that may fail: 1 ok, 0 the agent's refusal (*reply, *err), -1 no answer. */
static int ask(struct mcase *k, enum vm_role side, const char *cmd, json_t **reply, char **err)
{
	struct pair *p = mcase_pair(k);
	struct vm *vm = side == VM_SRC ? p->src : p->dst;
	int rc = agentlink_request(vm->agent, cmd, AGENT_MS, reply, err);

	mc_case_log(mcase_case(k), "%s agent: %s -> %s", vm->name, cmd,
		    rc == 1 ? json_string_value(json_object_get(*reply, "_text")) : *err);
	return rc;
}

static uint64_t reply_u64(json_t *r, const char *key)
{
	return (uint64_t)agent_reply_int(r, key, 0);
}

/* Before migrating: the driver takes the device, the stream starts, the first fill lands. */
static int dma_start(struct mcase *k)
{
	const struct hostdev *d = hostdev_src(hostdev_run(), 0);
	struct pt_scratch *sc = scratch(k);
	json_t *r = NULL;
	char *err = NULL;
	int rc;

	r = mcase_agent(k, VM_SRC, "dev find vendor=0x%04x device=0x%04x", d->vendor, d->device);
	if (!r)
		return -1;
	json_decref(r);
	r = NULL;
	rc = ask(k, VM_SRC, "dma open via=sysfs", &r, &err);
	if (rc == 0 && err && strstr(err, "no driver for")) {
		mc_case_skip(mcase_case(k),
			     "the guest agent has no driver for %04x:%04x, so no guest-side DMA "
			     "(README: Writing a device driver): %s",
			     d->vendor, d->device, err);
		rc = -1;
	} else if (rc != 1) {
		mc_case_fail(mcase_case(k), "dma open: %s", err ? err : "no answer");
		rc = -1;
	}
	json_decref(r);
	free(err);
	if (rc < 0)
		return -1;
	r = mcase_agent(k, VM_SRC, "dma stream-start pages=%d rate=%d", STREAM_PAGES, STREAM_RATE);
	if (!r)
		return -1;
	mc_case_set(mcase_case(k), "stream_engine", json_incref(json_object_get(r, "engine")));
	json_decref(r);
	r = mcase_agent(k, VM_SRC, "dma fill pages=%d seed=1", FILL_PAGES);
	if (!r)
		return -1;
	if (reply_u64(r, "landed") != FILL_PAGES) {
		mc_case_error(mcase_case(k),
			      "the device's first fill did not land (%" PRIu64 " of %d pages): "
			      "the scenario cannot run",
			      reply_u64(r, "landed"), FILL_PAGES);
		json_decref(r);
		return -1;
	}
	json_decref(r);
	r = mcase_agent(k, VM_SRC, "dma gpa what=fill index=%d", CORRUPT_FILL_PAGE);
	sc->fill_gpa = r ? reply_u64(r, "gpa") : 0;
	json_decref(r);
	r = r ? mcase_agent(k, VM_SRC, "dma gpa what=stream index=%d", CORRUPT_STREAM_PAGE) : NULL;
	sc->stream_gpa = r ? reply_u64(r, "gpa") : 0;
	json_decref(r);
	return r ? 0 : -1;
}

/* After a RAM pass sent them: the device rewrites every fill page. */
static int dma_refill(struct mcase *k)
{
	json_t *r = mcase_agent(k, VM_SRC, "dma fill pages=%d seed=2", FILL_PAGES);
	int rc = r && reply_u64(r, "landed") == FILL_PAGES ? 0 : -1;

	if (r && rc)
		mc_case_error(mcase_case(k), "the refill did not land (%" PRIu64 " of %d pages)",
			      reply_u64(r, "landed"), FILL_PAGES);
	json_decref(r);
	return rc;
}

/* When pre-copy is released: the stream stops, so what the destination checks is final. */
static int stream_stop(struct mcase *k)
{
	json_t *r = mcase_agent(k, VM_SRC, "dma stream-stop");

	if (r)
		mc_case_set(mcase_case(k), "stream_stamps_on_source",
			    json_integer((json_int_t)reply_u64(r, "seq")));
	json_decref(r);
	return r ? 0 : -1;
}

/* An agent check on the destination as an oracle verdict. */
static int agent_oracle(struct mcase *k, const char *cmd, struct mcase_verdict *v)
{
	json_t *reply = NULL;
	char *err = NULL;
	int rc = ask(k, VM_DST, cmd, &reply, &err);

	if (rc < 0) {
		v->summary = err;
		json_decref(reply);
		return -1;
	}
	v->pass = rc == 1;
	v->details = reply;
	if (v->pass) {
		v->summary = mc_strdup_printf("%s: %s", cmd,
					      json_string_value(json_object_get(reply, "_text")));
	} else {
		uint64_t gpa = reply_u64(reply, "first_gpa");

		v->units = reply_u64(reply, "bad");
		v->summary = mc_strdup_printf(
		    "%s: %s", cmd, json_string_value(json_object_get(reply, "_text")) ?: err);
		if (gpa)
			ranges_add(&v->flagged, gpa & ~4095ull, 4096);
	}
	free(err);
	return 0;
}

static int fill_check(struct mcase *k, struct mcase_verdict *v)
{
	return agent_oracle(k, "dma verify", v);
}

static int stream_check(struct mcase *k, struct mcase_verdict *v)
{
	return agent_oracle(k, "dma stream-check", v);
}

static const struct mcase_oracle fill_oracle = {"dma_fill", MCASE_RESUMED, fill_check};
static const struct mcase_oracle stream_oracle = {"dma_stream", MCASE_RESUMED, stream_check};

/* ---- the negative control ---- */

static void flip(struct mcase *k, uint64_t gpa)
{
	struct pair *p = mcase_pair(k);
	uint64_t off = ram_layout_offset(&p->layout, gpa);
	int i;

	if (off == UINT64_MAX || off + 4096 > p->dst->ram_size)
		return;
	for (i = 0; i < 8; i++) {
		p->dst->ram[off + 8 + i] ^= 0x5a;
		p->dst->ram[off + 2048 + i] ^= 0x5a;
	}
}

/* Both sides stopped: a stamp word and the body of one fill page and one stream page. */
static int corrupt_pages(struct mcase *k)
{
	const struct pt_scratch *sc = scratch(k);

	if (!sc->fill_gpa || !sc->stream_gpa) {
		mc_case_error(mcase_case(k), "the agent named no guest physical page to corrupt");
		return -1;
	}
	flip(k, sc->fill_gpa);
	flip(k, sc->stream_gpa);
	return 0;
}

static int where_both(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)err;
	ranges_add(out, scratch(k)->fill_gpa, 4096);
	ranges_add(out, scratch(k)->stream_gpa, 4096);
	return 0;
}

static int where_fill(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)err;
	ranges_add(out, scratch(k)->fill_gpa, 4096);
	return 0;
}

static int where_stream(struct mcase *k, struct mc_ranges *out, char **err)
{
	(void)err;
	ranges_add(out, scratch(k)->stream_gpa, 4096);
	return 0;
}

/* ---- the cases ---- */

static void describe(struct pt_case *p)
{
	const struct mx_tracker_info *t = mx_tracker_info(p->cell.v[MX_TRACKER]);
	struct mcase_spec *s = &p->spec;
	int h = 0;

	hostrig_cell_spec(&p->cell, &p->host);
	s->host = &p->host;
	s->guest = MX_GUEST_LINUX;
	s->viommu = p->cell.v[MX_VIOMMU];
	/* Behind a vIOMMU the device stays in an identity domain: device addresses are GPAs. */
	s->guest_iommu = MX_GI_PT;
	s->invalidation = -1;
	s->buffer_mib = 16;
	s->dirtying = true;
	s->plan.multifd = p->cell.v[MX_MIGRATION] == MX_MULTIFD;
	s->plan.timeout_ms = 180000;
	s->hold_syncs = s->min_syncs = HOLD_SYNCS;
	/* Perpetual reporting and no tracker resend all RAM at every sync. */
	s->release_downtime_ms = t && t->precise ? 500 : 20000;
	s->expect.skip_unsupported = true;
	if (p->kind == PT_MIGRATE)
		return;
	s->hooks[h++] = (struct mcase_hook){MCASE_READY, 0, dma_start, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_SYNC, REFILL_SYNC, dma_refill, false};
	s->hooks[h++] = (struct mcase_hook){MCASE_SYNC, HOLD_SYNCS, stream_stop, false};
	s->extra[0] = &fill_oracle;
	s->extra[1] = &stream_oracle;
	if (p->kind == PT_DMA_SELFTEST) {
		s->hooks[h++] = (struct mcase_hook){MCASE_MIGRATED, 0, corrupt_pages, false};
		s->detect[0] = (struct mcase_detect){"ram", where_both};
		s->detect[1] = (struct mcase_detect){"dma_fill", where_fill};
		s->detect[2] = (struct mcase_detect){"dma_stream", where_stream};
	}
	s->data = p;
}

static void pt_test(struct mc_case *c, const void *data)
{
	const struct pt_case *p = data;
	const struct hostdev_set *s = hostdev_run();
	char *why = NULL;

	if (!s) {
		mc_case_skip(c, "no host device named: --device host=SRC_BDF,DST_BDF (README: "
				"Certifying a device)");
		return;
	}
	if (lv_active(c)) {
		mc_case_skip(c, "host devices through libvirt need <hostdev> in the domain XML, "
				"which the libvirt runs do not generate yet");
		return;
	}
	if (!hostcells_applies(&p->cell, s, &why)) {
		mc_case_skip(c, "%s", why);
		free(why);
		return;
	}
	mc_case_set(c, "host", hostdev_json(s));
	mcase_run(c, &p->spec);
	/* A device that went away explains whatever failed before. */
	why = hostdev_recheck(s);
	if (why) {
		mc_case_set(c, "host_device_lost", json_string(why));
		mc_case_fail(c, "%s", why);
		free(why);
	}
}

static const struct mc_fixture passthrough_fixture = {
    .name = "passthrough",
    .order = 5,
    .summary = "live migration with host devices (--device host=SRC_BDF,DST_BDF)",
};
MC_FIXTURE(passthrough_fixture)

/* The plain cell per tracker and backend, for the negative control. */
static bool base_cell(const struct mx_cell *c)
{
	return c->v[MX_VIOMMU] == MX_VI_NONE && c->v[MX_MIGRATION] == MX_PRECOPY &&
	       c->v[MX_DEVICES] == MX_ONE_DEV;
}

__attribute__((constructor)) static void passthrough_register(void)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, ntests = 0;
	struct pt_case *cases = calloc(n * PT_KINDS, sizeof(*cases));
	struct mc_test *tests = calloc(n * PT_KINDS, sizeof(*tests));
	int k;

	if (!cases || !tests)
		abort();
	for (i = 0; i < n; i++) {
		if (!hostcells_generated(&cells[i]))
			continue;
		for (k = 0; k < PT_KINDS; k++) {
			struct pt_case *p = &cases[ntests];

			if (k == PT_DMA_SELFTEST && !base_cell(&cells[i]))
				continue;
			p->cell = cells[i];
			p->cell.v[MX_GUEST] = MX_GUEST_LINUX;
			p->cell.v[MX_HARDWARE] = MX_HW_HOST;
			mx_cell_name(&p->cell);
			p->kind = k;
			describe(p);
			tests[ntests] =
			    (struct mc_test)MC_TEST("passthrough", p->cell.variant, kinds[k].test,
						    pt_test, p, 300, kinds[k].summary);
			tests[ntests].axes = p->cell.axes;
			ntests++;
		}
	}
	free(cells);
	mc_register_tests(tests, ntests);
}
