// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvbridge.h"
#include "util.h"
#include "vfiomock-client.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BRIDGE_TIMEOUT_MS 10000

struct lvbridge {
	char *addr;
	int listen_fd;
	int netns_fd;
	int stop[2];
	pthread_t thread;
	pthread_mutex_t lock;
	char *last_state; /* the mock's last "state" response line */
};

static socklen_t abstract_addr(const char *addr, struct sockaddr_un *sa)
{
	size_t n = strlen(addr);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n >= sizeof(sa->sun_path))
		return 0;
	memcpy(sa->sun_path, addr, n);
	sa->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

/* Is anything listening on addr in this thread's namespace? */
static bool target_alive(const char *addr)
{
	struct sockaddr_un sa;
	socklen_t sl = abstract_addr(addr, &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&sa, sl);
	close(fd);
	return rc == 0;
}

static char *read_line(int fd, int timeout_ms)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;

	if (!buf)
		abort();
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		char *nl;

		if (len + 1024 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		if (poll(&p, 1, 100) <= 0) {
			if (mc_now_ns() > deadline)
				break;
			continue;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += n;
	}
}

static void serve(struct lvbridge *b, int client)
{
	char *line = read_line(client, BRIDGE_TIMEOUT_MS), *out = NULL;
	json_t *req = line ? json_loads(line, 0, NULL) : NULL, *resp = NULL;
	bool state = req && !strcmp(json_string_value(json_object_get(req, "cmd")) ?: "", "state");

	if (!req)
		goto out;
	if (target_alive(b->addr)) {
		resp = vfiomock_call(b->addr, req, BRIDGE_TIMEOUT_MS);
		if (!resp)
			resp = json_pack("{s:b, s:s}", "ok", 0, "error", strerror(errno));
		out = json_dumps(resp, JSON_COMPACT);
		if (state && json_is_true(json_object_get(resp, "ok")) && out) {
			pthread_mutex_lock(&b->lock);
			free(b->last_state);
			b->last_state = strdup(out);
			pthread_mutex_unlock(&b->lock);
		}
	} else {
		pthread_mutex_lock(&b->lock);
		if (state && b->last_state) {
			resp = json_loads(b->last_state, 0, NULL);
			json_object_set_new(resp, "snapshot", json_true());
		}
		pthread_mutex_unlock(&b->lock);
		if (!resp)
			resp = json_pack("{s:b, s:s}", "ok", 0, "error",
					 "the QEMU has exited (libvirt ends the source after "
					 "migration); no state of it was kept");
		out = json_dumps(resp, JSON_COMPACT);
	}
	if (out) {
		char *nl = mc_strdup_printf("%s\n", out);

		write_all(client, nl);
		free(nl);
	}
out:
	free(out);
	json_decref(resp);
	json_decref(req);
	free(line);
}

static void *bridge_main(void *opaque)
{
	struct lvbridge *b = opaque;

	/* This thread only: new sockets it makes live in the host's namespace. */
	if (setns(b->netns_fd, CLONE_NEWNET) < 0)
		return NULL;
	for (;;) {
		struct pollfd p[2] = {{.fd = b->listen_fd, .events = POLLIN},
				      {.fd = b->stop[0], .events = POLLIN}};
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(b, c);
		close(c);
	}
	return NULL;
}

struct lvbridge *lvbridge_start(const char *addr, int netns_fd, char **err)
{
	struct lvbridge *b = calloc(1, sizeof(*b));
	struct sockaddr_un sa;
	socklen_t sl;

	if (!b)
		abort();
	b->listen_fd = b->netns_fd = b->stop[0] = b->stop[1] = -1;
	pthread_mutex_init(&b->lock, NULL);
	b->addr = strdup(addr);
	sl = addr[0] == '@' ? abstract_addr(addr, &sa) : 0;
	if (!sl) {
		mc_set_err(err, "mock control address %s is not an abstract socket name", addr);
		goto fail;
	}
	b->netns_fd = fcntl(netns_fd, F_DUPFD_CLOEXEC, 3);
	b->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->netns_fd < 0 || b->listen_fd < 0 || pipe2(b->stop, O_CLOEXEC) < 0 ||
	    bind(b->listen_fd, (struct sockaddr *)&sa, sl) < 0 || listen(b->listen_fd, 8) < 0) {
		mc_set_err(err, "mock control bridge %s: %s", addr, strerror(errno));
		goto fail;
	}
	if (pthread_create(&b->thread, NULL, bridge_main, b)) {
		mc_set_err(err, "cannot start the mock control bridge thread");
		goto fail;
	}
	return b;
fail:
	close(b->listen_fd);
	close(b->netns_fd);
	close(b->stop[0]);
	close(b->stop[1]);
	free(b->addr);
	free(b);
	return NULL;
}

int lvbridge_snapshot(struct lvbridge *b, char **err)
{
	json_t *req = json_pack("{s:s}", "cmd", "state");
	json_t *resp = vfiomock_call(b->addr, req, BRIDGE_TIMEOUT_MS);
	int rc = json_is_true(json_object_get(resp, "ok")) &&
			 !json_is_true(json_object_get(resp, "snapshot"))
		     ? 0
		     : -1;

	if (rc < 0)
		mc_set_err(err, "mock state at completion: %s",
			   resp ? json_string_value(json_object_get(resp, "error")) ?: "stale"
				: strerror(errno));
	json_decref(req);
	json_decref(resp);
	return rc;
}

bool lvbridge_has_snapshot(struct lvbridge *b)
{
	bool has;

	pthread_mutex_lock(&b->lock);
	has = b->last_state != NULL;
	pthread_mutex_unlock(&b->lock);
	return has;
}

void lvbridge_stop(struct lvbridge *b)
{
	if (!b)
		return;
	if (write(b->stop[1], "x", 1) == 1)
		pthread_join(b->thread, NULL);
	close(b->listen_fd);
	close(b->netns_fd);
	close(b->stop[0]);
	close(b->stop[1]);
	pthread_mutex_destroy(&b->lock);
	free(b->last_state);
	free(b->addr);
	free(b);
}
