// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_migrate: the migration driver against scripted source and
 * destination monitors.  Every figure the reports carry is derived here
 * from events whose timestamps the script fixes, so each is checked
 * exactly: downtime from events, the guest's pause less the harness's
 * hold, passes, bytes; and every outcome: completed, refused, failed on
 * either side, a QEMU that died (named first, before the other side's
 * symptom), timeout, and a hook that cancels.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "migrate.h"
#include "util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GREETING                                                                                   \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}, "         \
	"\"package\": \"\"}, \"capabilities\": []}}\r\n"
#define OK "{\"return\": {}, \"id\": @ID@}\r\n"
#define HANDSHAKE                                                                                  \
	{.send = GREETING},                                                                        \
	{                                                                                          \
		.expect = "qmp_capabilities", .send = OK                                           \
	}
#define CAPS                                                                                       \
	"{\"return\": [{\"capability\": \"events\", \"state\": false}, {\"capability\": "          \
	"\"return-path\", \"state\": false}, {\"capability\": \"switchover-ack\", \"state\": "     \
	"false}, {\"capability\": \"pause-before-switchover\", \"state\": false}], \"id\": "       \
	"@ID@}\r\n"
/* An event at 1000 s + us microseconds since the epoch. */
#define EV(name, us, data)                                                                         \
	"{\"event\": \"" name "\", \"timestamp\": {\"seconds\": 1000, \"microseconds\": " #us      \
	"}, \"data\": " data "}\r\n"
#define MIG(status, us) EV("MIGRATION", us, "{\"status\": \"" status "\"}")
#define PASS(n, us) EV("MIGRATION_PASS", us, "{\"pass\": " #n "}")
#define STATS                                                                                      \
	"{\"return\": {\"status\": \"completed\", \"total-time\": 900, \"downtime\": 42, "         \
	"\"setup-time\": 3, \"ram\": {\"transferred\": 5000, \"downtime-bytes\": 700, "            \
	"\"dirty-sync-count\": 3}, \"vfio\": {\"transferred\": 336}}, \"id\": @ID@}\r\n"
#define SRC_START                                                                                  \
	HANDSHAKE, {.expect = "query-migrate-capabilities", .send = CAPS},                         \
	    {.expect = "migrate-set-capabilities", .send = OK},                                    \
	{                                                                                          \
		.expect = "migrate-set-parameters", .send = OK                                     \
	}
#define DST_START                                                                                  \
	HANDSHAKE, {.expect = "migrate-set-capabilities", .send = OK},                             \
	{                                                                                          \
		.expect = "migrate-incoming", .send = OK                                           \
	}

static void exit_one(int sig)
{
	(void)sig;
	_exit(1);
}

/* A QEMU process stand-in: it lives until the test kills it. */
struct side {
	struct fakepeer peer;
	struct vm vm;
	char dir[128];
};

static void side_start(struct side *s, enum vm_role role, const struct fakepeer_step *steps, int n)
{
	char *err = NULL;

	memset(s, 0, sizeof(*s));
	make_tmpdir(s->dir, sizeof(s->dir));
	/* The process the driver watches for death; forked first, so it holds no socket. */
	fflush(NULL);
	/* SIGTERM: an orderly exit with status 1 (set before fork: no window). */
	signal(SIGTERM, exit_one);
	s->vm.proc.pid = fork();
	if (s->vm.proc.pid == 0) {
		/* Killed by signals on purpose: no sanitizer handler may catch them. */
		signal(SIGSEGV, SIG_DFL);
		for (;;)
			pause();
	}
	signal(SIGTERM, SIG_DFL);
	fakepeer_start(&s->peer, FAKEPEER_QMP, steps, n);
	s->vm.role = role;
	s->vm.name = role == VM_SRC ? "src" : "dst";
	s->vm.ram_fd = -1;
	s->vm.stderr_path = mc_strdup_printf("%s/stderr", s->dir);
	mc_write_file_atomic(s->vm.stderr_path, "qemu: hw/vfio: Assertion 'x' failed.\n", 37, NULL);
	s->vm.qmp = qmp_open(s->peer.fd, NULL, s->vm.name);
	if (qmp_handshake(s->vm.qmp, 5000, &err) < 0)
		abort();
}

static int side_finish(struct side *s)
{
	int rc;

	if (!s->vm.proc.exited) {
		kill(s->vm.proc.pid, SIGKILL);
		waitpid(s->vm.proc.pid, NULL, 0);
	}
	qmp_close(s->vm.qmp);
	rc = fakepeer_finish(&s->peer);
	free(s->vm.stderr_path);
	rm_tree(s->dir);
	return rc;
}

/*
 * The destination's processes were forked after the source's socket
 * existed and hold a copy of it: they go first, or the source's peer never
 * sees its client hang up.
 */
#define FINISH(s, d)                                                                               \
	do {                                                                                       \
		EXPECT_EQ(side_finish(&(d)), 0);                                                   \
		EXPECT_EQ(side_finish(&(s)), 0);                                                   \
	} while (0)

struct hooks {
	int setup, syncs[8], nsyncs, pre;
	int cancel_at; /* sync count whose hook refuses */
};

static int hook(struct mig_run *run, enum mig_point at, int n, void *opaque, char **err)
{
	struct hooks *h = opaque;

	(void)run;
	if (at == MIG_AT_SETUP)
		h->setup++;
	else if (at == MIG_AT_PRE_SWITCHOVER)
		h->pre++;
	else if (h->nsyncs < 8)
		h->syncs[h->nsyncs++] = n;
	if (at == MIG_AT_SYNC && n == h->cancel_at) {
		*err = strdup("the test refused");
		return -1;
	}
	return 0;
}

static double metric(json_t *m, const char *key)
{
	return json_number_value(json_object_get(m, key));
}

TEST(completes_with_every_figure)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 100000) PASS(2, 200000) PASS(3, 300000)},
	    {.send = EV("STOP", 400000, "{}") MIG("pre-switchover", 410000)},
	    {.expect = "migrate-continue", .send = OK},
	    {.send = MIG("completed", 500000)},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {
	    DST_START,
	    {.send = MIG("completed", 450000)},
	    {.expect = "cont", .send = OK},
	    {.send = EV("RESUME", 900000, "{}")},
	};
	struct mig_plan plan = {.return_path = true,
				.switchover_ack = true,
				.pause_before_switchover = true,
				.hook = hook};
	struct hooks h = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;
	json_t *m;

	plan.opaque = &h;
	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_COMPLETED);
	EXPECT_STREQ(r.status, "completed");
	EXPECT_EQ(r.passes, 3);
	/* The hooks: setup once, each sync with its count, pre-switchover once. */
	EXPECT_EQ(h.setup, 1);
	EXPECT_EQ(h.nsyncs, 3);
	EXPECT_EQ(h.syncs[0], 1);
	EXPECT_EQ(h.syncs[2], 3);
	EXPECT_EQ(h.pre, 1);
	ASSERT_EQ(mig_resume_dst(&d.vm, &r, &err), 0);

	m = mig_metrics(&r);
	EXPECT_EQ(metric(m, "downtime_ms"), 42);
	EXPECT_EQ(metric(m, "total_time_ms"), 900);
	EXPECT_EQ(metric(m, "transferred_bytes"), 5000);
	EXPECT_EQ(metric(m, "downtime_bytes"), 700);
	EXPECT_EQ(metric(m, "vfio_transferred_bytes"), 336);
	EXPECT_EQ(metric(m, "passes"), 3);
	/* Source STOP at .400, destination completed at .450: 50 ms stopped before it. */
	EXPECT_TRUE(fabs(metric(m, "stop_to_dst_complete_ms") - 50) < 0.01);
	/* After the hold: from the harness's cont to QEMU's RESUME. */
	EXPECT_TRUE(fabs(metric(m, "downtime_events_ms") -
			 (50 + (r.t_dst_resume - r.t_cont) * 1000)) < 0.01);
	EXPECT_TRUE(fabs(r.t_dst_resume - 1000.9) < 1e-6);
	EXPECT_TRUE(fabs(metric(m, "dst_hold_ms") - (r.t_cont - r.t_dst_complete) * 1000) < 0.01);
	json_decref(m);
	mig_result_clear(&r);
	FINISH(s, d);
	free(err);
}

TEST(refused_by_the_migrate_command)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate",
	     .send = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"0000:01:00.0: VFIO "
		     "migration is not supported with postcopy migration\"}, \"id\": @ID@}\r\n"},
	};
	const struct fakepeer_step dst[] = {DST_START};
	struct mig_plan plan = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_REFUSED);
	EXPECT_STREQ(r.desc, "0000:01:00.0: VFIO migration is not supported with postcopy "
			     "migration");
	mig_result_clear(&r);
	FINISH(s, d);
}

TEST(failed_on_each_side)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) MIG("failed", 1000)},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"failed\", \"error-desc\": \"dirty query "
		     "failed\"}, \"id\": @ID@}\r\n"},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {DST_START};
	const struct fakepeer_step src2[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst2[] = {
	    DST_START,
	    {.send = MIG("failed", 2000)},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"failed\", \"error-desc\": \"load of device "
		     "state failed\"}, \"id\": @ID@}\r\n"},
	};
	struct mig_plan plan = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_FAILED);
	EXPECT_EQ(r.side, VM_SRC);
	EXPECT_STREQ(r.desc, "dirty query failed");
	mig_result_clear(&r);
	FINISH(s, d);

	side_start(&s, VM_SRC, src2, NSTEPS(src2));
	side_start(&d, VM_DST, dst2, NSTEPS(dst2));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_FAILED);
	EXPECT_EQ(r.side, VM_DST);
	EXPECT_STREQ(r.desc, "load of device state failed");
	mig_result_clear(&r);
	FINISH(s, d);
}

/* The source dies mid-migration; the destination reports a failure: the death leads. */
TEST(a_dead_source_comes_first)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 1000)},
	};
	const struct fakepeer_step dst[] = {
	    DST_START,
	    {.send = MIG("failed", 2000), .delay_ms = 300},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"failed\"}, \"id\": @ID@}\r\n"},
	};
	struct mig_plan plan = {.hook = hook};
	struct hooks h = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	plan.opaque = &h;
	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	/* The source "QEMU" crashes before the destination notices. */
	kill(s.vm.proc.pid, SIGSEGV);
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_DIED);
	EXPECT_EQ(r.side, VM_SRC);
	ASSERT_NONNULL(r.error);
	EXPECT_TRUE(!strncmp(r.error, "src QEMU killed by signal 11", 28));
	EXPECT_TRUE(strstr(r.error, "Assertion 'x' failed") != NULL);
	mig_result_clear(&r);
	side_finish(&d);
	side_finish(&s);
}

/* The destination exits (as QEMU does when loading fails): the source's failure is the outcome. */
/* The destination crashes; the source reports the broken channel: the crash leads. */
TEST(a_dead_destination_comes_first)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 1000)},
	    {.send = MIG("failed", 2000), .delay_ms = 300},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"failed\", \"error-desc\": \"Unable to "
		     "write to socket: Broken pipe\"}, \"id\": @ID@}\r\n"},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {DST_START};
	struct mig_plan plan = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	kill(d.vm.proc.pid, SIGABRT);
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_DIED);
	EXPECT_EQ(r.side, VM_DST);
	ASSERT_NONNULL(r.error);
	EXPECT_TRUE(!strncmp(r.error, "dst QEMU killed by signal 6", 27));
	EXPECT_TRUE(strstr(r.error, "Assertion 'x' failed") != NULL);
	mig_result_clear(&r);
	side_finish(&d);
	side_finish(&s);
}

TEST(an_orderly_exit_is_not_a_crash)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 1000)},
	    {.send = MIG("failed", 2000), .delay_ms = 300},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"failed\", \"error-desc\": \"Unable to "
		     "write to socket: Broken pipe\"}, \"id\": @ID@}\r\n"},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {DST_START};
	struct mig_plan plan = {0};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	/* The destination "QEMU" exits with status 1 at once. */
	kill(d.vm.proc.pid, SIGTERM);
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_FAILED);
	EXPECT_EQ(r.side, VM_SRC);
	EXPECT_STREQ(r.desc, "Unable to write to socket: Broken pipe");
	mig_result_clear(&r);
	FINISH(s, d);
}

TEST(timeout_cancels)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 1000)},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"active\"}, \"id\": @ID@}\r\n"},
	    {.expect = "migrate_cancel", .send = OK MIG("cancelled", 9000)},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {DST_START};
	struct mig_plan plan = {.timeout_ms = 300};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_TIMEOUT);
	EXPECT_TRUE(strstr(r.error, "source status active, 1 dirty syncs") != NULL);
	mig_result_clear(&r);
	FINISH(s, d);
}

TEST(a_refusing_hook_cancels)
{
	const struct fakepeer_step src[] = {
	    SRC_START,
	    {.expect = "migrate", .send = OK},
	    {.send = MIG("setup", 0) PASS(1, 1000) PASS(2, 2000)},
	    {.expect = "migrate_cancel", .send = OK MIG("cancelled", 9000)},
	    {.expect = "query-migrate", .send = STATS},
	};
	const struct fakepeer_step dst[] = {DST_START};
	struct mig_plan plan = {.hook = hook};
	struct hooks h = {.cancel_at = 2};
	struct mig_result r;
	struct side s, d;
	char *err = NULL;

	plan.opaque = &h;
	side_start(&s, VM_SRC, src, NSTEPS(src));
	side_start(&d, VM_DST, dst, NSTEPS(dst));
	ASSERT_EQ(mig_run(&s.vm, &d.vm, &plan, &r, &err), 0);
	EXPECT_EQ(r.outcome, MIG_CANCELLED);
	EXPECT_STREQ(r.error, "the test refused");
	EXPECT_EQ(h.nsyncs, 2);
	mig_result_clear(&r);
	FINISH(s, d);
}
