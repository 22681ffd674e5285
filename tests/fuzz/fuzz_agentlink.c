// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_agentlink.c: bytes from the guest agent's serial line through the
 * harness's reader (agentlink_feed(), the path agentlink_pump() takes after
 * each read: framing, over-long lines, heartbeats, "* ready"), and every
 * line's text after its id through the reply parser agentlink_cmd() uses.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentlink.h"

static void parse_replies(const char *text, size_t size)
{
	char *copy = malloc(size + 1), *line, *save = NULL;

	if (!copy)
		abort();
	memcpy(copy, text, size);
	copy[size] = '\0';
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' '), *err = NULL;
		json_t *r;

		if (!sp)
			continue;
		r = agent_reply_parse(sp + 1, "fuzz", "cmd", &err);
		/* Exactly one of a reply and a reason. */
		if (!r == !err)
			abort();
		agent_reply_int(r, "pages", -1);
		agent_reply_int(r, "gpa", -1);
		json_decref(r);
		free(err);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agentlink *a;
	char *err = NULL;
	const char *kernel;
	size_t chunk, off, i;

	if (!size)
		return 0;
	chunk = data[0] & 8 ? size : (size_t)16 << (data[0] & 7);
	data++;
	size--;
	a = agentlink_open(-1, NULL, "fuzz");
	for (off = 0; off < size; off += chunk)
		agentlink_feed(a, data + off, size - off < chunk ? size - off : chunk);
	/* Ready or not, answered from what was read (no wait at 0 ms). */
	kernel = agentlink_wait_ready(a, 0, &err);
	if (!kernel == !err)
		abort();
	free(err);
	for (i = 0; i < agentlink_hb_count(a); i++)
		if (!agentlink_hb_at(a, i))
			abort();
	agentlink_malformed_count(a);
	agentlink_close(a);
	parse_replies((const char *)data, size);
	return 0;
}
