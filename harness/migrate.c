// SPDX-License-Identifier: GPL-2.0-or-later
#include "migrate.h"
#include "relay.h"
#include "util.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 10000

struct mig_run {
	struct vm *src, *dst;
	const struct mig_plan *plan;
	struct mig_result *r;
	struct relay *relay;
};

int mig_run_break_channel(struct mig_run *run)
{
	if (!run->relay)
		return -1;
	relay_break(run->relay);
	return 0;
}

struct mig_run *mig_run_new(struct vm *src, struct vm *dst, const struct mig_plan *plan,
			    struct mig_result *r)
{
	struct mig_run *run = calloc(1, sizeof(*run));

	if (!run)
		abort();
	*run = (struct mig_run){src, dst, plan, r, NULL};
	return run;
}

void mig_run_free(struct mig_run *run)
{
	free(run);
}

struct vm *mig_run_src(struct mig_run *run)
{
	return run->src;
}

struct vm *mig_run_dst(struct mig_run *run)
{
	return run->dst;
}

int mig_pump_all(struct vm *src, struct vm *dst, int timeout_ms, char **err)
{
	struct vm *vms[2] = {src, dst};
	struct pollfd pfd[4];
	int n = 0, i;

	for (i = 0; i < 2; i++) {
		if (!vms[i])
			continue;
		if (vms[i]->qmp && !qmp_closed(vms[i]->qmp))
			pfd[n++] = (struct pollfd){.fd = qmp_fd(vms[i]->qmp), .events = POLLIN};
		if (vms[i]->agent)
			pfd[n++] =
			    (struct pollfd){.fd = agentlink_fd(vms[i]->agent), .events = POLLIN};
	}
	if (poll(pfd, n, timeout_ms) <= 0)
		return 0;
	for (i = 0; i < 2; i++) {
		if (!vms[i])
			continue;
		if (vms[i]->qmp && !qmp_closed(vms[i]->qmp) && qmp_pump(vms[i]->qmp, 0, err) < 0)
			return -1;
		/* An agent channel that closes is noticed by the next agent command. */
		if (vms[i]->agent)
			agentlink_pump(vms[i]->agent, 0, NULL);
	}
	return 0;
}

static bool cap_supported(json_t *caps, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(caps, i,
			   c) if (!strcmp(json_string_value(json_object_get(c, "capability")) ?: "",
					  name)) return true;
	return false;
}

static int set_caps(struct vm *vm, const char **names, int n, char **err)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr,
				      json_pack("{s:s, s:b}", "capability", names[i], "state", 1));
	return qmp_call_void(vm->qmp, "migrate-set-capabilities",
			     json_pack("{s:o}", "capabilities", arr), QMP_TIMEOUT_MS, err);
}

int mig_run_set_limits(struct mig_run *run, uint64_t bw, uint64_t downtime_ms, char **err)
{
	json_t *p = json_object();

	if (bw)
		json_object_set_new(p, "max-bandwidth", json_integer(bw));
	if (downtime_ms)
		json_object_set_new(p, "downtime-limit", json_integer(downtime_ms));
	if (run->plan->switchover_bandwidth)
		json_object_set_new(p, "avail-switchover-bandwidth", json_integer(0));
	return qmp_call_void(run->src->qmp, "migrate-set-parameters", p, QMP_TIMEOUT_MS, err);
}

int mig_run_set_downtime(struct mig_run *run, uint64_t downtime_ms, char **err)
{
	return qmp_call_void(run->src->qmp, "migrate-set-parameters",
			     json_pack("{s:I}", "downtime-limit", (json_int_t)downtime_ms),
			     QMP_TIMEOUT_MS, err);
}

static json_t *channels(const char *name)
{
	return json_pack("[{s:s, s:{s:s, s:s, s:s, s:b}}]", "channel-type", "main", "addr",
			 "transport", "socket", "type", "unix", "path", name, "abstract", 1);
}

const char *mig_outcome_name(enum mig_outcome o)
{
	static const char *const names[] = {
	    [MIG_COMPLETED] = "completed", [MIG_REFUSED] = "refused", [MIG_FAILED] = "failed",
	    [MIG_CANCELLED] = "cancelled", [MIG_TIMEOUT] = "timeout", [MIG_DIED] = "died",
	    [MIG_LOST] = "lost",
	};

	return o >= 0 && o < (int)(sizeof(names) / sizeof(names[0])) ? names[o] : "?";
}

/* The first end wins: later symptoms do not overwrite the outcome. */
static void end_with(struct mig_result *r, enum mig_outcome o, enum vm_role side,
		     const char *status, char *error)
{
	if (r->status) {
		free(error);
		return;
	}
	r->outcome = o;
	r->side = side;
	r->status = strdup(status ? status : mig_outcome_name(o));
	r->error = error;
}

static const char *event_status(const struct qmp_event *e)
{
	return json_string_value(json_object_get(e->data, "status")) ?: "";
}

static char *error_desc(struct vm *vm, struct mig_result *r)
{
	json_t *q = qmp_call(vm->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);
	const char *desc = json_string_value(json_object_get(q, "error-desc"));
	char *s = mc_strdup_printf("%s reported the migration failed%s%s", vm->name,
				   desc ? ": " : "", desc ? desc : "");

	if (desc && !r->desc)
		r->desc = strdup(desc);
	json_decref(q);
	return s;
}

/*
 * A failure or a broken channel is often the echo of a QEMU crashing: give
 * a dying process a moment to be reaped and name it first.  Only a death by
 * a signal is a root cause here; a QEMU that exits with a status after a
 * failed migration (the destination does, by design) is its consequence.
 */
static bool crashed_within(struct mig_run *run, int rounds)
{
	/* A destination the test kills is the scenario, not a root cause. */
	struct vm *vms[2] = {run->src, run->plan->dst_may_die ? NULL : run->dst};
	struct mig_result *r = run->r;
	int i, round;

	for (round = 0; round <= rounds; round++) {
		for (i = 0; i < 2; i++) {
			char *why = NULL;

			if (vms[i] && vm_dead(vms[i], &why) && mc_proc_signaled(&vms[i]->proc)) {
				end_with(r, MIG_DIED, vms[i]->role, NULL, why);
				return true;
			}
			free(why);
		}
		if (round < rounds)
			usleep(100000);
	}
	return false;
}

static bool end_if_dead(struct mig_run *run)
{
	return crashed_within(run, 10);
}

/*
 * A QEMU that exited with a status: if the other side reports a failure
 * within a few seconds, that is the outcome (with this exit as context);
 * otherwise the exit is.  Returns true when the migration has ended.
 */
static bool exited(struct mig_run *run, struct vm *vm, uint64_t *grace_end)
{
	char *why = NULL;

	if ((vm == run->dst && run->plan->dst_may_die) || !vm_dead(vm, &why))
		return false;
	if (!*grace_end) {
		*grace_end = mc_now_ns() + 3000000000ull;
		free(why);
		return false;
	}
	if (mc_now_ns() < *grace_end) {
		free(why);
		return false;
	}
	end_with(run->r, MIG_DIED, vm->role, NULL, why);
	return true;
}

static bool ended_status(const char *st)
{
	return !strcmp(st, "cancelled") || !strcmp(st, "failed") || !strcmp(st, "completed");
}

/*
 * Cancels, and waits (bounded) until the source says the migration ended,
 * so the next migration neither meets this one's events nor a source still
 * cancelling.
 */
static void cancel(struct vm *src, bool src_ended)
{
	struct qmp_event *e;
	uint64_t end;

	if (qmp_call_void(src->qmp, "migrate_cancel", NULL, QMP_TIMEOUT_MS, NULL) < 0 || src_ended)
		return;
	end = mc_now_ns() + 30000000000ull;
	while (mc_now_ns() < end && !qmp_closed(src->qmp)) {
		if (qmp_pump(src->qmp, 100, NULL) < 0)
			return;
		while ((e = qmp_next_event(src->qmp)))
			if (!strcmp(e->name, "MIGRATION") &&
			    ended_status(json_string_value(json_object_get(e->data, "status"))
					     ?: ""))
				return;
	}
}

/* Events left from an earlier migration (or boot) must not speak for this one. */
static void drain_events(struct vm *vm)
{
	while (qmp_next_event(vm->qmp))
		;
}

/* Calls the plan's hook; a hook that refuses cancels the migration. */
static bool call_hook(struct mig_run *run, enum mig_point at, int n)
{
	char *why = NULL;

	if (!run->plan->hook || run->plan->hook(run, at, n, run->plan->opaque, &why) == 0)
		return true;
	cancel(run->src, false);
	end_with(run->r, MIG_CANCELLED, VM_SRC, NULL, why ? why : strdup("a hook cancelled it"));
	return false;
}

static void source_events(struct mig_run *run, bool *done)
{
	struct mig_result *r = run->r;
	struct qmp_event *e;

	while (!r->status && (e = qmp_next_event(run->src->qmp))) {
		const char *st = event_status(e);

		if (!strcmp(e->name, "STOP") && !r->t_src_stop) {
			r->t_src_stop = e->ts;
		} else if (!strcmp(e->name, "MIGRATION_PASS")) {
			int pass = json_integer_value(json_object_get(e->data, "pass"));

			if (pass > r->passes) {
				bool first = r->passes == 0;

				r->passes = pass;
				if (first && !call_hook(run, MIG_AT_SETUP, pass))
					break;
				if (!call_hook(run, MIG_AT_SYNC, pass))
					break;
			}
		} else if (!strcmp(e->name, "MIGRATION")) {
			if (!strcmp(st, "completed")) {
				*done = true;
				r->t_src_complete = e->ts;
			} else if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
				if (!end_if_dead(run))
					end_with(r,
						 !strcmp(st, "failed") ? MIG_FAILED : MIG_CANCELLED,
						 VM_SRC, st, error_desc(run->src, r));
			} else if (!strcmp(st, "pre-switchover")) {
				char *why = NULL;

				if (!call_hook(run, MIG_AT_PRE_SWITCHOVER, r->passes))
					break;
				if (qmp_call_void(run->src->qmp, "migrate-continue",
						  json_pack("{s:s}", "state", "pre-switchover"),
						  QMP_TIMEOUT_MS, &why) < 0 &&
				    !end_if_dead(run))
					end_with(r, MIG_LOST, VM_SRC, NULL, why), why = NULL;
				free(why);
			}
		}
	}
}

static void destination_events(struct mig_run *run, bool *done)
{
	struct mig_result *r = run->r;
	struct qmp_event *e;

	while (!r->status && (e = qmp_next_event(run->dst->qmp))) {
		const char *st = event_status(e);

		if (strcmp(e->name, "MIGRATION"))
			continue;
		if (!strcmp(st, "completed")) {
			*done = true;
			r->t_dst_complete = e->ts;
			r->host_dst_complete = mc_now_s();
		} else if (!strcmp(st, "failed") && !end_if_dead(run)) {
			end_with(r, MIG_FAILED, VM_DST, st, error_desc(run->dst, r));
		}
	}
}

int mig_run(struct vm *src, struct vm *dst, const struct mig_plan *plan, struct mig_result *r,
	    char **err)
{
	static unsigned counter;
	struct mig_run run = {src, dst, plan, r, NULL};
	const char *src_caps[8], *dst_caps[8];
	int nsrc = 0, ndst = 0,
	    timeout_ms = (plan->timeout_ms ? plan->timeout_ms : 120000) * (int)mc_time_scale();
	bool src_done = false, dst_done = false;
	uint64_t deadline, grace_end = 0;
	json_t *caps, *params;
	char *chan = NULL, *why = NULL;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	drain_events(src);
	drain_events(dst);
	caps = qmp_call(src->qmp, "query-migrate-capabilities", NULL, QMP_TIMEOUT_MS, err);
	if (!caps)
		return -1;
	src_caps[nsrc++] = dst_caps[ndst++] = "events";
	if (plan->return_path && cap_supported(caps, "return-path")) {
		src_caps[nsrc++] = dst_caps[ndst++] = "return-path";
		if (plan->switchover_ack && cap_supported(caps, "switchover-ack"))
			src_caps[nsrc++] = dst_caps[ndst++] = "switchover-ack";
	}
	if (plan->multifd)
		src_caps[nsrc++] = dst_caps[ndst++] = "multifd";
	if (plan->pause_before_switchover) {
		if (!cap_supported(caps, "pause-before-switchover")) {
			mc_set_err(err, "QEMU lacks the pause-before-switchover capability");
			json_decref(caps);
			return -1;
		}
		src_caps[nsrc++] = "pause-before-switchover";
	}
	json_decref(caps);
	if (set_caps(src, src_caps, nsrc, err) < 0 || set_caps(dst, dst_caps, ndst, err) < 0)
		return -1;
	params = json_object();
	if (plan->max_bandwidth)
		json_object_set_new(params, "max-bandwidth", json_integer(plan->max_bandwidth));
	if (plan->downtime_limit_ms)
		json_object_set_new(params, "downtime-limit",
				    json_integer(plan->downtime_limit_ms));
	if (plan->switchover_bandwidth)
		json_object_set_new(params, "avail-switchover-bandwidth",
				    json_integer(plan->switchover_bandwidth));
	if (qmp_call_void(src->qmp, "migrate-set-parameters", params, QMP_TIMEOUT_MS, err) < 0)
		return -1;

	/* An abstract socket: nothing on disk to leave behind. */
	chan = mc_strdup_printf("migcheck-%d-%u-%lx", (int)getpid(), counter++,
				(unsigned long)mc_now_ns());
	if (qmp_call_void(dst->qmp, "migrate-incoming",
			  json_pack("{s:o}", "channels", channels(chan)), QMP_TIMEOUT_MS, err) < 0)
		goto out;
	if (plan->relay) {
		char *to = chan;

		chan = mc_strdup_printf("%s-relay", to);
		run.relay = relay_start(chan, to, err);
		free(to);
		if (!run.relay)
			goto out;
	}
	r->t_start = mc_wall_s();
	if (qmp_call_void(src->qmp, "migrate", json_pack("{s:o}", "channels", channels(chan)),
			  QMP_TIMEOUT_MS, &why) < 0) {
		/* QEMU's refusal (a blocker, postcopy with VFIO...) is an outcome. */
		if (qmp_error_desc(src->qmp)) {
			r->desc = strdup(qmp_error_desc(src->qmp));
			end_with(r, MIG_REFUSED, VM_SRC, NULL, why), why = NULL;
		} else if (!end_if_dead(&run)) {
			end_with(r, MIG_LOST, VM_SRC, NULL, why), why = NULL;
		}
		ret = 0;
		goto out;
	}

	deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (!(src_done && dst_done) && !r->status) {
		if (mc_now_ns() >= deadline) {
			json_t *q = qmp_call(src->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);

			end_with(r, MIG_TIMEOUT, VM_SRC, NULL,
				 mc_strdup_printf(
				     "migration did not complete within %d s: %s (source status "
				     "%s, %d dirty syncs)",
				     timeout_ms / 1000,
				     /* The side that never got there is where to look. */
				     src_done	? "the destination never reported completed"
				     : dst_done ? "the source never reported completed"
						: "neither side reported completed",
				     json_string_value(json_object_get(q, "status")) ?: "unknown",
				     r->passes));
			json_decref(q);
			cancel(src, src_done);
			break;
		}
		if (crashed_within(&run, 0))
			break;
		if (mig_pump_all(src, dst, 50, &why) < 0) {
			/* A closed QMP socket usually means QEMU died: say how. */
			if (!end_if_dead(&run) && !exited(&run, src, &grace_end) &&
			    !exited(&run, dst, &grace_end)) {
				/* The other side may still tell why: give it the grace too. */
				if (!grace_end)
					grace_end = mc_now_ns() + 3000000000ull;
				if (mc_now_ns() >= grace_end) {
					end_with(r, MIG_LOST,
						 qmp_closed(src->qmp) ? VM_SRC : VM_DST, NULL, why);
					why = NULL;
					break;
				}
				free(why);
				why = NULL;
				usleep(50000);
			}
		}
		source_events(&run, &src_done);
		destination_events(&run, &dst_done);
		if (!r->status && (exited(&run, src, &grace_end) || exited(&run, dst, &grace_end)))
			break;
	}
	if (!r->status)
		end_with(r, MIG_COMPLETED, VM_SRC, NULL, NULL);
	if (!vm_dead(src, NULL))
		r->stats = qmp_call(src->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);
	ret = 0;
out:
	relay_stop(run.relay);
	free(why);
	free(chan);
	return ret;
}

void mig_result_clear(struct mig_result *r)
{
	free(r->status);
	free(r->error);
	free(r->desc);
	json_decref(r->stats);
	memset(r, 0, sizeof(*r));
}

int mig_resume_dst(struct vm *dst, struct mig_result *r, char **err)
{
	struct qmp_event *e;

	r->t_cont = mc_wall_s();
	r->host_cont = mc_now_s();
	if (qmp_call_void(dst->qmp, "cont", NULL, QMP_TIMEOUT_MS, err) < 0)
		return -1;
	e = qmp_wait_event(dst->qmp, "RESUME", NULL, NULL, 10000, err);
	if (!e)
		return -1;
	r->t_dst_resume = e->ts;
	return 0;
}

static void set_int_from(json_t *out, const char *key, json_t *from, const char *member)
{
	json_t *v = json_object_get(from, member);

	if (json_is_integer(v))
		json_object_set_new(out, key, json_integer(json_integer_value(v)));
}

json_t *mig_metrics(const struct mig_result *r)
{
	json_t *m = json_object(), *ram = json_object_get(r->stats, "ram");
	json_t *vfio = json_object_get(r->stats, "vfio");

	set_int_from(m, "total_time_ms", r->stats, "total-time");
	set_int_from(m, "downtime_ms", r->stats, "downtime");
	set_int_from(m, "setup_time_ms", r->stats, "setup-time");
	set_int_from(m, "transferred_bytes", ram, "transferred");
	set_int_from(m, "precopy_bytes", ram, "precopy-bytes");
	set_int_from(m, "downtime_bytes", ram, "downtime-bytes");
	set_int_from(m, "postcopy_bytes", ram, "postcopy-bytes");
	set_int_from(m, "dirty_sync_count", ram, "dirty-sync-count");
	set_int_from(m, "normal_pages", ram, "normal");
	set_int_from(m, "duplicate_pages", ram, "duplicate");
	if (vfio)
		set_int_from(m, "vfio_transferred_bytes", vfio, "transferred");
	if (r->t_src_stop && r->t_dst_complete) {
		double pre = r->t_dst_complete - r->t_src_stop;
		double post = r->t_dst_resume && r->t_cont ? r->t_dst_resume - r->t_cont : 0;

		/* The harness's oracle hold between the two halves is not downtime. */
		json_object_set_new(m, "downtime_events_ms", json_real((pre + post) * 1000));
		json_object_set_new(m, "stop_to_dst_complete_ms", json_real(pre * 1000));
		if (r->t_cont)
			json_object_set_new(m, "dst_hold_ms",
					    json_real((r->t_cont - r->t_dst_complete) * 1000));
	}
	json_object_set_new(m, "passes", json_integer(r->passes));
	return m;
}

json_t *mig_heartbeat_metrics(struct vm *src, struct vm *dst, const struct mig_result *r)
{
	json_t *m = json_object();
	size_t ns, nd, i;
	const struct agent_hb *last_src, *first_dst = NULL;
	double max_gap = 0, hold;

	if (!src->agent || !dst->agent)
		return m;
	ns = agentlink_hb_count(src->agent);
	nd = agentlink_hb_count(dst->agent);
	json_object_set_new(m, "src_heartbeats", json_integer(ns));
	json_object_set_new(m, "dst_heartbeats", json_integer(nd));
	if (!ns || !nd)
		return m;
	last_src = agentlink_hb_at(src->agent, ns - 1);
	for (i = 0; i < nd; i++) {
		const struct agent_hb *h = agentlink_hb_at(dst->agent, i);

		if (h->seq > last_src->seq) {
			first_dst = h;
			break;
		}
	}
	for (i = 1; i < ns; i++) {
		double g = agentlink_hb_at(src->agent, i)->host_s -
			   agentlink_hb_at(src->agent, i - 1)->host_s;

		if (g > max_gap)
			max_gap = g;
	}
	json_object_set_new(m, "src_max_gap_ms", json_real(max_gap * 1000));
	if (!first_dst)
		return m;
	hold = r->host_cont && r->host_dst_complete ? r->host_cont - r->host_dst_complete : 0;
	json_object_set_new(m, "guest_pause_raw_ms",
			    json_real((first_dst->host_s - last_src->host_s) * 1000));
	json_object_set_new(m, "guest_pause_ms",
			    json_real(fmax(0, first_dst->host_s - last_src->host_s - hold) * 1000));
	json_object_set_new(m, "heartbeats_lost", json_integer(first_dst->seq - last_src->seq - 1));
	return m;
}
