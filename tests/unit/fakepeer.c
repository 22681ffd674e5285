// SPDX-License-Identifier: GPL-2.0-or-later
#include "fakepeer.h"

#include <jansson.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void make_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, len, "%s/mcunit-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(buf)) {
		perror("mkdtemp");
		abort();
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[len] = '\0';
	return buf;
}

/* Replaces every @ID@ and @PREV@ in text. */
static char *expand(const char *text, const char *id, const char *prev)
{
	size_t cap = strlen(text) * 2 + 256, len = 0;
	char *out = malloc(cap);

	if (!out)
		abort();
	while (*text) {
		const char *rep = NULL;
		size_t skip = 0, rlen;

		if (!strncmp(text, "@ID@", 4)) {
			rep = id;
			skip = 4;
		} else if (!strncmp(text, "@PREV@", 6)) {
			rep = prev;
			skip = 6;
		}
		rlen = rep ? strlen(rep) : 1;
		if (len + rlen + 1 > cap) {
			cap = (len + rlen + 1) * 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		if (rep) {
			memcpy(out + len, rep, rlen);
			text += skip;
		} else {
			out[len] = *text++;
		}
		len += rlen;
	}
	out[len] = '\0';
	return out;
}

static void send_text(int fd, const char *s, bool bytewise)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, bytewise ? 1 : len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(10);
		s += n;
		len -= n;
		if (bytewise)
			usleep(200);
	}
}

/* Reads one request line; returns false on EOF. */
static bool read_line(int fd, char *line, size_t cap)
{
	size_t len = 0;

	for (;;) {
		char ch;
		ssize_t n = read(fd, &ch, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		if (ch == '\n')
			break;
		if (len + 1 < cap)
			line[len++] = ch;
	}
	line[len] = '\0';
	return true;
}

/* Splits a request into its id (as text) and its command; false if unreadable. */
static bool parse_request(enum fakepeer_proto proto, const char *line, char *id, size_t idlen,
			  char *cmd, size_t cmdlen)
{
	if (proto == FAKEPEER_QMP) {
		json_t *o = json_loads(line, 0, NULL);
		const char *ex = json_string_value(json_object_get(o, "execute"));
		char *ids = json_object_get(o, "id") ? json_dumps(json_object_get(o, "id"),
								  JSON_ENCODE_ANY | JSON_COMPACT)
						     : NULL;

		snprintf(id, idlen, "%s", ids ? ids : "");
		snprintf(cmd, cmdlen, "%s", ex ? ex : "");
		free(ids);
		json_decref(o);
		return ex != NULL;
	} else {
		const char *sp = strchr(line, ' ');

		if (!sp)
			return false;
		snprintf(id, idlen, "%.*s", (int)(sp - line), line);
		snprintf(cmd, cmdlen, "%s", sp + 1);
		return true;
	}
}

static void peer_main(int fd, enum fakepeer_proto proto, const struct fakepeer_step *steps,
		      int nsteps, const char *logpath)
{
	static char line[1 << 16];
	char id[256] = "", prev[256] = "null", cmd[4096];
	FILE *log = fopen(logpath, "a");
	int i;

	if (!log)
		_exit(11);
	setvbuf(log, NULL, _IONBF, 0);
	for (i = 0; i < nsteps; i++) {
		const struct fakepeer_step *s = &steps[i];

		if (s->expect) {
			if (!read_line(fd, line, sizeof(line)))
				_exit(12);
			fprintf(log, "%s\n", line);
			if (id[0])
				snprintf(prev, sizeof(prev), "%s", id);
			if (!parse_request(proto, line, id, sizeof(id), cmd, sizeof(cmd)))
				_exit(13);
			if (strcmp(cmd, s->expect)) {
				fprintf(log, "# expected %s\n", s->expect);
				_exit(14);
			}
		}
		if (s->delay_ms)
			usleep(s->delay_ms * 1000);
		if (s->send) {
			char *text = expand(s->send, id[0] ? id : "null", prev);

			send_text(fd, text, s->bytewise);
			free(text);
		}
		if (s->close_after) {
			close(fd);
			_exit(0);
		}
	}
	/* Whatever else the client says is logged; the peer leaves on EOF. */
	while (read_line(fd, line, sizeof(line)))
		fprintf(log, "%s\n", line);
	_exit(0);
}

void fakepeer_start(struct fakepeer *p, enum fakepeer_proto proto,
		    const struct fakepeer_step *steps, int nsteps)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	make_tmpdir(p->dir, sizeof(p->dir));
	snprintf(p->log, sizeof(p->log), "%s/requests", p->dir);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0)
		abort();
	if (p->pid == 0) {
		close(sv[0]);
		peer_main(sv[1], proto, steps, nsteps, p->log);
	}
	close(sv[1]);
	p->fd = sv[0];
}

int fakepeer_finish(struct fakepeer *p)
{
	int status = 0;

	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	rm_tree(p->dir);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

char *fakepeer_requests(const struct fakepeer *p)
{
	char *s = slurp(p->log);

	return s ? s : strdup("");
}
