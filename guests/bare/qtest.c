// SPDX-License-Identifier: GPL-2.0-or-later
#include "qtest.h"
#include "linebuf.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* qtest answers are short; anything longer is a protocol error. */
#define QTEST_MAX_LINE 65536

struct qtest {
	int listen_fd;
	int fd;
	int timeout_ms;
	char *err;
	unsigned long ncmd;
	struct linebuf lines;
	char **ready; /* complete answers not yet taken, oldest first */
	size_t nready;
};

static char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static void set_err(struct qtest *q, const char *fmt, ...)
{
	va_list ap;

	if (q->err)
		return;
	va_start(ap, fmt);
	q->err = xvasprintf(fmt, ap);
	va_end(ap);
}

static void put_err(char **err, const char *msg)
{
	if (err && !*err)
		*err = strdup(msg);
}

static struct qtest *alloc_qtest(void)
{
	struct qtest *q = calloc(1, sizeof(*q));

	if (!q)
		abort();
	q->listen_fd = -1;
	q->fd = -1;
	q->timeout_ms = 10000;
	linebuf_init(&q->lines, QTEST_MAX_LINE);
	return q;
}

struct qtest *qtest_listen(const char *id, char **chardev, char **err)
{
	static unsigned long seq;
	struct qtest *q = alloc_qtest();
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timespec ts;
	char name[96];
	socklen_t alen;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(name, sizeof(name), "migcheck-qtest-%d-%lu-%lx", (int)getpid(), ++seq,
		 (unsigned long)ts.tv_nsec);
	/* Abstract: sun_path[0] is NUL and the name follows without one. */
	memcpy(sa.sun_path + 1, name, strlen(name));
	alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->listen_fd < 0 || bind(q->listen_fd, (struct sockaddr *)&sa, alen) < 0 ||
	    listen(q->listen_fd, 1) < 0) {
		put_err(err, strerror(errno));
		qtest_close(q);
		return NULL;
	}
	if (asprintf(chardev, "socket,id=%s,path=%s,abstract=on", id, name) < 0)
		abort();
	return q;
}

int qtest_accept(struct qtest *q, int timeout_ms, char **err)
{
	struct pollfd p = {.fd = q->listen_fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		put_err(err, r == 0 ? "QEMU did not connect to the qtest socket" : strerror(errno));
		return -1;
	}
	q->fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (q->fd < 0) {
		put_err(err, strerror(errno));
		return -1;
	}
	close(q->listen_fd);
	q->listen_fd = -1;
	return 0;
}

struct qtest *qtest_from_fd(int fd)
{
	struct qtest *q = alloc_qtest();

	q->fd = fd;
	return q;
}

void qtest_close(struct qtest *q)
{
	if (!q)
		return;
	if (q->listen_fd >= 0)
		close(q->listen_fd);
	if (q->fd >= 0)
		close(q->fd);
	free(q->err);
	while (q->nready)
		free(q->ready[--q->nready]);
	free(q->ready);
	linebuf_free(&q->lines);
	free(q);
}

void qtest_set_timeout(struct qtest *q, int timeout_ms)
{
	q->timeout_ms = timeout_ms;
}

const char *qtest_error(const struct qtest *q)
{
	return q->err;
}

unsigned long qtest_commands(const struct qtest *q)
{
	return q->ncmd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int send_all(struct qtest *q, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			set_err(q, "qtest: send: %s", strerror(errno));
			return -1;
		}
		s += w;
		n -= w;
	}
	return 0;
}

/* Keeps an answer for read_line(); asynchronous "IRQ" lines are not answers. */
static void on_line(void *opaque, char *line, size_t len)
{
	struct qtest *q = opaque;

	(void)len;
	if (!strncmp(line, "IRQ ", 4))
		return;
	q->ready = realloc(q->ready, (q->nready + 1) * sizeof(*q->ready));
	if (!q->ready)
		abort();
	q->ready[q->nready++] = strdup(line);
}

/* The next answer, malloc'd, waiting up to the timeout. */
static char *read_line(struct qtest *q, const char *what)
{
	long long deadline = now_ms() + q->timeout_ms;

	for (;;) {
		struct pollfd p = {.fd = q->fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t r;
		int pr;

		if (q->nready) {
			char *line = q->ready[0];

			memmove(q->ready, q->ready + 1, --q->nready * sizeof(*q->ready));
			return line;
		}
		if (q->lines.overlong) {
			set_err(q, "qtest: answer to \"%s\" longer than %d bytes", what,
				QTEST_MAX_LINE);
			return NULL;
		}
		if (left <= 0) {
			set_err(q, "qtest: no answer to \"%s\" within %d ms", what, q->timeout_ms);
			return NULL;
		}
		pr = poll(&p, 1, (int)left);
		if (pr <= 0)
			continue;
		r = linebuf_read(&q->lines, q->fd, on_line, q);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			set_err(q, "qtest: connection closed while waiting for \"%s\"", what);
			return NULL;
		}
	}
}

static int vcmd(struct qtest *q, char **reply, const char *fmt, va_list ap)
{
	char *line, *ans;
	int rc = -1;

	if (reply)
		*reply = NULL;
	if (q->err || q->fd < 0) {
		set_err(q, "qtest: not connected");
		return -1;
	}
	line = xvasprintf(fmt, ap);
	q->ncmd++;
	{
		size_t n = strlen(line);
		char *full = malloc(n + 2);

		if (!full)
			abort();
		memcpy(full, line, n);
		full[n] = '\n';
		full[n + 1] = '\0';
		rc = send_all(q, full, n + 1);
		free(full);
	}
	if (rc < 0) {
		free(line);
		return -1;
	}
	/* Only the command word in messages: data lines can be long. */
	line[strcspn(line, " ")] = '\0';
	ans = read_line(q, line);
	rc = -1;
	if (ans && !strncmp(ans, "OK", 2) && (ans[2] == '\0' || ans[2] == ' ')) {
		if (reply)
			*reply = strdup(ans[2] ? ans + 3 : "");
		rc = 0;
	} else if (ans) {
		set_err(q, "qtest: %s: %s", line, ans);
	}
	free(ans);
	free(line);
	return rc;
}

int qtest_cmd(struct qtest *q, char **reply, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vcmd(q, reply, fmt, ap);
	va_end(ap);
	return rc;
}

static const char size_letter[9] = {0, 'b', 'w', 0, 'l', 0, 0, 0, 'q'};

static bool size_ok(int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int qtest_write(struct qtest *q, uint64_t addr, uint64_t val, int size)
{
	if (!size_ok(size)) {
		set_err(q, "qtest: bad access size %d", size);
		return -1;
	}
	return qtest_cmd(q, NULL, "write%c 0x%llx 0x%llx", size_letter[size],
			 (unsigned long long)addr, (unsigned long long)val);
}

static uint64_t parse_value(struct qtest *q, const char *what, char *reply)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(reply ? reply : "", &end, 0);
	if (!reply || end == reply || errno) {
		set_err(q, "qtest: %s: unparsable answer \"%s\"", what, reply ? reply : "");
		v = UINT64_MAX;
	}
	free(reply);
	return v;
}

uint64_t qtest_read(struct qtest *q, uint64_t addr, int size)
{
	char *reply;

	if (!size_ok(size)) {
		set_err(q, "qtest: bad access size %d", size);
		return UINT64_MAX;
	}
	if (qtest_cmd(q, &reply, "read%c 0x%llx", size_letter[size], (unsigned long long)addr) < 0)
		return UINT64_MAX;
	return parse_value(q, "read", reply);
}

int qtest_memwrite(struct qtest *q, uint64_t addr, const void *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = buf;
	char *s;
	size_t i;
	int rc;

	if (!len)
		return q->err ? -1 : 0;
	s = malloc(len * 2 + 1);
	if (!s)
		abort();
	for (i = 0; i < len; i++) {
		s[2 * i] = hex[b[i] >> 4];
		s[2 * i + 1] = hex[b[i] & 15];
	}
	s[2 * len] = '\0';
	rc = qtest_cmd(q, NULL, "write 0x%llx 0x%zx 0x%s", (unsigned long long)addr, len, s);
	free(s);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int qtest_memread(struct qtest *q, uint64_t addr, void *buf, size_t len)
{
	uint8_t *b = buf;
	char *reply;
	size_t i;

	if (!len)
		return q->err ? -1 : 0;
	if (qtest_cmd(q, &reply, "read 0x%llx 0x%zx", (unsigned long long)addr, len) < 0)
		return -1;
	if (strncmp(reply, "0x", 2) || strlen(reply) != 2 + 2 * len) {
		set_err(q, "qtest: read of %zu bytes: answer of %zu characters", len,
			strlen(reply));
		free(reply);
		return -1;
	}
	for (i = 0; i < len; i++) {
		int hi = hexval(reply[2 + 2 * i]), lo = hexval(reply[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			set_err(q, "qtest: read: bad hex digit in the answer");
			free(reply);
			return -1;
		}
		b[i] = hi << 4 | lo;
	}
	free(reply);
	return 0;
}

int qtest_memset(struct qtest *q, uint64_t addr, uint8_t val, size_t len)
{
	if (!len)
		return q->err ? -1 : 0;
	return qtest_cmd(q, NULL, "memset 0x%llx 0x%zx 0x%02x", (unsigned long long)addr, len, val);
}

int qtest_out(struct qtest *q, uint16_t port, uint32_t val, int size)
{
	if (size != 1 && size != 2 && size != 4) {
		set_err(q, "qtest: bad port access size %d", size);
		return -1;
	}
	return qtest_cmd(q, NULL, "out%c 0x%x 0x%x", size_letter[size], port, val);
}

uint32_t qtest_in(struct qtest *q, uint16_t port, int size)
{
	char *reply;

	if (size != 1 && size != 2 && size != 4) {
		set_err(q, "qtest: bad port access size %d", size);
		return UINT32_MAX;
	}
	if (qtest_cmd(q, &reply, "in%c 0x%x", size_letter[size], port) < 0)
		return UINT32_MAX;
	return (uint32_t)parse_value(q, "in", reply);
}
