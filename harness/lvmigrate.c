// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvmigrate.h"
#include "lvbridge.h"
#include "lvmon.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QMP_MS 10000
/* After the API returned, how long the last events may take to arrive. */
#define EVENT_GRACE_MS 10000

struct lvmig {
	struct lvmig_request *q;
	virDomainPtr dom;
	virTypedParameterPtr params;
	int nparams;
	unsigned flags;
	/* the API call, in its own thread */
	pthread_t api_thread;
	int done[2];
	int api_rc;
	char *api_err;
	/* what the source looked like the moment it completed */
	pthread_t snap_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool src_completed, finish;
	json_t *final_stats;
	char *snap_err;
};

static void *api_main(void *opaque)
{
	struct lvmig *m = opaque;

	m->api_rc = virDomainMigrateToURI3(m->dom, m->q->dconnuri, m->params, m->nparams, m->flags);
	if (m->api_rc < 0)
		m->api_err = lv_last_error();
	if (write(m->done[1], "x", 1) < 0)
		abort();
	return NULL;
}

/*
 * Waits for the source's "completed" and reads QEMU's final statistics and
 * the source mock's state at once: libvirt ends the source QEMU soon after.
 */
static void *snap_main(void *opaque)
{
	struct lvmig *m = opaque;
	json_t *stats;
	char *err = NULL;

	pthread_mutex_lock(&m->lock);
	while (!m->src_completed && !m->finish)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	if (!m->src_completed)
		return NULL;
	stats = lvmon_call(m->q->src.mon, "query-migrate", NULL, &err);
	if (m->q->src.bridge && lvbridge_snapshot(m->q->src.bridge, err ? NULL : &err) < 0 && !err)
		err = strdup("the source mock did not answer");
	pthread_mutex_lock(&m->lock);
	m->final_stats = stats;
	m->snap_err = err;
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void on_src_event(struct lvmon *mon, const char *event, json_t *data, void *opaque)
{
	struct lvmig *m = opaque;

	(void)mon;
	if (strcmp(event, "MIGRATION") ||
	    strcmp(json_string_value(json_object_get(data, "status")) ?: "", "completed"))
		return;
	pthread_mutex_lock(&m->lock);
	m->src_completed = true;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

static void abort_job(struct lvmig *m, json_t *record);

/* The first end wins, as in mig_run(). */
static void end_with(struct mig_result *r, enum mig_outcome o, enum vm_role side, const char *error)
{
	if (r->status)
		return;
	r->outcome = o;
	r->side = side;
	r->status = strdup(mig_outcome_name(o));
	if (error && !r->error)
		r->error = strdup(error);
}

/* The plan's hook at a point; false when it refused (the job is aborted). */
static bool hook(struct lvmig *m, struct mig_run *run, const struct mig_plan *plan,
		 enum mig_point at, int n, struct mig_result *r)
{
	char *why = NULL;

	if (!plan->hook || plan->hook(run, at, n, plan->opaque, &why) == 0)
		return true;
	abort_job(m, m->q->record);
	end_with(r, MIG_CANCELLED, VM_SRC, why ? why : "a hook cancelled it");
	free(why);
	return false;
}

static const char *event_status(const struct qmp_event *e)
{
	return json_string_value(json_object_get(e->data, "status")) ?: "";
}

static json_t *enabled_caps(struct lvmon *mon)
{
	json_t *caps = lvmon_call(mon, "query-migrate-capabilities", NULL, NULL), *c;
	json_t *on = json_array();
	size_t i;

	json_array_foreach(caps, i, c) if (json_is_true(json_object_get(c, "state")))
	    json_array_append(on, json_object_get(c, "capability"));
	json_decref(caps);
	return on;
}

/* Aborts libvirt's job; the API call then fails. */
static void abort_job(struct lvmig *m, json_t *record)
{
	if (virDomainAbortJob(m->dom) < 0) {
		char *e = lv_last_error();

		json_object_set_new(record, "abort_error", json_string(e));
		free(e);
	}
}

json_t *lvmig_job_stats(virDomainPtr dom, int *type)
{
	virTypedParameterPtr p = NULL;
	int n = 0, i;
	json_t *o;

	if (virDomainGetJobStats(dom, type, &p, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0)
		return NULL;
	o = json_object();
	for (i = 0; i < n; i++) {
		json_t *v = NULL;

		switch (p[i].type) {
		case VIR_TYPED_PARAM_INT:
			v = json_integer(p[i].value.i);
			break;
		case VIR_TYPED_PARAM_UINT:
			v = json_integer(p[i].value.ui);
			break;
		case VIR_TYPED_PARAM_LLONG:
			v = json_integer(p[i].value.l);
			break;
		case VIR_TYPED_PARAM_ULLONG:
			v = json_integer((json_int_t)p[i].value.ul);
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			v = json_real(p[i].value.d);
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			v = json_boolean(p[i].value.b);
			break;
		case VIR_TYPED_PARAM_STRING:
			v = json_string(p[i].value.s);
			break;
		}
		if (v)
			json_object_set_new(o, p[i].field, v);
	}
	virTypedParamsFree(p, n);
	return o;
}

json_t *lvmig_job_metrics(json_t *s)
{
	static const char *const map[][2] = {
	    {VIR_DOMAIN_JOB_DOWNTIME, "downtime_ms"},
	    {VIR_DOMAIN_JOB_DOWNTIME_NET, "downtime_net_ms"},
	    {VIR_DOMAIN_JOB_TIME_ELAPSED, "time_elapsed_ms"},
	    {VIR_DOMAIN_JOB_TIME_ELAPSED_NET, "time_elapsed_net_ms"},
	    {VIR_DOMAIN_JOB_SETUP_TIME, "setup_time_ms"},
	    {VIR_DOMAIN_JOB_DATA_TOTAL, "data_total_bytes"},
	    {VIR_DOMAIN_JOB_DATA_PROCESSED, "data_processed_bytes"},
	    {VIR_DOMAIN_JOB_MEMORY_PROCESSED, "memory_processed_bytes"},
	    {VIR_DOMAIN_JOB_MEMORY_ITERATION, "memory_iterations"},
	    {VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, "memory_dirty_rate_pages_s"},
	    {VIR_DOMAIN_JOB_MEMORY_BPS, "memory_bps"},
	    {VIR_DOMAIN_JOB_MEMORY_NORMAL, "memory_normal_pages"},
	    {VIR_DOMAIN_JOB_MEMORY_CONSTANT, "memory_constant_pages"},
	    {VIR_DOMAIN_JOB_VFIO_DATA_TRANSFERRED, "vfio_data_transferred_bytes"},
	};
	json_t *m = json_object();
	unsigned i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_t *v = json_object_get(s, map[i][0]);

		if (v)
			json_object_set(m, map[i][1], v);
	}
	return m;
}

json_t *lvmig_stats_from_job(json_t *s)
{
	json_t *st = json_object(), *ram = json_object();

#define COPY(to, key, from)                                                                        \
	do {                                                                                       \
		json_t *v_ = json_object_get(s, from);                                             \
		if (v_)                                                                            \
			json_object_set(to, key, v_);                                              \
	} while (0)
	COPY(st, "total-time", VIR_DOMAIN_JOB_TIME_ELAPSED);
	COPY(st, "downtime", VIR_DOMAIN_JOB_DOWNTIME);
	COPY(st, "setup-time", VIR_DOMAIN_JOB_SETUP_TIME);
	COPY(ram, "transferred", VIR_DOMAIN_JOB_MEMORY_PROCESSED);
	COPY(ram, "dirty-sync-count", VIR_DOMAIN_JOB_MEMORY_ITERATION);
	COPY(ram, "normal", VIR_DOMAIN_JOB_MEMORY_NORMAL);
	COPY(ram, "duplicate", VIR_DOMAIN_JOB_MEMORY_CONSTANT);
#undef COPY
	json_object_set_new(st, "status", json_string("completed"));
	json_object_set_new(st, "ram", ram);
	return st;
}

static int build_params(struct lvmig *m, const struct mig_plan *plan, json_t *record, char **err)
{
	int max = 0;

	if (virTypedParamsAddString(&m->params, &m->nparams, &max, VIR_MIGRATE_PARAM_DEST_XML,
				    m->q->dest_xml) < 0)
		goto fail;
	if (plan->max_bandwidth) {
		/* libvirt takes MiB/s. */
		unsigned long long mib = (plan->max_bandwidth + (1 << 20) - 1) >> 20;

		if (virTypedParamsAddULLong(&m->params, &m->nparams, &max,
					    VIR_MIGRATE_PARAM_BANDWIDTH, mib) < 0)
			goto fail;
		json_object_set_new(record, "bandwidth_mib_s", json_integer(mib));
	}
	m->flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PAUSED;
	if (plan->multifd)
		m->flags |= VIR_MIGRATE_PARALLEL;
	json_object_set_new(record, "flags",
			    json_pack("[s, s, s]", "VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER",
				      "VIR_MIGRATE_PAUSED"));
	if (plan->multifd)
		json_array_append_new(json_object_get(record, "flags"),
				      json_string("VIR_MIGRATE_PARALLEL"));
	json_object_set_new(record, "dconnuri", json_string(m->q->dconnuri));
	/* What the plan asks that libvirt has no knob for. */
	{
		json_t *na = json_array();

		if (plan->switchover_ack)
			json_array_append_new(na, json_string("switchover_ack"));
		if (plan->return_path)
			json_array_append_new(na, json_string("return_path"));
		if (plan->pause_before_switchover)
			json_array_append_new(na, json_string("pause_before_switchover: libvirt "
							      "continues from it itself"));
		json_object_set_new(record, "plan_left_to_libvirt", na);
	}
	return 0;
fail : {
	char *e = lv_last_error();

	mc_set_err(err, "migration parameters: %s", e);
	free(e);
}
	return -1;
}

int lvmig_run(struct lvmig_request *q, const struct mig_plan *plan, struct mig_result *r,
	      char **err)
{
	struct lvmig m = {.q = q};
	struct vm *src = q->src.vm, *dst = q->dst.vm;
	struct mig_run *run = mig_run_new(src, dst, plan, r);
	int timeout_ms = plan->timeout_ms ? plan->timeout_ms : 120000;
	bool setup_done = false, src_done = false, dst_done = false, started = false;
	bool api_done = false, api_started = false, snap_started = false, caps_read = false;
	uint64_t deadline, grace = 0;
	char *why = NULL;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	m.done[0] = m.done[1] = -1;
	pthread_mutex_init(&m.lock, NULL);
	pthread_cond_init(&m.cond, NULL);
	m.dom = virDomainLookupByName(q->src.conn, q->name);
	if (!m.dom) {
		char *e = lv_last_error();

		mc_set_err(err, "source domain: %s", e);
		free(e);
		goto out;
	}
	if (build_params(&m, plan, q->record, err) < 0)
		goto out;
	if (plan->downtime_limit_ms &&
	    virDomainMigrateSetMaxDowntime(m.dom, plan->downtime_limit_ms, 0) < 0) {
		char *e = lv_last_error();

		mc_set_err(err, "virDomainMigrateSetMaxDowntime: %s", e);
		free(e);
		goto out;
	}
	if (pipe2(m.done, O_CLOEXEC) < 0) {
		mc_set_err(err, "pipe: %s", strerror(errno));
		goto out;
	}
	lvmon_set_event_fn(q->src.mon, on_src_event, &m);
	if (pthread_create(&m.snap_thread, NULL, snap_main, &m)) {
		mc_set_err(err, "cannot start a thread");
		goto out;
	}
	snap_started = true;
	r->t_start = mc_wall_s();
	if (pthread_create(&m.api_thread, NULL, api_main, &m)) {
		mc_set_err(err, "cannot start a thread");
		goto out;
	}
	api_started = true;

	deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	while (!api_done || (!r->status && !(src_done && dst_done) && mc_now_ns() < grace)) {
		struct qmp_event *e;

		if (!api_done) {
			struct pollfd p = {.fd = m.done[0], .events = POLLIN};

			if (poll(&p, 1, 0) > 0) {
				api_done = true;
				grace = mc_now_ns() + (uint64_t)EVENT_GRACE_MS * 1000000;
				/*
				 * libvirt's error before QEMU began migrating is a refusal
				 * (a blocker, a refused migrate command); after, a failure.
				 */
				if (m.api_rc < 0) {
					end_with(r, started ? MIG_FAILED : MIG_REFUSED, VM_SRC,
						 m.api_err);
					if (m.api_err && !r->desc)
						r->desc = strdup(m.api_err);
				}
			}
		}
		if (!api_done && mc_now_ns() >= deadline && !r->status) {
			char *msg = mc_strdup_printf("migration did not complete within %d s "
						     "(%d dirty syncs)",
						     timeout_ms / 1000, r->passes);

			abort_job(&m, q->record);
			end_with(r, MIG_TIMEOUT, VM_SRC, msg);
			free(msg);
		}
		if (mig_pump_all(src, dst, 50, &why) < 0) {
			char *dead = NULL;

			if (vm_dead(src, &dead) || vm_dead(dst, &dead))
				end_with(r, MIG_DIED, vm_dead(src, NULL) ? VM_SRC : VM_DST, dead);
			else
				end_with(r, MIG_LOST, VM_SRC, why);
			free(dead);
			if (!api_done)
				abort_job(&m, q->record);
			break;
		}
		while ((e = qmp_next_event(src->qmp))) {
			const char *st = event_status(e);

			if (!strcmp(e->name, "STOP") && !r->t_src_stop) {
				r->t_src_stop = e->ts;
			} else if (!strcmp(e->name, "MIGRATION_PASS")) {
				int pass = json_integer_value(json_object_get(e->data, "pass"));

				started = true;
				if (pass > r->passes && !r->status) {
					bool first = !setup_done;

					r->passes = pass;
					setup_done = true;
					if (first && !caps_read) {
						caps_read = true;
						json_object_set_new(q->record,
								    "qemu_capabilities_enabled",
								    enabled_caps(q->src.mon));
					}
					if (first && !hook(&m, run, plan, MIG_AT_SETUP, pass, r))
						continue;
					hook(&m, run, plan, MIG_AT_SYNC, pass, r);
				}
			} else if (!strcmp(e->name, "MIGRATION")) {
				started = true;
				if (!strcmp(st, "completed")) {
					src_done = true;
					r->t_src_complete = e->ts;
				} else if (!strcmp(st, "pre-switchover")) {
					json_object_set_new(q->record, "pre_switchover_seen",
							    json_true());
					if (!r->status)
						hook(&m, run, plan, MIG_AT_PRE_SWITCHOVER,
						     r->passes, r);
				}
			}
		}
		while ((e = qmp_next_event(dst->qmp))) {
			if (strcmp(e->name, "MIGRATION"))
				continue;
			if (!strcmp(event_status(e), "completed")) {
				dst_done = true;
				r->t_dst_complete = e->ts;
				r->host_dst_complete = mc_now_s();
			}
		}
	}
	if (api_started)
		pthread_join(m.api_thread, NULL);
	api_started = false;
	if (!r->status && m.api_rc == 0)
		end_with(r, MIG_COMPLETED, VM_SRC, NULL);
	else if (!r->status)
		end_with(r, started ? MIG_FAILED : MIG_REFUSED, VM_SRC, m.api_err);
	if (m.api_err)
		json_object_set_new(q->record, "error", json_string(m.api_err));
	pthread_mutex_lock(&m.lock);
	m.finish = true;
	pthread_cond_signal(&m.cond);
	pthread_mutex_unlock(&m.lock);
	pthread_join(m.snap_thread, NULL);
	snap_started = false;
	if (m.final_stats) {
		r->stats = json_incref(m.final_stats);
		json_object_set_new(q->record, "final_stats_from", json_string("qemu"));
	}
	if (m.snap_err)
		json_object_set_new(q->record, "snapshot_error", json_string(m.snap_err));
	ret = 0;
out:
	lvmon_set_event_fn(q->src.mon, NULL, NULL);
	if (api_started)
		pthread_join(m.api_thread, NULL);
	if (snap_started) {
		pthread_mutex_lock(&m.lock);
		m.finish = true;
		pthread_cond_signal(&m.cond);
		pthread_mutex_unlock(&m.lock);
		pthread_join(m.snap_thread, NULL);
	}
	if (m.done[0] >= 0)
		close(m.done[0]);
	if (m.done[1] >= 0)
		close(m.done[1]);
	if (m.dom)
		virDomainFree(m.dom);
	virTypedParamsFree(m.params, m.nparams);
	json_decref(m.final_stats);
	free(m.snap_err);
	free(m.api_err);
	free(why);
	pthread_mutex_destroy(&m.lock);
	pthread_cond_destroy(&m.cond);
	mig_run_free(run);
	return ret;
}
