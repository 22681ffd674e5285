// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_qmp: the QMP client against a scripted QEMU monitor on a socketpair.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "qmp.h"

#include <math.h>

#define GREETING                                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}, "         \
	"\"package\": \"Debian 1:10.0.2+ds-1\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define CAPS_OK "{\"return\": {}, \"id\": @ID@}\r\n"
/* The greeting and capability negotiation every script starts with. */
#define HANDSHAKE                                                                                  \
	{.send = GREETING},                                                                        \
	{                                                                                          \
		.expect = "qmp_capabilities", .send = CAPS_OK                                      \
	}

static struct qmp *connect_peer(struct ktest *_t, struct fakepeer *p,
				const struct fakepeer_step *steps, int n, const char *transcript)
{
	struct qmp *q;
	char *err = NULL;

	fakepeer_start(p, FAKEPEER_QMP, steps, n);
	q = qmp_open(p->fd, transcript, "src");
	ASSERT_NONNULL(q);
	if (qmp_handshake(q, 5000, &err) < 0) {
		ktest_fail(_t, true, __FILE__, __LINE__, "handshake: %s", err);
	}
	return q;
}

/* Closes the client and checks the peer saw the requests it expected. */
#define FINISH(q, p)                                                                               \
	do {                                                                                       \
		qmp_close(q);                                                                      \
		EXPECT_EQ(fakepeer_finish(&(p)), 0);                                               \
	} while (0)

TEST(greeting_version_and_package)
{
	const struct fakepeer_step steps[] = {HANDSHAKE};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	json_t *req;
	char *log;

	EXPECT_STREQ(qmp_version(q), "10.0.2");
	EXPECT_STREQ(qmp_package(q), "Debian 1:10.0.2+ds-1");
	EXPECT_EQ(qmp_malformed_count(q), 0);

	log = fakepeer_requests(&p);
	req = json_loads(log, JSON_DISABLE_EOF_CHECK, NULL);
	ASSERT_NONNULL(req);
	EXPECT_STREQ(json_string_value(json_object_get(req, "execute")), "qmp_capabilities");
	EXPECT_TRUE(json_object_get(req, "id") != NULL);
	json_decref(req);
	free(log);
	FINISH(q, p);
}

TEST(greeting_without_version_fails)
{
	const struct fakepeer_step steps[] = {{.send = "{\"QMP\": {\"capabilities\": []}}\n"}};
	struct fakepeer p;
	struct qmp *q;
	char *err = NULL;

	fakepeer_start(&p, FAKEPEER_QMP, steps, NSTEPS(steps));
	q = qmp_open(p.fd, NULL, "src");
	EXPECT_EQ(qmp_handshake(q, 2000, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "version") != NULL);
	free(err);
	FINISH(q, p);
}

TEST(call_returns_return_member)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status",
	     .send = "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": @ID@}\n"},
	    {.expect = "query-name", .send = "{\"id\": @ID@, \"return\": \"guest\"}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_TRUE(err == NULL);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "running");
	EXPECT_TRUE(json_is_true(json_object_get(r, "running")));
	json_decref(r);

	r = qmp_call(q, "query-name", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(r), "guest");
	json_decref(r);
	FINISH(q, p);
}

/* QEMU prints uint64 values beyond int64; the reply must still arrive. */
TEST(reply_with_uint64_max_parses)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "device-list-properties",
	     .send = "{\"return\": [{\"name\": \"x\", \"default-value\": 18446744073709551615, "
		     "\"description\": \"12345678901234567890 in a string\"}, {\"name\": "
		     "\"y\", \"default-value\": 42}], \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r, *x;

	r = qmp_call(q, "device-list-properties", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	x = json_object_get(json_array_get(r, 0), "default-value");
	EXPECT_TRUE(json_is_real(x) && json_real_value(x) > 1.8e19);
	/* Strings are left alone and ordinary integers stay integers. */
	EXPECT_STREQ(json_string_value(json_object_get(json_array_get(r, 0), "description")),
		     "12345678901234567890 in a string");
	EXPECT_EQ(json_integer_value(json_object_get(json_array_get(r, 1), "default-value")), 42);
	EXPECT_EQ(qmp_malformed_count(q), 0);
	json_decref(r);
	FINISH(q, p);
}

TEST(call_sends_arguments)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "migrate-set-parameters", .send = "{\"return\": {}, \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL, *log, *line;
	json_t *req;

	EXPECT_EQ(qmp_call_void(q, "migrate-set-parameters",
				json_pack("{s:I}", "downtime-limit", (json_int_t)300), SLACK_MS,
				&err),
		  0);
	log = fakepeer_requests(&p);
	line = strchr(log, '\n');
	ASSERT_NONNULL(line);
	req = json_loads(line + 1, JSON_DISABLE_EOF_CHECK, NULL);
	ASSERT_NONNULL(req);
	EXPECT_EQ(json_integer_value(
		      json_object_get(json_object_get(req, "arguments"), "downtime-limit")),
		  300);
	json_decref(req);
	free(log);
	FINISH(q, p);
}

TEST(error_reply_becomes_cmd_class_desc)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "migrate",
	     .send = "{\"id\": @ID@, \"error\": {\"class\": \"GenericError\", \"desc\": "
		     "\"VFIO device doesn't support migration\"}}\n"},
	    {.expect = "query-status",
	     .send = "{\"return\": {\"status\": \"paused\"}, \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "migrate", json_pack("{s:s}", "uri", "unix:/x"), SLACK_MS, &err);
	EXPECT_TRUE(r == NULL);
	EXPECT_STREQ(err, "migrate: GenericError: VFIO device doesn't support migration");
	free(err);
	err = NULL;
	/* The connection is still usable after an error reply. */
	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "paused");
	json_decref(r);
	FINISH(q, p);
}

#define EV(name, sec, usec, data)                                                                  \
	"{\"timestamp\": {\"seconds\": " #sec ", \"microseconds\": " #usec "}, \"event\": \"" name \
	"\"" data "}\n"

TEST(events_before_reply_kept_in_order_with_timestamps)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "cont",
	     .send = EV("RESUME", 1700000000, 250000, "")
		 EV("MIGRATION", 1700000001, 1, ", \"data\": {\"status\": \"setup\"}")
		     EV("STOP", 1700000002, 999999, "")
			 EV("MIGRATION", 1700000003, 500000,
			    ", \"data\": {\"status\": \"completed\"}") "{\"return\": {}, "
								       "\"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	const struct qmp_event *e;
	struct qmp_event *ne;
	char *err = NULL;

	ASSERT_EQ(qmp_call_void(q, "cont", NULL, SLACK_MS, &err), 0);
	ASSERT_EQ(qmp_event_count(q), 4);
	EXPECT_STREQ(qmp_event_at(q, 0)->name, "RESUME");
	EXPECT_STREQ(qmp_event_at(q, 1)->name, "MIGRATION");
	EXPECT_STREQ(qmp_event_at(q, 2)->name, "STOP");
	EXPECT_STREQ(qmp_event_at(q, 3)->name, "MIGRATION");
	EXPECT_TRUE(qmp_event_at(q, 4) == NULL);

	/* seconds + microseconds, to the microsecond */
	EXPECT_EQ(llround(qmp_event_at(q, 0)->ts * 1e6), 1700000000250000LL);
	EXPECT_EQ(llround(qmp_event_at(q, 1)->ts * 1e6), 1700000001000001LL);
	EXPECT_EQ(llround(qmp_event_at(q, 2)->ts * 1e6), 1700000002999999LL);
	EXPECT_TRUE(qmp_event_at(q, 0)->host_ts > 1e9);

	/* An event without data gets an empty object. */
	ASSERT_NONNULL(qmp_event_at(q, 0)->data);
	EXPECT_TRUE(json_is_object(qmp_event_at(q, 0)->data));
	EXPECT_EQ(json_object_size(qmp_event_at(q, 0)->data), 0);

	e = qmp_first_event(q, "MIGRATION");
	ASSERT_NONNULL(e);
	EXPECT_STREQ(json_string_value(json_object_get(e->data, "status")), "setup");
	e = qmp_last_event(q, "MIGRATION");
	ASSERT_NONNULL(e);
	EXPECT_STREQ(json_string_value(json_object_get(e->data, "status")), "completed");
	EXPECT_TRUE(qmp_first_event(q, "SHUTDOWN") == NULL);
	EXPECT_TRUE(qmp_last_event(q, "SHUTDOWN") == NULL);

	ne = qmp_next_event(q);
	ASSERT_NONNULL(ne);
	EXPECT_STREQ(ne->name, "RESUME");
	EXPECT_TRUE(ne->consumed);
	ne = qmp_next_event(q);
	ASSERT_NONNULL(ne);
	EXPECT_STREQ(ne->name, "MIGRATION");
	ne = qmp_next_event(q);
	ASSERT_NONNULL(ne);
	EXPECT_STREQ(ne->name, "STOP");
	ne = qmp_next_event(q);
	ASSERT_NONNULL(ne);
	EXPECT_STREQ(ne->name, "MIGRATION");
	EXPECT_TRUE(qmp_next_event(q) == NULL);
	/* Consumed events stay in the history. */
	EXPECT_EQ(qmp_event_count(q), 4);
	EXPECT_TRUE(qmp_first_event(q, "STOP") != NULL);
	FINISH(q, p);
}

static bool status_is(const json_t *data, void *opaque)
{
	const char *s = json_string_value(json_object_get(data, "status"));

	return s && !strcmp(s, opaque);
}

TEST(wait_event_with_match)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "migrate",
	     .send = "{\"return\": {}, \"id\": @ID@}\n" EV("MIGRATION", 10, 0,
							   ", \"data\": {\"status\": \"setup\"}")},
	    {.delay_ms = 50,
	     .send = EV("MIGRATION", 11, 0, ", \"data\": {\"status\": \"active\"}")
		 EV("STOP", 12, 0, "")},
	    {.delay_ms = 50,
	     .send = EV("MIGRATION", 13, 0, ", \"data\": {\"status\": \"completed\"}")},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	struct qmp_event *e;
	char *err = NULL;

	ASSERT_EQ(qmp_call_void(q, "migrate", NULL, SLACK_MS, &err), 0);
	e = qmp_wait_event(q, "MIGRATION", status_is, "completed", SLACK_MS, &err);
	ASSERT_NONNULL(e);
	EXPECT_TRUE(err == NULL);
	EXPECT_EQ(llround(e->ts), 13);
	EXPECT_TRUE(e->consumed);
	/* Events that did not match are still there, in order. */
	e = qmp_wait_event(q, NULL, NULL, NULL, 100, &err);
	ASSERT_NONNULL(e);
	EXPECT_STREQ(json_string_value(json_object_get(e->data, "status")), "setup");
	e = qmp_wait_event(q, "STOP", NULL, NULL, 100, &err);
	ASSERT_NONNULL(e);
	EXPECT_EQ(llround(e->ts), 12);
	e = qmp_next_event(q);
	ASSERT_NONNULL(e);
	EXPECT_STREQ(json_string_value(json_object_get(e->data, "status")), "active");
	EXPECT_TRUE(qmp_next_event(q) == NULL);
	FINISH(q, p);
}

TEST(reply_with_other_id_dropped)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status",
	     .send = "{\"return\": {\"status\": \"bogus\"}, \"id\": 987654}\n"
		     "{\"return\": {\"status\": \"bogus2\"}, \"id\": \"elsewhere\"}\n"
		     "{\"return\": {\"status\": \"bogus3\"}}\n"
		     "{\"return\": {\"status\": \"right\"}, \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "right");
	json_decref(r);
	FINISH(q, p);
}

TEST(late_reply_after_timeout_not_taken_for_the_next)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-migrate"}, /* no answer in time */
	    {.expect = "query-status",
	     .send = "{\"return\": {\"status\": \"late\"}, \"id\": @PREV@}\n"
		     "{\"return\": {\"status\": \"fresh\"}, \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "query-migrate", NULL, 200, &err);
	EXPECT_TRUE(r == NULL);
	ASSERT_NONNULL(err);
	free(err);
	err = NULL;
	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "fresh");
	json_decref(r);
	FINISH(q, p);
}

TEST(malformed_lines_counted_and_skipped)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status",
	     .send = "this is not json\n"
		     "[1, 2, 3]\n"
		     "{\"neither\": \"event nor reply\"}\n"
		     "{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\n"},
	    {.expect = "query-name",
	     .send = "{\"unterminated\": \n"
		     "\n"
		     "{\"return\": {\"name\": \"g\"}, \"id\": @ID@}\n"},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "running");
	json_decref(r);
	EXPECT_EQ(qmp_malformed_count(q), 3);
	EXPECT_EQ(qmp_event_count(q), 0);

	r = qmp_call(q, "query-name", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "name")), "g");
	json_decref(r);
	/* The unterminated object counts; the empty line is no message at all. */
	EXPECT_EQ(qmp_malformed_count(q), 4);
	FINISH(q, p);
}

TEST(line_split_byte_by_byte)
{
	const struct fakepeer_step steps[] = {
	    {.send = GREETING, .bytewise = true},
	    {.expect = "qmp_capabilities", .send = CAPS_OK, .bytewise = true},
	    {.expect = "query-status",
	     .send = EV("STOP", 5, 5, "") "{\"return\": {\"status\": \"paused\"}, \"id\": @ID@}\n",
	     .bytewise = true},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	EXPECT_STREQ(qmp_version(q), "10.0.2");
	r = qmp_call(q, "query-status", NULL, 5000, &err);
	ASSERT_NONNULL(r);
	EXPECT_STREQ(json_string_value(json_object_get(r, "status")), "paused");
	json_decref(r);
	EXPECT_EQ(qmp_event_count(q), 1);
	EXPECT_EQ(qmp_malformed_count(q), 0);
	FINISH(q, p);
}

TEST(peer_closes_mid_line)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status",
	     .send = "{\"return\": {\"status\": \"runn",
	     .close_after = true},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	json_t *r;

	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	EXPECT_TRUE(r == NULL);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "middle of a message") != NULL);
	EXPECT_TRUE(qmp_closed(q));
	free(err);
	FINISH(q, p);
}

TEST(peer_closes)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status", .close_after = true},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0 = now_ms();
	json_t *r;

	/* The hang-up ends the call, long before the timeout. */
	r = qmp_call(q, "query-status", NULL, 4 * SLACK_MS, &err);
	EXPECT_TRUE(r == NULL);
	EXPECT_LE(now_ms() - t0, SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	EXPECT_TRUE(strstr(err, "middle") == NULL);
	EXPECT_TRUE(qmp_closed(q));
	free(err);
	err = NULL;
	/* Later calls fail at once, naming the command. */
	t0 = now_ms();
	r = qmp_call(q, "query-name", NULL, 4 * SLACK_MS, &err);
	EXPECT_TRUE(r == NULL);
	EXPECT_LE(now_ms() - t0, SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	EXPECT_TRUE(strstr(err, "query-name") != NULL);
	free(err);
	err = NULL;
	EXPECT_TRUE(qmp_wait_event(q, "STOP", NULL, NULL, 5000, &err) == NULL);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	free(err);
	FINISH(q, p);
}

TEST(handshake_peer_closes)
{
	const struct fakepeer_step steps[] = {{.close_after = true}};
	struct fakepeer p;
	struct qmp *q;
	char *err = NULL;

	fakepeer_start(&p, FAKEPEER_QMP, steps, NSTEPS(steps));
	q = qmp_open(p.fd, NULL, "dst");
	EXPECT_EQ(qmp_handshake(q, 5000, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "closed") != NULL);
	free(err);
	FINISH(q, p);
}

TEST(call_timeout)
{
	const struct fakepeer_step steps[] = {HANDSHAKE, {.expect = "query-migrate"}};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0 = now_ms(), dt;
	json_t *r;

	r = qmp_call(q, "query-migrate", NULL, 300, &err);
	dt = now_ms() - t0;
	EXPECT_TRUE(r == NULL);
	EXPECT_GE(dt, 290);
	EXPECT_LE(dt, 300 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "query-migrate") != NULL);
	EXPECT_FALSE(qmp_closed(q));
	free(err);
	FINISH(q, p);
}

TEST(handshake_timeout)
{
	const struct fakepeer_step steps[] = {{.delay_ms = 1}};
	struct fakepeer p;
	struct qmp *q;
	char *err = NULL;
	long long t0 = now_ms(), dt;

	fakepeer_start(&p, FAKEPEER_QMP, steps, NSTEPS(steps));
	q = qmp_open(p.fd, NULL, "src");
	EXPECT_EQ(qmp_handshake(q, 300, &err), -1);
	dt = now_ms() - t0;
	EXPECT_GE(dt, 290);
	EXPECT_LE(dt, 300 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "greeting") != NULL);
	free(err);
	FINISH(q, p);
}

TEST(wait_event_timeout)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.send = EV("STOP", 1, 0, "")},
	    /* Arrives during the wait, which it must not end. */
	    {.delay_ms = 100, .send = EV("RESUME", 2, 0, "")},
	};
	struct fakepeer p;
	struct qmp *q = connect_peer(_t, &p, steps, NSTEPS(steps), NULL);
	char *err = NULL;
	long long t0 = now_ms(), dt;

	EXPECT_TRUE(qmp_wait_event(q, "MIGRATION", NULL, NULL, 3000, &err) == NULL);
	dt = now_ms() - t0;
	EXPECT_GE(dt, 2990);
	EXPECT_LE(dt, 3000 + SLACK_MS);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "MIGRATION") != NULL);
	free(err);
	/* The events that did arrive meanwhile are kept, unconsumed. */
	EXPECT_EQ(qmp_event_count(q), 2);
	ASSERT_NONNULL(qmp_next_event(q));
	FINISH(q, p);
}

/* True if some line of text contains both a and b, a first. */
static bool has_line(const char *text, const char *a, const char *b)
{
	const char *p = text;

	while ((p = strstr(p, a))) {
		const char *eol = strchr(p, '\n');
		const char *q = strstr(p, b);

		if (q && (!eol || q < eol))
			return true;
		p += strlen(a);
	}
	return false;
}

TEST(transcript_both_directions)
{
	const struct fakepeer_step steps[] = {
	    HANDSHAKE,
	    {.expect = "query-status",
	     .send = "not json\n{\"return\": {\"status\": \"running\"}, \"id\": @ID@}\n"},
	};
	char dir[128], path[192];
	struct fakepeer p;
	struct qmp *q;
	char *err = NULL, *text;
	json_t *r;

	make_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/src.qmp", dir);
	q = connect_peer(_t, &p, steps, NSTEPS(steps), path);
	r = qmp_call(q, "query-status", NULL, SLACK_MS, &err);
	ASSERT_NONNULL(r);
	json_decref(r);
	FINISH(q, p);

	text = slurp(path);
	ASSERT_NONNULL(text);
	EXPECT_TRUE(has_line(text, "-> ", "qmp_capabilities"));
	EXPECT_TRUE(has_line(text, "-> ", "query-status"));
	EXPECT_TRUE(strstr(text, "<- {\"QMP\"") != NULL);
	EXPECT_TRUE(strstr(text, "<- not json") != NULL);
	EXPECT_TRUE(strstr(text, "<- {\"return\": {\"status\": \"running\"}") != NULL);
	free(text);
	rm_tree(dir);
}
