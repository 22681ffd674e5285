/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agentlink.h: the host end of the guest agent's serial line protocol
 * (guests/agent/PROTOCOL.md).  Requests carry an id; replies are parsed
 * into key=value objects; heartbeats are kept with their host arrival time
 * so the harness can measure the pause the guest went through.
 */
#ifndef MIGCHECK_AGENTLINK_H
#define MIGCHECK_AGENTLINK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct agentlink;

struct agent_hb {
	uint64_t seq;
	double host_s; /* CLOCK_MONOTONIC seconds at arrival */
};

/* Takes ownership of fd.  log_path records every line both ways. */
struct agentlink *agentlink_open(int fd, const char *log_path, const char *label);
void agentlink_close(struct agentlink *a);

/* Reads what is available (waiting up to timeout_ms); -1 with *err on EOF or error. */
int agentlink_pump(struct agentlink *a, int timeout_ms, char **err);
/*
 * Takes bytes as agentlink_pump() does after a read, from a buffer instead
 * of the channel: every complete line is handled at once.
 */
void agentlink_feed(struct agentlink *a, const void *data, size_t len);
/* Waits for "* ready"; returns the kernel release it announced (owned by a). */
const char *agentlink_wait_ready(struct agentlink *a, int timeout_ms, char **err);

/*
 * Sends "<id> <cmd>" and waits for the reply.  On "ok" returns an object of
 * the reply's key=value pairs (plus "_text" with the raw reply); on "err" or
 * timeout returns NULL with *err naming the command and the agent's reason.
 */
json_t *agentlink_cmd(struct agentlink *a, const char *cmd, int timeout_ms, char **err);
/*
 * The same, telling an answer from a failure: 1 for "ok", 0 for the agent's
 * "err" (with *reply holding its key=value pairs and *err its text), -1 when
 * no answer came (*err).
 */
int agentlink_request(struct agentlink *a, const char *cmd, int timeout_ms, json_t **reply,
		      char **err);
/*
 * A reply's text after its id: "ok k=v ..." as agentlink_cmd() returns it,
 * anything else NULL with *err naming label, command and the agent's words.
 */
json_t *agent_reply_parse(const char *reply, const char *label, const char *cmd, char **err);
/* Integer member of a reply object (strings parsed with base 0); def if absent. */
long long agent_reply_int(const json_t *reply, const char *key, long long def);

size_t agentlink_hb_count(const struct agentlink *a);
const struct agent_hb *agentlink_hb_at(const struct agentlink *a, size_t i);
/* Parses "k=v k2=v2" into a JSON object of strings (exposed for tests). */
json_t *agent_parse_kv(const char *text);
int agentlink_fd(const struct agentlink *a);
unsigned agentlink_malformed_count(const struct agentlink *a);

#endif
