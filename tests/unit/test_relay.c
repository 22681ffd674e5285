// SPDX-License-Identifier: GPL-2.0-or-later
/* test_relay: the migration channel through the harness, and its breaking. */
#define KTEST_MAIN
#include "ktest.h"

#include "relay.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t addr(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

TEST(bytes_flow_both_ways_until_broken)
{
	char target[48], front[64], buf[16] = {0};
	struct sockaddr_un sa;
	socklen_t len;
	int l, c, s;
	struct relay *r;
	char *err = NULL;

	snprintf(target, sizeof(target), "mctest-relay-%d", getpid());
	snprintf(front, sizeof(front), "%s-front", target);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	len = addr(&sa, target);
	ASSERT_EQ(bind(l, (struct sockaddr *)&sa, len), 0);
	ASSERT_EQ(listen(l, 4), 0);
	r = relay_start(front, target, &err);
	ASSERT_NONNULL(r);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	len = addr(&sa, front);
	ASSERT_EQ(connect(c, (struct sockaddr *)&sa, len), 0);
	s = accept(l, NULL, NULL);
	ASSERT_GE(s, 0);
	ASSERT_EQ(write(c, "hello", 5), 5);
	ASSERT_EQ(read(s, buf, 5), 5);
	EXPECT_EQ(memcmp(buf, "hello", 5), 0);
	ASSERT_EQ(write(s, "ok", 2), 2);
	ASSERT_EQ(read(c, buf, 2), 2);
	EXPECT_EQ(memcmp(buf, "ok", 2), 0);
	EXPECT_EQ(relay_bytes(r), 5);
	/* Broken: both ends see the channel go, as QEMU would. */
	relay_break(r);
	EXPECT_EQ(read(s, buf, 1), 0);
	EXPECT_LE(read(c, buf, 1), 0);
	relay_stop(r);
	close(c);
	close(s);
	close(l);
}
