// SPDX-License-Identifier: GPL-2.0-or-later
#include "linebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536

void linebuf_init(struct linebuf *b, size_t max_line)
{
	memset(b, 0, sizeof(*b));
	b->max = max_line;
}

void linebuf_free(struct linebuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

static void reserve(struct linebuf *b, size_t more)
{
	if (b->cap - b->len > more)
		return;
	b->cap = b->len + more + 1 > 2 * b->cap ? b->len + more + 1 : 2 * b->cap;
	b->buf = realloc(b->buf, b->cap);
	if (!b->buf)
		abort();
}

/* Hands out the complete lines; keeps (or drops, when too long) the rest. */
static void split(struct linebuf *b, linebuf_fn fn, void *opaque)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(b->buf + start, '\n', b->len - start))) {
		size_t n = nl - (b->buf + start);

		*nl = '\0';
		if (b->discarding)
			b->discarding = false; /* the tail of an overlong line */
		else if (n > b->max)
			b->overlong++;
		else
			fn(opaque, b->buf + start, n);
		start += n + 1;
	}
	memmove(b->buf, b->buf + start, b->len - start);
	b->len -= start;
	if (b->len > b->max) {
		/* No line this long is legal: drop it up to its newline. */
		if (!b->discarding)
			b->overlong++;
		b->discarding = true;
		b->len = 0;
	}
}

void linebuf_feed(struct linebuf *b, const void *data, size_t len, linebuf_fn fn, void *opaque)
{
	const char *p = data;

	while (len) {
		size_t n = len < READ_CHUNK ? len : READ_CHUNK;

		reserve(b, n);
		memcpy(b->buf + b->len, p, n);
		b->len += n;
		split(b, fn, opaque);
		p += n;
		len -= n;
	}
}

ssize_t linebuf_read(struct linebuf *b, int fd, linebuf_fn fn, void *opaque)
{
	ssize_t n;

	reserve(b, READ_CHUNK);
	n = read(fd, b->buf + b->len, READ_CHUNK);
	if (n > 0) {
		b->len += n;
		split(b, fn, opaque);
	}
	return n;
}

size_t linebuf_pending(const struct linebuf *b)
{
	return b->len;
}
