/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strbuf.h: a growable string for the report writers (JUnit, HTML, compare),
 * with the escaping XML and HTML need.
 */
#ifndef MIGCHECK_STRBUF_H
#define MIGCHECK_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
};

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_puts(struct strbuf *b, const char *s);
/*
 * Text escaped for XML and HTML element content and quoted attributes; bytes
 * XML 1.0 forbids (control characters, invalid UTF-8) become U+FFFD.
 */
void sb_escape(struct strbuf *b, const char *s);
/* Takes the string out of the buffer (never NULL); the buffer is empty after. */
char *sb_take(struct strbuf *b);
void sb_free(struct strbuf *b);

#endif
