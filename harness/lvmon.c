// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvmon.h"
#include "util.h"

#include <errno.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct lvmon {
	virConnectPtr conn;
	char *name;
	int fd; /* the proxy's end of the stream */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t wlock;
	int cb_id;
	lvmon_event_fn fn;
	void *opaque;
};

static pthread_t loop_thread;
static bool loop_running;
static volatile int loop_stop;
static int wake_timer = -1;

/* libvirt prints every error on stderr unless told otherwise: errors are ours to report. */
static void quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

char *lv_last_error(void)
{
	const char *m = virGetLastErrorMessage();

	return strdup(m && *m ? m : "unknown libvirt error");
}

static void wake(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

static void *loop_main(void *opaque)
{
	(void)opaque;
	while (!loop_stop)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

int lvmon_event_loop_start(char **err)
{
	if (loop_running)
		return 0;
	virSetErrorFunc(NULL, quiet);
	if (virEventRegisterDefaultImpl() < 0) {
		char *e = lv_last_error();

		mc_set_err(err, "libvirt event loop: %s", e);
		free(e);
		return -1;
	}
	/* A timer the stop can fire, so the loop notices it at once. */
	wake_timer = virEventAddTimeout(-1, wake, NULL, NULL);
	loop_stop = 0;
	if (pthread_create(&loop_thread, NULL, loop_main, NULL)) {
		mc_set_err(err, "cannot start the libvirt event thread");
		return -1;
	}
	loop_running = true;
	return 0;
}

void lvmon_event_loop_stop(void)
{
	if (!loop_running)
		return;
	loop_stop = 1;
	virEventUpdateTimeout(wake_timer, 0);
	pthread_join(loop_thread, NULL);
	virEventRemoveTimeout(wake_timer);
	loop_running = false;
}

static void send_line(struct lvmon *m, json_t *obj)
{
	char *json = json_dumps(obj, JSON_COMPACT), *text;
	size_t len, off = 0;

	if (!json)
		return;
	text = mc_strdup_printf("%s\n", json);
	free(json);
	len = strlen(text);
	pthread_mutex_lock(&m->wlock);
	while (off < len) {
		ssize_t n = send(m->fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	pthread_mutex_unlock(&m->wlock);
	free(text);
}

/* QEMU's whole reply to one command object (without id), or a QMP-shaped error. */
static json_t *raw_call(struct lvmon *m, json_t *cmd)
{
	char *text = json_dumps(cmd, JSON_COMPACT), *result = NULL, *e;
	virDomainPtr dom = virDomainLookupByName(m->conn, m->name);
	json_t *reply = NULL;

	if (dom && virDomainQemuMonitorCommand(dom, text, &result, 0) == 0) {
		reply = json_loads(result, JSON_DECODE_ANY, NULL);
		if (!json_is_object(reply)) {
			json_decref(reply);
			reply = json_pack("{s:{s:s, s:s}}", "error", "class", "GenericError",
					  "desc", "libvirt returned a reply that is not JSON");
		}
	} else {
		e = lv_last_error();
		reply = json_pack("{s:{s:s, s:s}}", "error", "class", "GenericError", "desc", e);
		free(e);
	}
	if (dom)
		virDomainFree(dom);
	free(result);
	free(text);
	return reply;
}

json_t *lvmon_call(struct lvmon *m, const char *cmd, json_t *args, char **err)
{
	json_t *req = json_pack("{s:s}", "execute", cmd), *reply, *ret, *e;

	if (args)
		json_object_set_new(req, "arguments", args);
	reply = raw_call(m, req);
	json_decref(req);
	ret = json_incref(json_object_get(reply, "return"));
	e = json_object_get(reply, "error");
	if (!ret)
		mc_set_err(err, "%s: %s: %s", cmd,
			   json_string_value(json_object_get(e, "class")) ?: "Error",
			   json_string_value(json_object_get(e, "desc")) ?: "no reply");
	json_decref(reply);
	return ret;
}

static void serve(struct lvmon *m, json_t *req)
{
	json_t *id = json_incref(json_object_get(req, "id")), *reply;
	const char *cmd = json_string_value(json_object_get(req, "execute"));

	json_object_del(req, "id");
	/* Capabilities are negotiated once, by libvirt; answer the harness's locally. */
	if (cmd && !strcmp(cmd, "qmp_capabilities"))
		reply = json_pack("{s:{}}", "return");
	else
		reply = raw_call(m, req);
	json_object_del(reply, "id");
	if (id)
		json_object_set_new(reply, "id", id);
	send_line(m, reply);
	json_decref(reply);
}

static void *proxy_main(void *opaque)
{
	struct lvmon *m = opaque;
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), *nl;

	if (!buf)
		abort();
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = read(m->fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
		while ((nl = memchr(buf, '\n', len))) {
			json_t *req;

			*nl = '\0';
			req = json_loads(buf, 0, NULL);
			if (json_is_object(req))
				serve(m, req);
			json_decref(req);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
		}
	}
	free(buf);
	return NULL;
}

static void on_event(virConnectPtr conn, virDomainPtr dom, const char *event, long long seconds,
		     unsigned int micros, const char *details, void *opaque)
{
	struct lvmon *m = opaque;
	json_t *data, *line;
	lvmon_event_fn fn;
	void *fn_opaque;

	(void)conn;
	if (strcmp(virDomainGetName(dom), m->name))
		return;
	data = details ? json_loads(details, JSON_DECODE_ANY, NULL) : NULL;
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	line = json_pack("{s:s, s:O, s:{s:I, s:i}}", "event", event, "data", data, "timestamp",
			 "seconds", (json_int_t)seconds, "microseconds", (int)micros);
	send_line(m, line);
	json_decref(line);
	pthread_mutex_lock(&m->wlock);
	fn = m->fn;
	fn_opaque = m->opaque;
	pthread_mutex_unlock(&m->wlock);
	if (fn)
		fn(m, event, data, fn_opaque);
	json_decref(data);
}

struct lvmon *lvmon_open(virConnectPtr conn, const char *name, int *fd, char **err)
{
	struct lvmon *m = calloc(1, sizeof(*m));
	int sv[2], big = 1 << 20;

	if (!m)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		mc_set_err(err, "socketpair: %s", strerror(errno));
		free(m);
		return NULL;
	}
	/* Room for a burst of events while the harness is busy elsewhere. */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	m->conn = conn;
	virConnectRef(conn);
	m->name = strdup(name);
	m->fd = sv[1];
	m->cb_id = -1;
	pthread_mutex_init(&m->wlock, NULL);
	m->cb_id = virConnectDomainQemuMonitorEventRegister(conn, NULL, NULL, on_event, m, NULL, 0);
	if (m->cb_id < 0) {
		char *e = lv_last_error();

		mc_set_err(err, "QEMU monitor events through libvirt: %s", e);
		free(e);
		close(sv[0]);
		lvmon_close(m);
		return NULL;
	}
	if (pthread_create(&m->thread, NULL, proxy_main, m)) {
		mc_set_err(err, "cannot start the monitor proxy thread");
		close(sv[0]);
		lvmon_close(m);
		return NULL;
	}
	m->thread_started = true;
	*fd = sv[0];
	return m;
}

int lvmon_greet(struct lvmon *m, char **err)
{
	json_t *v = lvmon_call(m, "query-version", NULL, err), *g;

	if (!v)
		return -1;
	g = json_pack("{s:{s:o, s:[]}}", "QMP", "version", v, "capabilities");
	send_line(m, g);
	json_decref(g);
	return 0;
}

void lvmon_set_event_fn(struct lvmon *m, lvmon_event_fn fn, void *opaque)
{
	pthread_mutex_lock(&m->wlock);
	m->fn = fn;
	m->opaque = opaque;
	pthread_mutex_unlock(&m->wlock);
}

void lvmon_close(struct lvmon *m)
{
	if (!m)
		return;
	if (m->cb_id >= 0)
		virConnectDomainQemuMonitorEventDeregister(m->conn, m->cb_id);
	/* The harness closed its end: the proxy's read ends, once any call returns. */
	shutdown(m->fd, SHUT_RDWR);
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	close(m->fd);
	virConnectClose(m->conn);
	pthread_mutex_destroy(&m->wlock);
	free(m->name);
	free(m);
}
