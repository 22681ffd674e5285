/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linebuf.h: the one line reader of the harness's text protocols (QMP,
 * the agent's serial line, qtest).
 *
 * Bytes go in as they arrive; every complete line comes out, without its
 * newline and NUL-terminated, to the client's handler.  A line longer than
 * the client's limit is never handed out: it is counted, and the rest of it
 * up to its newline dropped, so the reader's memory stays bounded whatever
 * the peer sends.  What the client does about an overlong line (give up
 * the connection, skip it) is its own policy.
 */
#ifndef MIGCHECK_LINEBUF_H
#define MIGCHECK_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef void (*linebuf_fn)(void *opaque, char *line, size_t len);

struct linebuf {
	char *buf;
	size_t len, cap, max;
	bool discarding;   /* inside an overlong line, up to its newline */
	unsigned overlong; /* lines dropped for their length */
};

void linebuf_init(struct linebuf *b, size_t max_line);
void linebuf_free(struct linebuf *b);
/* Adds bytes and hands out every line they complete. */
void linebuf_feed(struct linebuf *b, const void *data, size_t len, linebuf_fn fn, void *opaque);
/* One read(2) from fd, fed in: bytes read, 0 at end of file, -1 (errno) on error. */
ssize_t linebuf_read(struct linebuf *b, int fd, linebuf_fn fn, void *opaque);
/* Bytes of an incomplete last line held. */
size_t linebuf_pending(const struct linebuf *b);

#endif
