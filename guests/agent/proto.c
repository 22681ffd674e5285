// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proto.c: request parsing and the command table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dirty.h"
#include "heartbeat.h"
#include "modload.h"
#include "port.h"
#include "proto.h"

static struct proto_config cfg;

void proto_init(const struct proto_config *c)
{
	cfg = *c;
}

void proto_announce(void)
{
	port_send("* ready kernel=%s protocol=%d", cfg.release, PROTO_VERSION);
}

void proto_reply_ok(const struct request *rq, const char *fmt, ...)
{
	char body[PORT_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	port_send("%s ok%s%s", rq->id, body[0] ? " " : "", body);
}

void proto_reply_err(const struct request *rq, const char *fmt, ...)
{
	char body[PORT_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	port_send("%s err %s", rq->id, body);
}

static bool parse_id(const char *tok, char *id, size_t size)
{
	size_t n = strlen(tok), i;

	/* Up to 19 digits always fit an unsigned 64-bit integer. */
	if (!n || n > 19 || n >= size)
		return false;
	for (i = 0; i < n; i++)
		if (tok[i] < '0' || tok[i] > '9')
			return false;
	memcpy(id, tok, n + 1);
	return true;
}

const char *proto_parse(char *line, size_t len, struct request *rq)
{
	char *p, *tok;
	size_t i;

	memset(rq, 0, sizeof(*rq));
	strcpy(rq->id, "*");
	/* Tolerate CRLF from terminals. */
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			break;

	p = line + strspn(line, " ");
	tok = p;
	p += strcspn(p, " ");
	if (*p)
		*p++ = '\0';
	/* Even a bad line gets its id back when it has one. */
	if (!parse_id(tok, rq->id, sizeof(rq->id))) {
		strcpy(rq->id, "*");
		return i < len ? "non-ASCII or control character in request"
			       : "malformed request: expected <id> <command>";
	}
	if (i < len)
		return "non-ASCII or control character in request";

	p += strspn(p, " ");
	rq->cmd = p;
	p += strcspn(p, " ");
	if (*p)
		*p++ = '\0';
	if (!*rq->cmd)
		return "malformed request: missing command";
	rq->text = p;
	if (!strcmp(rq->cmd, "echo"))
		return NULL;

	for (;;) {
		char *eq;

		p += strspn(p, " ");
		if (!*p)
			break;
		tok = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
		eq = strchr(tok, '=');
		if (!eq) {
			if (rq->sub || rq->nargs)
				return "malformed argument: expected key=value";
			rq->sub = tok;
			continue;
		}
		if (eq == tok)
			return "malformed argument: empty key";
		if (rq->nargs == PROTO_MAX_ARGS)
			return "too many arguments";
		*eq = '\0';
		rq->key[rq->nargs] = tok;
		rq->val[rq->nargs++] = eq + 1;
	}
	return NULL;
}

/* Rejects keys outside the NULL-terminated list; false after replying. */
bool proto_args_allowed(const struct request *rq, ...)
{
	int i;

	for (i = 0; i < rq->nargs; i++) {
		const char *k;
		bool ok = false;
		va_list ap;

		va_start(ap, rq);
		while ((k = va_arg(ap, const char *)))
			if (!strcmp(k, rq->key[i]))
				ok = true;
		va_end(ap);
		if (!ok) {
			proto_reply_err(rq, "unknown argument %s for %s%s%s", rq->key[i], rq->cmd,
					rq->sub ? " " : "", rq->sub ? rq->sub : "");
			return false;
		}
	}
	return true;
}

/*
 * Fetches unsigned argument @key; @def < 0 makes it required.  Replies and
 * returns false on error.
 */
bool proto_arg_u64(const struct request *rq, const char *key, long long def, uint64_t *out)
{
	const char *v = NULL;
	char *end;
	int i;

	for (i = 0; i < rq->nargs; i++)
		if (!strcmp(rq->key[i], key))
			v = rq->val[i];
	if (!v) {
		if (def < 0) {
			proto_reply_err(rq, "missing argument %s", key);
			return false;
		}
		*out = (uint64_t)def;
		return true;
	}
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (!*v || *end || errno || *v == '-') {
		proto_reply_err(rq, "bad value for %s: %s", key, v);
		return false;
	}
	return true;
}

const char *proto_arg_str(const struct request *rq, const char *key)
{
	const char *v = NULL;
	int i;

	for (i = 0; i < rq->nargs; i++)
		if (!strcmp(rq->key[i], key))
			v = rq->val[i];
	return v;
}

bool proto_no_sub(const struct request *rq)
{
	if (rq->sub) {
		proto_reply_err(rq, "unexpected word %s", rq->sub);
		return false;
	}
	return true;
}

static void cmd_ready(struct request *rq)
{
	if (proto_no_sub(rq) && proto_args_allowed(rq, NULL))
		proto_reply_ok(rq, "kernel=%s protocol=%d uptime_ms=%llu", cfg.release,
			       PROTO_VERSION, (unsigned long long)clock_boot_ms());
}

static void cmd_echo(struct request *rq)
{
	proto_reply_ok(rq, "%s", rq->text);
}

static void reply_dirty_status(struct request *rq)
{
	struct dirty_status st;

	dirty_status(&st);
	proto_reply_ok(
	    rq, "running=%d pass=%" PRIu64 " cursor=%" PRIu64 " pages=%" PRIu64 " writes=%" PRIu64,
	    st.running, st.pass, st.cursor, st.pages, st.writes);
}

static bool need_buffer(struct request *rq)
{
	if (!dirty_has_buffer()) {
		proto_reply_err(rq, "no buffer: run cpu-dirty start first");
		return false;
	}
	return true;
}

static void dirty_cmd_start(struct request *rq)
{
	struct dirty_status st;
	uint64_t mib, rate;
	int ret;

	if (!proto_args_allowed(rq, "mib", "rate", NULL) || !proto_arg_u64(rq, "mib", -1, &mib) ||
	    !proto_arg_u64(rq, "rate", 0, &rate))
		return;
	ret = dirty_start(mib, rate);
	if (ret == -EBUSY) {
		proto_reply_err(rq, "cpu-dirty already running");
		return;
	}
	if (ret == -EINVAL) {
		proto_reply_err(rq, "bad value for mib: %" PRIu64, mib);
		return;
	}
	if (ret == -ENOSPC) {
		proto_reply_err(rq, "not enough memory for %" PRIu64 " MiB (keeps %d MiB free)",
				mib, DIRTY_RESERVE_MIB);
		return;
	}
	if (ret < 0) {
		proto_reply_err(rq, "cpu-dirty start: %s", strerror(-ret));
		return;
	}
	dirty_status(&st);
	proto_reply_ok(rq, "pages=%" PRIu64 " locked=%d", st.pages, st.locked);
}

static void dirty_cmd_gpa(struct request *rq)
{
	uint64_t index, gpa;
	int ret;

	if (!need_buffer(rq) || !proto_args_allowed(rq, "index", NULL) ||
	    !proto_arg_u64(rq, "index", -1, &index))
		return;
	ret = dirty_gpa(index, &gpa);
	if (ret == -ERANGE)
		proto_reply_err(rq, "index %" PRIu64 " out of range", index);
	else if (ret < 0)
		proto_reply_err(rq, "pagemap: %s", strerror(-ret));
	else
		proto_reply_ok(rq, "gpa=0x%" PRIx64, gpa);
}

static void dirty_cmd_corrupt(struct request *rq)
{
	enum dirty_corrupt_mode mode = DIRTY_CORRUPT_BYTE;
	uint64_t index;
	int i, ret;

	if (!need_buffer(rq) || !proto_args_allowed(rq, "index", "mode", NULL) ||
	    !proto_arg_u64(rq, "index", -1, &index))
		return;
	for (i = 0; i < rq->nargs; i++) {
		if (strcmp(rq->key[i], "mode"))
			continue;
		if (!strcmp(rq->val[i], "stale")) {
			mode = DIRTY_CORRUPT_STALE;
		} else if (strcmp(rq->val[i], "byte")) {
			proto_reply_err(rq, "bad value for mode: %s (byte or stale)", rq->val[i]);
			return;
		}
	}
	ret = dirty_corrupt(index, mode);
	if (ret == -ERANGE)
		proto_reply_err(rq, "index %" PRIu64 " out of range", index);
	else if (ret < 0)
		proto_reply_err(rq, "corrupt: %s", strerror(-ret));
	else
		proto_reply_ok(rq, "index=%" PRIu64, index);
}

static void cmd_cpu_dirty(struct request *rq)
{
	if (!rq->sub) {
		proto_reply_err(rq, "cpu-dirty needs start, stop, status, gpa or verify");
	} else if (!strcmp(rq->sub, "start")) {
		dirty_cmd_start(rq);
	} else if (!strcmp(rq->sub, "status")) {
		if (proto_args_allowed(rq, NULL))
			reply_dirty_status(rq);
	} else if (!strcmp(rq->sub, "stop")) {
		if (proto_args_allowed(rq, NULL)) {
			dirty_stop();
			reply_dirty_status(rq);
		}
	} else if (!strcmp(rq->sub, "gpa")) {
		dirty_cmd_gpa(rq);
	} else if (!strcmp(rq->sub, "corrupt")) {
		dirty_cmd_corrupt(rq);
	} else {
		proto_reply_err(rq, "unknown cpu-dirty subcommand %s", rq->sub);
	}
}

static void cmd_verify(struct request *rq)
{
	struct tag_verify v;
	uint64_t gpa = 0;

	if (!proto_no_sub(rq) || !proto_args_allowed(rq, NULL) || !need_buffer(rq))
		return;
	dirty_verify(&v);
	if (!v.bad) {
		proto_reply_ok(rq, "checked=%" PRIu64, v.checked);
		return;
	}
	dirty_gpa(v.first, &gpa);
	proto_reply_err(rq,
			"checked=%" PRIu64 " bad=%" PRIu64 " first=%" PRIu64 " first_gpa=0x%" PRIx64
			" first_pass_seen=%" PRId64 " expected_pass=%" PRIu64 " first_reason=%s",
			v.checked, v.bad, v.first, gpa, v.first_seen, v.first_expected,
			tag_result_name(v.first_result));
}

static void cmd_heartbeat(struct request *rq)
{
	uint64_t ms;
	int ret;

	if (!rq->sub) {
		proto_reply_err(rq, "heartbeat needs start or stop");
	} else if (!strcmp(rq->sub, "start")) {
		if (!proto_args_allowed(rq, "interval_ms", NULL) ||
		    !proto_arg_u64(rq, "interval_ms", -1, &ms))
			return;
		ret = heartbeat_start(ms);
		if (ret < 0)
			proto_reply_err(rq, "heartbeat start: %s", strerror(-ret));
		else
			proto_reply_ok(rq, "interval_ms=%" PRIu64, ms);
		if (!ret)
			heartbeat_go();
	} else if (!strcmp(rq->sub, "stop")) {
		if (proto_args_allowed(rq, NULL))
			proto_reply_ok(rq, "sent=%" PRIu64, heartbeat_stop());
	} else {
		proto_reply_err(rq, "unknown heartbeat subcommand %s", rq->sub);
	}
}

static void cmd_modules(struct request *rq)
{
	struct modload_result res;
	int ret;

	if (!rq->sub || strcmp(rq->sub, "load")) {
		proto_reply_err(rq, "modules needs load");
		return;
	}
	if (!proto_args_allowed(rq, NULL))
		return;
	ret = modload_list(cfg.modules_list, cfg.modules_dir, &res);
	if (ret < 0 && res.list_unreadable)
		proto_reply_err(rq, "cannot read module list %s: %s (errno %d)", res.failed,
				strerror(res.err), res.err);
	else if (ret < 0)
		proto_reply_err(rq, "module %s: %s (errno %d) after loading %u", res.failed,
				strerror(res.err), res.err, res.loaded);
	else
		proto_reply_ok(rq, "count=%u already=%u", res.loaded, res.already);
}

static bool cmd_poweroff(struct request *rq)
{
	if (!proto_no_sub(rq) || !proto_args_allowed(rq, NULL))
		return true;
	heartbeat_stop();
	dirty_stop();
	proto_reply_ok(rq, "%s", "");
	return false;
}

static const struct {
	const char *name;
	void (*fn)(struct request *rq);
} commands[] = {
    {"ready", cmd_ready},   {"echo", cmd_echo},		  {"cpu-dirty", cmd_cpu_dirty},
    {"verify", cmd_verify}, {"heartbeat", cmd_heartbeat}, {"modules", cmd_modules},
    {"dev", devcmd_dev},    {"vfio", devcmd_vfio},	  {"marker", devcmd_marker},
    {"dma", dmacmd_dma},
};

bool proto_handle_line(char *line, size_t len)
{
	struct request rq;
	const char *err;
	size_t i;

	/* Blank lines are keep-alives from a host resynchronising the line. */
	if (!len || (len == 1 && line[0] == '\r'))
		return true;
	err = proto_parse(line, len, &rq);
	if (err) {
		port_send("%s err %s", rq.id, err);
		return true;
	}
	if (!strcmp(rq.cmd, "poweroff"))
		return cmd_poweroff(&rq);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(rq.cmd, commands[i].name)) {
			commands[i].fn(&rq);
			return true;
		}
	}
	proto_reply_err(&rq, "unknown command %s", rq.cmd);
	return true;
}

void proto_handle_overlong(const char *start)
{
	char tok[24];
	size_t n = strspn(start, "0123456789");

	if (n && n < sizeof(tok) && start[n] == ' ') {
		memcpy(tok, start, n);
		tok[n] = '\0';
		port_send("%s err line too long (limit %d bytes)", tok, PORT_LINE_MAX);
	} else {
		port_send("* err line too long (limit %d bytes)", PORT_LINE_MAX);
	}
}
