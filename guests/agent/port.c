// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * port.c: serial channel I/O for the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "port.h"

static pthread_mutex_t port_lock = PTHREAD_MUTEX_INITIALIZER;
static int port_out = -1;

int port_setup(int fd)
{
	struct termios t;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &t) < 0)
		return -errno;
	/* No echo, no CR/LF translation, no signals: bytes pass unchanged. */
	cfmakeraw(&t);
	t.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	tcflush(fd, TCIFLUSH);
	return 0;
}

int port_open(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = port_setup(fd);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

void port_set_output(int fd)
{
	pthread_mutex_lock(&port_lock);
	port_out = fd;
	pthread_mutex_unlock(&port_lock);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int port_send(const char *fmt, ...)
{
	char line[PORT_LINE_MAX + 1];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(line, PORT_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (n > PORT_LINE_MAX - 1)
		n = PORT_LINE_MAX - 1;
	line[n++] = '\n';

	pthread_mutex_lock(&port_lock);
	ret = port_out < 0 ? -EBADF : write_all(port_out, line, (size_t)n);
	pthread_mutex_unlock(&port_lock);
	return ret;
}

void port_reader_init(struct port_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

/* Takes bytes [0, n) of the buffer, plus the '\n' at n, out of it. */
static void consume(struct port_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n + 1, r->len - n - 1);
	r->len -= n + 1;
}

enum port_read_status port_read_line(struct port_reader *r, char *line, size_t *len)
{
	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		ssize_t got;

		if (nl) {
			size_t n = (size_t)(nl - r->buf);

			if (r->overlong) {
				/* The tail of a line already reported as too long. */
				r->overlong = false;
				consume(r, n);
				continue;
			}
			if (n + 1 > PORT_LINE_MAX) {
				memcpy(line, r->buf, PORT_LINE_MAX - 1);
				line[PORT_LINE_MAX - 1] = '\0';
				*len = PORT_LINE_MAX - 1;
				consume(r, n);
				return PORT_TOO_LONG;
			}
			memcpy(line, r->buf, n);
			line[n] = '\0';
			*len = n;
			consume(r, n);
			return PORT_LINE;
		}
		if (r->len >= PORT_LINE_MAX) {
			/* No '\n' within the limit: report now, drop the rest later. */
			bool first = !r->overlong;

			if (first) {
				memcpy(line, r->buf, PORT_LINE_MAX - 1);
				line[PORT_LINE_MAX - 1] = '\0';
				*len = PORT_LINE_MAX - 1;
			}
			r->overlong = true;
			r->len = 0;
			if (first)
				return PORT_TOO_LONG;
		}
		got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* A tty whose other side hung up. */
			return errno == EIO ? PORT_EOF : PORT_ERROR;
		}
		if (got == 0)
			return PORT_EOF;
		r->len += (size_t)got;
	}
}
