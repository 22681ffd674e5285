/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay.h: the migration channel through the harness, so a test can break
 * it under both QEMUs.
 *
 * The source connects to the relay's abstract unix socket; for each
 * connection (the main channel, multifd channels) the relay connects to the
 * destination's and copies bytes both ways from its own thread.
 * relay_break() shuts every connection down at once, as a failing network
 * would, and refuses new ones.
 */
#ifndef MIGCHECK_RELAY_H
#define MIGCHECK_RELAY_H

#include <stdint.h>

struct relay;

/* Listens on abstract `name`, forwarding to abstract `target`. */
struct relay *relay_start(const char *name, const char *target, char **err);
void relay_break(struct relay *r);
/* Bytes copied from the source towards the destination so far. */
uint64_t relay_bytes(struct relay *r);
void relay_stop(struct relay *r);

#endif
