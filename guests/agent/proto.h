/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.h: the host <-> agent line protocol (see PROTOCOL.md): request
 * parsing and command dispatch.  Replies go out through port_send().
 */
#ifndef MIGCHECK_AGENT_PROTO_H
#define MIGCHECK_AGENT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

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

#endif /* MIGCHECK_AGENT_PROTO_H */
