// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_agentlink: the host end of the agent's line protocol against a
 * scripted agent on a socketpair.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "agentlink.h"
#include "fakepeer.h"
#include "util.h"

#define READY "* ready kernel=6.1.0-31-amd64 protocol=1\n"

#define FINISH(a, p)                                                                               \
	do {                                                                                       \
		agentlink_close(a);                                                                \
		EXPECT_EQ(fakepeer_finish(&(p)), 0);                                               \
	} while (0)

static struct agentlink *link_to(struct fakepeer *p, const struct fakepeer_step *steps, int n,
				 const char *log)
{
	fakepeer_start(p, FAKEPEER_AGENT, steps, n);
	return agentlink_open(p->fd, log, "src");
}

TEST(ready_returns_kernel)
{
	const struct fakepeer_step steps[] = {
	    {.send = "booting, console noise\n"},
	    {.delay_ms = 20, .send = READY},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;

	EXPECT_STREQ(agentlink_wait_ready(a, SLACK_MS, &err), "6.1.0-31-amd64");
	EXPECT_TRUE(err == NULL);
	/* Once ready, it stays ready. */
	EXPECT_STREQ(agentlink_wait_ready(a, 0, &err), "6.1.0-31-amd64");
	FINISH(a, p);
}

TEST(ready_timeout)
{
	const struct fakepeer_step steps[] = {{.send = "* hb seq=1\n"}};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0 = now_ms(), dt;

	EXPECT_TRUE(agentlink_wait_ready(a, 300, &err) == NULL);
	dt = now_ms() - t0;
	EXPECT_GE(dt, 290);
	EXPECT_LE(dt, 300 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "ready") != NULL);
	free(err);
	FINISH(a, p);
}

TEST(ready_peer_closes)
{
	const struct fakepeer_step steps[] = {{.send = "partial", .close_after = true}};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0 = now_ms();

	/* The hang-up ends the wait, long before the timeout. */
	EXPECT_TRUE(agentlink_wait_ready(a, 4 * SLACK_MS, &err) == NULL);
	EXPECT_LE(now_ms() - t0, SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	free(err);
	FINISH(a, p);
}

TEST(cmd_ok_parsed)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "cpu-dirty start mib=4 rate=0",
	     .send = "@ID@ ok pages=1024 gpa=0x1000 name=buf\n"},
	    {.expect = "ping", .send = "@ID@ ok\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL, *log, *sp;
	json_t *r;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "cpu-dirty start mib=4 rate=0", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(err == NULL);
	EXPECT_STREQ(json_string_value(json_object_get(r, "pages")), "1024");
	EXPECT_STREQ(json_string_value(json_object_get(r, "name")), "buf");
	EXPECT_STREQ(json_string_value(json_object_get(r, "_text")),
		     "pages=1024 gpa=0x1000 name=buf");
	EXPECT_EQ(agent_reply_int(r, "pages", -1), 1024);
	EXPECT_EQ(agent_reply_int(r, "gpa", -1), 0x1000);
	EXPECT_EQ(agent_reply_int(r, "name", -7), -7);
	EXPECT_EQ(agent_reply_int(r, "absent", -9), -9);
	json_decref(r);

	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "_text")), "");
	EXPECT_EQ(json_object_size(r), 1);
	json_decref(r);

	/* Requests are "<id> <cmd>\n" with a numeric id, distinct per request. */
	log = fakepeer_requests(&p);
	sp = strchr(log, ' ');
	ASSERT_NONNULL(sp);
	EXPECT_TRUE(sp > log && strspn(log, "0123456789") == (size_t)(sp - log));
	EXPECT_TRUE(!strncmp(sp, " cpu-dirty start mib=4 rate=0\n", 30));
	{
		unsigned long id1 = strtoul(log, NULL, 10);
		char *l2 = strchr(log, '\n') + 1;
		unsigned long id2 = strtoul(l2, NULL, 10);

		EXPECT_NE(id1, id2);
		EXPECT_TRUE(strstr(l2, " ping\n") != NULL);
	}
	free(log);
	FINISH(a, p);
}

TEST(cmd_err_gives_reason)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "verify", .send = "@ID@ err page 17 tag mismatch\n"},
	    {.expect = "ping", .send = "@ID@ ok\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "verify", SLACK_MS, &err);
	EXPECT_TRUE(r == NULL);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "page 17 tag mismatch") != NULL);
	EXPECT_TRUE(strstr(err, "verify") != NULL);
	free(err);
	err = NULL;
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	EXPECT_TRUE(r != NULL);
	json_decref(r);
	FINISH(a, p);
}

TEST(stale_reply_ignored)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "slow"}, /* never answered in time */
	    {.expect = "fast", .send = "@PREV@ ok which=stale\n@ID@ ok which=fresh\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0;
	json_t *r;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	t0 = now_ms();
	r = agentlink_cmd(a, "slow", 300, &err);
	EXPECT_TRUE(r == NULL);
	EXPECT_LE(now_ms() - t0, 300 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "slow") != NULL);
	free(err);
	err = NULL;
	r = agentlink_cmd(a, "fast", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "which")), "fresh");
	json_decref(r);
	EXPECT_EQ(agentlink_malformed_count(a), 0);
	FINISH(a, p);
}

TEST(heartbeats_recorded_in_order)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY "* hb seq=1\n"},
	    {.delay_ms = 30, .send = "* hb seq=2\n"},
	    {.delay_ms = 30, .send = "* hb seq=3\n"},
	    {.expect = "ping", .delay_ms = 30, .send = "* hb seq=4\n@ID@ ok\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	const struct agent_hb *hb;
	double t_ping;
	json_t *r;
	size_t i;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	while (agentlink_hb_count(a) < 3) {
		ASSERT_EQ(agentlink_pump(a, 1000, &err), 0);
	}
	/* Beat 4 is sent only once the peer has our ping. */
	t_ping = mc_now_s();
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	json_decref(r);
	ASSERT_EQ(agentlink_hb_count(a), 4);
	for (i = 0; i < 4; i++) {
		hb = agentlink_hb_at(a, i);
		ASSERT_NONNULL(hb);
		EXPECT_EQ(hb->seq, i + 1);
		if (i)
			EXPECT_TRUE(hb->host_s > agentlink_hb_at(a, i - 1)->host_s);
	}
	/* Host times are arrival times: beat 3 came before the ping, beat 4 after. */
	EXPECT_TRUE(agentlink_hb_at(a, 2)->host_s <= t_ping);
	EXPECT_TRUE(agentlink_hb_at(a, 3)->host_s >= t_ping);
	EXPECT_TRUE(agentlink_hb_at(a, 4) == NULL);
	EXPECT_EQ(agentlink_malformed_count(a), 0);
	FINISH(a, p);
}

TEST(heartbeat_without_seq_malformed)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY "* hb\n* hb seq=x\n"},
	    {.expect = "ping", .send = "@ID@ ok\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	json_decref(r);
	EXPECT_EQ(agentlink_hb_count(a), 0);
	EXPECT_GE(agentlink_malformed_count(a), 1);
	FINISH(a, p);
}

static char *long_line(size_t n, const char *prefix)
{
	char *s = malloc(n + 2);
	size_t pl = strlen(prefix);

	memset(s, 'x', n);
	memcpy(s, prefix, pl);
	s[n] = '\n';
	s[n + 1] = '\0';
	return s;
}

/* An overlong junk line, arriving in pieces, then a normal reply. */
TEST(overlong_line_dropped_in_pieces)
{
	char *junk = long_line(6000, "");
	char first[3001];
	struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "ping", .send = first},
	    {.delay_ms = 50, .send = junk + 3000},
	    {.delay_ms = 20, .send = "@ID@ ok after=1\n"},
	};
	struct fakepeer p;
	struct agentlink *a;
	char *err = NULL;
	json_t *r;

	memcpy(first, junk, 3000);
	first[3000] = '\0';
	a = link_to(&p, steps, NSTEPS(steps), NULL);
	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "after")), "1");
	json_decref(r);
	EXPECT_EQ(agentlink_malformed_count(a), 1);
	FINISH(a, p);
	free(junk);
}

/*
 * An overlong line that starts like a reply must not be taken for one, even
 * when it arrives whole in one read.
 */
TEST(overlong_line_dropped_whole)
{
	char *bad = long_line(5000, "@ID@ ok bad=");
	struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "ping", .send = bad},
	    {.delay_ms = 100, .send = "@ID@ ok after=1\n"},
	};
	struct fakepeer p;
	struct agentlink *a;
	char *err = NULL;
	json_t *r;

	a = link_to(&p, steps, NSTEPS(steps), NULL);
	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(json_object_get(r, "bad") == NULL);
	EXPECT_STREQ(json_string_value(json_object_get(r, "after")), "1");
	json_decref(r);
	EXPECT_EQ(agentlink_malformed_count(a), 1);
	FINISH(a, p);
	free(bad);
}

/* A line that is over the limit while still incomplete, then completed. */
TEST(overlong_line_dropped_before_newline)
{
	char *bad = long_line(5000, "@ID@ ok bad=");
	struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "ping", .send = bad},
	    {.delay_ms = 20, .send = "@ID@ ok after=1\n"},
	};
	struct fakepeer p;
	struct agentlink *a;
	char *err = NULL;
	json_t *r;

	bad[5000] = '\0'; /* no newline yet */
	steps[2].send = "tail of it\n@ID@ ok after=1\n";
	a = link_to(&p, steps, NSTEPS(steps), NULL);
	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "after")), "1");
	EXPECT_TRUE(json_object_get(r, "bad") == NULL);
	json_decref(r);
	EXPECT_EQ(agentlink_malformed_count(a), 1);
	FINISH(a, p);
	free(bad);
}

TEST(unnumbered_line_malformed)
{
	const struct fakepeer_step steps[] = {
	    {.send = READY},
	    {.expect = "ping", .send = "hello there\nok 1\n@ID@ ok x=1\n"},
	};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "x")), "1");
	json_decref(r);
	EXPECT_EQ(agentlink_malformed_count(a), 2);
	FINISH(a, p);
}

TEST(cmd_timeout_names_command)
{
	const struct fakepeer_step steps[] = {{.send = READY}, {.expect = "verify"}};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0, dt;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	t0 = now_ms();
	EXPECT_TRUE(agentlink_cmd(a, "verify", 300, &err) == NULL);
	dt = now_ms() - t0;
	EXPECT_GE(dt, 290);
	EXPECT_LE(dt, 300 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "verify") != NULL);
	free(err);
	FINISH(a, p);
}

TEST(cmd_peer_closes)
{
	const struct fakepeer_step steps[] = {{.send = READY},
					      {.expect = "verify", .close_after = true}};
	struct fakepeer p;
	struct agentlink *a = link_to(&p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0;

	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	t0 = now_ms();
	EXPECT_TRUE(agentlink_cmd(a, "verify", 4 * SLACK_MS, &err) == NULL);
	EXPECT_LE(now_ms() - t0, SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	free(err);
	FINISH(a, p);
}

TEST(log_records_both_directions)
{
	const struct fakepeer_step steps[] = {{.send = READY},
					      {.expect = "ping", .send = "@ID@ ok pong=1\n"}};
	char dir[128], path[192];
	struct fakepeer p;
	struct agentlink *a;
	char *err = NULL, *text;
	json_t *r;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/src.agent", dir);
	a = link_to(&p, steps, NSTEPS(steps), path);
	ASSERT_NONNULL(agentlink_wait_ready(a, SLACK_MS, &err));
	r = agentlink_cmd(a, "ping", SLACK_MS, &err);
	ASSERT_NONNULL(r);
	json_decref(r);
	FINISH(a, p);
	text = slurp(path);
	ASSERT_NONNULL(text);
	EXPECT_TRUE(strstr(text, "<- * ready kernel=6.1.0-31-amd64") != NULL);
	EXPECT_TRUE(strstr(text, " ping") != NULL && strstr(text, "-> ") != NULL);
	EXPECT_TRUE(strstr(text, " ok pong=1") != NULL);
	free(text);
	rm_tree(dir);
}

TEST(parse_kv_edge_cases)
{
	json_t *o;

	o = agent_parse_kv("");
	ASSERT_NONNULL(o);
	EXPECT_EQ(json_object_size(o), 0);
	json_decref(o);

	o = agent_parse_kv("a=1 b=two");
	EXPECT_EQ(json_object_size(o), 2);
	EXPECT_STREQ(json_string_value(json_object_get(o, "a")), "1");
	EXPECT_STREQ(json_string_value(json_object_get(o, "b")), "two");
	json_decref(o);

	/* Runs of spaces, leading and trailing spaces. */
	o = agent_parse_kv("   a=1    b=2   ");
	EXPECT_EQ(json_object_size(o), 2);
	EXPECT_STREQ(json_string_value(json_object_get(o, "b")), "2");
	json_decref(o);

	/* Empty value, '=' inside a value, a later duplicate wins. */
	o = agent_parse_kv("empty= eq=a=b dup=1 dup=2");
	EXPECT_STREQ(json_string_value(json_object_get(o, "empty")), "");
	EXPECT_STREQ(json_string_value(json_object_get(o, "eq")), "a=b");
	EXPECT_STREQ(json_string_value(json_object_get(o, "dup")), "2");
	json_decref(o);

	/* Words without '=' and empty keys are not pairs. */
	o = agent_parse_kv("word =nokey k=v");
	EXPECT_EQ(json_object_size(o), 1);
	EXPECT_STREQ(json_string_value(json_object_get(o, "k")), "v");
	json_decref(o);
}

TEST(reply_int_edge_cases)
{
	json_t *o = agent_parse_kv("dec=42 hex=0x1f neg=-3 big=18446744073709551615 junk=12abc "
				   "empty= octal=010");

	EXPECT_EQ(agent_reply_int(o, "dec", -1), 42);
	EXPECT_EQ(agent_reply_int(o, "hex", -1), 31);
	EXPECT_EQ(agent_reply_int(o, "neg", 0), -3);
	EXPECT_EQ(agent_reply_int(o, "big", -1), -1); /* out of range */
	EXPECT_EQ(agent_reply_int(o, "empty", -5), -5);
	EXPECT_EQ(agent_reply_int(o, "octal", -1), 8); /* base 0, as documented */
	EXPECT_EQ(agent_reply_int(NULL, "dec", -6), -6);
	json_decref(o);
}
