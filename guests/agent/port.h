/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port.h: the agent's serial channel: raw mode set-up, whole-line writes
 * serialized between threads, and a bounded line reader.
 */
#ifndef MIGCHECK_AGENT_PORT_H
#define MIGCHECK_AGENT_PORT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line in either direction, '\n' included. */
#define PORT_LINE_MAX 4096

struct port_reader {
	int fd;
	char buf[PORT_LINE_MAX * 2];
	size_t len;    /* bytes buffered */
	bool overlong; /* discarding the rest of a too long line */
};

/* Opens a device path; puts a tty into raw 8N1 mode.  Returns fd or -errno. */
int port_open(const char *path);
/* Raw mode for an already open fd; a no-op for sockets and pipes. */
int port_setup(int fd);

/* Makes @fd the destination of port_send(). */
void port_set_output(int fd);
/*
 * Sends one line (printf format, no '\n'); the whole line goes out under a
 * mutex so that threads never interleave.  Over-long lines are truncated.
 * Returns 0 or -errno.
 */
int port_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void port_reader_init(struct port_reader *r, int fd);

enum port_read_status {
	PORT_LINE,     /* @line holds one line without '\n' */
	PORT_TOO_LONG, /* line exceeded PORT_LINE_MAX; @line holds its start */
	PORT_EOF,
	PORT_ERROR,
};

/*
 * Reads the next line into @line (at least PORT_LINE_MAX bytes, NUL
 * terminated; embedded NULs are kept and reported through @len).
 */
enum port_read_status port_read_line(struct port_reader *r, char *line, size_t *len);

#endif /* MIGCHECK_AGENT_PORT_H */
