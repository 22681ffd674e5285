/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qmp.h: a QEMU Machine Protocol client on jansson.
 *
 * One connection per QEMU.  Commands are synchronous and carry an id; events
 * that arrive meanwhile are kept in order, with QEMU's timestamp, for the whole
 * life of the connection so that oracles can look back at them.  Every wait
 * has a timeout.  Lines that are not JSON objects are counted, written to the
 * transcript and skipped; a connection that closes mid-line reports it.
 */
#ifndef MIGCHECK_QMP_H
#define MIGCHECK_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct qmp;

struct qmp_event {
	char *name;
	json_t *data;	/* never NULL: an empty object when QEMU sent none */
	double ts;	/* QEMU's timestamp, seconds since the epoch */
	double host_ts; /* when the harness read it (wall clock) */
	bool consumed;
};

/* Takes ownership of a connected stream socket.  transcript may be NULL. */
struct qmp *qmp_open(int fd, const char *transcript, const char *label);
void qmp_close(struct qmp *q);

/* Reads the greeting and negotiates capabilities. */
int qmp_handshake(struct qmp *q, int timeout_ms, char **err);
/* QEMU version from the greeting ("10.0.2"), and its package string. */
const char *qmp_version(const struct qmp *q);
const char *qmp_package(const struct qmp *q);

/*
 * Executes `cmd` with `args` (stolen; may be NULL).  Returns the "return"
 * member (a new reference) or NULL with *err set: a QMP error as
 * "cmd: Class: description", a timeout, or a closed connection.
 */
json_t *qmp_call(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, char **err);
/* QEMU's own description in the last call's error reply, or NULL. */
const char *qmp_error_desc(const struct qmp *q);
/* Same, discarding the result; returns 0 or -1. */
int qmp_call_void(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, char **err);

/* Waits up to timeout_ms for input and processes every complete line. */
int qmp_pump(struct qmp *q, int timeout_ms, char **err);
/*
 * Takes bytes as qmp_pump() does after a read, from a buffer instead of the
 * socket: complete lines are handled at once.  -1 with *err once the
 * connection is given up (a line longer than the limit).
 */
int qmp_feed(struct qmp *q, const void *data, size_t len, char **err);
/* Takes QEMU's version and package from the greeting read so far; -1 without one. */
int qmp_take_greeting(struct qmp *q, char **err);

/* Oldest event not yet consumed (it is marked consumed), or NULL. */
struct qmp_event *qmp_next_event(struct qmp *q);
/*
 * Waits for an unconsumed event called `name` (NULL: any) for which match()
 * (may be NULL) returns true; consumes it.  Returns NULL with *err on timeout.
 */
struct qmp_event *qmp_wait_event(struct qmp *q, const char *name,
				 bool (*match)(const json_t *data, void *opaque), void *opaque,
				 int timeout_ms, char **err);
/* Every event received so far, consumed or not, in arrival order. */
size_t qmp_event_count(const struct qmp *q);
const struct qmp_event *qmp_event_at(const struct qmp *q, size_t i);
/* Last event of that name at or after index `from`, or NULL. */
const struct qmp_event *qmp_last_event(const struct qmp *q, const char *name);
const struct qmp_event *qmp_first_event(const struct qmp *q, const char *name);

int qmp_fd(const struct qmp *q);
bool qmp_closed(const struct qmp *q);
unsigned qmp_malformed_count(const struct qmp *q);

#endif
