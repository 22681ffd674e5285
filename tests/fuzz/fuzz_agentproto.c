// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_agentproto.c: the agent's end of the line protocol.  Bytes from the
 * host go through the agent's own line reader (port_read_line() on a memfd
 * holding the input) and every line through the request parser and the
 * argument helpers the command handlers use; replies are formatted and sent
 * to /dev/null.  Commands are not dispatched: they start threads, load
 * modules and power the machine off.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "port.h"
#include "proto.h"

static void check_request(const struct request *rq, const char *msg)
{
	size_t n = strspn(rq->id, "0123456789");
	uint64_t v;
	int i;

	/* The id is either digits (at most 19) or "*". */
	if (strcmp(rq->id, "*") && (n != strlen(rq->id) || !n || n > 19))
		abort();
	if (rq->nargs < 0 || rq->nargs > PROTO_MAX_ARGS)
		abort();
	if (msg)
		return;
	if (!rq->cmd || !*rq->cmd || strchr(rq->cmd, ' '))
		abort();
	for (i = 0; i < rq->nargs; i++)
		if (!*rq->key[i] || strchr(rq->key[i], '=') || strchr(rq->key[i], ' '))
			abort();
	proto_args_allowed(rq, "mib", "rate", "index", "mode", NULL);
	proto_arg_u64(rq, "mib", -1, &v);
	proto_arg_u64(rq, "rate", 0, &v);
	proto_arg_str(rq, "mode");
	proto_no_sub(rq);
	proto_reply_ok(rq, "%s", rq->text ? rq->text : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[PORT_LINE_MAX + 1];
	static int sink = -1;
	struct port_reader rd;
	size_t len;
	int fd;

	if (sink < 0) {
		sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
		port_set_output(sink);
	}
	fd = memfd_create("agentproto", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET))
		abort();
	port_reader_init(&rd, fd);
	for (;;) {
		enum port_read_status st = port_read_line(&rd, line, &len);
		struct request rq;
		const char *msg;

		if (st == PORT_EOF || st == PORT_ERROR)
			break;
		if (len >= PORT_LINE_MAX || line[len])
			abort();
		if (st == PORT_TOO_LONG) {
			proto_handle_overlong(line);
			continue;
		}
		msg = proto_parse(line, len, &rq);
		check_request(&rq, msg);
		if (msg)
			proto_reply_err(&rq, "%s", msg);
	}
	close(fd);
	return 0;
}
