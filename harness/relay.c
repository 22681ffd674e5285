// SPDX-License-Identifier: GPL-2.0-or-later
#include "relay.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RELAY_MAX_CONN 32
#define RELAY_BUF 65536

struct relay {
	int listen_fd;
	int wake[2]; /* tells the thread to break or stop */
	char *target;
	pthread_t thread;
	int conn[RELAY_MAX_CONN][2]; /* [from source, to destination] */
	int nconn;
	atomic_uint_fast64_t bytes;
	atomic_bool broken, stopping;
};

static socklen_t abstract_addr(struct sockaddr_un *sa, const char *name)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n > sizeof(sa->sun_path) - 1)
		n = sizeof(sa->sun_path) - 1;
	memcpy(sa->sun_path + 1, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int connect_target(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void close_all(struct relay *r)
{
	int i;

	for (i = 0; i < r->nconn; i++) {
		if (r->conn[i][0] >= 0) {
			shutdown(r->conn[i][0], SHUT_RDWR);
			close(r->conn[i][0]);
		}
		if (r->conn[i][1] >= 0) {
			shutdown(r->conn[i][1], SHUT_RDWR);
			close(r->conn[i][1]);
		}
		r->conn[i][0] = r->conn[i][1] = -1;
	}
}

/* Copies what one end has; false when the pair is done. */
static bool pump(struct relay *r, int from, int to, bool towards_dst)
{
	char buf[RELAY_BUF];
	ssize_t n = read(from, buf, sizeof(buf)), off = 0;

	if (n <= 0)
		return n < 0 && errno == EINTR;
	while (off < n) {
		ssize_t w = write(to, buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += w;
	}
	if (towards_dst)
		atomic_fetch_add(&r->bytes, (uint64_t)n);
	return true;
}

static void *relay_main(void *opaque)
{
	struct relay *r = opaque;
	struct pollfd pfd[2 + 2 * RELAY_MAX_CONN];

	while (!atomic_load(&r->stopping)) {
		int n = 0, i;

		pfd[n++] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = r->listen_fd, .events = POLLIN};
		for (i = 0; i < r->nconn; i++) {
			pfd[n++] = (struct pollfd){.fd = r->conn[i][0], .events = POLLIN};
			pfd[n++] = (struct pollfd){.fd = r->conn[i][1], .events = POLLIN};
		}
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			char c;

			if (read(r->wake[0], &c, 1) == 1 && atomic_load(&r->broken))
				close_all(r);
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			int s = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC), d;

			if (s >= 0 && (atomic_load(&r->broken) || r->nconn == RELAY_MAX_CONN ||
				       (d = connect_target(r->target)) < 0)) {
				close(s);
			} else if (s >= 0) {
				r->conn[r->nconn][0] = s;
				r->conn[r->nconn][1] = d;
				r->nconn++;
			}
		}
		for (i = 0; i < r->nconn; i++) {
			short in = pfd[2 + 2 * i].revents, out = pfd[3 + 2 * i].revents;
			bool ok = true;

			if (r->conn[i][0] < 0)
				continue;
			if (in)
				ok = pump(r, r->conn[i][0], r->conn[i][1], true);
			if (ok && out)
				ok = pump(r, r->conn[i][1], r->conn[i][0], false);
			if (!ok) {
				/* One side hung up: pass it on to the other. */
				shutdown(r->conn[i][0], SHUT_RDWR);
				shutdown(r->conn[i][1], SHUT_RDWR);
				close(r->conn[i][0]);
				close(r->conn[i][1]);
				r->conn[i][0] = r->conn[i][1] = -1;
			}
		}
		/* Keep only live pairs, so poll never sees a closed fd. */
		for (i = 0; i < r->nconn;) {
			if (r->conn[i][0] >= 0) {
				i++;
				continue;
			}
			memmove(r->conn[i], r->conn[i + 1],
				(r->nconn - i - 1) * sizeof(r->conn[0]));
			r->nconn--;
		}
	}
	close_all(r);
	return NULL;
}

struct relay *relay_start(const char *name, const char *target, char **err)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, name);

	if (!r)
		abort();
	r->target = strdup(target);
	r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&sa, len) < 0 ||
	    listen(r->listen_fd, 8) < 0 || pipe2(r->wake, O_CLOEXEC) < 0) {
		mc_set_err(err, "migration relay: %s", strerror(errno));
		if (r->listen_fd >= 0)
			close(r->listen_fd);
		free(r->target);
		free(r);
		return NULL;
	}
	if (pthread_create(&r->thread, NULL, relay_main, r)) {
		mc_set_err(err, "migration relay: cannot start its thread");
		close(r->listen_fd);
		close(r->wake[0]);
		close(r->wake[1]);
		free(r->target);
		free(r);
		return NULL;
	}
	return r;
}

void relay_break(struct relay *r)
{
	atomic_store(&r->broken, true);
	if (write(r->wake[1], "b", 1) < 0) {
		/* The thread is gone already: nothing to break. */
	}
}

uint64_t relay_bytes(struct relay *r)
{
	return atomic_load(&r->bytes);
}

void relay_stop(struct relay *r)
{
	if (!r)
		return;
	atomic_store(&r->stopping, true);
	if (write(r->wake[1], "s", 1) < 0) {
		/* see relay_break */
	}
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
	close(r->wake[0]);
	close(r->wake[1]);
	free(r->target);
	free(r);
}
