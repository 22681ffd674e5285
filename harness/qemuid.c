// SPDX-License-Identifier: GPL-2.0-or-later
#include "qemuid.h"
#include "vfiomock-abi.h"
#include "mockdev.h"
#include "probe.h"
#include "util.h"
#include "vm.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int qemuid_release_of(const char *version, char *buf, size_t len)
{
	int x, y, z = 0, n;

	if (!version || sscanf(version, "%d.%d.%d", &x, &y, &z) < 2 || x < 0 || y < 0 || z < 0)
		return -1;
	if (z < 50)
		n = snprintf(buf, len, "%d.%d.%d", x, y, z);
	else if (y >= 2)
		n = snprintf(buf, len, "%d.0.0", x + 1);
	else
		n = snprintf(buf, len, "%d.%d.0", x, y + 1);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The first line `qemu --version` prints (no shell), or NULL. */
static char *version_line(const char *qemu)
{
	int fds[2], st;
	char buf[256];
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		execlp(qemu, qemu, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fds[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(fds[0]);
	waitpid(pid, &st, 0);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return len > 0 ? strdup(buf) : NULL;
}

int qemuid_binary_release(const char *qemu, char *buf, size_t len)
{
	char *line = version_line(qemu), *v = line ? strstr(line, "version ") : NULL;
	int rc = v ? qemuid_release_of(v + 8, buf, len) : -1;

	free(line);
	return rc;
}

char *qemuid_common_machine(const char *qemu_a, const char *qemu_b, char **err)
{
	char ra[32], rb[32];
	int x = 0, y = 0;

	if (!qemu_b || !strcmp(qemu_a, qemu_b))
		return strdup("q35");
	if (qemuid_binary_release(qemu_a, ra, sizeof(ra)) < 0 ||
	    qemuid_binary_release(qemu_b, rb, sizeof(rb)) < 0) {
		mc_set_err(err, "cannot tell the releases of %s and %s from --version", qemu_a,
			   qemu_b);
		return NULL;
	}
	/* qemuid_release_of() wrote x.y.z: the older one's x.y names the machine. */
	sscanf(mc_version_cmp(rb, ra) < 0 ? rb : ra, "%d.%d", &x, &y);
	return mc_strdup_printf("pc-q35-%d.%d", x, y);
}

/* The first of `names` the property list has, into out ("" if none). */
static void pick(const json_t *props, const char *const *names, char *out, size_t len)
{
	out[0] = '\0';
	for (; *names; names++)
		if (json_object_get(props, *names)) {
			snprintf(out, len, "%s", *names);
			return;
		}
}

/* The names every release up to the probe's first use spelled. */
static void historical(struct qemu_id *id)
{
	snprintf(id->scalable_prop, sizeof(id->scalable_prop), "x-scalable-mode");
	snprintf(id->flts_prop, sizeof(id->flts_prop), "x-flts");
	id->intel_iommu = true;
}

void qemuid_from_probe(struct qemu_id *id, const json_t *probe)
{
	static const char *const scalable[] = {"scalable-mode", "x-scalable-mode", NULL};
	static const char *const flts[] = {"fsts", "x-flts", NULL};
	static const char *const pasid[] = {"pasid", "x-pasid-mode", NULL};
	const json_t *props = json_object_get(json_object_get(probe, "devices"), "intel-iommu");
	const char *v = json_string_value(json_object_get(probe, "version"));
	int x, y, z = 0;

	snprintf(id->version, sizeof(id->version), "%s", v ? v : "");
	if (qemuid_release_of(id->version, id->release, sizeof(id->release)) < 0)
		snprintf(id->release, sizeof(id->release), "%s", id->version);
	id->development = v && sscanf(v, "%d.%d.%d", &x, &y, &z) == 3 && z >= 50;
	id->probed = true;
	/* An absent device answers with an error instead of a property list. */
	id->intel_iommu = json_is_object(props) && !json_object_get(props, "_error");
	pick(props, scalable, id->scalable_prop, sizeof(id->scalable_prop));
	pick(props, flts, id->flts_prop, sizeof(id->flts_prop));
	pick(props, pasid, id->pasid_prop, sizeof(id->pasid_prop));
}

static struct qemu_id cached;
static char *cached_for;
static char *cached_err;

const struct qemu_id *qemuid_get(const char *qemu, char **err)
{
	json_t *p;

	if (cached_for && !strcmp(cached_for, qemu)) {
		if (!cached.probed && cached_err)
			mc_set_err(err, "%s", cached_err);
		return &cached;
	}
	qemuid_clear(&cached);
	free(cached_for);
	free(cached_err);
	cached_err = NULL;
	cached_for = strdup(qemu);
	p = probe_qemu(qemu, &cached_err);
	if (p) {
		qemuid_from_probe(&cached, p);
		json_decref(p);
	} else {
		historical(&cached);
		mc_set_err(err, "%s", cached_err ? cached_err : "QEMU could not be probed");
	}
	return &cached;
}

const struct qemu_id *qemuid_current(void)
{
	const char *env = getenv("MIGCHECK_QEMU");

	if (cached_for)
		return &cached;
	return qemuid_get(env && *env ? env : MIGCHECK_DEFAULT_QEMU, NULL);
}

const char *qemuid_viommu_name(enum qid_viommu v)
{
	switch (v) {
	case QID_VIOMMU_UNPROBED:
		return "not probed";
	case QID_VIOMMU_REALIZE:
		return "refused at realize";
	case QID_VIOMMU_MIGRATE:
		return "blocked at migrate";
	case QID_VIOMMU_ALLOWED:
		return "allowed";
	case QID_VIOMMU_UNKNOWN:
		return "unknown";
	}
	return "?";
}

/* QEMU's error line from its stderr, without the program name and option location. */
static char *realize_error(const char *path)
{
	char *text = mc_read_file(path, NULL), *line, *save = NULL, *out = NULL;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !out;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t plen = strcspn(line, ": ");
		char *msg;

		if (!plen || strncmp(line + plen, ": ", 2) || strstr(line, "warning: "))
			continue;
		msg = line + plen + 2;
		if (msg[0] == '-' && strstr(msg, ": "))
			msg = strstr(msg, ": ") + 2;
		out = strdup(mc_rstrip(msg));
	}
	free(text);
	return out;
}

static void viommu_case(struct qid_viommu_case *vc, const struct qemu_id *id, const char *qemu,
			const char *mock_lib, const struct mock_spec *spec, const char *dir)
{
	struct mock_rig rig = {0};
	struct vm_spec vs = {
	    .qemu = qemu, .machine = "q35", .accel = "tcg", .mem_bytes = 128ull << 20, .smp = 1};
	const char **args = NULL;
	char *err = NULL, *iommu = NULL, *path;
	struct vm *vm = NULL;
	enum vm_fail fail = VM_FAIL_NONE;
	json_t *q, *b;
	size_t n = 0, i;

	mc_mkdir_p(dir, 0700);
	iommu = qemuid_intel_iommu(id, false, NULL, &err);
	if (!iommu || mock_rig_prepare(dir, mock_lib, spec, &rig, &err) < 0)
		goto unknown;
	for (i = 0; rig.args[i]; i++)
		;
	args = calloc(i + 4, sizeof(*args));
	if (!args)
		abort();
	args[n++] = "-S";
	args[n++] = "-device";
	args[n++] = iommu;
	for (i = 0; rig.args[i]; i++)
		args[n++] = rig.args[i];
	vs.extra_args = args;
	vs.env = (const char *const *)rig.env[VM_SRC];
	vm = vm_start(&vs, VM_SRC, dir, &fail, &err);
	if (!vm) {
		path = mc_strdup_printf("%s/src.stderr", dir);
		vc->text = realize_error(path);
		free(path);
		if (!vc->text || fail != VM_FAIL_EXITED)
			goto unknown;
		vc->verdict = QID_VIOMMU_REALIZE;
		goto out;
	}
	q = qmp_call(vm->qmp, "query-migrate", NULL, 10000, &err);
	if (!q)
		goto unknown;
	b = json_object_get(q, "blocked-reasons");
	if (json_array_size(b)) {
		vc->verdict = QID_VIOMMU_MIGRATE;
		vc->text = json_dumps(b, JSON_COMPACT);
	} else {
		vc->verdict = QID_VIOMMU_ALLOWED;
	}
	json_decref(q);
	goto out;
unknown:
	vc->verdict = QID_VIOMMU_UNKNOWN;
	free(vc->text);
	vc->text = strdup(err ? err : "the probe could not run");
out:
	vm_destroy(vm);
	mock_rig_free(&rig);
	free(args);
	free(iommu);
	free(err);
}

void qemuid_probe_viommu(struct qemu_id *id, const char *qemu, const char *mock_lib)
{
	char tmpl[] = "/tmp/migcheck-viommu-XXXXXX";
	char *dir = mkdtemp(tmpl), *sub;
	struct mock_spec t1 = {.backend = MOCK_TYPE1, .ndev = 1, .enable_migration = "on"};
	struct mock_spec fd = {.backend = MOCK_IOMMUFD, .ndev = 1, .iommu_dirty = true};

	/* Migration behind a vIOMMU can use the IOMMU's tracker, never device logging. */
	t1.dev[0].personality = fd.dev[0].personality = VFM_PERS_NO_TRACKER;
	id->nviommu = 2;
	id->viommu[0].name = "type1, enable-migration=on";
	id->viommu[1].name = "iommufd, HWPT dirty tracking";
	if (!dir) {
		id->viommu[0].verdict = id->viommu[1].verdict = QID_VIOMMU_UNKNOWN;
		return;
	}
	sub = mc_strdup_printf("%s/type1", dir);
	viommu_case(&id->viommu[0], id, qemu, mock_lib, &t1, sub);
	free(sub);
	sub = mc_strdup_printf("%s/iommufd", dir);
	viommu_case(&id->viommu[1], id, qemu, mock_lib, &fd, sub);
	free(sub);
	mc_rm_rf(dir);
}

char *qemuid_intel_iommu(const struct qemu_id *id, bool scalable, const char *extra, char **err)
{
	if (scalable && (!id || !id->scalable_prop[0])) {
		mc_set_err(err, "QEMU %s's intel-iommu has no scalable-mode property",
			   id ? id->version : "?");
		return NULL;
	}
	return mc_strdup_printf("intel-iommu,caching-mode=on%s%s%s%s", extra ? extra : "",
				scalable ? "," : "", scalable ? id->scalable_prop : "",
				scalable ? "=on" : "");
}

json_t *qemuid_json(const struct qemu_id *id)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:b, s:b, s:b, s:{s:s?, s:s?, s:s?}}", "version", id->version,
		      "release", id->release, "development", id->development, "probed", id->probed,
		      "intel_iommu", id->intel_iommu, "intel_iommu_properties", "scalable_mode",
		      id->scalable_prop[0] ? id->scalable_prop : NULL, "first_stage",
		      id->flts_prop[0] ? id->flts_prop : NULL, "pasid",
		      id->pasid_prop[0] ? id->pasid_prop : NULL);
	size_t i;

	if (id->nviommu) {
		json_t *a = json_array();

		for (i = 0; i < id->nviommu; i++)
			json_array_append_new(
			    a, json_pack("{s:s, s:s, s:s?}", "config", id->viommu[i].name,
					 "verdict", qemuid_viommu_name(id->viommu[i].verdict),
					 "text", id->viommu[i].text));
		json_object_set_new(o, "vfio_behind_viommu", a);
	}
	return o;
}

void qemuid_clear(struct qemu_id *id)
{
	size_t i;

	for (i = 0; i < id->nviommu; i++)
		free(id->viommu[i].text);
	memset(id, 0, sizeof(*id));
}
