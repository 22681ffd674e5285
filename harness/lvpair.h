/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvpair.h: a source/destination pair run by libvirt (`migcheck run --via
 * libvirt`).
 *
 * The pair API (pair.h) dispatches here when the run goes through libvirt,
 * so every case built on it runs unchanged: two private libvirt hosts
 * (lvhost.h) on a link of their own, the guest as a libvirt domain from
 * generated XML (lvdomain.h) on the source, a peer-to-peer live migration
 * to the destination (lvmigrate.h).  Each side is still a struct vm: its
 * QMP stream is libvirt's monitor pass-through (lvmon.h), its agent the
 * serial port's unix socket in the host, its RAM the backing file libvirt
 * made in the host (mapped before libvirt deletes it).  The case record
 * gets a "libvirt" member (hosts, domain, migration, job statistics) and
 * metrics.libvirt next to migcheck's own measures.  lvpair.c runs the pair,
 * lvpair_side.c starts the hosts and reaches into each side.
 */
#ifndef MIGCHECK_LVPAIR_H
#define MIGCHECK_LVPAIR_H

#include "pair.h"

#include <stdbool.h>

/* The oldest libvirt the libvirt runs accept (VFIO job statistics). */
#define LV_MIN_VERSION 10006000UL

/* True when the case runs through libvirt. */
bool lv_active(struct mc_case *c);

int lvpair_launch(struct mc_case *c, const struct pair_opts *o, struct pair *p);
int lvpair_wait_ready(struct mc_case *c, struct pair *p);
int lvpair_migrate(struct mc_case *c, struct pair *p, const struct mig_plan *plan,
		   struct mig_result *r, char **err);
int lvpair_resume(struct mc_case *c, struct pair *p, struct mig_result *r);
void lvpair_stop(struct pair *p);
/* Whether a side's domain is stopped (or gone after migrating); *state says how. */
bool lvpair_side_stopped(struct pair *p, enum vm_role side, char **state);
/* vm_dead() for a side libvirt runs: its domain is gone or stopped. */
bool lvvm_dead(struct vm *vm, char **why);

/* The libvirt part of the run's environment (versions, daemon), for the report. */
json_t *lv_environment(void);

#endif
