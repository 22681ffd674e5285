/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvbridge.h: the VFIO mock's control channel across a network namespace.
 *
 * The mock listens on an abstract unix socket, and abstract sockets belong
 * to a network namespace: a QEMU inside a libvirt host's namespace cannot be
 * reached from the harness.  A bridge listens on the same abstract name in
 * the harness's namespace and forwards each request from a thread that has
 * entered the host's network namespace, so mock_rig_call() works unchanged.
 *
 * libvirt ends the source QEMU once the migration is confirmed, where the
 * harness's own driver keeps it paused.  The bridge therefore keeps the
 * last "state" the mock answered; lvbridge_snapshot() takes one when the
 * source completes, and after the QEMU has gone a "state" request gets that
 * snapshot, marked with "snapshot":true.
 */
#ifndef MIGCHECK_LVBRIDGE_H
#define MIGCHECK_LVBRIDGE_H

#include <stdbool.h>

struct lvbridge;

/* addr is the mock's "@name"; netns_fd is borrowed (the bridge dups it). */
struct lvbridge *lvbridge_start(const char *addr, int netns_fd, char **err);
/* Asks the mock for its state now, through the bridge, and keeps it. */
int lvbridge_snapshot(struct lvbridge *b, char **err);
bool lvbridge_has_snapshot(struct lvbridge *b);
void lvbridge_stop(struct lvbridge *b);

#endif
