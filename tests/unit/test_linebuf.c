// SPDX-License-Identifier: GPL-2.0-or-later
/* test_linebuf: the one line reader of QMP, the agent link and qtest. */
#define KTEST_MAIN
#include "ktest.h"

#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

struct got {
	char text[256];
	int n;
};

static void collect(void *opaque, char *line, size_t len)
{
	struct got *g = opaque;

	strncat(g->text, line, sizeof(g->text) - strlen(g->text) - 2);
	strcat(g->text, "|");
	g->n += len == strlen(line);
}

TEST(lines_across_feeds)
{
	struct linebuf b;
	struct got g = {"", 0};

	linebuf_init(&b, 64);
	linebuf_feed(&b, "one\ntw", 6, collect, &g);
	EXPECT_STREQ(g.text, "one|");
	EXPECT_EQ(linebuf_pending(&b), 2);
	linebuf_feed(&b, "o\n\nthree\r\n", 10, collect, &g);
	EXPECT_STREQ(g.text, "one|two||three\r|");
	EXPECT_EQ(g.n, 4);
	EXPECT_EQ(linebuf_pending(&b), 0);
	linebuf_free(&b);
}

TEST(overlong_lines_dropped_and_counted)
{
	struct linebuf b;
	struct got g = {"", 0};
	char big[200];

	memset(big, 'x', sizeof(big));
	linebuf_init(&b, 16);
	/* Complete but too long. */
	linebuf_feed(&b, big, 20, collect, &g);
	linebuf_feed(&b, "\nok\n", 4, collect, &g);
	EXPECT_STREQ(g.text, "ok|");
	EXPECT_EQ(b.overlong, 1);
	/* Too long before its newline arrives: dropped up to it, memory bounded. */
	linebuf_feed(&b, big, sizeof(big), collect, &g);
	EXPECT_LE(linebuf_pending(&b), 16);
	linebuf_feed(&b, big, sizeof(big), collect, &g);
	linebuf_feed(&b, "tail\nnext\n", 10, collect, &g);
	EXPECT_STREQ(g.text, "ok|next|");
	EXPECT_EQ(b.overlong, 2);
	linebuf_free(&b);
}
