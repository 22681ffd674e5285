// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bare guest's device driver ops against a scripted qtest peer: the
 * exact register accesses the mock's driver makes for probe, init, fill,
 * results and the ring, and the page checks it shares with the agent's.
 */
#define KTEST_MAIN
#include "ktest.h"
#include "dmadev.h"
#include "vfiomock-abi.h"

#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>

struct exchange {
	const char *want; /* expected command line, NULL: the end */
	const char *answer;
};

static void peer(int fd, const struct exchange *x)
{
	char buf[4096];
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
		if (write(fd, x->answer, strlen(x->answer)) < 0)
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

/* The device at 00:00.0: found at once, BAR0 at 0xc0000000, MEM|BME stick. */
#define PROBE_SCRIPT                                                                               \
	{"outl 0xcf8 0x80000000", "OK\n"}, {"inl 0xcfc", "OK 0x00991b36\n"},                       \
	    {"outl 0xcf8 0x80000010", "OK\n"}, {"outl 0xcfc 0xc0000000", "OK\n"},                  \
	    {"outl 0xcf8 0x80000004", "OK\n"}, {"inw 0xcfc", "OK 0x0\n"},                          \
	    {"outl 0xcf8 0x80000004", "OK\n"}, {"outw 0xcfc 0x6", "OK\n"},                         \
	    {"outl 0xcf8 0x80000010", "OK\n"}, {"inl 0xcfc", "OK 0xc0000000\n"},                   \
	    {"outl 0xcf8 0x80000004", "OK\n"},                                                     \
	{                                                                                          \
		"inw 0xcfc", "OK 0x6\n"                                                            \
	}

TEST(probe_init_fill_results)
{
	static const struct exchange x[] = {
	    PROBE_SCRIPT,
	    /* probe: the identity register; init: the counters clear */
	    {"readq 0xc0000000", "OK 0x000000014b4d4656\n"},
	    {"writeq 0xc0000008 0x4", "OK\n"},
	    /* fill */
	    {"writeq 0xc0000010 0x10000", "OK\n"},
	    {"writeq 0xc0000018 0x2", "OK\n"},
	    {"writeq 0xc0000020 0x7", "OK\n"},
	    {"writeq 0xc0000008 0x1", "OK\n"},
	    /* results */
	    {"readq 0xc0000008", "OK 0x0\n"},
	    {"readq 0xc0000050", "OK 0x2\n"},
	    {"readq 0xc0000058", "OK 0x0\n"},
	    {NULL, NULL}};
	struct dma_results r;
	struct dma_dev d;
	char *err = NULL;
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	ASSERT_EQ(dma_dev_probe(&d, q, &vfiomock_dma_ops, 0xc0000000, &err), 0);
	EXPECT_EQ(d.devfn, 0);
	EXPECT_EQ(d.ops->fill(&d, 0x10000, 2, 7), 0);
	EXPECT_EQ(d.ops->results(&d, &r), 0);
	EXPECT_EQ(r.pages_written, 2);
	EXPECT_EQ(r.pages_faulted, 0);
	EXPECT_EQ(r.status, 0);
	EXPECT_NULL(d.ops->memcpy_start);
	EXPECT_EQ(finish(q, pid), 0);
	free(err);
}

TEST(ring_start_stop)
{
	static const struct exchange x[] = {PROBE_SCRIPT,
					    {"readq 0xc0000000", "OK 0x000000014b4d4656\n"},
					    {"writeq 0xc0000008 0x4", "OK\n"},
					    {"writeq 0xc0000028 0x8000000", "OK\n"},
					    {"writeq 0xc0000030 0x40", "OK\n"},
					    {"writeq 0xc0000038 0x3e8", "OK\n"},
					    {"writeq 0xc0000008 0x2", "OK\n"},
					    {"readq 0xc0000008", "OK 0x0\n"},
					    {"writeq 0xc0000008 0x3", "OK\n"},
					    {"readq 0xc0000048", "OK 0x99\n"},
					    {NULL, NULL}};
	struct dma_dev d;
	uint64_t seq = 0;
	char *err = NULL;
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	ASSERT_EQ(dma_dev_probe(&d, q, &vfiomock_dma_ops, 0xc0000000, &err), 0);
	EXPECT_EQ(d.ops->ring_start(&d, 0x8000000, 64, 1000), 0);
	EXPECT_EQ(d.ops->ring_stop(&d, &seq), 0);
	EXPECT_EQ(seq, 0x99);
	EXPECT_EQ(finish(q, pid), 0);
	free(err);
}

TEST(not_the_device_is_refused)
{
	static const struct exchange x[] = {
	    PROBE_SCRIPT, {"readq 0xc0000000", "OK 0x12345678\n"}, {NULL, NULL}};
	struct dma_dev d;
	char *err = NULL;
	pid_t pid;
	struct qtest *q = start(x, &pid);

	ASSERT_NONNULL(q);
	EXPECT_EQ(dma_dev_probe(&d, q, &vfiomock_dma_ops, 0xc0000000, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "vfiomock at 00:00.0: not ready") != NULL);
	EXPECT_EQ(finish(q, pid), 0);
	free(err);
}

TEST(page_checks_read_the_stamps)
{
	uint64_t page[512] = {VFM_FILL_MAGIC, 7, 3}, seq;

	EXPECT_TRUE(vfiomock_dma_ops.fill_check(page, 7, 3));
	EXPECT_FALSE(vfiomock_dma_ops.fill_check(page, 7, 4));
	EXPECT_FALSE(vfiomock_dma_ops.fill_check(page, 8, 3));
	page[0] = VFM_RING_MAGIC;
	page[1] = 130;
	page[2] = 2;
	page[3] = 130 ^ VFM_RING_MAGIC;
	EXPECT_TRUE(vfiomock_dma_ops.ring_decode(page, 2, &seq));
	EXPECT_EQ(seq, 130);
	EXPECT_FALSE(vfiomock_dma_ops.ring_decode(page, 3, &seq));
	page[3] ^= 1;
	EXPECT_FALSE(vfiomock_dma_ops.ring_decode(page, 2, &seq));
}
