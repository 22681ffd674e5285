// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/libvirt: what only a libvirt run can check (`--via libvirt`).
 *
 * blocker: a QEMU migration blocker must reach the user through libvirt's
 * refusal with QEMU's own words.  The source carries a mock device without
 * migration support, for which QEMU registers a blocker; every text QEMU
 * lists in query-migrate's blocked-reasons must appear verbatim in the
 * error virDomainMigrateToURI3 returns, and the migration must not happen.
 * Its counterpart, the same pair with a migratable device, is any dirty
 * cell run through libvirt.
 */
#include "lvpair.h"
#include "mockdev.h"
#include "pair.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void libvirt_blocker(struct mc_case *c, const void *data)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct mock_spec spec = {.backend = MOCK_TYPE1, .ndev = 1};
	struct mock_rig rig = {0};
	struct pair_opts o = {0};
	struct pair p = {0};
	struct mig_plan plan = {.timeout_ms = 60000};
	struct mig_result r = {0};
	json_t *blockers = NULL, *b;
	char *err = NULL;
	size_t i;

	(void)data;
	if (!lv_active(c)) {
		mc_case_skip(c, "runs only through libvirt (--via libvirt)");
		return;
	}
	spec.dev[0].personality = VFM_PERS_NO_MIGRATION;
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &spec, &rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	o.extra_args = (const char *const *)rig.args;
	o.env_side[VM_SRC] = (const char *const *)rig.env[VM_SRC];
	o.env_side[VM_DST] = (const char *const *)rig.env[VM_DST];
	if (pair_launch(c, &o, &p) < 0)
		goto out;
	blockers = pair_blockers(p.src);
	if (!blockers) {
		mc_case_fail(c, "QEMU lists no migration blocker for a device without migration");
		goto out;
	}
	mc_case_set(c, "qemu_blockers", json_incref(blockers));
	if (pair_migrate(c, &p, &plan, &r, &err) < 0) {
		mc_case_fail(c, "could not drive the migration: %s", err);
		goto out;
	}
	mc_case_set(c, "migration_status", json_string(r.status ? r.status : "?"));
	if (r.error)
		mc_case_set(c, "migration_error", json_string(r.error));
	if (r.outcome != MIG_REFUSED) {
		mc_case_fail(c, "libvirt %s a domain QEMU blocks: %s", mig_outcome_name(r.outcome),
			     r.error ? r.error : "");
		goto out;
	}
	json_array_foreach(blockers, i, b)
	{
		const char *text = json_string_value(b);
		bool found = text && r.error && strstr(r.error, text);
		char *s = mc_strdup_printf("QEMU's \"%s\" %s libvirt's error \"%s\"", text ?: "?",
					   found ? "is in" : "is missing from",
					   r.error ? r.error : "(none)");

		mc_case_oracle(c, i ? "blocker_text_more" : "blocker_text", found, s, NULL);
		free(s);
	}
out:
	json_decref(blockers);
	free(err);
	mig_result_clear(&r);
	pair_stop(&p);
	mock_rig_free(&rig);
}

static const struct mc_fixture libvirt_fixture = {
    .name = "libvirt",
    .order = 5,
    .summary = "what only a run through libvirt can check",
};
MC_FIXTURE(libvirt_fixture)

static const struct mc_test libvirt_tests[] = {
    MC_TEST("libvirt", "blocker", "migrate", libvirt_blocker, NULL, 120,
	    "a QEMU migration blocker reaches libvirt's refusal with QEMU's exact text"),
};
MC_SUITE(libvirt_tests)
