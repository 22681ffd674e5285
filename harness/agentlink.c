// SPDX-License-Identifier: GPL-2.0-or-later
#include "agentlink.h"
#include "linebuf.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AGENT_MAX_LINE 4096

struct agentlink {
	int fd;
	FILE *log;
	char *label;
	struct linebuf lines;
	size_t len;
	bool closed;
	unsigned malformed;
	unsigned long next_id, want_id;
	char *reply; /* "ok ..." or "err ..." for want_id */
	char *kernel;
	bool ready;
	struct agent_hb *hb;
	size_t nhb, hb_cap;
};

static void logline(struct agentlink *a, const char *dir, const char *s, size_t n)
{
	if (a->log) {
		fprintf(a->log, "%.6f %s %.*s\n", mc_now_s(), dir, (int)n, s);
		fflush(a->log);
	}
}

struct agentlink *agentlink_open(int fd, const char *log_path, const char *label)
{
	struct agentlink *a = calloc(1, sizeof(*a));

	if (!a)
		abort();
	a->fd = fd;
	a->label = strdup(label ? label : "agent");
	linebuf_init(&a->lines, AGENT_MAX_LINE);
	if (log_path)
		a->log = fopen(log_path, "ae");
	return a;
}

void agentlink_close(struct agentlink *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->log)
		fclose(a->log);
	free(a->label);
	free(a->reply);
	free(a->kernel);
	free(a->hb);
	linebuf_free(&a->lines);
	free(a);
}

json_t *agent_parse_kv(const char *text)
{
	json_t *o = json_object();
	char *copy = strdup(text), *save = NULL, *tok;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok)
			continue;
		*eq = '\0';
		json_object_set_new(o, tok, json_string(eq + 1));
	}
	free(copy);
	return o;
}

json_t *agent_reply_parse(const char *reply, const char *label, const char *cmd, char **err)
{
	json_t *ret;

	if (strncmp(reply, "ok", 2) || (reply[2] != '\0' && reply[2] != ' ')) {
		mc_set_err(err, "%s: %s: agent: %s", label, cmd, reply);
		return NULL;
	}
	ret = agent_parse_kv(reply[2] ? reply + 3 : "");
	json_object_set_new(ret, "_text", json_string(reply[2] ? reply + 3 : ""));
	return ret;
}

long long agent_reply_int(const json_t *reply, const char *key, long long def)
{
	const char *s = json_string_value(json_object_get(reply, key));
	char *end;
	long long v;

	if (!s)
		return def;
	errno = 0;
	v = strtoll(s, &end, 0);
	return (errno || end == s) ? def : v;
}

static void handle_line(struct agentlink *a, char *line)
{
	char *end;
	unsigned long id;

	logline(a, "<-", line, strlen(line));
	mc_rstrip(line);
	if (!strncmp(line, "* ", 2)) {
		if (!strncmp(line + 2, "hb ", 3)) {
			json_t *kv = agent_parse_kv(line + 5);
			long long seq = agent_reply_int(kv, "seq", -1);

			json_decref(kv);
			if (seq < 0) {
				a->malformed++;
				return;
			}
			if (a->nhb == a->hb_cap) {
				a->hb_cap = a->hb_cap ? a->hb_cap * 2 : 1024;
				a->hb = realloc(a->hb, a->hb_cap * sizeof(*a->hb));
				if (!a->hb)
					abort();
			}
			a->hb[a->nhb].seq = seq;
			a->hb[a->nhb].host_s = mc_now_s();
			a->nhb++;
		} else if (!strncmp(line + 2, "ready", 5)) {
			json_t *kv = agent_parse_kv(line + 7);

			free(a->kernel);
			a->kernel = strdup(json_string_value(json_object_get(kv, "kernel")) ?: "?");
			a->ready = true;
			json_decref(kv);
		}
		return;
	}
	id = strtoul(line, &end, 10);
	if (end == line || *end != ' ') {
		a->malformed++;
		return;
	}
	if (id != a->want_id)
		return; /* a late reply to a request that timed out */
	free(a->reply);
	a->reply = strdup(end + 1);
}

static void on_line(void *opaque, char *line, size_t len)
{
	(void)len;
	handle_line(opaque, line);
}

/* Overlong lines are never valid replies: the reader drops them; they count as malformed. */
static void count_overlong(struct agentlink *a)
{
	a->malformed += a->lines.overlong;
	a->lines.overlong = 0;
}

void agentlink_feed(struct agentlink *a, const void *data, size_t len)
{
	linebuf_feed(&a->lines, data, len, on_line, a);
	count_overlong(a);
}

int agentlink_pump(struct agentlink *a, int timeout_ms, char **err)
{
	struct pollfd pfd = {.fd = a->fd, .events = POLLIN};
	ssize_t n;

	if (a->closed) {
		mc_set_err(err, "%s: agent channel closed", a->label);
		return -1;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = linebuf_read(&a->lines, a->fd, on_line, a);
	count_overlong(a);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 0;
		a->closed = true;
		mc_set_err(err, "%s: agent channel closed (QEMU exited?)", a->label);
		return -1;
	}
	return 0;
}

static int left_ms(uint64_t deadline)
{
	uint64_t now = mc_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

const char *agentlink_wait_ready(struct agentlink *a, int timeout_ms, char **err)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (!a->ready) {
		if (!left_ms(deadline)) {
			mc_set_err(err, "%s: guest agent not ready within %d ms", a->label,
				   timeout_ms);
			return NULL;
		}
		if (agentlink_pump(a, left_ms(deadline), err) < 0)
			return NULL;
	}
	return a->kernel;
}

json_t *agentlink_cmd(struct agentlink *a, const char *cmd, int timeout_ms, char **err)
{
	json_t *reply = NULL;

	if (agentlink_request(a, cmd, timeout_ms, &reply, err) == 1)
		return reply;
	json_decref(reply);
	return NULL;
}

int agentlink_request(struct agentlink *a, const char *cmd, int timeout_ms, json_t **reply,
		      char **err)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	char *line;
	int ret = -1;
	size_t off = 0, len;

	a->want_id = ++a->next_id;
	free(a->reply);
	a->reply = NULL;
	line = mc_strdup_printf("%lu %s\n", a->want_id, cmd);
	len = strlen(line);
	logline(a, "->", line, len - 1);
	while (off < len) {
		ssize_t n = send(a->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mc_set_err(err, "%s: %s: cannot write to agent: %s", a->label, cmd,
				   strerror(errno));
			goto out;
		}
		off += n;
	}
	while (!a->reply) {
		if (!left_ms(deadline)) {
			mc_set_err(err, "%s: %s: no reply from the guest agent within %d ms",
				   a->label, cmd, timeout_ms);
			goto out;
		}
		if (agentlink_pump(a, left_ms(deadline), err) < 0)
			goto out;
	}
	if (!strncmp(a->reply, "ok", 2) && (a->reply[2] == '\0' || a->reply[2] == ' ')) {
		*reply = agent_reply_parse(a->reply, a->label, cmd, err);
		ret = *reply ? 1 : -1;
	} else {
		const char *text = !strncmp(a->reply, "err ", 4) ? a->reply + 4 : a->reply;

		/* The agent's refusal is an answer too: its key=value pairs are kept. */
		*reply = agent_parse_kv(text);
		json_object_set_new(*reply, "_text", json_string(text));
		mc_set_err(err, "%s: %s: agent: %s", a->label, cmd, a->reply);
		ret = 0;
	}
out:
	a->want_id = 0;
	free(line);
	return ret;
}

size_t agentlink_hb_count(const struct agentlink *a)
{
	return a->nhb;
}

const struct agent_hb *agentlink_hb_at(const struct agentlink *a, size_t i)
{
	return i < a->nhb ? &a->hb[i] : NULL;
}

int agentlink_fd(const struct agentlink *a)
{
	return a->fd;
}

unsigned agentlink_malformed_count(const struct agentlink *a)
{
	return a->malformed;
}
