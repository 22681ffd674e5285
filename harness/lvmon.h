/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvmon.h: QEMU's monitor of a libvirt domain, as a QMP stream.
 *
 * The harness speaks QMP to every QEMU through struct qmp.  For a domain
 * libvirt runs, the other end of that stream is this proxy: each command
 * goes through virDomainQemuMonitorCommand (a query job, allowed while
 * libvirt migrates the domain), each QMP event comes from
 * virConnectDomainQemuMonitorEventRegister with QEMU's own timestamp.  So
 * every hook, oracle and downtime measure of the harness works unchanged
 * through libvirt (the domain is tainted "custom-monitor").  The domain is
 * found by name on every command, so a destination's proxy exists before
 * libvirt creates the domain, and events of it arrive from the start.
 */
#ifndef MIGCHECK_LVMON_H
#define MIGCHECK_LVMON_H

#include <jansson.h>
#include <libvirt/libvirt.h>

struct lvmon;

/* Called in libvirt's event thread for each event of the domain (data borrowed). */
typedef void (*lvmon_event_fn)(struct lvmon *m, const char *event, json_t *data, void *opaque);

/* libvirt's event loop in a thread of its own; before the first connection. */
int lvmon_event_loop_start(char **err);
void lvmon_event_loop_stop(void);

/* A proxy for domain `name` on `conn`; *fd is the harness end for qmp_open(). */
struct lvmon *lvmon_open(virConnectPtr conn, const char *name, int *fd, char **err);
/* Sends QMP's greeting (QEMU's version, from query-version) down the stream. */
int lvmon_greet(struct lvmon *m, char **err);
void lvmon_set_event_fn(struct lvmon *m, lvmon_event_fn fn, void *opaque);
/* Runs one QMP command through libvirt: the "return" member, or NULL with *err. */
json_t *lvmon_call(struct lvmon *m, const char *cmd, json_t *args, char **err);
/* Stops the proxy; the harness end must have been closed (qmp_close) first. */
void lvmon_close(struct lvmon *m);

/* libvirt's last error in this thread as one line (malloc'd). */
char *lv_last_error(void);

#endif
