// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_faults.c: faults the harness must survive with a bounded wait and a
 * reason that names them, on fake peers instead of QEMU:
 *  - a mock control socket that accepts a request and never answers;
 *  - a destination QEMU that never reports the migration completed (with
 *    its negative control: the same script with "completed" passes).
 */
#define KTEST_MAIN
#include "ktest.h"
#include "fakepeer.h"
#include "migrate.h"
#include "mockdev.h"
#include "util.h"
#include "vm.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* A control socket that accepts and then stays silent; returns its listener. */
static int silent_listener(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = strlen(name);

	memcpy(sa.sun_path + 1, name, n);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + 1 + n) ||
	    listen(fd, 4)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

TEST_TIMEOUT(mock_control_silent, 60)
{
	char name[64], addr[80], *control[2], *err = NULL;
	struct mock_rig rig = {0};
	long long t0, dt;
	json_t *r;
	int l;

	/* The backlog accepts the connection; nobody ever reads or answers. */
	snprintf(name, sizeof(name), "migcheck-test-silent-%d", (int)getpid());
	l = silent_listener(name);
	ASSERT_GE(l, 0);
	snprintf(addr, sizeof(addr), "@%s", name);
	control[0] = control[1] = addr;
	rig.control[0] = control[0];
	rig.control[1] = control[1];
	t0 = now_ms();
	r = mock_rig_call(&rig, VM_SRC, json_pack("{s:s}", "cmd", "state"), &err);
	dt = now_ms() - t0;
	EXPECT_NULL(r);
	ASSERT_NONNULL(err);
	/* The side, the request and why: the case's reason as a suite reports it. */
	EXPECT_TRUE(strstr(err, "mock control src") != NULL);
	EXPECT_TRUE(strstr(err, "\"cmd\":\"state\"") != NULL);
	EXPECT_TRUE(strstr(err, "timed out") != NULL);
	/* Bounded: mock_rig_call waits 10 s, never forever. */
	EXPECT_GE(dt, 9990);
	EXPECT_LE(dt, 10000 + SLACK_MS);
	free(err);
	close(l);
}

#define RET "{\"return\": {}, \"id\": @ID@}\r\n"
#define MIG_EV(sec, st)                                                                            \
	"{\"timestamp\": {\"seconds\": " #sec ", \"microseconds\": 0}, \"event\": \"MIGRATION\", " \
	"\"data\": {\"status\": \"" st "\"}}\r\n"

/* A vm around a scripted QMP peer: the peer's process stands for QEMU's. */
static struct vm *fake_vm(struct fakepeer *p, const char *name, const struct fakepeer_step *steps,
			  int n)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	fakepeer_start(p, FAKEPEER_QMP, steps, n);
	vm->name = (char *)name;
	vm->role = strcmp(name, "src") ? VM_DST : VM_SRC;
	vm->proc.pid = p->pid;
	vm->qmp = qmp_open(p->fd, NULL, name);
	vm->ram_fd = -1;
	return vm;
}

/* Closes the client's end and checks the peer saw exactly its script. */
static int drop_vm(struct vm *vm, struct fakepeer *p)
{
	qmp_close(vm->qmp);
	free(vm);
	return fakepeer_finish(p);
}

/* The source completes; the destination stays active.  With dst_completes, it completes too. */
static void run_migration(struct ktest *_t, bool dst_completes, struct mig_result *r)
{
	const struct fakepeer_step src_steps[] = {
	    {.expect = "query-migrate-capabilities",
	     .send = "{\"return\": [{\"capability\": \"events\", \"state\": false}], \"id\": "
		     "@ID@}\r\n"},
	    {.expect = "migrate-set-capabilities", .send = RET},
	    {.expect = "migrate-set-parameters", .send = RET},
	    {.expect = "migrate",
	     .send = RET MIG_EV(1, "setup") MIG_EV(2, "active") MIG_EV(3, "completed")},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"completed\"}, \"id\": @ID@}\r\n"},
	    {.expect = "migrate_cancel", .send = RET},
	    {.expect = "query-migrate",
	     .send = "{\"return\": {\"status\": \"completed\"}, \"id\": @ID@}\r\n"},
	};
	const struct fakepeer_step dst_steps[] = {
	    {.expect = "migrate-set-capabilities", .send = RET},
	    {.expect = "migrate-incoming", .send = RET MIG_EV(1, "setup") MIG_EV(2, "active")},
	    {.delay_ms = 10, .send = dst_completes ? MIG_EV(4, "completed") : NULL},
	};
	const struct mig_plan plan = {.timeout_ms = 1500};
	struct fakepeer ps, pd;
	struct vm *src, *dst;
	char *err = NULL;

	/* On success the source gets one query-migrate, for the final statistics. */
	src = fake_vm(&ps, "src", src_steps, dst_completes ? 5 : NSTEPS(src_steps));
	dst = fake_vm(&pd, "dst", dst_steps, NSTEPS(dst_steps));
	EXPECT_EQ(mig_run(src, dst, &plan, r, &err), 0);
	EXPECT_NULL(err);
	free(err);
	/* The destination's peer was forked holding the source's socket: it goes first. */
	EXPECT_EQ(drop_vm(dst, &pd), 0);
	EXPECT_EQ(drop_vm(src, &ps), 0);
}

TEST(destination_never_completes)
{
	struct mig_result r;
	long long t0 = now_ms(), dt;

	run_migration(_t, false, &r);
	dt = now_ms() - t0;
	ASSERT_NONNULL(r.status);
	EXPECT_STREQ(r.status, "timeout");
	ASSERT_NONNULL(r.error);
	EXPECT_TRUE(strstr(r.error, "did not complete within 1 s") != NULL);
	EXPECT_TRUE(strstr(r.error, "the destination never reported completed") != NULL);
	EXPECT_TRUE(strstr(r.error, "source status completed") != NULL);
	/* Bounded by the plan's timeout. */
	EXPECT_GE(dt, 1490);
	EXPECT_LE(dt, 1500 + SLACK_MS);
	mig_result_clear(&r);
}

/* Negative control: the same peers, the destination completes. */
TEST(destination_completes)
{
	struct mig_result r;

	run_migration(_t, true, &r);
	ASSERT_NONNULL(r.status);
	EXPECT_STREQ(r.status, "completed");
	EXPECT_NULL(r.error);
	mig_result_clear(&r);
}

/* The harness's own limits only ever grow with MIGCHECK_TIME_SCALE, up to 20 times. */
TEST(time_scale_from_environment)
{
	static const struct {
		const char *val;
		unsigned want;
	} t[] = {{"3", 3},   {"1", 1},	{"0", 1},   {"-2", 1},
		 {"abc", 1}, {"2x", 1}, {"50", 20}, {"", 1}};
	size_t i;

	unsetenv("MIGCHECK_TIME_SCALE");
	EXPECT_EQ(mc_time_scale(), 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("MIGCHECK_TIME_SCALE", t[i].val, 1);
		KT_CHECK(false, mc_time_scale() == t[i].want, "MIGCHECK_TIME_SCALE=%s: %u, want %u",
			 t[i].val, mc_time_scale(), t[i].want);
	}
	unsetenv("MIGCHECK_TIME_SCALE");
}
