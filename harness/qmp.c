// SPDX-License-Identifier: GPL-2.0-or-later
#include "qmp.h"
#include "linebuf.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* query-qmp-schema is the largest reply QEMU sends (about 1 MiB today). */
#define QMP_MAX_LINE (64u << 20)

struct qmp {
	int fd;
	FILE *transcript;
	char *label;
	struct linebuf lines;
	bool closed;
	unsigned malformed;
	unsigned long next_id;
	json_t *greeting;
	char *version;
	char *package;
	/* the reply to the call in flight, once read */
	unsigned long want_id;
	json_t *reply;
	char *error_desc; /* QEMU's words in the last error reply */
	struct qmp_event *events;
	size_t nevents, events_cap;
};

static void note(struct qmp *q, const char *dir, const char *text, size_t len)
{
	if (!q->transcript)
		return;
	fprintf(q->transcript, "%.6f %s %.*s\n", mc_wall_s(), dir, (int)len, text);
	fflush(q->transcript);
}

struct qmp *qmp_open(int fd, const char *transcript, const char *label)
{
	struct qmp *q = calloc(1, sizeof(*q));

	if (!q)
		abort();
	q->fd = fd;
	q->label = strdup(label ? label : "qmp");
	linebuf_init(&q->lines, QMP_MAX_LINE);
	if (transcript)
		q->transcript = fopen(transcript, "ae");
	return q;
}

void qmp_close(struct qmp *q)
{
	size_t i;

	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->transcript)
		fclose(q->transcript);
	free(q->error_desc);
	for (i = 0; i < q->nevents; i++) {
		free(q->events[i].name);
		json_decref(q->events[i].data);
	}
	free(q->events);
	json_decref(q->greeting);
	json_decref(q->reply);
	free(q->version);
	free(q->package);
	free(q->label);
	linebuf_free(&q->lines);
	free(q);
}

static void add_event(struct qmp *q, json_t *obj)
{
	struct qmp_event *e;
	json_t *ts = json_object_get(obj, "timestamp");
	json_t *data = json_object_get(obj, "data");

	if (q->nevents == q->events_cap) {
		q->events_cap = q->events_cap ? q->events_cap * 2 : 64;
		q->events = realloc(q->events, q->events_cap * sizeof(*q->events));
		if (!q->events)
			abort();
	}
	e = &q->events[q->nevents++];
	memset(e, 0, sizeof(*e));
	e->name = strdup(json_string_value(json_object_get(obj, "event")));
	e->data = data && json_is_object(data) ? json_incref(data) : json_object();
	e->ts = json_integer_value(json_object_get(ts, "seconds")) +
		json_integer_value(json_object_get(ts, "microseconds")) / 1e6;
	e->host_ts = mc_wall_s();
}

/*
 * QEMU prints uint64 values (2^64-1 defaults, for instance) that jansson's
 * signed integers cannot hold.  Rewrite integer literals of 19 digits or
 * more outside strings as reals (append ".0"), so the line still parses.
 */
static char *widen_big_integers(const char *in, size_t len)
{
	char *out = malloc(len * 2 + 1), *o = out;
	bool in_str = false;
	size_t i = 0;

	if (!out)
		abort();
	while (i < len) {
		char c = in[i];

		if (in_str) {
			*o++ = c;
			if (c == '\\' && i + 1 < len)
				*o++ = in[++i];
			else if (c == '"')
				in_str = false;
			i++;
		} else if (c == '"') {
			in_str = true;
			*o++ = in[i++];
		} else if (c >= '0' && c <= '9' &&
			   (i == 0 || !strchr("0123456789.eE+-", in[i - 1]))) {
			size_t j = i;

			while (j < len && in[j] >= '0' && in[j] <= '9')
				j++;
			memcpy(o, in + i, j - i);
			o += j - i;
			if (j - i >= 19 && (j == len || !strchr(".eE", in[j]))) {
				memcpy(o, ".0", 2);
				o += 2;
			}
			i = j;
		} else {
			*o++ = in[i++];
		}
	}
	*o = '\0';
	return out;
}

/* Classifies one complete line from QEMU. */
static void handle_line(struct qmp *q, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *obj, *id;

	note(q, "<-", line, len);
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return;
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj && strstr(jerr.text, "too big")) {
		char *wide = widen_big_integers(line, len);

		obj = json_loads(wide, JSON_REJECT_DUPLICATES, &jerr);
		free(wide);
	}
	if (!obj || !json_is_object(obj)) {
		q->malformed++;
		if (q->transcript)
			fprintf(q->transcript, "# malformed line skipped: %s\n",
				obj ? "not an object" : jerr.text);
		json_decref(obj);
		return;
	}
	if (json_object_get(obj, "QMP")) {
		json_decref(q->greeting);
		q->greeting = obj;
		return;
	}
	if (json_is_string(json_object_get(obj, "event"))) {
		add_event(q, obj);
		json_decref(obj);
		return;
	}
	if (json_object_get(obj, "return") || json_is_object(json_object_get(obj, "error"))) {
		id = json_object_get(obj, "id");
		if (q->want_id && json_is_integer(id) &&
		    (unsigned long)json_integer_value(id) == q->want_id) {
			json_decref(q->reply);
			q->reply = obj;
			return;
		}
		/* A late reply to a call that already timed out: drop it. */
		if (q->transcript)
			fprintf(q->transcript, "# reply with unexpected id dropped\n");
		json_decref(obj);
		return;
	}
	q->malformed++;
	if (q->transcript)
		fprintf(q->transcript, "# object of unknown kind skipped\n");
	json_decref(obj);
}

static void on_line(void *opaque, char *line, size_t len)
{
	handle_line(opaque, line, len);
}

/* A line past QMP_MAX_LINE gives the connection up: nothing sane follows. */
static int check_overlong(struct qmp *q, char **err)
{
	if (!q->lines.overlong)
		return 0;
	mc_set_err(err, "%s: QMP line longer than %u bytes", q->label, QMP_MAX_LINE);
	q->closed = true;
	return -1;
}

int qmp_feed(struct qmp *q, const void *data, size_t len, char **err)
{
	if (q->closed) {
		mc_set_err(err, "%s: QMP connection closed (QEMU exited?)", q->label);
		return -1;
	}
	linebuf_feed(&q->lines, data, len, on_line, q);
	return check_overlong(q, err);
}

int qmp_pump(struct qmp *q, int timeout_ms, char **err)
{
	struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
	ssize_t n;
	int r;

	if (q->closed) {
		mc_set_err(err, "%s: QMP connection closed (QEMU exited?)", q->label);
		return -1;
	}
	r = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	if (r < 0) {
		if (errno == EINTR)
			return 0;
		mc_set_err(err, "%s: poll: %s", q->label, strerror(errno));
		return -1;
	}
	if (r == 0)
		return 0;
	n = linebuf_read(&q->lines, q->fd, on_line, q);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		q->closed = true;
		mc_set_err(err, "%s: QMP read: %s", q->label, strerror(errno));
		return -1;
	}
	if (n == 0) {
		q->closed = true;
		if (linebuf_pending(&q->lines)) {
			note(q, "<-", q->lines.buf, linebuf_pending(&q->lines));
			mc_set_err(err, "%s: QMP connection closed in the middle of a message",
				   q->label);
		} else {
			mc_set_err(err, "%s: QMP connection closed (QEMU exited?)", q->label);
		}
		return -1;
	}
	return check_overlong(q, err);
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = mc_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

int qmp_take_greeting(struct qmp *q, char **err)
{
	json_t *ver, *qemu;

	if (!q->greeting) {
		mc_set_err(err, "%s: no QMP greeting", q->label);
		return -1;
	}
	ver = json_object_get(json_object_get(q->greeting, "QMP"), "version");
	qemu = json_object_get(ver, "qemu");
	if (!json_is_object(qemu)) {
		mc_set_err(err, "%s: QMP greeting without a version", q->label);
		return -1;
	}
	free(q->version);
	free(q->package);
	q->version = mc_strdup_printf(
	    "%lld.%lld.%lld", (long long)json_integer_value(json_object_get(qemu, "major")),
	    (long long)json_integer_value(json_object_get(qemu, "minor")),
	    (long long)json_integer_value(json_object_get(qemu, "micro")));
	q->package = strdup(json_string_value(json_object_get(ver, "package")) ?: "");
	return 0;
}

int qmp_handshake(struct qmp *q, int timeout_ms, char **err)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	json_t *ret;

	while (!q->greeting) {
		int left = remaining_ms(deadline);

		if (!left) {
			mc_set_err(err, "%s: no QMP greeting within %d ms", q->label, timeout_ms);
			return -1;
		}
		if (qmp_pump(q, left, err) < 0)
			return -1;
	}
	if (qmp_take_greeting(q, err) < 0)
		return -1;
	ret = qmp_call(q, "qmp_capabilities", NULL, remaining_ms(deadline) ?: 1, err);
	if (!ret)
		return -1;
	json_decref(ret);
	return 0;
}

const char *qmp_version(const struct qmp *q)
{
	return q->version;
}

const char *qmp_package(const struct qmp *q)
{
	return q->package;
}

static int send_all(struct qmp *q, const char *s, size_t len, char **err)
{
	while (len) {
		ssize_t n = send(q->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			q->closed = true;
			mc_set_err(err, "%s: QMP write: %s", q->label, strerror(errno));
			return -1;
		}
		s += n;
		len -= n;
	}
	return 0;
}

json_t *qmp_call(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, char **err)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	json_t *req, *ret = NULL, *e;
	char *text;
	int r;

	if (q->closed) {
		json_decref(args);
		mc_set_err(err, "%s: %s: QMP connection closed (QEMU exited?)", q->label, cmd);
		return NULL;
	}
	free(q->error_desc);
	q->error_desc = NULL;
	q->want_id = ++q->next_id;
	req = json_pack("{s:s, s:I}", "execute", cmd, "id", (json_int_t)q->want_id);
	if (args)
		json_object_set_new(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	note(q, "->", text, strlen(text));
	r = send_all(q, text, strlen(text), err);
	if (!r)
		r = send_all(q, "\n", 1, err);
	free(text);
	if (r)
		goto out;
	while (!q->reply) {
		int left = remaining_ms(deadline);

		if (!left) {
			mc_set_err(err, "%s: %s: no reply within %d ms", q->label, cmd, timeout_ms);
			goto out;
		}
		if (qmp_pump(q, left, err) < 0) {
			if (err && *err && !strstr(*err, cmd)) {
				char *old = *err;

				*err = mc_strdup_printf("%s (during %s)", old, cmd);
				free(old);
			}
			goto out;
		}
	}
	e = json_object_get(q->reply, "error");
	if (e) {
		q->error_desc =
		    strdup(json_string_value(json_object_get(e, "desc")) ?: "(no description)");
		mc_set_err(err, "%s: %s: %s", cmd,
			   json_string_value(json_object_get(e, "class")) ?: "Error",
			   json_string_value(json_object_get(e, "desc")) ?: "(no description)");
	} else {
		ret = json_incref(json_object_get(q->reply, "return"));
	}
out:
	json_decref(q->reply);
	q->reply = NULL;
	q->want_id = 0;
	return ret;
}

int qmp_call_void(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, char **err)
{
	json_t *r = qmp_call(q, cmd, args, timeout_ms, err);

	if (!r)
		return -1;
	json_decref(r);
	return 0;
}

struct qmp_event *qmp_next_event(struct qmp *q)
{
	size_t i;

	for (i = 0; i < q->nevents; i++) {
		if (!q->events[i].consumed) {
			q->events[i].consumed = true;
			return &q->events[i];
		}
	}
	return NULL;
}

struct qmp_event *qmp_wait_event(struct qmp *q, const char *name,
				 bool (*match)(const json_t *data, void *opaque), void *opaque,
				 int timeout_ms, char **err)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	size_t i;

	for (;;) {
		for (i = 0; i < q->nevents; i++) {
			struct qmp_event *e = &q->events[i];

			if (e->consumed || (name && strcmp(e->name, name)))
				continue;
			if (match && !match(e->data, opaque))
				continue;
			e->consumed = true;
			return e;
		}
		if (!remaining_ms(deadline)) {
			mc_set_err(err, "%s: no %s event within %d ms", q->label, name ?: "QMP",
				   timeout_ms);
			return NULL;
		}
		if (qmp_pump(q, remaining_ms(deadline), err) < 0)
			return NULL;
	}
}

size_t qmp_event_count(const struct qmp *q)
{
	return q->nevents;
}

const struct qmp_event *qmp_event_at(const struct qmp *q, size_t i)
{
	return i < q->nevents ? &q->events[i] : NULL;
}

const struct qmp_event *qmp_last_event(const struct qmp *q, const char *name)
{
	size_t i;

	for (i = q->nevents; i-- > 0;)
		if (!strcmp(q->events[i].name, name))
			return &q->events[i];
	return NULL;
}

const struct qmp_event *qmp_first_event(const struct qmp *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nevents; i++)
		if (!strcmp(q->events[i].name, name))
			return &q->events[i];
	return NULL;
}

int qmp_fd(const struct qmp *q)
{
	return q->fd;
}

bool qmp_closed(const struct qmp *q)
{
	return q->closed;
}

unsigned qmp_malformed_count(const struct qmp *q)
{
	return q->malformed;
}

const char *qmp_error_desc(const struct qmp *q)
{
	return q->error_desc;
}
