// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The standard oracles of a migration case, and the injected places their
 * negative controls name.  Each oracle says where it found fault, in guest
 * physical addresses, so a negative control can require that the fault was
 * caught exactly where it was injected.
 */
#include "matrix.h"
#include "migcase_int.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Guest RAM equal page by page, with both sides stopped. */
static int ram_check(struct mcase *k, struct mcase_verdict *v)
{
	struct ram_cmp cmp;
	char *s1 = NULL, *s2 = NULL;
	bool ok1 = pair_side_stopped(k->c, &k->p, VM_SRC, &s1);
	bool ok2 = pair_side_stopped(k->c, &k->p, VM_DST, &s2);

	if (!ok1 || !ok2 || !k->p.src->ram || !k->p.dst->ram) {
		v->summary = mc_strdup_printf("it needs both sides stopped (source %s, "
					      "destination %s)",
					      s1, s2);
		free(s1);
		free(s2);
		return -1;
	}
	free(s1);
	free(s2);
	ram_compare(k->p.src->ram, k->p.dst->ram, k->p.src->ram_size, 4096, &k->p.layout, &cmp);
	v->pass = cmp.differing == 0;
	v->summary = ram_cmp_summary(&cmp);
	v->details = ram_cmp_json(&cmp);
	v->units = cmp.differing;
	ranges_add_all(&v->flagged, &cmp.where);
	ram_cmp_free(&cmp);
	return 0;
}

/*
 * From the sequence number each destination device carries, the stamp every
 * ring page must hold is determined; a page holding another is a lost or a
 * premature write.
 */
static int ring_check(struct mcase *k, struct mcase_verdict *v)
{
	struct ms_state st;
	json_t *per = json_array();
	uint64_t bad = 0, pages = 0;
	char *first = NULL;
	int d;

	if (mock_rig_state(&k->rig, VM_DST, &st, &v->summary) < 0) {
		json_decref(per);
		return -1;
	}
	for (d = 0; d < k->s->mock.ndev && d < st.ndev; d++) {
		const struct mock_device_spec *dev = &k->s->mock.dev[d];
		const struct ms_device *md = &st.dev[d];
		struct ring_check rc;

		if (!dev->ring_pages)
			continue;
		if (!md->resuming.received) {
			v->summary = mc_strdup_printf("device %d on the destination received no "
						      "device state (state %s)",
						      d, md->state);
			ms_free(&st);
			json_decref(per);
			return -1;
		}
		mock_ring_check(k->p.dst->ram, k->p.dst->ram_size, &k->p.layout,
				mcase_iova_to_gpa(k, dev->ring_iova), dev->ring_pages,
				md->resuming.seq, &rc, &v->flagged);
		json_array_append_new(per, json_pack("{s:i, s:I, s:I}", "device", d, "seq",
						     (json_int_t)md->resuming.seq, "bad",
						     (json_int_t)rc.bad));
		if (rc.bad && !first)
			first = mc_strdup_printf(
			    "device %d: first page %" PRIu64 " at IOVA 0x%" PRIx64
			    " (expected stamp %" PRId64 ", found %" PRId64 ")",
			    d, rc.first_bad_page, dev->ring_iova + rc.first_bad_page * 4096,
			    (int64_t)rc.first_expected, (int64_t)rc.first_seen);
		bad += rc.bad;
		pages += rc.pages;
	}
	ms_free(&st);
	v->pass = bad == 0;
	v->units = bad;
	v->details = json_pack("{s:o}", "devices", per);
	v->summary = bad ? mc_strdup_printf("%" PRIu64 " of %" PRIu64 " ring pages wrong; %s", bad,
					    pages, first)
			 : mc_strdup_printf("all %" PRIu64 " ring pages carry the stamps their "
					    "device's migrated sequence implies",
					    pages);
	free(first);
	return 0;
}

/* The agent checks its own tags on the destination. */
static int verify_check(struct mcase *k, struct mcase_verdict *v)
{
	json_t *reply = NULL;
	char *err = NULL;
	int rc = agentlink_request(k->p.dst->agent, "verify", 60000, &reply, &err);

	if (rc < 0) {
		v->summary = err;
		json_decref(reply);
		return -1;
	}
	v->pass = rc == 1;
	v->details = reply;
	if (v->pass) {
		v->summary = mc_strdup_printf("%lld pages carry the expected tags",
					      agent_reply_int(reply, "checked", -1));
	} else {
		long long gpa = agent_reply_int(reply, "first_gpa", 0);

		v->units = agent_reply_int(reply, "bad", 1);
		v->summary = mc_strdup_printf(
		    "%lld of %lld pages bad, the first at GPA 0x%llx (%s)",
		    agent_reply_int(reply, "bad", -1), agent_reply_int(reply, "checked", -1), gpa,
		    json_string_value(json_object_get(reply, "first_reason")) ?: "?");
		if (gpa)
			ranges_add(&v->flagged, (uint64_t)gpa & ~4095ull, 4096);
	}
	free(err);
	return 0;
}

const struct mcase_oracle mcase_oracle_ram = {"ram", MCASE_MIGRATED, ram_check};
const struct mcase_oracle mcase_oracle_ring = {"dma_ring", MCASE_MIGRATED, ring_check};
const struct mcase_oracle mcase_oracle_verify = {"guest_verify", MCASE_RESUMED, verify_check};

/* IOVA ranges of the source mock into guest physical ones. */
static void to_gpa(struct mcase *k, const struct mc_ranges *iova, struct mc_ranges *out)
{
	size_t i;

	for (i = 0; i < iova->n; i++)
		ranges_add(out, mcase_iova_to_gpa(k, iova->v[i].start), iova->v[i].len);
}

int mcase_where_dropped(struct mcase *k, struct mc_ranges *out, char **err)
{
	struct ms_state st;

	if (mock_rig_state(&k->rig, VM_SRC, &st, err) < 0)
		return -1;
	if (!st.dropped_complete) {
		mc_set_err(err, "the mock kept only part of the ranges it hid");
		ms_free(&st);
		return -1;
	}
	to_gpa(k, &st.dropped, out);
	ms_free(&st);
	return 0;
}

int mcase_where_after_stop(struct mcase *k, struct mc_ranges *out, char **err)
{
	struct ms_state st;
	int d;

	if (mock_rig_state(&k->rig, VM_SRC, &st, err) < 0)
		return -1;
	for (d = 0; d < st.ndev; d++)
		to_gpa(k, &st.dev[d].after_stop, out);
	ms_free(&st);
	return 0;
}
