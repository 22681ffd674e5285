/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvpair_int.h: a libvirt pair's state, shared by lvpair.c (its life) and
 * lvpair_side.c (its hosts and the ways into each side) only.
 */
#ifndef MIGCHECK_LVPAIR_INT_H
#define MIGCHECK_LVPAIR_INT_H

#include "lvbridge.h"
#include "lvhost.h"
#include "lvpair.h"

#include <jansson.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>

#define DOM_NAME "migcheck"
#define AGENT_INNER LVHOST_RUN_DIR "/agent.sock"

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

extern const char *const lvpair_side_name[2]; /* "src", "dst" */

/* A libvirt library new enough and a daemon to run; -1 after a skip. */
int lvpair_check_libvirt(struct mc_case *c, struct lvpair *lp);
/* Both hosts started and connected, with the source's QEMU probed first. */
int lvpair_start_hosts(struct mc_case *c, struct lvpair *lp);
/* A side's QMP through libvirt's monitor; `greet` when QEMU is running. */
int lvpair_attach_monitor(struct lvpair *lp, int side, struct vm *vm, bool greet, char **err);
/* The agent's serial socket in the side's host. */
int lvpair_attach_agent(struct lvpair *lp, int side, struct vm *vm, char **err);
/* The domain's RAM file mapped into vm->ram. */
int lvpair_map_ram(struct lvpair *lp, int side, struct vm *vm, char **err);
/* The QEMU command line and taints from libvirt's log, into the record. */
void lvpair_record_qemu_log(struct lvpair *lp, int side, struct vm *vm);
/* Fails the case with `what` and libvirt's last error. */
void lvpair_fail(struct mc_case *c, const char *what);

#endif
