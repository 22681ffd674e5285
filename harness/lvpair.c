// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvpair.c: the pair's life through libvirt: the source domain defined and
 * started from generated XML, the migration with the destination's XML
 * rewritten, the resume, and the clean-up.  Starting the hosts and reaching
 * into a side (monitor, agent, RAM, QEMU's log) is lvpair_side.c's job.
 */
#include "lvpair_int.h"
#include "lvbridge.h"
#include "lvdomain.h"
#include "lvhost.h"
#include "lvmigrate.h"
#include "lvmon.h"
#include "util.h"

#include <glob.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 60000
#define DAEMON_STOP_MS 15000

const char *const lvpair_side_name[2] = {"src", "dst"};

bool lv_active(struct mc_case *c)
{
	const char *via = mc_case_config(c)->via;

	return via && !strcmp(via, "libvirt");
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

static void add_subst(struct lvpair *lp, const char *from, const char *to)
{
	if (lp->nsubst >= 8 || !strcmp(from, to))
		return;
	lp->from[lp->nsubst] = strdup(from);
	lp->to[lp->nsubst++] = strdup(to);
}

static struct vm *new_vm(struct lvpair *lp, int side, const char *workdir)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		abort();
	vm->role = side == 0 ? VM_SRC : VM_DST;
	vm->name = strdup(lvpair_side_name[side]);
	vm->ram_fd = -1;
	vm->console_path = mc_strdup_printf("%s/%s.console", workdir, lvpair_side_name[side]);
	/* libvirt's log of the domain: QEMU's stderr is in it. */
	vm->stderr_path = mc_strdup_printf("%s/libvirt/%s/log/qemu/%s.log", workdir,
					   lvpair_side_name[side], DOM_NAME);
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

int lvpair_launch(struct mc_case *c, const struct pair_opts *o, struct pair *p)
{
	const struct mc_config *cfg = mc_case_config(c);
	const char *workdir = mc_case_workdir(c);
	struct lvpair *lp = calloc(1, sizeof(*lp));
	const char *const *env_src = o->env_side[VM_SRC] ? o->env_side[VM_SRC] : o->env;
	const char *const *env_dst = o->env_side[VM_DST] ? o->env_side[VM_DST] : o->env;
	struct lvdomain_spec ds;
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
	if (lvpair_check_libvirt(c, lp) < 0)
		goto fail;
	if (lvmon_event_loop_start(&err) < 0) {
		mc_case_error(c, "%s", err);
		goto fail;
	}
	if (lvpair_start_hosts(c, lp) < 0)
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
	if (lvpair_attach_monitor(lp, 0, p->src, true, &err) < 0 ||
	    lvpair_attach_agent(lp, 0, p->src, &err) < 0 ||
	    lvpair_map_ram(lp, 0, p->src, &err) < 0 ||
	    lvpair_attach_monitor(lp, 1, p->dst, false, &err) < 0) {
		virDomainFree(dom);
		mc_case_fail(c, "source domain: %s", err);
		goto fail;
	}
	lvpair_record_qemu_log(lp, 0, p->src);
	if (virDomainResume(dom) < 0) {
		virDomainFree(dom);
		lvpair_fail(c, "cannot run the source domain");
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
		lvpair_fail(c, "migratable XML of the source domain");
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
		if (lvpair_attach_agent(lp, 1, p->dst, &err) < 0 ||
		    lvpair_map_ram(lp, 1, p->dst, &err) < 0) {
			mc_case_fail(c, "destination domain after migration: %s", err);
			free(err);
			return -1;
		}
		lvpair_record_qemu_log(lp, 1, p->dst);
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
		lvpair_fail(c, "destination domain");
		return -1;
	}
	r->t_cont = mc_wall_s();
	r->host_cont = mc_now_s();
	rc = virDomainResume(dom);
	virDomainFree(dom);
	if (rc < 0) {
		lvpair_fail(c, "destination did not resume");
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
