// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvpair_side.c: one side of a libvirt pair as migcheck reaches it.
 *
 * The checks that libvirt is usable at all, the two private hosts started
 * and connected (the source first, to warm the capabilities cache), and
 * the ways into a running domain: the QMP pass-through, the agent's socket,
 * the RAM file libvirt made and what libvirt's QEMU log says.
 */
#include "lvdomain.h"
#include "lvmon.h"
#include "lvpair_int.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DAEMON_START_MS 30000

static const char *libvirtd_path(void)
{
	return getenv("MIGCHECK_LIBVIRTD") ?: "/usr/sbin/libvirtd";
}

static unsigned long min_version(void)
{
	const char *s = getenv("MIGCHECK_LIBVIRT_MIN_VERSION");
	unsigned a = 0, b = 0, c = 0;

	if (s && sscanf(s, "%u.%u.%u", &a, &b, &c) >= 2)
		return a * 1000000UL + b * 1000UL + c;
	return LV_MIN_VERSION;
}

static char *version_string(unsigned long v)
{
	return mc_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}

/* A libvirt library new enough and a daemon to run; a SKIP otherwise. */
int lvpair_check_libvirt(struct mc_case *c, struct lvpair *lp)
{
	unsigned long lib = 0;
	char *have;

	virGetVersion(&lib, NULL, NULL);
	have = version_string(lib);
	json_object_set_new(lp->record, "library_version", json_string(have));
	if (lib < min_version()) {
		char *want = version_string(min_version());

		mc_case_skip(c, "the libvirt library is %s, older than %s", have, want);
		free(want);
		free(have);
		return -1;
	}
	free(have);
	if (access(libvirtd_path(), X_OK) < 0) {
		mc_case_skip(c, "no libvirt daemon at %s (%s): install libvirt-daemon-driver-qemu",
			     libvirtd_path(), strerror(errno));
		return -1;
	}
	return 0;
}

/* QEMU capabilities take seconds to probe: keep them across cases and runs. */
static char *caps_cache_dir(const char *workdir)
{
	const char *env = getenv("MIGCHECK_LIBVIRT_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		return strdup(env);
	if (xdg && *xdg)
		return mc_strdup_printf("%s/migcheck/libvirt-qemu-capabilities", xdg);
	if (home && *home)
		return mc_strdup_printf("%s/.cache/migcheck/libvirt-qemu-capabilities", home);
	return mc_strdup_printf("%s/libvirt/capabilities", workdir);
}

json_t *lv_environment(void)
{
	unsigned long lib = 0;
	json_t *e = json_object();
	char *v;

	virGetVersion(&lib, NULL, NULL);
	v = version_string(lib);
	json_object_set_new(e, "library_version", json_string(v));
	json_object_set_new(e, "daemon", json_string(libvirtd_path()));
	free(v);
	return e;
}

void lvpair_fail(struct mc_case *c, const char *what)
{
	char *e = lv_last_error();

	mc_case_fail(c, "%s: %s", what, e);
	free(e);
}

static int connect_host(struct mc_case *c, struct lvpair *lp, int side)
{
	unsigned long v = 0;

	lp->conn[side] = virConnectOpen(lp->host[side].uri);
	if (!lp->conn[side]) {
		char *e = lv_last_error(), *why = lvhost_why(&lp->host[side]);

		mc_case_fail(c, "cannot connect to the %s libvirtd (%s): %s; %s",
			     lvpair_side_name[side], lp->host[side].uri, e, why);
		free(e);
		free(why);
		return -1;
	}
	if (virConnectGetLibVersion(lp->conn[side], &v) == 0 && v < min_version()) {
		char *have = version_string(v), *want = version_string(min_version());

		mc_case_skip(c, "the libvirt daemon is %s, older than %s", have, want);
		free(have);
		free(want);
		return -1;
	}
	return 0;
}

static json_t *host_json(const struct lvhost *h)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "hostname",
			 h->name[0] == 's' ? "migcheck-src" : "migcheck-dst", "host_uuid", h->uuid,
			 "address", h->addr, "uri", h->uri, "peer_uri", h->peer_uri, "dir", h->dir);
}

/* Start the hosts: the source first, so its QEMU probe warms the shared cache. */
int lvpair_start_hosts(struct mc_case *c, struct lvpair *lp)
{
	const char *workdir = mc_case_workdir(c);
	char *base = mc_strdup_printf("%s/libvirt", workdir), *cache = caps_cache_dir(workdir);
	struct lvhost_opts ho = {.libvirtd = libvirtd_path(),
				 .caps_cache = cache,
				 .conf_extra = getenv("MIGCHECK_LIBVIRTD_CONF")};
	char *err = NULL, *caps;
	bool refused = false;
	double t0 = mc_now_s(), t1;
	int rc = -1;

	if (lvhost_create(base, &ho, lp->host, &refused, &err) < 0) {
		lp->hosts_made = true;
		if (refused)
			mc_case_skip(c, "namespaces for the libvirt hosts refused: %s", err);
		else
			mc_case_fail(c, "libvirt hosts: %s", err);
		goto out;
	}
	lp->hosts_made = true;
	if (lvhost_start(&lp->host[0], DAEMON_START_MS, &err) < 0) {
		mc_case_fail(c, "%s", err);
		goto out;
	}
	if (connect_host(c, lp, 0) < 0)
		goto out;
	t1 = mc_now_s();
	caps =
	    virConnectGetDomainCapabilities(lp->conn[0], lp->emulator, "x86_64", "q35", "qemu", 0);
	if (!caps) {
		lvpair_fail(c, "libvirt cannot use this QEMU");
		goto out;
	}
	free(caps);
	mc_case_phase(c, "libvirt_capabilities", mc_now_s() - t1);
	if (lvhost_start(&lp->host[1], DAEMON_START_MS, &err) < 0) {
		mc_case_fail(c, "%s", err);
		goto out;
	}
	if (connect_host(c, lp, 1) < 0)
		goto out;
	mc_case_phase(c, "libvirt_hosts", mc_now_s() - t0);
	json_object_set_new(lp->record, "hosts",
			    json_pack("{s:o, s:o, s:s}", "src", host_json(&lp->host[0]), "dst",
				      host_json(&lp->host[1]), "capabilities_cache", cache));
	rc = 0;
out:
	free(err);
	free(base);
	free(cache);
	return rc;
}

static int connect_unix(const char *path, int timeout_ms, char **err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		mc_set_err(err, "socket path too long: %s", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		if (mc_now_ns() > deadline)
			break;
		usleep(20000);
	}
	mc_set_err(err, "cannot connect to %s: %s", path, strerror(errno));
	return -1;
}

/* Maps the domain's RAM file, which libvirt made inside the host. */
int lvpair_map_ram(struct lvpair *lp, int side, struct vm *vm, char **err)
{
	virDomainPtr dom = virDomainLookupByName(lp->conn[side], DOM_NAME);
	char *inner, *path;
	struct stat st;

	if (!dom) {
		mc_set_err(err, "%s domain not found", lvpair_side_name[side]);
		return -1;
	}
	inner = mc_strdup_printf(LVHOST_RAM_DIR "/libvirt/qemu/%d-%s/" LVDOMAIN_RAM_ID,
				 (int)virDomainGetID(dom), DOM_NAME);
	virDomainFree(dom);
	path = lvhost_path(&lp->host[side], inner);
	free(inner);
	vm->ram_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->ram_fd < 0 || fstat(vm->ram_fd, &st) < 0) {
		mc_set_err(err, "guest RAM file %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	vm->ram_size = st.st_size;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->ram_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		mc_set_err(err, "cannot map guest RAM: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int lvpair_attach_agent(struct lvpair *lp, int side, struct vm *vm, char **err)
{
	char *path = lvhost_path(&lp->host[side], AGENT_INNER);
	char *log = mc_strdup_printf("%s/%s.agent", mc_case_workdir(lp->c), lvpair_side_name[side]);
	int fd = connect_unix(path, 10000, err);

	free(path);
	if (fd >= 0)
		vm->agent = agentlink_open(fd, log, lvpair_side_name[side]);
	free(log);
	return fd < 0 ? -1 : 0;
}

int lvpair_attach_monitor(struct lvpair *lp, int side, struct vm *vm, bool greet, char **err)
{
	char *log = mc_strdup_printf("%s/%s.qmp", mc_case_workdir(lp->c), lvpair_side_name[side]);
	int fd;

	lp->mon[side] = lvmon_open(lp->conn[side], DOM_NAME, &fd, err);
	if (!lp->mon[side]) {
		free(log);
		return -1;
	}
	vm->qmp = qmp_open(fd, log, lvpair_side_name[side]);
	free(log);
	if (greet &&
	    (lvmon_greet(lp->mon[side], err) < 0 || qmp_handshake(vm->qmp, 30000, err) < 0))
		return -1;
	return 0;
}

/* What libvirt's QEMU log says: the command line and the taints. */
void lvpair_record_qemu_log(struct lvpair *lp, int side, struct vm *vm)
{
	char *text = mc_read_file(vm->stderr_path, NULL), *line, *save = NULL;
	json_t *taints = json_array(), *d = json_object_get(lp->record, "domain");
	char *cmdline = NULL;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t = strstr(line, "is tainted: ");

		if (t) {
			size_t i;
			json_t *v;
			bool seen = false;

			t += strlen("is tainted: ");
			json_array_foreach(taints, i, v) seen =
			    seen || !strcmp(json_string_value(v), t);
			if (!seen)
				json_array_append_new(taints, json_string(t));
		} else if (strstr(line, lp->emulator) && strstr(line, "-name")) {
			free(cmdline);
			cmdline = strdup(line);
		}
	}
	json_object_set_new(d, side ? "dst_taints" : "src_taints", taints);
	if (cmdline)
		json_object_set_new(d, side ? "dst_qemu_cmdline" : "src_qemu_cmdline",
				    json_string(cmdline));
	free(cmdline);
	free(text);
}
