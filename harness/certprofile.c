// SPDX-License-Identifier: GPL-2.0-or-later
/* certprofile.c: the certification profiles (certprofile.h). */
#include "certprofile.h"
#include "mockdev.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/*
 * Version 1: each dirty tracker on each backend it exists on, without a
 * vIOMMU, in pre-copy; device state over multifd once; the IOMMU's tracker
 * behind a scalable-mode vIOMMU (QEMU 11 and later allow it; older ones
 * block it and the case SKIPs with QEMU's words).  Three repetitions each.
 */
static const struct cert_item v1_items[] = {
    {MOCK_TYPE1, MX_DEVICE_LOG, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV, "dma"},
    {MOCK_TYPE1, MX_TYPE1_PERPETUAL, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV, "dma"},
    {MOCK_IOMMUFD, MX_DEVICE_LOG, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV, "dma"},
    {MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_VI_NONE, MX_PRECOPY, MX_ONE_DEV, "dma"},
    {MOCK_IOMMUFD, MX_DEVICE_LOG, MX_VI_NONE, MX_MULTIFD, MX_ONE_DEV, "dma"},
    {MOCK_IOMMUFD, MX_IOMMUFD_HWPT, MX_VI_SCALABLE, MX_PRECOPY, MX_ONE_DEV, "dma"},
};

/* Budgets for trackers that report what was written; perpetual ones resend all RAM. */
static const struct cert_budget v1_budgets[] = {
    {1ull << 20, 1000},
    {64ull << 20, 2000},
    {512ull << 20, 5000},
    {UINT64_MAX, 15000},
};

const struct cert_profile cert_profile_v1 = {
    .name = "migcheck-certify",
    .version = 1,
    .repetitions = 3,
    .items = v1_items,
    .nitems = sizeof(v1_items) / sizeof(v1_items[0]),
    .budgets = v1_budgets,
    .nbudgets = sizeof(v1_budgets) / sizeof(v1_budgets[0]),
};

void cert_item_cell(const struct cert_item *it, struct mx_cell *c)
{
	const struct mx_tracker_info *t = mx_tracker_info(it->tracker);

	mx_cell_clear(c);
	c->v[MX_BACKEND] = it->backend;
	c->v[MX_TRACKER] = it->tracker;
	c->v[MX_EM] = t && t->needs_em_on ? MX_EM_ON : MX_EM_AUTO;
	c->v[MX_VIOMMU] = it->viommu;
	c->v[MX_MIGRATION] = it->migration;
	c->v[MX_DEVICES] = it->devices;
	c->v[MX_GUEST] = MX_GUEST_LINUX;
	c->v[MX_HARDWARE] = MX_HW_HOST;
	mx_cell_name(c);
}

char *cert_item_case(const struct cert_item *it)
{
	struct mx_cell c;

	cert_item_cell(it, &c);
	return mc_strdup_printf("passthrough.%s.%s", c.variant, it->test);
}

int cert_budget_ms(const struct cert_profile *p, uint64_t state_bytes)
{
	size_t i;

	for (i = 0; i < p->nbudgets; i++)
		if (state_bytes <= p->budgets[i].state_bytes_max)
			return p->budgets[i].downtime_ms;
	return p->budgets[p->nbudgets - 1].downtime_ms;
}

json_t *cert_profile_json(const struct cert_profile *p)
{
	json_t *items = json_array(), *budgets = json_array();
	size_t i;

	for (i = 0; i < p->nitems; i++) {
		struct mx_cell c;
		char *name = cert_item_case(&p->items[i]);

		cert_item_cell(&p->items[i], &c);
		json_array_append_new(
		    items, json_pack("{s:s, s:o}", "case", name, "axes", mx_cell_json(&c)));
		free(name);
	}
	for (i = 0; i < p->nbudgets; i++)
		json_array_append_new(
		    budgets,
		    json_pack("{s:o, s:i}", "device_state_bytes_max",
			      p->budgets[i].state_bytes_max == UINT64_MAX
				  ? json_null()
				  : json_integer((json_int_t)p->budgets[i].state_bytes_max),
			      "downtime_ms", p->budgets[i].downtime_ms));
	return json_pack("{s:s, s:i, s:i, s:o, s:o, s:s}", "name", p->name, "version", p->version,
			 "repetitions", p->repetitions, "items", items, "budgets", budgets,
			 "budget_rule",
			 "for trackers that report what was written: the median of QEMU's "
			 "downtime over the repetitions must not exceed the budget of the "
			 "largest device state seen");
}
