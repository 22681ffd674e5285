// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvpair.h"
#include "lvbridge.h"
#include "lvdomain.h"
#include "lvhost.h"
#include "lvmigrate.h"
#include "lvmon.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DOM_NAME "migcheck"
#define AGENT_INNER LVHOST_RUN_DIR "/agent.sock"
#define READY_TIMEOUT_MS 60000
#define DAEMON_START_MS 30000
#define DAEMON_STOP_MS 15000

struct lvpair;

struct lvvm {
	struct lvpair *lp;
	int side;
	/*
	 * The destination's domain exists only once libvirt migrates it, and
	 * libvirt ends the source's after a completed migration: neither is a
	 * QEMU that died.
	 */
	bool seen, retired;
};

struct lvpair {
	struct mc_case *c;
	struct lvhost host[2];
	bool hosts_made;
	virConnectPtr conn[2];
	struct lvmon *mon[2];
	struct lvbridge *bridge[2];
	struct lvvm lv[2];
	char *emulator;
	char *console[2];
	/* what differs between the two sides' domain XML: source text, destination text */
	char *from[8], *to[8];
	int nsubst;
	json_t *record; /* the case record's "libvirt" member */
};

static const char *const side_name[2] = {"src", "dst"};

bool lv_active(struct mc_case *c)
{
	const char *via = mc_case_config(c)->via;

	return via && !strcmp(via, "libvirt");
}

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

/* libvirt wants the emulator as an absolute path. */
static char *absolute_emulator(const char *qemu)
{
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(qemu, '/'))
		return realpath(qemu, NULL) ?: strdup(qemu);
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char *cand = mc_strdup_printf("%s/%s", dir, qemu);

		if (access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(copy);
	return found ?: strdup(qemu);
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

static void add_subst(struct lvpair *lp, const char *from, const char *to)
{
	if (lp->nsubst >= 8 || !strcmp(from, to))
		return;
	lp->from[lp->nsubst] = strdup(from);
	lp->to[lp->nsubst++] = strdup(to);
}

static void fail_lv(struct mc_case *c, const char *what)
{
	char *e = lv_last_error();

	mc_case_fail(c, "%s: %s", what, e);
	free(e);
}

static struct vm *new_vm(struct lvpair *lp, int side, const char *workdir)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		abort();
	vm->role = side == 0 ? VM_SRC : VM_DST;
	vm->name = strdup(side_name[side]);
	vm->ram_fd = -1;
	vm->console_path = mc_strdup_printf("%s/%s.console", workdir, side_name[side]);
	/* libvirt's log of the domain: QEMU's stderr is in it. */
	vm->stderr_path =
	    mc_strdup_printf("%s/libvirt/%s/log/qemu/%s.log", workdir, side_name[side], DOM_NAME);
	lp->lv[side].lp = lp;
	lp->lv[side].side = side;
	vm->lv = &lp->lv[side];
	return vm;
}

/* The control address of the mock a side's environment configures, or NULL. */
static char *mock_control(const char *const *env)
{
	int i;

	for (i = 0; env && env[i]; i++) {
		if (!strncmp(env[i], "VFIOMOCK_CONFIG=", 16)) {
			json_t *cfg = json_load_file(env[i] + 16, 0, NULL);
			const char *ctl = json_string_value(json_object_get(cfg, "control"));
			char *out = ctl ? strdup(ctl) : NULL;

			json_decref(cfg);
			return out;
		}
	}
	return NULL;
}

static int connect_host(struct mc_case *c, struct lvpair *lp, int side)
{
	unsigned long v = 0;

	lp->conn[side] = virConnectOpen(lp->host[side].uri);
	if (!lp->conn[side]) {
		char *e = lv_last_error(), *why = lvhost_why(&lp->host[side]);

		mc_case_fail(c, "cannot connect to the %s libvirtd (%s): %s; %s", side_name[side],
			     lp->host[side].uri, e, why);
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
static int start_hosts(struct mc_case *c, struct lvpair *lp)
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
		fail_lv(c, "libvirt cannot use this QEMU");
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
static int map_ram(struct lvpair *lp, int side, struct vm *vm, char **err)
{
	virDomainPtr dom = virDomainLookupByName(lp->conn[side], DOM_NAME);
	char *inner, *path;
	struct stat st;

	if (!dom) {
		mc_set_err(err, "%s domain not found", side_name[side]);
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

static int attach_agent(struct lvpair *lp, int side, struct vm *vm, char **err)
{
	char *path = lvhost_path(&lp->host[side], AGENT_INNER);
	char *log = mc_strdup_printf("%s/%s.agent", mc_case_workdir(lp->c), side_name[side]);
	int fd = connect_unix(path, 10000, err);

	free(path);
	if (fd >= 0)
		vm->agent = agentlink_open(fd, log, side_name[side]);
	free(log);
	return fd < 0 ? -1 : 0;
}

static int attach_monitor(struct lvpair *lp, int side, struct vm *vm, bool greet, char **err)
{
	char *log = mc_strdup_printf("%s/%s.qmp", mc_case_workdir(lp->c), side_name[side]);
	int fd;

	lp->mon[side] = lvmon_open(lp->conn[side], DOM_NAME, &fd, err);
	if (!lp->mon[side]) {
		free(log);
		return -1;
	}
	vm->qmp = qmp_open(fd, log, side_name[side]);
	free(log);
	if (greet &&
	    (lvmon_greet(lp->mon[side], err) < 0 || qmp_handshake(vm->qmp, 30000, err) < 0))
		return -1;
	return 0;
}

/* What libvirt's QEMU log says: the command line and the taints. */
static void record_qemu_log(struct lvpair *lp, int side, struct vm *vm)
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

int lvpair_launch(struct mc_case *c, const struct pair_opts *o, struct pair *p)
{
	const struct mc_config *cfg = mc_case_config(c);
	const char *workdir = mc_case_workdir(c);
	struct lvpair *lp = calloc(1, sizeof(*lp));
	const char *const *env_src = o->env_side[VM_SRC] ? o->env_side[VM_SRC] : o->env;
	const char *const *env_dst = o->env_side[VM_DST] ? o->env_side[VM_DST] : o->env;
	struct lvdomain_spec ds;
	unsigned long lib = 0;
	virDomainPtr dom;
	json_t *how = NULL;
	char *err = NULL, *xml, *path;
	double t0 = mc_now_s();
	int side, i;

	memset(p, 0, sizeof(*p));
	if (!lp)
		abort();
	lp->c = c;
	lp->record = json_object();
	mc_case_set(c, "libvirt", json_incref(lp->record));
	lp->emulator = absolute_emulator(cfg->qemu);
	p->src = new_vm(lp, 0, workdir);
	p->dst = new_vm(lp, 1, workdir);
	if (guest_files_find(cfg->guest_dir, &p->guest, &err) < 0) {
		mc_case_error(c, "%s", err);
		goto fail;
	}
	p->append = mc_strdup_printf("%s%s%s", GUEST_BASE_CMDLINE, o->append ? " " : "",
				     o->append ? o->append : "");
	p->spec = (struct vm_spec){
	    .qemu = lp->emulator,
	    .machine = "q35",
	    .accel = "tcg",
	    .mem_bytes = o->mem_bytes ? o->mem_bytes : 256ull << 20,
	    .smp = 1,
	    .kernel = p->guest.kernel,
	    .initrd = p->guest.initrd,
	    .append = p->append,
	    .agent = true,
	    .extra_args = o->extra_args,
	    .env = o->env,
	};
	virGetVersion(&lib, NULL, NULL);
	{
		char *have = version_string(lib);

		json_object_set_new(lp->record, "library_version", json_string(have));
		if (lib < min_version()) {
			char *want = version_string(min_version());

			mc_case_skip(c, "the libvirt library is %s, older than %s", have, want);
			free(want);
			free(have);
			goto fail;
		}
		free(have);
	}
	if (access(libvirtd_path(), X_OK) < 0) {
		mc_case_skip(c, "no libvirt daemon at %s (%s): install libvirt-daemon-driver-qemu",
			     libvirtd_path(), strerror(errno));
		goto fail;
	}
	if (lvmon_event_loop_start(&err) < 0) {
		mc_case_error(c, "%s", err);
		goto fail;
	}
	if (start_hosts(c, lp) < 0)
		goto fail;
	for (side = 0; side < 2; side++) {
		char *ctl = mock_control(side ? env_dst : env_src);
		int ns;

		if (!ctl)
			continue;
		ns = lvhost_netns_fd(&lp->host[side]);
		lp->bridge[side] = ns >= 0 ? lvbridge_start(ctl, ns, &err) : NULL;
		if (ns >= 0)
			close(ns);
		free(ctl);
		if (!lp->bridge[side]) {
			mc_case_error(c, "%s",
				      err ? err : "cannot open the host's network namespace");
			goto fail;
		}
	}

	/* The source domain; the destination's XML differs only in these texts. */
	ds = (struct lvdomain_spec){
	    .name = DOM_NAME,
	    .emulator = lp->emulator,
	    .mem_bytes = p->spec.mem_bytes,
	    .smp = 1,
	    .kernel = p->guest.kernel,
	    .initrd = p->guest.initrd,
	    .append = p->append,
	    .console_path = p->src->console_path,
	    .agent_path = AGENT_INNER,
	    .extra_args = o->extra_args,
	    .env = env_src,
	};
	add_subst(lp, p->src->console_path, p->dst->console_path);
	/* The XML holds environment values apart from their names. */
	for (i = 0; env_src && env_dst && env_src[i] && env_dst[i]; i++)
		if (strchr(env_src[i], '=') && strchr(env_dst[i], '='))
			add_subst(lp, strchr(env_src[i], '=') + 1, strchr(env_dst[i], '=') + 1);
	xml = lvdomain_xml(&ds, &how);
	json_object_set_new(lp->record, "domain",
			    json_pack("{s:s, s:o}", "name", DOM_NAME, "generated", how));
	path = mc_strdup_printf("%s/src.domain.xml", workdir);
	mc_write_file_atomic(path, xml, strlen(xml), NULL);
	free(path);
	dom = virDomainCreateXML(lp->conn[0], xml, VIR_DOMAIN_START_PAUSED);
	free(xml);
	if (!dom) {
		char *e = lv_last_error();

		if (o->refusal_skips && strstr(e, "QEMU"))
			mc_case_skip(c, "QEMU refuses this configuration: %s", e);
		else
			mc_case_fail(c, "source domain did not start: %s", e);
		free(e);
		goto fail;
	}
	if (attach_monitor(lp, 0, p->src, true, &err) < 0 ||
	    attach_agent(lp, 0, p->src, &err) < 0 || map_ram(lp, 0, p->src, &err) < 0 ||
	    attach_monitor(lp, 1, p->dst, false, &err) < 0) {
		virDomainFree(dom);
		mc_case_fail(c, "source domain: %s", err);
		goto fail;
	}
	record_qemu_log(lp, 0, p->src);
	if (virDomainResume(dom) < 0) {
		virDomainFree(dom);
		fail_lv(c, "cannot run the source domain");
		goto fail;
	}
	virDomainFree(dom);
	mc_case_set(c, "qemu",
		    json_pack("{s:s, s:s, s:s}", "version", qmp_version(p->src->qmp), "emulator",
			      lp->emulator, "via", "libvirt"));
	p->t_launch = t0;
	mc_case_checkpoint(c);
	free(err);
	return 0;
fail:
	free(err);
	return -1;
}

int lvpair_wait_ready(struct mc_case *c, struct pair *p)
{
	char *err = NULL, *why = NULL;
	json_t *mtree;

	if (!agentlink_wait_ready(p->src->agent, READY_TIMEOUT_MS, &err)) {
		char *tail = mc_file_tail(p->src->console_path, 300);

		mc_case_fail(c, "%s; %s", lvvm_dead(p->src, &why) ? why : err,
			     tail && *tail ? tail : "console empty");
		free(tail);
		free(why);
		free(err);
		return -1;
	}
	mc_case_phase(c, "guest_ready", mc_now_s() - p->t_launch);
	mc_case_set(c, "guest_kernel", json_string(p->guest.release ? p->guest.release : "?"));
	mtree = qmp_call(p->src->qmp, "human-monitor-command",
			 json_pack("{s:s}", "command-line", "info mtree"), 10000, NULL);
	if (!json_is_string(mtree) ||
	    !ram_layout_from_mtree(&p->layout, json_string_value(mtree), LVDOMAIN_RAM_ID))
		ram_layout_identity(&p->layout, p->spec.mem_bytes);
	json_decref(mtree);
	mc_case_checkpoint(c);
	return 0;
}

int lvpair_migrate(struct mc_case *c, struct pair *p, const struct mig_plan *plan,
		   struct mig_result *r, char **err_out)
{
	struct lvpair *lp = p->src->lv->lp;
	struct lvmig_request q = {.name = DOM_NAME,
				  .dconnuri = lp->host[1].peer_uri,
				  .src = {lp->conn[0], lp->mon[0], p->src, lp->bridge[0]},
				  .dst = {lp->conn[1], lp->mon[1], p->dst, lp->bridge[1]}};
	virDomainPtr dom = virDomainLookupByName(lp->conn[0], DOM_NAME), ddom;
	json_t *mig = json_object(), *stats;
	char *xml, *dxml, *path, *err = NULL;
	int type = 0;

	json_object_set_new(lp->record, "migration", mig);
	xml = dom ? virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE) : NULL;
	if (dom)
		virDomainFree(dom);
	if (!xml) {
		fail_lv(c, "migratable XML of the source domain");
		return -1;
	}
	dxml = lvdomain_rewrite(xml, (const char *const *)lp->from, (const char *const *)lp->to);
	free(xml);
	path = mc_strdup_printf("%s/dst.domain.xml", mc_case_workdir(c));
	mc_write_file_atomic(path, dxml, strlen(dxml), NULL);
	free(path);
	q.dest_xml = dxml;
	q.record = mig;
	if (lvmig_run(&q, plan, r, &err) < 0) {
		mc_set_err(err_out, "through libvirt: %s", err);
		free(err);
		free(dxml);
		return -1;
	}
	free(dxml);

	/* libvirt's account of the job, from the destination (the source is gone). */
	ddom = virDomainLookupByName(lp->conn[1], DOM_NAME);
	if (!ddom)
		ddom = virDomainLookupByName(lp->conn[0], DOM_NAME);
	stats = ddom ? lvmig_job_stats(ddom, &type) : NULL;
	if (stats) {
		json_object_set_new(lp->record, "job_stats", json_incref(stats));
		json_object_set_new(lp->record, "job_type", json_integer(type));
		json_object_set_new(mc_case_metrics(c), "libvirt", lvmig_job_metrics(stats));
		if (!r->stats && r->outcome == MIG_COMPLETED)
			r->stats = lvmig_stats_from_job(stats);
	}
	json_decref(stats);
	if (ddom)
		virDomainFree(ddom);
	if (r->outcome == MIG_COMPLETED) {
		p->src->lv->retired = true;
		if (attach_agent(lp, 1, p->dst, &err) < 0 || map_ram(lp, 1, p->dst, &err) < 0) {
			mc_case_fail(c, "destination domain after migration: %s", err);
			free(err);
			return -1;
		}
		record_qemu_log(lp, 1, p->dst);
	}
	mc_case_checkpoint(c);
	return 0;
}

static bool side_stopped(struct lvpair *lp, int side, char **state);

bool lvpair_side_stopped(struct pair *p, enum vm_role side, char **state)
{
	return side_stopped(p->src->lv->lp, side == VM_SRC ? 0 : 1, state);
}

static bool side_stopped(struct lvpair *lp, int side, char **state)
{
	virDomainPtr dom = virDomainLookupByName(lp->conn[side], DOM_NAME);
	int st = -1, reason = 0;

	if (!dom) {
		*state = strdup("gone (libvirt ended it after migration)");
		return true;
	}
	virDomainGetState(dom, &st, &reason, 0);
	virDomainFree(dom);
	*state = mc_strdup_printf("libvirt state %d reason %d", st, reason);
	return st != VIR_DOMAIN_RUNNING;
}

int lvpair_resume(struct mc_case *c, struct pair *p, struct mig_result *r)
{
	struct lvpair *lp = p->dst->lv->lp;
	virDomainPtr dom = virDomainLookupByName(lp->conn[1], DOM_NAME);
	struct qmp_event *e;
	char *err = NULL;
	json_t *reply;
	int rc;

	if (!dom) {
		fail_lv(c, "destination domain");
		return -1;
	}
	r->t_cont = mc_wall_s();
	r->host_cont = mc_now_s();
	rc = virDomainResume(dom);
	virDomainFree(dom);
	if (rc < 0) {
		fail_lv(c, "destination did not resume");
		return -1;
	}
	e = qmp_wait_event(p->dst->qmp, "RESUME", NULL, NULL, 10000, &err);
	if (!e) {
		mc_case_fail(c, "destination did not resume: %s", err);
		free(err);
		return -1;
	}
	r->t_dst_resume = e->ts;
	reply = pair_agent(c, p->dst, "ready", 30000);
	if (!reply)
		return -1;
	json_decref(reply);
	return 0;
}

bool lvvm_dead(struct vm *vm, char **why)
{
	struct lvpair *lp = vm->lv->lp;
	int side = vm->lv->side;
	virDomainPtr dom = lp->conn[side] ? virDomainLookupByName(lp->conn[side], DOM_NAME) : NULL;
	int st = -1, reason = 0;
	bool dead;

	if (dom) {
		vm->lv->seen = true;
		virDomainGetState(dom, &st, &reason, 0);
		virDomainFree(dom);
	} else if (!vm->lv->seen || vm->lv->retired) {
		return false;
	}
	dead = st != VIR_DOMAIN_RUNNING && st != VIR_DOMAIN_PAUSED;
	if (dead && why && !*why) {
		char *tail = mc_file_tail(vm->stderr_path, 400);

		*why = mc_strdup_printf("%s QEMU %s%s%s", vm->name,
					dom ? "stopped (libvirt)" : "gone (no libvirt domain)",
					tail && *tail ? ": " : "", tail ? tail : "");
		free(tail);
	}
	return dead;
}

/*
 * Clean-up in libvirt's order: destroy the domains, close the connections,
 * stop the daemons (SIGTERM, then the namespace goes), then the bridges.
 */
void lvpair_stop(struct pair *p)
{
	struct vm *vms[2] = {p->src, p->dst};
	struct lvpair *lp = (p->src && p->src->lv)   ? p->src->lv->lp
			    : (p->dst && p->dst->lv) ? p->dst->lv->lp
						     : NULL;
	int side, i;

	if (!lp)
		return;
	for (side = 0; side < 2; side++) {
		virDomainPtr dom =
		    lp->conn[side] ? virDomainLookupByName(lp->conn[side], DOM_NAME) : NULL;

		if (dom) {
			virDomainDestroy(dom);
			virDomainFree(dom);
		}
	}
	for (side = 0; side < 2; side++) {
		if (vms[side]) {
			vms[side]->lv = NULL;
			vm_destroy(vms[side]); /* closes the QMP stream, the agent, the RAM map */
		}
		lvmon_close(lp->mon[side]);
		if (lp->conn[side])
			virConnectClose(lp->conn[side]);
	}
	for (side = 0; side < 2 && lp->hosts_made; side++)
		lvhost_stop(&lp->host[side], DAEMON_STOP_MS);
	for (side = 0; side < 2; side++) {
		lvbridge_stop(lp->bridge[side]);
		if (lp->hosts_made)
			lvhost_free(&lp->host[side]);
	}
	for (i = 0; i < lp->nsubst; i++) {
		free(lp->from[i]);
		free(lp->to[i]);
	}
	json_decref(lp->record);
	free(lp->emulator);
	free(lp);
	guest_files_free(&p->guest);
	free(p->append);
	memset(p, 0, sizeof(*p));
}
