// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_policy.c: a policy expectations table (fixtures/expectations/
 * qemu-*.json) through the loader the policy suite uses (pt_parse(), the
 * in-memory twin of pt_load()), named as if it lived beside the shipped
 * tables so that "extends" reaches real files.  A table that loads is then
 * used as the suite uses it: matched against every matrix cell, its
 * promises expanded for devices and judged against two observations.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_table.h"

/* Eight cells spread over the matrix, from @seed on: every cell in time. */
static void use(const struct pt_table *t, const struct mx_cell *cells, size_t ncells, size_t seed)
{
	static const struct pt_device devs[2] = {
	    {.sysfs = "0000:01:00.0", .id = "vf0", .fd = NULL},
	    {.sysfs = "0000:02:00.0", .id = "vf1", .fd = "23"},
	};
	struct pt_decision obs = {.outcome = PT_ALLOWED, .tracker = "device-log"};
	size_t i, step = ncells / 8 ? ncells / 8 : 1;

	pt_version_in("10.0.2", t->from, t->before);
	for (i = seed % step; i < ncells; i += step) {
		const struct pt_rule *r = pt_match(t, cells[i].axes);
		struct pt_decision exp = {0};
		char *names[2], *reason = NULL, *s;
		int k;

		if (!r)
			continue;
		for (k = 0; k < 2; k++)
			names[k] = pt_device_name(t, cells[i].v[MX_BACKEND], &devs[k]);
		pt_expect(r, (const char *const *)names, 1 + (int)(i & 1), &exp);
		pt_compare(&exp, &exp, &reason);
		free(reason);
		reason = NULL;
		pt_compare(&exp, &obs, &reason);
		free(reason);
		s = pt_decision_str(&exp);
		free(s);
		json_decref(pt_decision_json(&exp));
		pt_decision_clear(&exp);
		for (k = 0; k < 2; k++)
			free(names[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mx_cell *cells;
	static size_t ncells;
	struct pt_table *t;
	char *err = NULL;

	if (!cells)
		ncells = mx_enumerate(&cells);
	t = pt_parse(MIGCHECK_EXPECTATIONS_DIR "/qemu-fuzz.json", (const char *)data, size, &err);
	/* Exactly one of a table and a reason. */
	if (!t == !err)
		abort();
	if (t)
		use(t, cells, ncells, size);
	pt_free(t);
	free(err);
	return 0;
}
