// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qtest client against a fake peer on a socketpair: the peer (a forked
 * child) answers a script of expected command lines, as QEMU's
 * system/qtest.c would.
 */
#define KTEST_MAIN
#include "ktest.h"
#include "qtest.h"

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

struct exchange {
	const char *want; /* expected command line, NULL: close the connection */
	const char *answer;
};

/* The fake peer: reads lines, checks them, answers; exits 0 if all matched. */
static void peer(int fd, const struct exchange *x)
{
	char buf[70000];
	size_t len = 0;

	for (; x->want; x++) {
		char *nl;

		while (!(nl = memchr(buf, '\n', len))) {
			ssize_t r = read(fd, buf + len, sizeof(buf) - len);

			if (r <= 0)
				_exit(2);
			len += r;
		}
		*nl = '\0';
		if (strcmp(buf, x->want)) {
			fprintf(stderr, "peer: got \"%s\", want \"%s\"\n", buf, x->want);
			_exit(3);
		}
		len -= nl + 1 - buf;
		memmove(buf, nl + 1, len);
		if (x->answer && write(fd, x->answer, strlen(x->answer)) < 0)
			_exit(4);
	}
	_exit(0);
}

static struct qtest *start(const struct exchange *x, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	*pid = fork();
	if (*pid == 0) {
		close(sv[0]);
		peer(sv[1], x);
	}
	close(sv[1]);
	return qtest_from_fd(sv[0]);
}

static int finish(struct qtest *q, pid_t pid)
{
	int st;

	qtest_close(q);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

TEST(reads_writes_and_ports)
{
	static const struct exchange x[] = {
	    {"writel 0xfed90018 0x80000000", "OK\n"},
	    {"readq 0xfed90008", "OK 0x00d2008c222f0686\n"},
	    {"readl 0xc0000000", "IRQ raise 3\nOK 0x4b4d4656\n"}, /* async line skipped */
	    {"outl 0xcf8 0x80000000", "OK\n"},
	    {"inl 0xcfc", "OK 0x29c08086\n"},
	    {"write 0x1000 0x3 0x0102ff", "OK\n"},
	    {"read 0x2000 0x4", "OK 0xdeadbeef\n"},
	    {"memset 0x3000 0x1000 0x00", "OK\n"},
	    {NULL, NULL}};
	uint8_t w[3] = {1, 2, 0xff}, r[4];
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	EXPECT_EQ(qtest_writel(q, 0xfed90018, 0x80000000), 0);
	EXPECT_TRUE(qtest_readq(q, 0xfed90008) == 0x00d2008c222f0686ull);
	EXPECT_EQ(qtest_readl(q, 0xc0000000), 0x4b4d4656);
	EXPECT_EQ(qtest_out(q, 0xcf8, 0x80000000, 4), 0);
	EXPECT_EQ(qtest_in(q, 0xcfc, 4), 0x29c08086);
	EXPECT_EQ(qtest_memwrite(q, 0x1000, w, 3), 0);
	EXPECT_EQ(qtest_memread(q, 0x2000, r, 4), 0);
	EXPECT_EQ(r[0], 0xde);
	EXPECT_EQ(r[3], 0xef);
	EXPECT_EQ(qtest_memset(q, 0x3000, 0, 0x1000), 0);
	EXPECT_TRUE(qtest_error(q) == NULL);
	EXPECT_EQ(qtest_commands(q), 8);
	EXPECT_EQ(finish(q, pid), 0);
}

TEST(fail_answer_is_sticky)
{
	static const struct exchange x[] = {{"readb 0x10", "FAIL Unknown command 'readb'\n"},
					    {NULL, NULL}};
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	EXPECT_TRUE(qtest_read(q, 0x10, 1) == UINT64_MAX);
	ASSERT_NONNULL(qtest_error(q));
	EXPECT_TRUE(strstr(qtest_error(q), "FAIL Unknown command") != NULL);
	/* Nothing more is sent after a failure. */
	EXPECT_EQ(qtest_writeq(q, 0, 0), -1);
	EXPECT_EQ(qtest_commands(q), 1);
	EXPECT_EQ(finish(q, pid), 0);
}

TEST(closed_connection_and_bad_answers)
{
	static const struct exchange x[] = {{"readq 0x0", "OK banana\n"}, {NULL, NULL}};
	static const struct exchange y[] = {{NULL, NULL}};
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	EXPECT_TRUE(qtest_readq(q, 0) == UINT64_MAX);
	EXPECT_TRUE(qtest_error(q) && strstr(qtest_error(q), "unparsable"));
	EXPECT_EQ(finish(q, pid), 0);

	q = start(y, &pid);
	ASSERT_NONNULL(q);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(qtest_writel(q, 0, 1), -1);
	EXPECT_TRUE(qtest_error(q) &&
		    (strstr(qtest_error(q), "closed") || strstr(qtest_error(q), "send")));
	qtest_close(q);
}

TEST(timeout)
{
	int sv[2];
	struct qtest *q;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	q = qtest_from_fd(sv[0]);
	qtest_set_timeout(q, 100);
	EXPECT_TRUE(qtest_readq(q, 0) == UINT64_MAX); /* the peer never answers */
	EXPECT_TRUE(qtest_error(q) && strstr(qtest_error(q), "no answer"));
	qtest_close(q);
	close(sv[1]);
}

TEST(listen_and_accept)
{
	char *chardev = NULL, *err = NULL, name[128];
	struct qtest *q = qtest_listen("qt", &chardev, &err);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	ASSERT_NONNULL(q);
	ASSERT_EQ(sscanf(chardev, "socket,id=qt,path=%127[^,],abstract=on", name), 1);
	memcpy(sa.sun_path + 1, name, strlen(name));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_EQ(connect(fd, (struct sockaddr *)&sa,
			  offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name)),
		  0);
	EXPECT_EQ(qtest_accept(q, 1000, &err), 0);
	close(fd);
	qtest_close(q);
	free(chardev);
	free(err);
}
