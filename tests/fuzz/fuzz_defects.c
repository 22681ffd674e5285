// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_defects.c: a known-defects file (fixtures/expectations/defects.json)
 * through the loader the runner uses (defects_parse(), the in-memory twin
 * of defects_load()), then looked up and matched the way a case does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "defects.h"

static const char *const cases[] = {
    "dirty.type1_notrack_on_novi_precopy_1dev.migrate",
    "domain.bare_scalable_type1.passthrough_live",
    "smoke.idle.migrate",
};
static const char *const versions[] = {"10.0.2", "10.2.2", "11.0.0", "9", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct defect_observation crash = {.crashed = true,
					   .stderr_tail = "qemu-system-x86_64: assertion failed"};
	struct defect_observation seen = {.pattern = "passthrough_kept"};
	char *err = NULL;
	json_t *d;
	size_t i, j;

	d = defects_parse("defects.json", (const char *)data, size, &err);
	if (!d == !err)
		abort();
	for (i = 0; d && i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (j = 0; j < sizeof(versions) / sizeof(versions[0]); j++) {
			const json_t *hit = defect_lookup(d, cases[i], versions[j]);

			if (hit && (!defect_id(hit) || !defect_title(hit)))
				abort();
			if (hit)
				defect_matches(hit, &crash);
			defect_find(d, cases[i], versions[j], &crash);
			defect_find(d, cases[i], versions[j], &seen);
		}
	}
	json_decref(d);
	free(err);
	return 0;
}
