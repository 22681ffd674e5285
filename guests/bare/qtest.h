/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qtest.h: a client for QEMU's qtest protocol.
 *
 * One text command per line ("writeq 0xfed90018 0x80000000"), one "OK ..."
 * or "FAIL ..." line back.  QEMU connects to a socket the harness listens
 * on (an abstract unix socket: nothing to clean up), so the vCPU never has
 * to run: memory, MMIO and port I/O are all done by QEMU on our behalf.
 *
 * Errors are sticky: after the first failure every call returns -1 at once
 * and qtest_error() says what went wrong, so a sequence of accesses can be
 * checked once at its end.
 */
#ifndef MIGCHECK_BARE_QTEST_H
#define MIGCHECK_BARE_QTEST_H

#include <stddef.h>
#include <stdint.h>

struct qtest;

/*
 * Listens on an abstract unix socket with a unique name.  The chardev
 * argument QEMU needs ("socket,id=ID,path=NAME,abstract=on") is in *chardev.
 */
struct qtest *qtest_listen(const char *id, char **chardev, char **err);
/* Waits up to timeout_ms for QEMU to connect. */
int qtest_accept(struct qtest *q, int timeout_ms, char **err);
/* Wraps a connected stream socket (for tests); takes ownership. */
struct qtest *qtest_from_fd(int fd);
void qtest_close(struct qtest *q);

/* Per-command timeout (default 10 s). */
void qtest_set_timeout(struct qtest *q, int timeout_ms);
/* NULL while nothing has failed. */
const char *qtest_error(const struct qtest *q);
/* Number of commands sent so far. */
unsigned long qtest_commands(const struct qtest *q);

/*
 * Sends one command line (without the newline) and reads the answer.
 * Returns 0 and the text after "OK" (possibly "") in *reply (malloc'd, may
 * be NULL), or -1.
 */
int qtest_cmd(struct qtest *q, char **reply, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int qtest_write(struct qtest *q, uint64_t addr, uint64_t val, int size);
uint64_t qtest_read(struct qtest *q, uint64_t addr, int size);
int qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len);
int qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len);
int qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len);
int qtest_out(struct qtest *q, uint16_t port, uint32_t val, int size);
uint32_t qtest_in(struct qtest *q, uint16_t port, int size);

#define qtest_writel(q, a, v) qtest_write(q, a, v, 4)
#define qtest_writeq(q, a, v) qtest_write(q, a, v, 8)
#define qtest_readl(q, a) ((uint32_t)qtest_read(q, a, 4))
#define qtest_readq(q, a) qtest_read(q, a, 8)

#endif
