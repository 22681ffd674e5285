// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_clock.c: the agent's stopper in process.  A worker sleeping towards
 * a far deadline must wake as soon as a stop is requested: the deadline is
 * an hour away, so a join that returns at all proves the sleep was cut
 * short, with no assumption about how fast the host is.
 */
#include <pthread.h>
#include <time.h>

#include "ktest.h"
#include "clock.h"

struct sleeper {
	struct stopper st;
	uint64_t deadline;
	bool result;
	bool entered;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *sleep_thread(void *arg)
{
	struct sleeper *s = arg;

	pthread_mutex_lock(&s->lock);
	s->entered = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	s->result = stopper_sleep_until(&s->st, s->deadline);
	return NULL;
}

/* Joins with a generous bound; false if the thread is still asleep. */
static bool join_within(pthread_t t, int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void start_sleeper(struct sleeper *s, uint64_t deadline, pthread_t *t)
{
	memset(s, 0, sizeof(*s));
	stopper_init(&s->st);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->deadline = deadline;
	pthread_create(t, NULL, sleep_thread, s);
	pthread_mutex_lock(&s->lock);
	while (!s->entered)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

TEST(stopper_interrupts_long_sleep)
{
	struct sleeper s;
	pthread_t t;

	start_sleeper(&s, clock_mono_ns() + 3600 * NSEC_PER_SEC, &t);
	stopper_request(&s.st);
	ASSERT_TRUE(join_within(t, 20));
	EXPECT_FALSE(s.result);
	EXPECT_TRUE(stopper_requested(&s.st));
	stopper_destroy(&s.st);
}

/* A deadline in the past returns at once, reporting "not stopped". */
TEST(past_deadline_returns_running)
{
	struct sleeper s;
	pthread_t t;

	start_sleeper(&s, clock_mono_ns() - NSEC_PER_SEC, &t);
	ASSERT_TRUE(join_within(t, 20));
	EXPECT_TRUE(s.result);
	EXPECT_FALSE(stopper_requested(&s.st));
	stopper_destroy(&s.st);
}

/* A stop requested before the sleep starts is seen without sleeping. */
TEST(stop_before_sleep)
{
	struct stopper st;

	stopper_init(&st);
	stopper_request(&st);
	EXPECT_FALSE(stopper_sleep_until(&st, clock_mono_ns() + 3600 * NSEC_PER_SEC));
	stopper_destroy(&st);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
