/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * heartbeat.h: periodic "* hb" events; the host timestamps their arrival to
 * measure how long the guest was paused across a migration.
 */
#ifndef MIGCHECK_AGENT_HEARTBEAT_H
#define MIGCHECK_AGENT_HEARTBEAT_H

#include <stdint.h>

/*
 * (Re)starts the heartbeat thread; sequence numbers restart at 1.  The
 * first beat waits for heartbeat_go(), called once the reply is sent.
 */
int heartbeat_start(uint64_t interval_ms);
void heartbeat_go(void);
/* Stops it; returns the number of heartbeats sent. */
uint64_t heartbeat_stop(void);

#endif /* MIGCHECK_AGENT_HEARTBEAT_H */
