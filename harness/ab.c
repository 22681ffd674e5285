// SPDX-License-Identifier: GPL-2.0-or-later
#include "ab.h"
#include "probe.h"
#include "report.h"
#include "reportdoc.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int mc_ab(const struct mc_config *cfg, const char *qemu_a, const char *qemu_b,
	  const struct mc_selection *sel, json_t *invocation, enum cmp_format format)
{
	struct mc_config a = *cfg, b = *cfg;
	const struct mc_config *cfgs[2] = {&a, &b};
	char *id = cfg->run_id ? strdup(cfg->run_id) : report_new_run_id();
	char *id_a = mc_strdup_printf("%s-a", id), *id_b = mc_strdup_printf("%s-b", id);
	char *dirs[2] = {NULL, NULL}, *err = NULL;
	json_t *envs[2], *ra = NULL, *rb = NULL;
	struct cmp_options o = {.format = format, .threshold_pct = 25};
	int code;

	a.qemu = qemu_a;
	a.run_id = id_a;
	b.qemu = qemu_b;
	b.run_id = id_b;
	envs[0] = probe_environment(qemu_a, cfg->guest_dir);
	envs[1] = probe_environment(qemu_b, cfg->guest_dir);
	code = mc_run_arms(cfgs, 2, sel, envs, invocation, dirs);
	if (code == 2 || code == 130 || !dirs[0] || !dirs[1])
		goto out;
	ra = rd_load(dirs[0], NULL, &err);
	rb = ra ? rd_load(dirs[1], NULL, &err) : NULL;
	if (!rb) {
		fprintf(stderr, "migcheck: ab: %s\n", err);
		code = 2;
		goto out;
	}
	o.base_label = qemu_a;
	o.new_label = qemu_b;
	code = compare_reports(ra, rb, &o, stdout);
	fprintf(stderr, "migcheck: ab: reports %s/report.json (A) and %s/report.json (B)\n",
		dirs[0], dirs[1]);
out:
	json_decref(ra);
	json_decref(rb);
	free(err);
	free(dirs[0]);
	free(dirs[1]);
	free(id);
	free(id_a);
	free(id_b);
	return code;
}
