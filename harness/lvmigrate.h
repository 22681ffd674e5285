/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvmigrate.h: a live migration driven by libvirt, peer to peer.
 *
 * virDomainMigrateToURI3 runs in a thread of its own; meanwhile the harness
 * follows QEMU's events on both sides through the monitor proxies (lvmon.h)
 * and calls the plan's hooks at the same points as mig_run() does.  What
 * libvirt decides for itself is recorded, not overridden: it enables
 * pause-before-switchover on every source and continues from it itself,
 * so a pre-switchover hook runs alongside libvirt, not in a held state.
 */
#ifndef MIGCHECK_LVMIGRATE_H
#define MIGCHECK_LVMIGRATE_H

#include "migrate.h"

#include <jansson.h>
#include <libvirt/libvirt.h>

struct lvbridge;
struct lvmon;

struct lvmig_side {
	virConnectPtr conn;
	struct lvmon *mon;
	struct vm *vm;
	struct lvbridge *bridge; /* the mock's control channel, or NULL */
};

struct lvmig_request {
	const char *name;     /* domain name */
	const char *dconnuri; /* the destination daemon, as the source daemon reaches it */
	const char *dest_xml; /* the destination's domain XML */
	struct lvmig_side src, dst;
	json_t *record; /* filled: flags, parameters, capabilities, error */
};

/* Like mig_run(); r->error carries libvirt's own error when it refused or failed. */
int lvmig_run(struct lvmig_request *q, const struct mig_plan *plan, struct mig_result *r,
	      char **err);

/* The completed job's statistics (virDomainGetJobStats), typed parameters as JSON. */
json_t *lvmig_job_stats(virDomainPtr dom, int *type);
/*
 * libvirt's figures in the shape of QEMU's query-migrate, for when QEMU's
 * own final statistics could not be read before libvirt ended the source.
 */
json_t *lvmig_stats_from_job(json_t *job_stats);
/* migcheck's names for libvirt's job statistics, for metrics.libvirt. */
json_t *lvmig_job_metrics(json_t *stats);

#endif
