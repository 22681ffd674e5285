/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fakepeer.h: a scripted peer on the far end of a socketpair, standing in
 * for QEMU's monitor or the guest agent in unit tests.
 *
 * The peer runs in a forked child.  It walks a script of steps; a step may
 * first wait for a request (checking the command it names), then sends its
 * text with "@ID@" replaced by that request's id and "@PREV@" by the id of
 * the request before it.  Every request line received is appended to a log
 * file so the test can look at exactly what the client sent.  The child
 * exits 0 when the script ran as written, nonzero when a request did not
 * match, so fakepeer_finish() can tell the test.
 */
#ifndef MIGCHECK_TEST_FAKEPEER_H
#define MIGCHECK_TEST_FAKEPEER_H

#include <stdbool.h>
#include <sys/types.h>

enum fakepeer_proto { FAKEPEER_QMP, FAKEPEER_AGENT };

struct fakepeer_step {
	const char *expect; /* command the next request must carry; NULL: do not wait */
	const char *send;   /* text to send (may be NULL) */
	int delay_ms;	    /* pause before sending */
	bool bytewise;	    /* one write(2) per byte */
	bool close_after;   /* hang up after this step */
};

struct fakepeer {
	pid_t pid;
	int fd; /* the client's end */
	char dir[64];
	char log[96];
};

/* Starts the peer; returns the client's end of the socketpair in p->fd. */
void fakepeer_start(struct fakepeer *p, enum fakepeer_proto proto,
		    const struct fakepeer_step *steps, int nsteps);
/* Waits for the peer (the client must have closed its end); returns its exit status. */
int fakepeer_finish(struct fakepeer *p);
/* The request log as one string (malloc'd). */
char *fakepeer_requests(const struct fakepeer *p);

/* A private scratch directory under $TMPDIR (or /tmp); removed by rm_tree. */
void make_tmpdir(char *buf, size_t len);
void rm_tree(const char *dir);
char *slurp(const char *path);
/* CLOCK_MONOTONIC milliseconds. */
long long now_ms(void);

/*
 * How late a bounded wait may end on a loaded host.  Tests assert that a
 * wait ends no sooner than its timeout and well before this slack: that
 * tells a working timeout from a missing one without betting on the
 * scheduler.
 */
#define SLACK_MS 15000

#define NSTEPS(s) ((int)(sizeof(s) / sizeof((s)[0])))

#endif
