// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_qmp.c: bytes from QEMU's monitor through the QMP client's reader
 * (qmp_feed(), the path qmp_pump() takes after each read), then the
 * greeting and the event log as the harness reads them.
 *
 * The first input byte picks how the rest is cut into reads, so lines
 * split across reads are covered as well as whole ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmp.h"

static void check_events(struct qmp *q)
{
	const struct qmp_event *e;
	size_t i, n = qmp_event_count(q);

	for (i = 0; i < n; i++) {
		e = qmp_event_at(q, i);
		/* What every caller relies on: a name and an object. */
		if (!e || !e->name || !json_is_object(e->data))
			abort();
	}
	if (qmp_event_at(q, n))
		abort();
	qmp_first_event(q, "MIGRATION");
	qmp_last_event(q, "STOP");
	while (qmp_next_event(q))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp *q;
	char *err = NULL;
	size_t chunk, off;

	if (!size)
		return 0;
	chunk = data[0] & 8 ? size : (size_t)16 << (data[0] & 7);
	data++;
	size--;
	q = qmp_open(-1, NULL, "fuzz");
	for (off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (qmp_feed(q, data + off, n, &err) < 0)
			break;
	}
	free(err);
	err = NULL;
	if (!qmp_take_greeting(q, &err)) {
		if (!qmp_version(q) || !qmp_package(q))
			abort();
	} else if (!err) {
		abort(); /* a failure always says why */
	}
	free(err);
	check_events(q);
	qmp_malformed_count(q);
	qmp_close(q);
	return 0;
}
