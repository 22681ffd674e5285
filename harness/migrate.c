// SPDX-License-Identifier: GPL-2.0-or-later
#include "migrate.h"
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
};

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
			pfd[n++] = (struct pollfd){.fd = agentlink_fd(vms[i]->agent),
						   .events = POLLIN};
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

	json_array_foreach(caps, i, c)
		if (!strcmp(json_string_value(json_object_get(c, "capability")) ?: "", name))
			return true;
	return false;
}

static int set_caps(struct vm *vm, const char **names, int n, char **err)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b}", "capability", names[i], "state",
						     1));
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
	return qmp_call_void(run->src->qmp, "migrate-set-parameters", p, QMP_TIMEOUT_MS, err);
}

static json_t *channels(const char *name)
{
	return json_pack("[{s:s, s:{s:s, s:s, s:s, s:b}}]", "channel-type", "main", "addr",
			 "transport", "socket", "type", "unix", "path", name, "abstract", 1);
}

static void set_status(struct mig_result *r, const char *status, const char *error)
{
	free(r->status);
	r->status = strdup(status);
	if (error && !r->error)
		r->error = strdup(error);
}

static const char *event_status(const struct qmp_event *e)
{
	return json_string_value(json_object_get(e->data, "status")) ?: "";
}

static void fetch_error_desc(struct vm *vm, struct mig_result *r)
{
	json_t *q = qmp_call(vm->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);
	const char *desc = json_string_value(json_object_get(q, "error-desc"));

	if (desc && !r->error)
		r->error = mc_strdup_printf("%s: %s", vm->name, desc);
	json_decref(q);
}

int mig_run(struct vm *src, struct vm *dst, const struct mig_plan *plan, struct mig_result *r,
	    char **err)
{
	static unsigned counter;
	struct mig_run run = {src, dst, plan, r};
	const char *src_caps[8], *dst_caps[8];
	int nsrc = 0, ndst = 0,
	    timeout_ms = (plan->timeout_ms ? plan->timeout_ms : 120000) * (int)mc_time_scale();
	bool setup_done = false, iter_done = false, src_done = false, dst_done = false;
	uint64_t deadline;
	json_t *caps, *params;
	char *chan = NULL, *why = NULL;
	int ret = -1;

	memset(r, 0, sizeof(*r));
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
	if (qmp_call_void(src->qmp, "migrate-set-parameters", params, QMP_TIMEOUT_MS, err) < 0)
		return -1;

	/* An abstract socket: nothing on disk to leave behind. */
	chan = mc_strdup_printf("migcheck-%d-%u-%lx", (int)getpid(), counter++,
				(unsigned long)mc_now_ns());
	if (qmp_call_void(dst->qmp, "migrate-incoming", json_pack("{s:o}", "channels",
								   channels(chan)),
			  QMP_TIMEOUT_MS, err) < 0)
		goto out;
	r->t_start = mc_wall_s();
	if (qmp_call_void(src->qmp, "migrate", json_pack("{s:o}", "channels", channels(chan)),
			  QMP_TIMEOUT_MS, err) < 0)
		goto out;

	deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (!(src_done && dst_done)) {
		struct qmp_event *e;

		if (mc_now_ns() >= deadline) {
			json_t *q = qmp_call(src->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);
			char *msg = mc_strdup_printf(
			    "migration did not complete within %d s: %s (source status %s, "
			    "%d dirty syncs)",
			    timeout_ms / 1000,
			    /* The side that never got there is where to look. */
			    src_done   ? "the destination never reported completed"
			    : dst_done ? "the source never reported completed"
				       : "neither side reported completed",
			    json_string_value(json_object_get(q, "status")) ?: "unknown",
			    r->passes);

			json_decref(q);
			qmp_call_void(src->qmp, "migrate_cancel", NULL, QMP_TIMEOUT_MS, NULL);
			set_status(r, "timeout", msg);
			free(msg);
			break;
		}
		if (vm_dead(src, &why) || vm_dead(dst, &why)) {
			set_status(r, "error", why);
			break;
		}
		if (mig_pump_all(src, dst, 50, &why) < 0) {
			/* A closed QMP socket usually means QEMU died: say how. */
			usleep(200000);
			char *dead = NULL;

			if (vm_dead(src, &dead) || vm_dead(dst, &dead))
				set_status(r, "error", dead);
			else
				set_status(r, "error", why);
			free(dead);
			break;
		}
		while ((e = qmp_next_event(src->qmp))) {
			const char *st = event_status(e);

			if (!strcmp(e->name, "STOP") && !r->t_src_stop) {
				r->t_src_stop = e->ts;
			} else if (!strcmp(e->name, "MIGRATION_PASS")) {
				r->passes = json_integer_value(json_object_get(e->data, "pass"));
			} else if (!strcmp(e->name, "MIGRATION")) {
				if (!strcmp(st, "completed")) {
					src_done = true;
					r->t_src_complete = e->ts;
				} else if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
					fetch_error_desc(src, r);
					set_status(r, st, "source reported the migration failed");
				} else if (!strcmp(st, "pre-switchover")) {
					if (plan->on_pre_switchover &&
					    plan->on_pre_switchover(&run, plan->opaque, &why) < 0) {
						qmp_call_void(src->qmp, "migrate_cancel", NULL,
							      QMP_TIMEOUT_MS, NULL);
						set_status(r, "cancelled", why);
						continue;
					}
					if (qmp_call_void(src->qmp, "migrate-continue",
							  json_pack("{s:s}", "state",
								    "pre-switchover"),
							  QMP_TIMEOUT_MS, &why) < 0)
						set_status(r, "error", why);
				}
			}
		}
		if (r->status)
			break;
		while ((e = qmp_next_event(dst->qmp))) {
			const char *st = event_status(e);

			if (strcmp(e->name, "MIGRATION"))
				continue;
			if (!strcmp(st, "completed")) {
				dst_done = true;
				r->t_dst_complete = e->ts;
				r->host_dst_complete = mc_now_s();
			} else if (!strcmp(st, "failed")) {
				fetch_error_desc(dst, r);
				set_status(r, "failed", "destination reported the migration failed");
			}
		}
		if (r->status)
			break;
		if (!setup_done && r->passes >= 1) {
			setup_done = true;
			if (plan->on_setup && plan->on_setup(&run, plan->opaque, &why) < 0) {
				qmp_call_void(src->qmp, "migrate_cancel", NULL, QMP_TIMEOUT_MS,
					      NULL);
				set_status(r, "cancelled", why);
				break;
			}
		}
		if (!iter_done && plan->on_iteration && r->passes >= plan->iteration) {
			iter_done = true;
			if (plan->on_iteration(&run,
					       plan->opaque_iteration ? plan->opaque_iteration
								      : plan->opaque,
					       &why) < 0) {
				qmp_call_void(src->qmp, "migrate_cancel", NULL, QMP_TIMEOUT_MS,
					      NULL);
				set_status(r, "cancelled", why);
				break;
			}
		}
	}
	if (!r->status)
		set_status(r, "completed", NULL);
	if (!vm_dead(src, NULL))
		r->stats = qmp_call(src->qmp, "query-migrate", NULL, QMP_TIMEOUT_MS, NULL);
	ret = 0;
out:
	free(why);
	free(chan);
	return ret;
}

void mig_result_clear(struct mig_result *r)
{
	free(r->status);
	free(r->error);
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
