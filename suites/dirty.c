// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/dirty: dirty-tracking correctness with a DMA-capable VFIO device.
 *
 * The mock device's ring writer stamps guest RAM through the IOVA mappings
 * QEMU registered, bypassing QEMU as hardware DMA does, while the agent
 * dirties its buffer on the CPU; pre-copy is held open for at least three
 * dirty syncs.  Only the VFIO dirty tracker can tell QEMU which pages the
 * device wrote, so three oracles decide: RAM equality with both sides
 * stopped, the DMA ring (every ring page carries the stamp the migrated
 * sequence number implies), and the agent's verify.
 *
 * Variants cover each tracker QEMU can use: device DMA logging (type1,
 * iommufd, iommufd with fd passing), iommufd HWPT dirty tracking, and type1's
 * perpetual dirty reporting (enable-migration=on).  Each has a negative
 * control, drop_dirty: the mock drops every dirty bit that tracker reports,
 * and the case passes only if both the RAM and the ring oracle catch it.
 */
#include "mockdev.h"
#include "pair.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Guest RAM the guest kernel never uses (memmap=...$...), where DMA goes. */
#define DMA_WINDOW 0x8000000ull
#define DMA_APPEND "memmap=16M$0x8000000"
#define RING_PAGES 64
#define RING_RATE_HZ 2000
#define MIN_SYNCS 3

enum tracker { DEVICE_LOG, IOMMU_HWPT, TYPE1_PERPETUAL };

static const char *const tracker_fault_name[] = {"device", "iommu", "type1"};

struct dirty_variant {
	enum mock_backend backend;
	enum tracker tracker;
};

static void build_spec(const struct dirty_variant *v, json_t *faults, struct mock_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->backend = v->backend;
	s->ndev = 1;
	s->iommu_dirty = v->tracker == IOMMU_HWPT;
	s->dev[0].no_dma_logging = v->tracker != DEVICE_LOG;
	s->dev[0].host_driven = true;
	s->dev[0].ring_iova = DMA_WINDOW;
	s->dev[0].ring_pages = RING_PAGES;
	s->dev[0].ring_rate_hz = RING_RATE_HZ;
	/* type1 is not counted as dirty tracking: QEMU needs enable-migration=on. */
	if (v->tracker == TYPE1_PERPETUAL)
		s->enable_migration = "on";
	s->faults[VM_SRC] = faults;
}

/* Which tracker QEMU actually drove, from the source mock's sync records. */
static json_t *dirty_accounting(json_t *dev)
{
	json_t *acct = json_object(), *per = json_object(), *rec;
	long long reported = 0, dropped = 0;
	size_t i;

	json_array_foreach(json_object_get(dev, "syncs"), i, rec)
	{
		const char *t = json_string_value(json_object_get(rec, "tracker")) ?: "?";
		json_t *n = json_object_get(per, t);

		json_object_set_new(per, t, json_integer((n ? json_integer_value(n) : 0) + 1));
		reported += json_integer_value(json_object_get(rec, "dirty"));
		dropped += json_integer_value(json_object_get(rec, "dropped"));
	}
	json_object_set_new(acct, "syncs_by_tracker", per);
	json_object_set_new(acct, "pages_reported_dirty", json_integer(reported));
	json_object_set_new(acct, "pages_dropped_by_fault", json_integer(dropped));
	json_object_set(acct, "dma_writes", json_object_get(dev, "writes"));
	json_object_set(acct, "dma_pages_written", json_object_get(dev, "pages_written_count"));
	json_object_set(acct, "dma_faults", json_object_get(dev, "faults"));
	if (json_integer_value(json_object_get(dev, "pages_written_count")) > 0)
		json_object_set_new(acct, "dirty_amplification",
				    json_real((double)reported / json_integer_value(json_object_get(
								     dev, "pages_written_count"))));
	return acct;
}

static void dirty_case(struct mc_case *c, const struct dirty_variant *v, bool drop)
{
	const struct mc_config *cfg = mc_case_config(c);
	json_t *faults = NULL, *src_dev = NULL, *dst_dev = NULL;
	struct mock_spec spec;
	struct mock_rig rig = {0};
	struct pair_opts o = {.mem_bytes = 256ull << 20, .append = DMA_APPEND};
	struct pair p = {0};
	struct mig_plan plan = {.return_path = true, .switchover_ack = true, .timeout_ms = 120000};
	struct mig_result r = {0};
	struct ram_cmp cmp;
	struct ring_check ring;
	char *err = NULL, *s;
	double t0;
	uint64_t seq;

	if (drop)
		faults = json_pack("[{s:s, s:s, s:f}]", "kind", "drop_dirty", "tracker",
				   tracker_fault_name[v->tracker], "fraction", 1.0);
	build_spec(v, faults, &spec);
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	o.extra_args = (const char *const *)rig.args;
	o.env_side[VM_SRC] = (const char *const *)rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)rig.env[VM_DST];
	if (pair_start(c, &o, &p) < 0)
		goto out;
	if (pair_start_workload(c, &p, 16, true) < 0)
		goto out;
	/* Perpetual reporting resends all RAM every sync: allow it to converge. */
	pair_hold_precopy(&plan, MIN_SYNCS, v->tracker == TYPE1_PERPETUAL ? 20000 : 500);

	t0 = mc_now_s();
	if (mig_run(p.src, p.dst, &plan, &r, &err) < 0) {
		mc_case_fail(c, "could not drive the migration: %s", err);
		goto out;
	}
	mc_case_phase(c, "migration", mc_now_s() - t0);
	if (!pair_record_migration(c, &p, &r))
		goto out;
	pair_check_syncs(c, &r, MIN_SYNCS);

	src_dev = mock_rig_device(&rig, VM_SRC, 0, &err);
	dst_dev = src_dev ? mock_rig_device(&rig, VM_DST, 0, &err) : NULL;
	if (!dst_dev) {
		mc_case_fail(c, "cannot read the mock's state: %s", err);
		goto out;
	}
	json_object_set_new(mc_case_metrics(c), "dirty", dirty_accounting(src_dev));
	if (json_integer_value(json_object_get(src_dev, "writes")) == 0) {
		mc_case_error(c, "the mock device never wrote: the DMA workload did not run");
		goto out;
	}

	t0 = mc_now_s();
	ram_compare(p.src->ram, p.dst->ram, p.src->ram_size, 4096, &p.layout, &cmp);
	/* With -S the device still holds the migrated state unapplied. */
	if (!json_is_true(json_object_get(json_object_get(dst_dev, "resuming"), "received"))) {
		mc_case_fail(c, "the destination device received no device state (state %s)",
			     json_string_value(json_object_get(dst_dev, "state")) ?: "?");
		goto out;
	}
	seq = (uint64_t)json_integer_value(
	    json_object_get(json_object_get(dst_dev, "resuming"), "seq"));
	mock_ring_check(p.dst->ram, p.dst->ram_size, &p.layout, DMA_WINDOW, RING_PAGES, seq, &ring);
	mc_case_phase(c, "oracle", mc_now_s() - t0);

	if (!drop) {
		s = ram_cmp_summary(&cmp);
		mc_case_oracle(c, "ram", cmp.differing == 0, s, ram_cmp_json(&cmp));
		free(s);
		s = ring.bad ? mc_strdup_printf("%" PRIu64 " of %" PRIu64 " ring pages wrong, "
						"first page %" PRIu64 " (expected stamp %" PRIu64
						", found %" PRId64 ")",
						ring.bad, ring.pages, ring.first_bad_page,
						ring.first_expected, (int64_t)ring.first_seen)
			     : mc_strdup_printf("all %" PRIu64 " ring pages carry the stamps "
						"sequence %" PRIu64 " implies",
						ring.pages, seq);
		mc_case_oracle(
		    c, "dma_ring", ring.bad == 0, s,
		    json_pack("{s:I, s:I}", "seq", (json_int_t)seq, "bad", (json_int_t)ring.bad));
		free(s);
	} else {
		/* The negative control passes only if the loss is caught. */
		s = ram_cmp_summary(&cmp);
		mc_case_oracle(c, "ram_detects_drop", cmp.differing > 0, s, ram_cmp_json(&cmp));
		free(s);
		s = mc_strdup_printf("%" PRIu64 " of %" PRIu64 " ring pages stale", ring.bad,
				     ring.pages);
		mc_case_oracle(c, "ring_detects_drop", ring.bad > 0, s, NULL);
		free(s);
		goto out;
	}
	if (pair_resume(c, &p, &r) < 0)
		goto out;
	pair_verify_guest(c, &p);
	pair_record_metrics(c, &p, &r);
out:
	json_decref(src_dev);
	json_decref(dst_dev);
	json_decref(faults);
	free(err);
	mig_result_clear(&r);
	pair_stop(&p);
	mock_rig_free(&rig);
}

static void dirty_migrate(struct mc_case *c, const void *data)
{
	dirty_case(c, data, false);
}

static void dirty_drop(struct mc_case *c, const void *data)
{
	dirty_case(c, data, true);
}

static const struct dirty_variant type1_devlog = {MOCK_TYPE1, DEVICE_LOG};
static const struct dirty_variant iommufd_devlog = {MOCK_IOMMUFD, DEVICE_LOG};
static const struct dirty_variant iommufd_fd_devlog = {MOCK_IOMMUFD_FD, DEVICE_LOG};
static const struct dirty_variant iommufd_hwpt = {MOCK_IOMMUFD, IOMMU_HWPT};
static const struct dirty_variant iommufd_fd_hwpt = {MOCK_IOMMUFD_FD, IOMMU_HWPT};
static const struct dirty_variant type1_perpetual = {MOCK_TYPE1, TYPE1_PERPETUAL};

#define DIRTY_CASES(var, what)                                                                     \
	MC_TEST("dirty", "dirty", #var, "migrate", dirty_migrate, &var, 120,                       \
		what ": ring DMA and CPU dirtying, RAM, ring and verify oracles"),                 \
	    MC_TEST("dirty", "dirty", #var, "drop_dirty", dirty_drop, &var, 120,                   \
		    "negative control: " what " with its dirty bits dropped must be caught")

static const struct mc_test dirty_tests[] = {
    DIRTY_CASES(type1_devlog, "type1, device DMA logging"),
    DIRTY_CASES(iommufd_devlog, "iommufd, device DMA logging"),
    DIRTY_CASES(iommufd_fd_devlog, "iommufd fd passing, device DMA logging"),
    DIRTY_CASES(iommufd_hwpt, "iommufd, HWPT dirty tracking"),
    DIRTY_CASES(iommufd_fd_hwpt, "iommufd fd passing, HWPT dirty tracking"),
    DIRTY_CASES(type1_perpetual, "type1 perpetual dirty reporting, enable-migration=on"),
};
MC_SUITE(dirty_tests)
