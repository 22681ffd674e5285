// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/compat: migration between two QEMU builds, a distribution's
 * upgrade path.  The Linux guest with a DMA-writing mock device goes from
 * the older build to the newer one and back, both sides on the older
 * release's pc-q35 machine type, with every oracle at both hops: the
 * device state must load on the other build, RAM, the device's ring and
 * the guest's buffers must be equal.
 *
 * The other build is --qemu-dst, else the first QEMU in $MIGCHECK_QEMUS
 * that belongs to another release; without one every case SKIPs.
 * Cells: each dirty tracker without a vIOMMU.
 */
#include "matrix.h"
#include "migcase.h"
#include "qemuid.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DMA_WINDOW 0x8000000ull
#define RING_PAGES 64

struct cp_case {
	struct mx_cell cell;
	struct mcase_spec spec;
	char append[48];
};

/* The build to migrate to and from: --qemu-dst, else one in $MIGCHECK_QEMUS. */
static char *other_build(const struct mc_config *cfg, const char *mine, char *rel, size_t len)
{
	const char *list = getenv("MIGCHECK_QEMUS");
	char *copy, *save = NULL, *q, *found = NULL;

	if (cfg->qemu_dst)
		return qemuid_binary_release(cfg->qemu_dst, rel, len) == 0 ? strdup(cfg->qemu_dst)
									   : NULL;
	if (!list || !*list)
		return NULL;
	copy = strdup(list);
	for (q = strtok_r(copy, ":", &save); q && !found; q = strtok_r(NULL, ":", &save))
		if (*q && qemuid_binary_release(q, rel, len) == 0 && strcmp(rel, mine))
			found = strdup(q);
	free(copy);
	return found;
}

static void compat(struct mc_case *c, const void *data)
{
	const struct cp_case *p = data;
	const struct mc_config *cfg = mc_case_config(c);
	struct mcase_spec s = p->spec;
	char mine[32], theirs[32], *other;
	struct mcase *k;

	if (qemuid_binary_release(cfg->qemu, mine, sizeof(mine)) < 0) {
		mc_case_error(c, "cannot tell the release of %s from --version", cfg->qemu);
		return;
	}
	other = other_build(cfg, mine, theirs, sizeof(theirs));
	if (!other) {
		mc_case_skip(c, "no second QEMU build (--qemu-dst PATH, or one of another release "
				"in MIGCHECK_QEMUS)");
		return;
	}
	/* Upgrade first, then back to the build the guest came from. */
	s.qemu_src = mc_version_cmp(mine, theirs) <= 0 ? cfg->qemu : other;
	s.qemu_dst = s.qemu_src == cfg->qemu ? other : cfg->qemu;
	mc_case_log(c, "from %s to %s and back", s.qemu_src, s.qemu_dst);
	k = mcase_open(c, &s);
	mcase_round(k, "upgrade");
	if (mcase_migrate(k, NULL)) {
		mcase_check(k);
		if (!mc_case_failed(c) && mcase_swap(k) == 0) {
			mcase_round(k, "downgrade");
			if (mcase_migrate(k, NULL))
				mcase_check(k);
		}
	}
	mcase_close(k);
	free(other);
}

static void describe(struct cp_case *p)
{
	const struct mx_tracker_info *t = mx_tracker_info(p->cell.v[MX_TRACKER]);
	struct mcase_spec *s = &p->spec;

	mx_cell_mock_spec(&p->cell, &s->mock);
	s->mock.dev[0].host_driven = true;
	s->mock.dev[0].ring_iova = DMA_WINDOW;
	s->mock.dev[0].ring_pages = RING_PAGES;
	s->mock.dev[0].ring_rate_hz = 2000;
	s->guest = MX_GUEST_LINUX;
	snprintf(p->append, sizeof(p->append), "memmap=16M$0x%llx", (unsigned long long)DMA_WINDOW);
	s->append = p->append;
	s->viommu = MX_VI_NONE;
	s->guest_iommu = MX_GI_PT;
	s->invalidation = -1;
	s->buffer_mib = 16;
	s->dirtying = true;
	s->hold_syncs = 3;
	s->release_downtime_ms = t->precise ? 500 : 20000;
	s->plan.timeout_ms = 180000;
	s->data = p;
}

static const struct mc_fixture compat_fixture = {
    .name = "compat",
    .order = 5,
    .summary = "migration from the older QEMU build to the newer and back",
};
MC_FIXTURE(compat_fixture)

__attribute__((constructor)) static void compat_register(void)
{
	struct mx_cell *cells;
	size_t n = mx_enumerate(&cells), i, nt = 0;
	struct cp_case *cases = calloc(n, sizeof(*cases));
	struct mc_test *tests = calloc(n, sizeof(*tests));

	if (!cases || !tests)
		abort();
	for (i = 0; i < n; i++) {
		struct cp_case *p = &cases[nt];

		if (!mx_cell_tracker_base(&cells[i]) || cells[i].v[MX_VIOMMU] != MX_VI_NONE)
			continue;
		p->cell = cells[i];
		p->cell.v[MX_GUEST] = MX_GUEST_LINUX;
		mx_cell_name(&p->cell);
		describe(p);
		tests[nt] = (struct mc_test)MC_TEST(
		    "compat", p->cell.variant, "upgrade_downgrade", compat, p, 600,
		    "older build to newer and back, every oracle at both hops");
		tests[nt].axes = p->cell.axes;
		nt++;
	}
	free(cells);
	mc_register_tests(tests, nt);
}
