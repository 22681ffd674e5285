// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/policy: what QEMU decides about migrating each matrix cell.
 *
 * One case per valid cell, policy.<variant>.migrates, asserting that a
 * migration of the cell goes through with the dirty tracker the release's
 * expectations table names.  The source starts with the cell's mock devices
 * and a firmware-only guest; QEMU's decision is observed where QEMU makes
 * it: the device fails to realize (QEMU exits; the text is on its stderr),
 * a migration blocker (query-migrate "blocked-reasons"), a refusal when the
 * migration starts (the migrate command's error or the failed migration's
 * error-desc), or else a short migration to a destination, after which the
 * source mock's sync log tells which tracker QEMU drove (none: QEMU marks
 * all RAM dirty and never asks).
 *
 * The decision is compared with the first matching rule of the table for
 * the running release (fixtures/expectations/qemu-*.json): an allowed cell
 * passes with the expected tracker; a cell expected blocked, refused or
 * failing to realize with exactly the expected text is XFAIL, so a release
 * that lifts the restriction shows as XPASS; anything else fails with both
 * decisions in the reason.
 */
#include "defects.h"
#include "matrix.h"
#include "migrate.h"
#include "mockdev.h"
#include "policy_table.h"
#include "qemuid.h"
#include "runner.h"
#include "util.h"
#include "viommu.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_RAM (128ull << 20)
#define QMP_MS 10000

struct policy_run {
	struct mc_case *c;
	const struct mx_cell *cell;
	struct vm_spec spec;
	struct mock_rig rig;
	struct vm *src, *dst;
	int ndev;
	char *sysfs[VFM_MAX_DEVICES], *id[VFM_MAX_DEVICES], *fd[VFM_MAX_DEVICES];
	char *version;
	struct pt_decision obs;
	json_t *syncs; /* sync records per tracker, for the record */
};

/* One property of a -device value ("vfio-pci,a=b,c=d"), malloc'd, or NULL. */
static char *device_prop(const char *dev, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = strchr(dev, ','); p; p = strchr(p + 1, ','))
		if (!strncmp(p + 1, key, klen) && p[1 + klen] == '=') {
			const char *v = p + 2 + klen;

			return strndup(v, strcspn(v, ","));
		}
	return NULL;
}

/* What the rig's command line calls each vfio-pci device: the naming inputs. */
static void device_idents(struct policy_run *p)
{
	int k = 0;
	size_t i;

	for (i = 0; p->rig.args[i] && p->rig.args[i + 1] && k < VFM_MAX_DEVICES; i++) {
		const char *dev = p->rig.args[i + 1];
		char *sysfs;

		if (strcmp(p->rig.args[i], "-device") || strncmp(dev, "vfio-pci,", 9))
			continue;
		sysfs = device_prop(dev, "sysfsdev");
		if (sysfs) {
			p->sysfs[k] = strdup(strrchr(sysfs, '/') ? strrchr(sysfs, '/') + 1 : sysfs);
			free(sysfs);
		}
		p->id[k] = device_prop(dev, "id");
		p->fd[k] = device_prop(dev, "fd");
		k++;
	}
}

/* "QEMU emulator version 10.0.2 (Debian ...)" -> "10.0.2", for a QEMU that never spoke QMP. */
static char *binary_version(const char *qemu)
{
	char *cmd = mc_strdup_printf("'%s' --version 2>/dev/null", qemu), line[256], *v = NULL;
	const char *tag = "version ";
	FILE *f = popen(cmd, "r");

	free(cmd);
	if (!f)
		return NULL;
	if (fgets(line, sizeof(line), f) && strstr(line, tag)) {
		char *s = strstr(line, tag) + strlen(tag);

		s[strspn(s, "0123456789.")] = '\0';
		if (*s)
			v = strdup(s);
	}
	pclose(f);
	return v;
}

/*
 * QEMU's own lines on stderr: "<prog>: [<option>: ]message".  Warnings go
 * to `warnings`; the first other message is the error (NULL if none).
 */
static void parse_stderr(const char *path, const char *qemu, struct pt_strv *warnings, char **error)
{
	char *text = mc_read_file(path, NULL), *line, *save = NULL;

	(void)qemu;
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/*
		 * QEMU prefixes its messages with its own program name, which
		 * need not be the binary we were given (a wrapper, a rename).
		 */
		size_t plen = strcspn(line, ": ");
		char *msg, *w;

		mc_rstrip(line);
		if (!plen || strncmp(line + plen, ": ", 2))
			continue;
		msg = line + plen + 2;
		w = strstr(msg, "warning: ");
		if (w) {
			pt_strv_add(warnings, w + strlen("warning: "));
			continue;
		}
		/* The location of a command-line option: "-device vfio-pci,...: ". */
		if (msg[0] == '-' && strstr(msg, ": "))
			msg = strstr(msg, ": ") + 2;
		if (error && !*error)
			*error = strdup(msg);
	}
	free(text);
}

/* "migrate: GenericError: text" (the QMP client's form) -> "text". */

static const char *tracker_of_sync(const char *t)
{
	if (!strcmp(t, "device"))
		return "device-log";
	if (!strcmp(t, "iommu"))
		return "iommufd-hwpt";
	if (!strcmp(t, "type1") || !strcmp(t, "type1-unmap"))
		return "type1-perpetual";
	return t;
}

/* Which tracker the source's devices saw queried; "none" when QEMU never asked. */
static int observe_tracker(struct policy_run *p)
{
	char *err = NULL, *names = NULL;
	const char *key;
	json_t *n;
	int k;

	p->syncs = json_object();
	for (k = 0; k < p->ndev; k++) {
		json_t *dev = mock_rig_device(&p->rig, VM_SRC, k, &err), *rec;
		size_t i;

		if (!dev) {
			mc_case_error(p->c, "cannot read the source mock's state: %s", err);
			free(err);
			return -1;
		}
		json_array_foreach(json_object_get(dev, "syncs"), i, rec)
		{
			const char *t = tracker_of_sync(
			    json_string_value(json_object_get(rec, "tracker")) ?: "?");

			n = json_object_get(p->syncs, t);
			json_object_set_new(p->syncs, t,
					    json_integer((n ? json_integer_value(n) : 0) + 1));
		}
		json_decref(dev);
	}
	/* More than one tracker is a finding of its own: it never matches a rule. */
	json_object_foreach(p->syncs, key, n)
	{
		char *old = names;

		names = old ? mc_strdup_printf("%s+%s", old, key) : strdup(key);
		free(old);
	}
	p->obs.tracker = names ? names : strdup("none");
	return 0;
}

static int set_postcopy(struct vm *vm, char **err)
{
	return qmp_call_void(
	    vm->qmp, "migrate-set-capabilities",
	    json_pack("{s:[{s:s, s:b}]}", "capabilities", "capability", "postcopy-ram", "state", 1),
	    QMP_MS, err);
}

/*
 * With the source running: blocked, or a migration that is refused or goes
 * through.  Returns 0 with p->obs filled, -1 when the case is already failed.
 */
static int observe_running(struct policy_run *p)
{
	struct mig_plan plan = {
	    .return_path = true,
	    .multifd = p->cell->v[MX_MIGRATION] == MX_MULTIFD,
	    .max_bandwidth = 1ull << 30,
	    /*
	     * Switch over after the first pass: type1 reports all RAM dirty at
	     * every sync, and zero pages make the bandwidth estimate tiny.
	     */
	    .downtime_limit_ms = 60000,
	    .timeout_ms = 30000,
	};
	struct mig_result r = {0};
	char *err = NULL;
	json_t *q, *reason;
	size_t i;
	int ret = -1;
	double t0;

	q = qmp_call(p->src->qmp, "query-migrate", NULL, QMP_MS, &err);
	if (!q) {
		mc_case_fail(p->c, "query-migrate on the source: %s", err);
		goto out;
	}
	json_array_foreach(json_object_get(q, "blocked-reasons"), i, reason)
	{
		pt_strv_add(&p->obs.texts, json_string_value(reason) ?: "?");
	}
	json_decref(q);
	if (p->obs.texts.n) {
		p->obs.outcome = PT_BLOCKED;
		ret = 0;
		goto out;
	}

	p->spec.env = (const char *const *)p->rig.env[VM_DST];
	p->dst = vm_start(&p->spec, VM_DST, mc_case_workdir(p->c), NULL, &err);
	if (!p->dst) {
		mc_case_fail(p->c, "the destination did not start: %s", err);
		goto out;
	}
	if (p->cell->v[MX_MIGRATION] == MX_POSTCOPY &&
	    (set_postcopy(p->src, &err) < 0 || set_postcopy(p->dst, &err) < 0)) {
		mc_case_fail(p->c, "cannot enable postcopy-ram: %s", err);
		goto out;
	}
	t0 = mc_now_s();
	if (mig_run(p->src, p->dst, &plan, &r, &err) < 0) {
		mc_case_fail(p->c, "could not drive the migration: %s", err);
		goto out;
	}
	mc_case_phase(p->c, "migration", mc_now_s() - t0);
	mc_case_set(p->c, "migration",
		    json_pack("{s:s, s:s, s:s*}", "status", r.status, "outcome",
			      mig_outcome_name(r.outcome), "error", r.error));
	/*
	 * Refused: by the migrate command itself, or by the source failing it
	 * at the start (QEMU's save_prepare check for postcopy with VFIO).
	 */
	if (r.outcome == MIG_REFUSED || (r.outcome == MIG_FAILED && r.side == VM_SRC)) {
		p->obs.outcome = PT_REFUSED;
		pt_strv_add(&p->obs.texts, r.desc ? r.desc : r.error);
		ret = 0;
		goto out;
	}
	if (r.outcome != MIG_COMPLETED) {
		mc_case_fail(p->c, "migration %s: %s", mig_outcome_name(r.outcome),
			     r.error ? r.error : "no reason");
		goto out;
	}
	json_object_set_new(mc_case_metrics(p->c), "migration", mig_metrics(&r));
	p->obs.outcome = PT_ALLOWED;
	ret = observe_tracker(p);
out:
	free(err);
	mig_result_clear(&r);
	return ret;
}

/* Compares the observed decision with the table and reports the verdict. */
static void judge(struct policy_run *p)
{
	const struct mc_config *cfg = mc_case_config(p->c);
	const char *dir = expectations_dir(cfg->expectations_dir);
	char *names[VFM_MAX_DEVICES] = {NULL};
	struct pt_table *t = NULL;
	struct pt_decision exp = {0};
	const struct pt_rule *rule;
	enum pt_verdict v;
	char *err = NULL, *reason = NULL, release[32];
	json_t *rec;
	int k, rc;

	rec = json_pack("{s:s, s:o}", "qemu", p->version, "observed", pt_decision_json(&p->obs));
	if (p->syncs)
		json_object_set(rec, "syncs", p->syncs);

	/* The version names the table; a development build's is the next release's. */
	if (qemuid_release_of(p->version, release, sizeof(release)) < 0)
		snprintf(release, sizeof(release), "%s", p->version);
	rc = pt_select(dir, release, &t, &err);
	if (rc < 0) {
		mc_case_error(p->c, "expectations: %s", err);
		goto out;
	}
	if (rc == 0) {
		bool dev = strcmp(release, p->version) != 0;

		mc_case_skip(p->c, "no policy expectations for QEMU %s%s%s%s in %s (qemu-*.json)",
			     p->version, dev ? " (a development build of " : "", dev ? release : "",
			     dev ? ")" : "", dir);
		goto out;
	}
	json_object_set_new(rec, "table", json_string(t->path));
	rule = pt_match(t, p->cell->axes);
	if (!rule) {
		char *obs = pt_decision_str(&p->obs);

		mc_case_fail(p->c, "no rule in %s matches this cell; observed %s", t->path, obs);
		free(obs);
		goto out;
	}
	for (k = 0; k < p->ndev; k++) {
		struct pt_device d = {p->sysfs[k], p->id[k], p->fd[k]};

		names[k] = pt_device_name(t, p->cell->v[MX_BACKEND], &d);
	}
	pt_expect(rule, (const char *const *)names, p->ndev, &exp);
	v = pt_compare(&exp, &p->obs, &reason);
	json_object_set_new(rec, "rule", json_string(rule->origin));
	json_object_set_new(rec, "expected", pt_decision_json(&exp));
	json_object_set_new(rec, "verdict", json_string(pt_verdict_name(v)));
	switch (v) {
	case PT_PASS:
		mc_case_log(p->c, "%s: %s", rule->origin, reason);
		break;
	case PT_XFAIL:
		mc_case_expect_fail(p->c, "%s", reason);
		mc_case_fail(p->c, "%s (%s)", reason, rule->origin);
		break;
	case PT_XPASS:
		mc_case_expect_fail(p->c, "%s (%s)", reason, rule->origin);
		break;
	case PT_FAIL:
		mc_case_fail(p->c, "%s (%s)", reason, rule->origin);
		break;
	}
out:
	mc_case_set(p->c, "policy", rec);
	for (k = 0; k < VFM_MAX_DEVICES; k++)
		free(names[k]);
	pt_decision_clear(&exp);
	pt_free(t);
	free(reason);
	free(err);
}

static void policy_case(struct mc_case *c, const void *data)
{
	const struct mc_config *cfg = mc_case_config(c);
	struct policy_run p = {.c = c, .cell = data};
	const char *const *pre = viommu_qemu_args(p.cell->v[MX_VIOMMU], false);
	struct mock_spec ms;
	const char **args = NULL;
	size_t n = 0, i;
	char *err = NULL, *path;

	mx_cell_mock_spec(p.cell, &ms);
	p.ndev = ms.ndev;
	mc_case_set(c, "cell", mx_cell_json(p.cell));
	if (!pre) {
		mc_case_skip(c, "this QEMU's intel-iommu has no scalable mode");
		return;
	}
	if (mock_rig_prepare(mc_case_workdir(c), cfg->mock_lib, &ms, &p.rig, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto out;
	}
	device_idents(&p);
	/* The vIOMMU must exist before the devices it translates for. */
	for (i = 0; pre[i]; i++)
		n++;
	for (i = 0; p.rig.args[i]; i++)
		n++;
	args = calloc(n + 1, sizeof(*args));
	if (!args)
		abort();
	n = 0;
	for (i = 0; pre[i]; i++)
		args[n++] = pre[i];
	for (i = 0; p.rig.args[i]; i++)
		args[n++] = p.rig.args[i];
	p.spec = (struct vm_spec){
	    .qemu = cfg->qemu,
	    .machine = "q35",
	    .accel = "tcg",
	    .mem_bytes = POLICY_RAM,
	    .smp = 1,
	    .kernel = NULL,
	    .agent = false,
	    .extra_args = args,
	    .env = (const char *const *)p.rig.env[VM_SRC],
	};

	p.src = vm_start(&p.spec, VM_SRC, mc_case_workdir(c), NULL, &err);
	path = mc_strdup_printf("%s/src.stderr", mc_case_workdir(c));
	if (!p.src) {
		char *text = NULL;

		/* QEMU exited during start-up: a device that failed to realize. */
		parse_stderr(path, cfg->qemu, &p.obs.warnings, &text);
		free(path);
		if (!text) {
			mc_case_fail(c, "the source did not start: %s", err);
			goto out;
		}
		p.obs.outcome = PT_REALIZE_ERROR;
		pt_strv_add(&p.obs.texts, text);
		free(text);
		p.version = binary_version(cfg->qemu);
		if (!p.version) {
			mc_case_error(c, "cannot tell the version of %s", cfg->qemu);
			goto out;
		}
	} else {
		p.version = strdup(qmp_version(p.src->qmp) ?: "");
		if (observe_running(&p) < 0) {
			free(path);
			goto out;
		}
		parse_stderr(path, cfg->qemu, &p.obs.warnings, NULL);
		free(path);
	}
	judge(&p);
out:
	vm_destroy(p.dst);
	vm_destroy(p.src);
	mock_rig_free(&p.rig);
	pt_decision_clear(&p.obs);
	json_decref(p.syncs);
	for (i = 0; i < VFM_MAX_DEVICES; i++) {
		free(p.sysfs[i]);
		free(p.id[i]);
		free(p.fd[i]);
	}
	free(p.version);
	free(args);
	free(err);
}

static const struct mc_fixture policy_fixture = {
    .name = "policy",
    .order = 1,
    .summary = "what QEMU decides for each matrix cell, against the release's table",
};
MC_FIXTURE(policy_fixture)

/* One case per valid cell; the cells live as long as the registry. */
__attribute__((constructor)) static void policy_register(void)
{
	struct mx_cell *cells;
	struct mc_test *tests;
	size_t n = mx_enumerate(&cells), i;

	tests = calloc(n, sizeof(*tests));
	if (!tests)
		abort();
	for (i = 0; i < n; i++)
		tests[i] = (struct mc_test){
		    .fixture = "policy",
		    .variant = cells[i].variant,
		    .test = "migrates",
		    .fn = policy_case,
		    .data = &cells[i],
		    .timeout_s = 60,
		    .summary = "QEMU lets this cell migrate with the tracker the release's "
			       "table names, or restricts it exactly as the table says",
		    .axes = cells[i].axes,
		};
	mc_register_tests(tests, n);
}
