/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent_client.h: runs migcheck-agent as an ordinary process on one end of
 * a socketpair and talks its line protocol, for the agent's unit tests.
 */
#ifndef MIGCHECK_TESTS_AGENT_CLIENT_H
#define MIGCHECK_TESTS_AGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct agent {
	pid_t pid;
	int fd;
	char buf[65536];
	size_t len;
	unsigned int events; /* "* ..." lines skipped by agent_cmd() */
	unsigned int heartbeats;
};

/* Path of the agent binary: $MIGCHECK_AGENT. */
const char *agent_path(void);
/* Starts the agent with --fd and the extra NULL-terminated arguments. */
int agent_spawn(struct agent *a, const char *const *extra);
/* Sends raw bytes. */
int agent_send(struct agent *a, const void *p, size_t n);
/* Reads one line without its '\n'; returns its length or -errno (-ETIMEDOUT, -EPIPE). */
int agent_line(struct agent *a, char *line, size_t size, int timeout_ms);
/*
 * Sends "@req\n" and returns the reply line to its id (the first word of
 * @req), skipping events; returns the reply length or -errno.
 */
int agent_cmd(struct agent *a, const char *req, char *reply, size_t size);
/* Waits for the agent to exit; returns its exit status or -1. */
int agent_wait(struct agent *a, int timeout_ms);
void agent_stop(struct agent *a);

/* CLOCK_MONOTONIC milliseconds. */
long long now_ms(void);

/* Copies the value of "key=value" from a reply line; false if absent. */
bool kv_get(const char *line, const char *key, char *val, size_t size);
/* Numeric value of key (base 0), or -1 when absent. */
long long kv_num(const char *line, const char *key);

/* Comparisons ktest.h lacks, for tests that include it first. */
#if defined(KT_CMP) && !defined(EXPECT_GT)
#define EXPECT_GT(a, b) KT_CMP(false, (long long)(a), >, (long long)(b), "%lld")
#endif
#if defined(KT_CMP) && !defined(EXPECT_LT)
#define EXPECT_LT(a, b) KT_CMP(false, (long long)(a), <, (long long)(b), "%lld")
#endif

#endif /* MIGCHECK_TESTS_AGENT_CLIENT_H */
