// SPDX-License-Identifier: GPL-2.0-or-later
#include "strbuf.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(struct strbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	while (b->len + more + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 256;
	b->s = realloc(b->s, b->cap);
	if (!b->s)
		abort();
}

void sb_puts(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	grow(b, n);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
	sb_puts(b, s);
	free(s);
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and U+FFFE/FFFF are not XML characters. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void sb_escape(struct strbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	while (*p) {
		switch (*p) {
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		case '\'':
			sb_puts(b, "&#39;");
			break;
		case '\t':
		case '\n':
			grow(b, 1);
			b->s[b->len++] = (char)*p;
			b->s[b->len] = '\0';
			break;
		default:
			n = *p < 0x20 ? 0 : utf8_len(p);
			if (!n) {
				sb_puts(b, "\xef\xbf\xbd");
				break;
			}
			grow(b, n);
			memcpy(b->s + b->len, p, n);
			b->len += n;
			b->s[b->len] = '\0';
			p += n - 1;
			break;
		}
		p++;
	}
}

char *sb_take(struct strbuf *b)
{
	char *s = b->s ? b->s : strdup("");

	if (!s)
		abort();
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void sb_free(struct strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
