// SPDX-License-Identifier: GPL-2.0-or-later
#include "pair.h"
#include "lvpair.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Generous: TCG guests on a host loaded by other work boot several times slower. */
#define READY_TIMEOUT_MS 180000

/* Why a guest did not come up: QEMU's last words (and a panic), else the console's. */
static char *not_ready_reason(struct vm *vm, const char *err)
{
	char *why = NULL, *tail;

	/* A closed channel usually means QEMU is exiting: give it a moment. */
	mc_proc_wait(&vm->proc, 500);
	if (vm_dead(vm, &why))
		return why;
	tail = mc_file_tail(vm->console_path, 300);
	why = mc_strdup_printf("%s; console: %s", err, tail && *tail ? tail : "(empty)");
	free(tail);
	return why;
}

/* extra_args then one side's own, NULL-ended (malloc'd strings). */
static char **join_args(const char *const *common, const char *const *own)
{
	size_t n = 0, i;
	char **v;

	for (i = 0; common && common[i]; i++)
		n++;
	for (i = 0; own && own[i]; i++)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		abort();
	n = 0;
	for (i = 0; common && common[i]; i++)
		v[n++] = strdup(common[i]);
	for (i = 0; own && own[i]; i++)
		v[n++] = strdup(own[i]);
	return v;
}

static void free_args(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Where RAM sits in guest physical space, from QEMU itself. */
static void read_layout(struct pair *p)
{
	json_t *mtree = qmp_call(p->src->qmp, "human-monitor-command",
				 json_pack("{s:s}", "command-line", "info mtree"), 10000, NULL);

	if (!json_is_string(mtree) ||
	    !ram_layout_from_mtree(&p->layout, json_string_value(mtree), "ram0"))
		ram_layout_identity(&p->layout, p->spec.mem_bytes);
	json_decref(mtree);
}

uint8_t *pair_ram_at(const struct pair *p, enum vm_role side, uint64_t gpa, uint64_t len)
{
	const struct vm *vm = side == VM_SRC ? p->src : p->dst;
	uint64_t off = ram_layout_offset(&p->layout, gpa);

	if (!vm || !vm->ram || !len || off >= vm->ram_size || len > vm->ram_size - off ||
	    ram_layout_offset(&p->layout, gpa + len - 1) != off + len - 1)
		return NULL;
	return vm->ram + off;
}

int pair_launch(struct mc_case *c, const struct pair_opts *o, struct pair *p)
{
	const struct mc_config *cfg = mc_case_config(c);
	char *err = NULL, *argv_src, *argv_dst;
	enum vm_fail fail = VM_FAIL_NONE;
	double t0 = mc_now_s();

	if (lv_active(c) && o->bare) {
		mc_case_skip(c,
			     "the bare guest is played over qtest, which libvirt does not offer");
		return -1;
	}
	if (lv_active(c))
		return lvpair_launch(c, o, p);
	memset(p, 0, sizeof(*p));
	if (!o->bare && guest_files_find(cfg->guest_dir, &p->guest, &err) < 0) {
		mc_case_error(c, "%s", err);
		free(err);
		return -1;
	}
	if (!o->bare)
		p->append = mc_strdup_printf("%s%s%s", GUEST_BASE_CMDLINE, o->append ? " " : "",
					     o->append ? o->append : "");
	p->qemu[VM_SRC] = o->qemu_side[VM_SRC] ? o->qemu_side[VM_SRC] : cfg->qemu;
	p->qemu[VM_DST] = o->qemu_side[VM_DST] ? o->qemu_side[VM_DST] : cfg->qemu;
	p->spec = (struct vm_spec){
	    .qemu = cfg->qemu,
	    .machine = o->machine ? o->machine : "q35",
	    .accel = "tcg",
	    .mem_bytes = o->mem_bytes ? o->mem_bytes : 256ull << 20,
	    .smp = 1,
	    .kernel = p->guest.kernel,
	    .initrd = p->guest.initrd,
	    .append = p->append,
	    .agent = !o->bare,
	    .extra_args = o->extra_args,
	    .env = o->env,
	};
	if (o->extra_args_side[VM_SRC] || o->extra_args_side[VM_DST]) {
		p->side_args[VM_SRC] = join_args(o->extra_args, o->extra_args_side[VM_SRC]);
		p->side_args[VM_DST] = join_args(o->extra_args, o->extra_args_side[VM_DST]);
	}
	{
		struct vm_spec side = p->spec;

		side.env = o->env_side[VM_SRC] ? o->env_side[VM_SRC] : o->env;
		side.qemu = p->qemu[VM_SRC];
		if (p->side_args[VM_SRC])
			side.extra_args = (const char *const *)p->side_args[VM_SRC];
		p->src = vm_start(&side, VM_SRC, mc_case_workdir(c), &fail, &err);
	}
	/* Exiting at start is QEMU refusing the configuration (a realize error). */
	if (!p->src && o->refusal_skips && fail == VM_FAIL_EXITED) {
		mc_case_skip(c, "QEMU refuses this configuration: %s", err);
		free(err);
		return -1;
	}
	if (!p->src) {
		mc_case_fail(c, "source QEMU did not start: %s", err);
		free(err);
		return -1;
	}
	{
		struct vm_spec side = p->spec;

		side.env = o->env_side[VM_DST] ? o->env_side[VM_DST] : o->env;
		side.qemu = p->qemu[VM_DST];
		if (p->side_args[VM_DST])
			side.extra_args = (const char *const *)p->side_args[VM_DST];
		p->dst = vm_start(&side, VM_DST, mc_case_workdir(c), NULL, &err);
	}
	if (!p->dst) {
		mc_case_fail(c, "destination QEMU did not start: %s", err);
		free(err);
		return -1;
	}
	argv_src = vm_argv_string(p->src->argv);
	argv_dst = vm_argv_string(p->dst->argv);
	mc_case_set(c, "qemu",
		    json_pack("{s:s, s:s, s:s, s:s}", "version", qmp_version(p->src->qmp),
			      "dst_version", qmp_version(p->dst->qmp), "src_cmdline", argv_src,
			      "dst_cmdline", argv_dst));
	free(argv_src);
	free(argv_dst);
	p->t_launch = t0;
	if (o->bare)
		read_layout(p);
	return 0;
}

int pair_wait_ready(struct mc_case *c, struct pair *p)
{
	char *err = NULL;

	if (lv_active(c))
		return lvpair_wait_ready(c, p);
	if (!agentlink_wait_ready(p->src->agent, READY_TIMEOUT_MS * (int)mc_time_scale(), &err)) {
		char *why = not_ready_reason(p->src, err);

		mc_case_fail(c, "%s", why);
		free(why);
		free(err);
		return -1;
	}
	mc_case_phase(c, "guest_ready", mc_now_s() - p->t_launch);
	mc_case_set(c, "guest_kernel", json_string(p->guest.release ? p->guest.release : "?"));
	read_layout(p);
	mc_case_checkpoint(c);
	return 0;
}

json_t *pair_blockers(struct vm *vm)
{
	json_t *q = qmp_call(vm->qmp, "query-migrate", NULL, 10000, NULL);
	json_t *b = json_incref(json_object_get(q, "blocked-reasons"));

	json_decref(q);
	if (b && !json_array_size(b)) {
		json_decref(b);
		b = NULL;
	}
	return b;
}

bool pair_ram_oracle(struct mc_case *c, struct pair *p, struct ram_cmp *out)
{
	struct ram_cmp local, *cmp = out ? out : &local;
	char *s1 = NULL, *s2 = NULL, *summary;
	bool ok1 = pair_side_stopped(c, p, VM_SRC, &s1), ok2 = pair_side_stopped(c, p, VM_DST, &s2);
	double t0 = mc_now_s();

	if (!ok1 || !ok2 || !p->src->ram || !p->dst->ram) {
		mc_case_error(c, "RAM oracle needs both sides stopped (source %s, destination %s)",
			      s1, s2);
		free(s1);
		free(s2);
		return false;
	}
	free(s1);
	free(s2);
	ram_compare(p->src->ram, p->dst->ram, p->src->ram_size, 4096, &p->layout, cmp);
	mc_case_phase(c, "oracle", mc_now_s() - t0);
	summary = ram_cmp_summary(cmp);
	mc_case_oracle(c, "ram", cmp->differing == 0, summary, ram_cmp_json(cmp));
	free(summary);
	if (!out)
		ram_cmp_free(cmp);
	return cmp->differing == 0;
}

int pair_resume(struct mc_case *c, struct pair *p, struct mig_result *r)
{
	char *err = NULL;
	json_t *reply;

	if (lv_active(c))
		return lvpair_resume(c, p, r);
	if (mig_resume_dst(p->dst, r, &err) < 0) {
		char *why = NULL;

		mc_case_fail(c, "destination did not resume: %s",
			     vm_dead(p->dst, &why) ? why : err);
		free(why);
		free(err);
		return -1;
	}
	reply = pair_agent(c, p->dst, "ready", 30000);
	if (!reply)
		return -1;
	json_decref(reply);
	return 0;
}

json_t *pair_agent(struct mc_case *c, struct vm *vm, const char *cmd, int timeout_ms)
{
	char *err = NULL, *why = NULL;
	json_t *r = agentlink_cmd(vm->agent, cmd, timeout_ms, &err);

	if (!r) {
		mc_case_fail(c, "%s", vm_dead(vm, &why) ? why : err);
		free(why);
		free(err);
	}
	return r;
}

bool pair_side_stopped(struct mc_case *c, struct pair *p, enum vm_role side, char **state)
{
	struct vm *vm = side == VM_SRC ? p->src : p->dst;

	if (lv_active(c))
		return lvpair_side_stopped(p, side, state);
	return vm_run_state(vm, state) == 0;
}

int pair_migrate(struct mc_case *c, struct pair *p, const struct mig_plan *plan,
		 struct mig_result *r, char **err)
{
	if (lv_active(c))
		return lvpair_migrate(c, p, plan, r, err);
	return mig_run(p->src, p->dst, plan, r, err);
}

bool pair_record_migration(struct mc_case *c, struct pair *p, const struct mig_result *r)
{
	(void)p;
	json_t *m = mig_metrics(r);

	json_object_set_new(mc_case_metrics(c), "migration", m);
	mc_case_set(c, "migration_status", json_string(r->status ? r->status : "unknown"));
	mc_case_set(c, "migration_outcome", json_string(mig_outcome_name(r->outcome)));
	if (r->error)
		mc_case_set(c, "migration_error", json_string(r->error));
	mc_case_checkpoint(c);
	if (r->outcome != MIG_COMPLETED) {
		/* A QEMU that died leads: the reason is its exit and last words. */
		mc_case_fail(c, "%s%s", r->outcome == MIG_DIED ? "" : "migration failed: ",
			     r->error ? r->error : "no reason given");
		return false;
	}
	return true;
}

int pair_new_destination(struct mc_case *c, struct pair *p, const char *const *env)
{
	struct vm_spec side = p->spec;
	char *err = NULL, name[16];

	if (lv_active(c)) {
		mc_case_error(c, "a second destination is not supported through libvirt yet");
		return -1;
	}
	vm_destroy(p->dst);
	snprintf(name, sizeof(name), "dst%d", ++p->generation + 1);
	side.env = env;
	side.name = name;
	side.qemu = p->qemu[VM_DST];
	if (p->side_args[VM_DST])
		side.extra_args = (const char *const *)p->side_args[VM_DST];
	p->dst = vm_start(&side, VM_DST, mc_case_workdir(c), NULL, &err);
	if (!p->dst) {
		mc_case_fail(c, "destination QEMU %s did not start: %s", name, err);
		free(err);
		return -1;
	}
	return 0;
}

int pair_swap(struct mc_case *c, struct pair *p, const char *const *env)
{
	if (lv_active(c)) {
		mc_case_error(c, "migrating back is not supported through libvirt yet");
		return -1;
	}
	const char *q = p->qemu[VM_SRC];

	vm_destroy(p->src);
	p->src = p->dst;
	p->src->role = VM_SRC;
	p->dst = NULL;
	/* Back to the build the guest came from. */
	p->qemu[VM_SRC] = p->qemu[VM_DST];
	p->qemu[VM_DST] = q;
	return pair_new_destination(c, p, env);
}

void pair_stop(struct pair *p)
{
	free_args(p->side_args[VM_SRC]);
	free_args(p->side_args[VM_DST]);
	p->side_args[VM_SRC] = p->side_args[VM_DST] = NULL;
	if ((p->src && p->src->lv) || (p->dst && p->dst->lv)) {
		lvpair_stop(p);
		return;
	}
	vm_destroy(p->src);
	vm_destroy(p->dst);
	guest_files_free(&p->guest);
	free(p->append);
	memset(p, 0, sizeof(*p));
}

int pair_start_workload(struct mc_case *c, struct pair *p, int mib, bool dirtying)
{
	char *cmd = mc_strdup_printf("cpu-dirty start mib=%d rate=0", mib);
	json_t *r = pair_agent(c, p->src, "heartbeat start interval_ms=10", 10000);

	if (r) {
		json_decref(r);
		r = pair_agent(c, p->src, cmd, 60000);
	}
	free(cmd);
	if (r && !dirtying) {
		json_decref(r);
		r = pair_agent(c, p->src, "cpu-dirty stop", 10000);
	}
	json_decref(r);
	return r ? 0 : -1;
}

void pair_record_metrics(struct mc_case *c, struct pair *p, const struct mig_result *r)
{
	json_object_set_new(mc_case_metrics(c), "migration", mig_metrics(r));
	json_object_set_new(mc_case_metrics(c), "guest", mig_heartbeat_metrics(p->src, p->dst, r));
	mc_case_checkpoint(c);
}
