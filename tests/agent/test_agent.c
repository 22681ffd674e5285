// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agent.c: drives the migcheck-agent binary over a socketpair and
 * checks every command of protocol 1, malformed input and the verify
 * negative controls.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "ktest.h"
#include "agent_client.h"

#define LINE 8192
/*
 * How long anything the agent does may take on a loaded machine.  Waits
 * end as soon as what they wait for arrives; this bound only turns a hang
 * into a failure.
 */
#define PATIENCE_MS 20000

/* Starts an agent and consumes its "* ready" announcement. */
#define START_AGENT(a, extra)                                                                      \
	do {                                                                                       \
		char _l[LINE];                                                                     \
		ASSERT_EQ(agent_spawn(&(a), (extra)), 0);                                          \
		ASSERT_GT(agent_line(&(a), _l, sizeof(_l), PATIENCE_MS), 0);                       \
		ASSERT_EQ(strncmp(_l, "* ready ", 8), 0);                                          \
	} while (0)

/*
 * Polls "cpu-dirty status" until @key reaches at least @min; returns the
 * last value seen (below @min only when PATIENCE_MS ran out).
 */
static long long status_until(struct agent *a, const char *key, long long min)
{
	long long end = now_ms() + PATIENCE_MS, v = -1;
	char r[LINE];
	int id = 900;

	while (now_ms() < end) {
		char req[32];

		snprintf(req, sizeof(req), "%d cpu-dirty status", id++);
		if (agent_cmd(a, req, r, sizeof(r)) < 0)
			return -1;
		v = kv_num(r, key);
		if (v >= min)
			break;
		usleep(5000);
	}
	return v;
}

#define CMD(a, req, reply)                                                                         \
	do {                                                                                       \
		int _r = agent_cmd(&(a), (req), (reply), sizeof(reply));                           \
		KT_CHECK(true, _r >= 0, "request \"%s\": no reply (%s)", (req), strerror(-_r));    \
	} while (0)

TEST(ready_announced_once)
{
	struct agent a;
	struct utsname u;
	char l[LINE], want[512];

	uname(&u);
	ASSERT_EQ(agent_spawn(&a, NULL), 0);
	ASSERT_GT(agent_line(&a, l, sizeof(l), PATIENCE_MS), 0);
	snprintf(want, sizeof(want), "* ready kernel=%s protocol=1", u.release);
	EXPECT_STREQ(l, want);
	EXPECT_EQ(agent_line(&a, l, sizeof(l), 200), -ETIMEDOUT);
	agent_stop(&a);
}

TEST(ready_command)
{
	struct agent a;
	struct utsname u;
	char r[LINE], v[256];

	uname(&u);
	START_AGENT(a, NULL);
	CMD(a, "17 ready", r);
	ASSERT_EQ(strncmp(r, "17 ok ", 6), 0);
	ASSERT_TRUE(kv_get(r, "kernel", v, sizeof(v)));
	EXPECT_STREQ(v, u.release);
	EXPECT_EQ(kv_num(r, "protocol"), 1);
	EXPECT_GT(kv_num(r, "uptime_ms"), 0);
	CMD(a, "18 ready now", r);
	EXPECT_STREQ(r, "18 err unexpected word now");
	agent_stop(&a);
}

TEST(echo_keeps_text)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 echo hello  spaced=1 world", r);
	EXPECT_STREQ(r, "1 ok hello  spaced=1 world");
	CMD(a, "2 echo", r);
	EXPECT_STREQ(r, "2 ok");
	/* Ids are echoed exactly, leading zeros included. */
	CMD(a, "007 echo x", r);
	EXPECT_STREQ(r, "007 ok x");
	agent_stop(&a);
}

TEST(unknown_command)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "3 frobnicate a=b", r);
	EXPECT_STREQ(r, "3 err unknown command frobnicate");
	CMD(a, "4 cpu-dirty dance", r);
	EXPECT_STREQ(r, "4 err unknown cpu-dirty subcommand dance");
	CMD(a, "5 heartbeat", r);
	EXPECT_STREQ(r, "5 err heartbeat needs start or stop");
	CMD(a, "6 modules unload", r);
	EXPECT_STREQ(r, "6 err modules needs load");
	agent_stop(&a);
}

TEST(malformed_requests)
{
	static const char *const bad_id[] = {
	    "hello world\n", "12a echo\n", "-1 echo\n", "99999999999999999999 echo\n", " \n",
	};
	struct agent a;
	char r[LINE];
	size_t i;

	START_AGENT(a, NULL);
	for (i = 0; i < sizeof(bad_id) / sizeof(bad_id[0]); i++) {
		ASSERT_EQ(agent_send(&a, bad_id[i], strlen(bad_id[i])), 0);
		ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
		EXPECT_STREQ(r, "* err malformed request: expected <id> <command>");
	}
	CMD(a, "8", r);
	EXPECT_STREQ(r, "8 err malformed request: missing command");
	CMD(a, "9 echo tab\there", r);
	EXPECT_STREQ(r, "9 err non-ASCII or control character in request");
	CMD(a, "10 echo caf\xc3\xa9", r);
	EXPECT_STREQ(r, "10 err non-ASCII or control character in request");
	ASSERT_EQ(agent_send(&a, "11 echo a\0b\n", 12), 0);
	ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
	EXPECT_STREQ(r, "11 err non-ASCII or control character in request");
	CMD(a, "12 cpu-dirty start mib", r);
	EXPECT_STREQ(r, "12 err malformed argument: expected key=value");
	CMD(a, "13 cpu-dirty start =4", r);
	EXPECT_STREQ(r, "13 err malformed argument: empty key");
	CMD(a, "14 cpu-dirty start mib=4 rate=fast", r);
	EXPECT_STREQ(r, "14 err bad value for rate: fast");
	CMD(a, "15 cpu-dirty start mib=-4", r);
	EXPECT_STREQ(r, "15 err bad value for mib: -4");
	CMD(a, "16 cpu-dirty start", r);
	EXPECT_STREQ(r, "16 err missing argument mib");
	CMD(a, "17 cpu-dirty start mib=0", r);
	EXPECT_STREQ(r, "17 err bad value for mib: 0");
	CMD(a, "171 cpu-dirty start mib=1048577", r);
	EXPECT_STREQ(r, "171 err bad value for mib: 1048577");
	/* 1 TiB: more than this machine has, refused before touching memory. */
	CMD(a, "172 cpu-dirty start mib=1048576", r);
	EXPECT_STREQ(r, "172 err not enough memory for 1048576 MiB (keeps 16 MiB free)");
	CMD(a, "18 cpu-dirty start mib=1 colour=red", r);
	EXPECT_STREQ(r, "18 err unknown argument colour for cpu-dirty start");
	CMD(a, "19 echo a\r", r);
	EXPECT_STREQ(r, "19 ok a");
	/* Still serving after all that. */
	CMD(a, "20 echo alive", r);
	EXPECT_STREQ(r, "20 ok alive");
	agent_stop(&a);
}

TEST(line_length_limit)
{
	struct agent a;
	static char req[3 * LINE], r[LINE];
	size_t n;

	START_AGENT(a, NULL);
	/* Exactly 4096 bytes with the '\n' is accepted. */
	n = (size_t)snprintf(req, sizeof(req), "1 echo ");
	memset(req + n, 'x', 4095 - n);
	req[4095] = '\0';
	CMD(a, req, r);
	EXPECT_EQ(strncmp(r, "1 ok xxx", 8), 0);
	EXPECT_EQ(strlen(r), 4095 - 7 + 5);

	/* One byte more is refused, with the id. */
	n = (size_t)snprintf(req, sizeof(req), "2 echo ");
	memset(req + n, 'y', 4096 - n);
	req[4096] = '\0';
	CMD(a, req, r);
	EXPECT_STREQ(r, "2 err line too long (limit 4096 bytes)");

	/* A very long line arriving in pieces, without a usable id. */
	memset(req, 'z', sizeof(req));
	ASSERT_EQ(agent_send(&a, req, sizeof(req)), 0);
	ASSERT_EQ(agent_send(&a, req, sizeof(req)), 0);
	ASSERT_EQ(agent_send(&a, "\n", 1), 0);
	ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
	EXPECT_STREQ(r, "* err line too long (limit 4096 bytes)");
	/* Exactly one error per long line, and the stream is in sync again. */
	CMD(a, "3 echo after", r);
	EXPECT_STREQ(r, "3 ok after");
	EXPECT_EQ(a.events, 0);
	agent_stop(&a);
}

TEST(cpu_dirty_lifecycle)
{
	struct agent a;
	char r[LINE];
	long long w1, w2;

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty status", r);
	EXPECT_STREQ(r, "1 ok running=0 pass=0 cursor=0 pages=0 writes=0");
	CMD(a, "2 cpu-dirty start mib=2 rate=0", r);
	ASSERT_EQ(strncmp(r, "2 ok pages=512 ", 15), 0);
	CMD(a, "3 cpu-dirty start mib=2", r);
	EXPECT_STREQ(r, "3 err cpu-dirty already running");
	/* The writer runs: wait for it to have written, however slow the host. */
	EXPECT_GT(status_until(&a, "writes", 1), 0);
	CMD(a, "4 cpu-dirty status", r);
	EXPECT_EQ(kv_num(r, "running"), 1);
	EXPECT_EQ(kv_num(r, "pages"), 512);
	w1 = kv_num(r, "writes");
	EXPECT_GT(w1, 0);
	/* pass and cursor are a view of writes. */
	EXPECT_EQ(kv_num(r, "pass"), w1 / 512 + 1);
	EXPECT_EQ(kv_num(r, "cursor"), w1 % 512);
	CMD(a, "5 cpu-dirty stop", r);
	EXPECT_EQ(kv_num(r, "running"), 0);
	w1 = kv_num(r, "writes");
	usleep(20000);
	CMD(a, "6 cpu-dirty status", r);
	w2 = kv_num(r, "writes");
	EXPECT_EQ(w1, w2);
	CMD(a, "7 verify", r);
	EXPECT_STREQ(r, "7 ok checked=512");
	/* A stopped workload can be started again with a new buffer. */
	CMD(a, "8 cpu-dirty start mib=1", r);
	EXPECT_EQ(strncmp(r, "8 ok pages=256 ", 15), 0);
	CMD(a, "9 cpu-dirty stop extra=1", r);
	EXPECT_STREQ(r, "9 err unknown argument extra for cpu-dirty stop");
	CMD(a, "10 verify", r);
	EXPECT_STREQ(r, "10 ok checked=256");
	agent_stop(&a);
}

/*
 * The writer never runs ahead of its rate: it writes one batch (rate / 200
 * pages) per period at absolute deadlines that only ever move later, so by
 * any moment t after the start it has written at most rate * t plus two
 * batches.  A loaded host only makes it slower, so the bound is exact; the
 * test waits for real progress rather than for a fixed time.
 */
TEST_TIMEOUT(cpu_dirty_rate_is_honoured, 90)
{
	struct agent a;
	char r[LINE];
	long long w, t0, ms;

	START_AGENT(a, NULL);
	t0 = now_ms();
	CMD(a, "1 cpu-dirty start mib=1 rate=2000", r);
	ASSERT_EQ(strncmp(r, "1 ok ", 5), 0);
	/* Progress: 600 writes (more than two passes over 256 pages). */
	EXPECT_GE(status_until(&a, "writes", 600), 600);
	CMD(a, "2 cpu-dirty stop", r);
	ms = now_ms() - t0;
	w = kv_num(r, "writes");
	/* Unthrottled it would be millions per second; 2 writes per ms + 2 batches of 10. */
	EXPECT_LE(w, 2 * ms + 20);
	/* At 2000 writes/s, 600 writes cannot come sooner than 290 ms. */
	EXPECT_GE(ms, 290);
	EXPECT_EQ(kv_num(r, "pass"), w / 256 + 1);
	CMD(a, "3 verify", r);
	EXPECT_STREQ(r, "3 ok checked=256");
	agent_stop(&a);
}

/*
 * A stop while the writer sleeps out a long period (1 s at rate=1) ends it
 * with no further write; that the sleep itself is cut short is proven
 * without a clock in test_clock (stopper_interrupts_long_sleep).
 */
TEST(slow_rate_stops_promptly)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty start mib=1 rate=1", r);
	ASSERT_EQ(strncmp(r, "1 ok ", 5), 0);
	EXPECT_GE(status_until(&a, "writes", 1), 1);
	CMD(a, "2 cpu-dirty stop", r);
	EXPECT_EQ(kv_num(r, "running"), 0);
	EXPECT_GE(kv_num(r, "writes"), 1);
	{
		long long w = kv_num(r, "writes");

		CMD(a, "3 cpu-dirty status", r);
		EXPECT_EQ(kv_num(r, "writes"), w);
	}
	agent_stop(&a);
}

TEST(cpu_dirty_gpa)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty gpa index=0", r);
	EXPECT_STREQ(r, "1 err no buffer: run cpu-dirty start first");
	CMD(a, "2 cpu-dirty start mib=1 rate=100", r);
	CMD(a, "3 cpu-dirty gpa index=256", r);
	EXPECT_STREQ(r, "3 err index 256 out of range");
	CMD(a, "4 cpu-dirty gpa", r);
	EXPECT_STREQ(r, "4 err missing argument index");
	CMD(a, "5 cpu-dirty gpa index=255", r);
	/* PFNs need CAP_SYS_ADMIN; the guest agent is root, a test may not be. */
	if (strncmp(r, "5 ok gpa=0x", 11)) {
		EXPECT_STREQ(r, "5 err pagemap: Operation not permitted");
	} else {
		EXPECT_GT(kv_num(r, "gpa"), 0);
		EXPECT_EQ(kv_num(r, "gpa") % 4096, 0);
	}
	agent_stop(&a);
}

TEST(verify_needs_buffer)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 verify", r);
	EXPECT_STREQ(r, "1 err no buffer: run cpu-dirty start first");
	agent_stop(&a);
}

TEST(verify_stops_running_writer)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty start mib=4 rate=0", r);
	EXPECT_GT(status_until(&a, "writes", 1), 0);
	CMD(a, "2 verify", r);
	EXPECT_STREQ(r, "2 ok checked=1024");
	CMD(a, "3 cpu-dirty status", r);
	EXPECT_EQ(kv_num(r, "running"), 0);
	EXPECT_GT(kv_num(r, "writes"), 0);
	agent_stop(&a);
}

/* Negative control: one damaged page must be reported, and only that one. */
TEST(verify_reports_corrupted_page)
{
	struct agent a;
	char r[LINE], v[64];
	long long expected;

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty start mib=1 rate=0", r);
	/* Past the first pass, so that a page of the previous pass exists. */
	EXPECT_GE(status_until(&a, "pass", 2), 2);
	CMD(a, "2 cpu-dirty stop", r);
	CMD(a, "3 cpu-dirty corrupt index=77", r);
	EXPECT_STREQ(r, "3 ok index=77");
	CMD(a, "4 verify", r);
	ASSERT_EQ(strncmp(r, "4 err ", 6), 0);
	EXPECT_EQ(kv_num(r, "checked"), 256);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	EXPECT_EQ(kv_num(r, "first"), 77);
	expected = kv_num(r, "expected_pass");
	/* The header is intact: the pass it names is the expected one. */
	EXPECT_EQ(kv_num(r, "first_pass_seen"), expected);
	ASSERT_TRUE(kv_get(r, "first_reason", v, sizeof(v)));
	EXPECT_STREQ(v, "bad-body");
	ASSERT_TRUE(kv_get(r, "first_gpa", v, sizeof(v)));
	EXPECT_EQ(strncmp(v, "0x", 2), 0);
	agent_stop(&a);
}

/* A lost dirty page looks like a well-formed page from the previous pass. */
TEST(verify_reports_stale_page)
{
	struct agent a;
	char r[LINE], v[64];

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty start mib=1 rate=0", r);
	/* Past the first pass, so that a page of the previous pass exists. */
	EXPECT_GE(status_until(&a, "pass", 2), 2);
	CMD(a, "2 cpu-dirty stop", r);
	ASSERT_GT(kv_num(r, "pass"), 1);
	CMD(a, "3 cpu-dirty corrupt index=200 mode=stale", r);
	CMD(a, "4 cpu-dirty corrupt index=201 mode=sideways", r);
	EXPECT_STREQ(r, "4 err bad value for mode: sideways (byte or stale)");
	CMD(a, "5 cpu-dirty corrupt index=256", r);
	EXPECT_STREQ(r, "5 err index 256 out of range");
	CMD(a, "6 verify", r);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	EXPECT_EQ(kv_num(r, "first"), 200);
	EXPECT_EQ(kv_num(r, "first_pass_seen"), kv_num(r, "expected_pass") - 1);
	ASSERT_TRUE(kv_get(r, "first_reason", v, sizeof(v)));
	EXPECT_STREQ(v, "wrong-pass");
	agent_stop(&a);
}

TEST(verify_reports_first_of_several)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 cpu-dirty start mib=1 rate=0", r);
	CMD(a, "2 cpu-dirty stop", r);
	CMD(a, "3 cpu-dirty corrupt index=250", r);
	CMD(a, "4 cpu-dirty corrupt index=9 mode=stale", r);
	CMD(a, "5 cpu-dirty corrupt index=100", r);
	CMD(a, "6 verify", r);
	EXPECT_EQ(kv_num(r, "bad"), 3);
	EXPECT_EQ(kv_num(r, "first"), 9);
	agent_stop(&a);
}

/*
 * Heartbeats come in sequence, and never faster than their interval: each
 * deadline is at least one interval after the previous one, so beat k is
 * sent at least (k - 2) intervals after beat 1 however late beat 1 was
 * (a late thread may send two beats close together, never more).
 */
TEST(heartbeat_events)
{
	struct agent a;
	char r[LINE];
	long long seq = 0, first_ms = -1, prev_ms = -1, sent;
	int i;

	START_AGENT(a, NULL);
	CMD(a, "1 heartbeat start interval_ms=20", r);
	EXPECT_STREQ(r, "1 ok interval_ms=20");
	for (i = 0; i < 6; i++) {
		ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
		ASSERT_EQ(strncmp(r, "* hb seq=", 9), 0);
		EXPECT_EQ(kv_num(r, "seq"), ++seq);
		EXPECT_GE(kv_num(r, "mono_ms"), prev_ms);
		prev_ms = kv_num(r, "mono_ms");
		if (first_ms < 0)
			first_ms = prev_ms;
	}
	/* Beat 6 at least 4 intervals after beat 1, less 1 ms of truncation. */
	EXPECT_GE(prev_ms - first_ms, 4 * 20 - 1);
	CMD(a, "2 heartbeat stop", r);
	sent = kv_num(r, "sent");
	EXPECT_GE(sent, 6);
	/* Nothing after the stop reply. */
	EXPECT_EQ(agent_line(&a, r, sizeof(r), 150), -ETIMEDOUT);
	CMD(a, "3 heartbeat start interval_ms=0", r);
	EXPECT_STREQ(r, "3 err heartbeat start: Invalid argument");
	CMD(a, "4 heartbeat start", r);
	EXPECT_STREQ(r, "4 err missing argument interval_ms");
	/* Restarting resets the sequence. */
	CMD(a, "5 heartbeat start interval_ms=1000", r);
	ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
	EXPECT_EQ(kv_num(r, "seq"), 1);
	agent_stop(&a);
}

/*
 * Replies and events from different threads never share a line.  The test
 * keeps pipelining echo requests until heartbeats have come in between
 * replies several times (so both writers really raced), however long the
 * host takes to schedule the heartbeat thread; every line is checked whole.
 */
TEST_TIMEOUT(writes_never_interleave, 90)
{
	struct agent a;
	char r[LINE], req[80];
	int i, next, hb_between = 0, outstanding = 0;
	long long end;

	START_AGENT(a, NULL);
	CMD(a, "1 heartbeat start interval_ms=1", r);
	CMD(a, "2 cpu-dirty start mib=1 rate=0", r);
	end = now_ms() + PATIENCE_MS;
	/* At least 500 replies, and at least 3 heartbeats among them. */
	for (i = 100, next = 100; i < 600 || hb_between < 3;) {
		char want[96];

		ASSERT_TRUE(now_ms() < end);
		/* Pipelined requests, a batch at a time so that no side blocks. */
		if (i == next) {
			int j;

			for (j = i; j < i + 20; j++) {
				snprintf(req, sizeof(req),
					 "%d echo payload-%d-abcdefghijklmnopqrstuvwxyz\n", j, j);
				ASSERT_EQ(agent_send(&a, req, strlen(req)), 0);
			}
			next += 20;
			outstanding = 20;
		}

		ASSERT_GT(agent_line(&a, r, sizeof(r), PATIENCE_MS), 0);
		if (!strncmp(r, "* hb seq=", 9)) {
			EXPECT_GT(kv_num(r, "mono_ms"), 0);
			EXPECT_EQ(strlen(r), strcspn(r, "\r"));
			/* Replies still due before and after this beat: a race. */
			if (outstanding > 0 && outstanding < 20)
				hb_between++;
			continue;
		}
		snprintf(want, sizeof(want), "%d ok payload-%d-abcdefghijklmnopqrstuvwxyz", i, i);
		ASSERT_STREQ(r, want);
		i++;
		outstanding--;
	}
	EXPECT_GE(hb_between, 3);
	agent_stop(&a);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			perror(path);
		close(fd);
	}
}

/* A private directory under $TMPDIR (meson points it into the build tree). */
static bool make_tmpdir(char *buf, size_t size)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, size, "%s/migcheck-agent-test.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(buf) != NULL;
}

TEST(modules_load_errors)
{
	const char *extra[] = {"--modules", NULL, NULL};
	char list[512], bogus[600], text[600], r[LINE], want[2048];
	struct agent a;

	ASSERT_TRUE(make_tmpdir(list, sizeof(list)));
	snprintf(bogus, sizeof(bogus), "%s/bogus.ko", list);
	snprintf(text, sizeof(text), "%s/list", list);

	/* A list naming a file that is no module: finit_module refuses it. */
	write_file(bogus, "this is not an ELF module\n");
	snprintf(want, sizeof(want), "# comment\n\n%s\n", bogus);
	write_file(text, want);

	extra[1] = text;
	START_AGENT(a, extra);
	CMD(a, "1 modules load", r);
	snprintf(want, sizeof(want), "1 err module %s: ", bogus);
	EXPECT_EQ(strncmp(r, want, strlen(want)), 0);
	EXPECT_TRUE(strstr(r, "(errno ") != NULL);
	agent_stop(&a);

	/* An empty list loads nothing. */
	write_file(text, "# nothing to load\n");
	START_AGENT(a, extra);
	CMD(a, "2 modules load", r);
	EXPECT_STREQ(r, "2 ok count=0 already=0");
	agent_stop(&a);

	/* A missing list is reported as such. */
	unlink(text);
	unlink(bogus);
	rmdir(list);
	START_AGENT(a, extra);
	CMD(a, "3 modules load", r);
	snprintf(want, sizeof(want), "3 err cannot read module list %s: No such file or directory",
		 text);
	EXPECT_EQ(strncmp(r, want, strlen(want)), 0);
	agent_stop(&a);
}

TEST(poweroff_exits_normal_process)
{
	struct agent a;
	char r[LINE];

	START_AGENT(a, NULL);
	CMD(a, "1 heartbeat start interval_ms=5", r);
	CMD(a, "2 cpu-dirty start mib=1 rate=0", r);
	CMD(a, "3 poweroff now", r);
	EXPECT_STREQ(r, "3 err unexpected word now");
	CMD(a, "4 poweroff", r);
	EXPECT_STREQ(r, "4 ok");
	EXPECT_EQ(agent_wait(&a, PATIENCE_MS), 0);
	agent_stop(&a);
}

TEST(exits_when_host_closes)
{
	struct agent a;

	START_AGENT(a, NULL);
	close(a.fd);
	a.fd = -1;
	EXPECT_EQ(agent_wait(&a, PATIENCE_MS), 0);
	agent_stop(&a);
}

TEST(port_option_on_pty)
{
	char r[LINE];
	struct agent a;
	int m;

	/* CLOEXEC: an agent holding the master itself would never see EOF. */
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) || unlockpt(m))
		SKIP("no pty available");
	memset(&a, 0, sizeof(a));
	a.fd = m;
	a.pid = fork();
	ASSERT_GE(a.pid, 0);
	if (a.pid == 0) {
		execl(agent_path(), agent_path(), "--port", ptsname(m), (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(agent_line(&a, r, sizeof(r), 10000), 0);
	/* Raw mode: no echo of our input, no CR added to output. */
	EXPECT_EQ(strncmp(r, "* ready ", 8), 0);
	CMD(a, "1 echo raw", r);
	EXPECT_STREQ(r, "1 ok raw");
	EXPECT_EQ(a.events, 0);
	agent_stop(&a);
}

TEST(bad_option)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(agent_path(), agent_path(), "--bogus", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(agent_path(), agent_path(), "--port", "/nonexistent/port", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
