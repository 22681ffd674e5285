// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzzes the control channel's request parser: bytes as they come from the
 * socket, split into lines, each a JSON request answered by the model.
 * Every answer must be one JSON object line with "ok".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "fuzz.h"

static void check_reply(void *ctx, const char *line, size_t len)
{
	json_t *o;

	(void)ctx;
	if (!len || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		abort();
	o = json_loadb(line, len - 1, 0, NULL);
	if (!json_is_object(o) || !json_is_boolean(json_object_get(o, "ok")))
		abort();
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_conn cc;
	static int ready;

	if (!ready) {
		fuzz_model_setup();
		ready = 1;
	}
	control_conn_init(&cc);
	control_input(&cc, (const char *)data, size, check_reply, NULL);
	fuzz_model_reset();
	return 0;
}
