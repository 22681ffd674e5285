// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_qtest.c: QEMU's answers to the qtest client.  The input's first
 * bytes choose a sequence of client calls; the rest is what "QEMU" says,
 * queued on a socketpair whose far end is then shut, so the client reads
 * exactly those bytes with its own reader (line framing, IRQ lines, OK and
 * FAIL, numbers, hex dumps) and never waits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qtest.h"

#define NOPS 4

static void call(struct qtest *q, uint8_t op)
{
	uint8_t buf[64];
	char *reply = NULL;

	switch (op % 8) {
	case 0:
		qtest_readl(q, 0xfed90000);
		break;
	case 1:
		qtest_readq(q, 0xfed90018);
		break;
	case 2:
		qtest_memread(q, 0x1000, buf, 1 + op / 8 % sizeof(buf));
		break;
	case 3:
		qtest_in(q, 0xcfc, 4);
		break;
	case 4:
		qtest_writel(q, 0xfed90018, 0x80000000);
		break;
	case 5:
		if (!qtest_cmd(q, &reply, "clock_step") && !reply)
			abort();
		free(reply);
		break;
	case 6:
		qtest_memwrite(q, 0x2000, "\x01\x02\xfe", 3);
		break;
	default:
		qtest_memset(q, 0x3000, 0xa5, 4096);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qtest *q;
	int sv[2], i;

	if (size < NOPS)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	/* The input fits the socket's buffer (max_len is far below it). */
	if (size > NOPS && send(sv[1], data + NOPS, size - NOPS, MSG_DONTWAIT) < 0)
		abort();
	shutdown(sv[1], SHUT_WR);
	q = qtest_from_fd(sv[0]);
	qtest_set_timeout(q, 1000);
	for (i = 0; i < NOPS; i++)
		call(q, data[i]);
	/* Errors are sticky and always say what happened. */
	if (qtest_error(q) && !*qtest_error(q))
		abort();
	qtest_close(q);
	close(sv[1]);
	return 0;
}
