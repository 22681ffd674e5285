/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.h: the host <-> agent line protocol (see PROTOCOL.md): request
 * parsing and command dispatch.  Replies go out through port_send().
 */
#ifndef MIGCHECK_AGENT_PROTO_H
#define MIGCHECK_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_MAX_ARGS 16

struct proto_config {
	const char *release;	  /* uname -r */
	const char *modules_list; /* load order for "modules load" */
	const char *modules_dir;  /* where relative module paths start */
};

struct request {
	char id[24];
	char *cmd;
	char *sub;  /* first word after cmd when it is not key=value */
	char *text; /* everything after cmd, unparsed (for echo) */
	int nargs;
	char *key[PROTO_MAX_ARGS];
	char *val[PROTO_MAX_ARGS];
};

void proto_init(const struct proto_config *cfg);
/* Sends "* ready ...". */
void proto_announce(void);
/*
 * Handles one received line (without '\n', possibly with NULs).  Returns
 * false when the host asked the agent to power off.
 */
bool proto_handle_line(char *line, size_t len);
/* Answers a line that exceeded the limit; @start is its beginning. */
void proto_handle_overlong(const char *start);

/* Parses a request in place; on error returns a message, else NULL. */
const char *proto_parse(char *line, size_t len, struct request *rq);

/* For command handlers: one reply per request. */
void proto_reply_ok(const struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void proto_reply_err(const struct request *rq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Rejects keys outside the NULL-terminated list; false after replying. */
bool proto_args_allowed(const struct request *rq, ...);
/* Unsigned argument @key; @def < 0 makes it required.  False after replying. */
bool proto_arg_u64(const struct request *rq, const char *key, long long def, uint64_t *out);
/* String argument @key, or NULL. */
const char *proto_arg_str(const struct request *rq, const char *key);
/* False (after replying) if a subcommand word was given. */
bool proto_no_sub(const struct request *rq);

/* Device commands (devcmd.c): dev, vfio, marker. */
void devcmd_dev(struct request *rq);
void devcmd_vfio(struct request *rq);
void devcmd_marker(struct request *rq);
/* Device DMA through the drivers (dmacmd.c). */
void dmacmd_dma(struct request *rq);

#endif /* MIGCHECK_AGENT_PROTO_H */
