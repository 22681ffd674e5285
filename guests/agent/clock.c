// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * clock.c: time helpers for the agent.
 */
#include <errno.h>
#include <time.h>

#include "clock.h"

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t clock_boot_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / NSEC_PER_MSEC;
}

void stopper_init(struct stopper *s)
{
	pthread_condattr_t a;

	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &a);
	pthread_condattr_destroy(&a);
	s->stop = false;
}

void stopper_destroy(struct stopper *s)
{
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
}

bool stopper_requested(struct stopper *s)
{
	bool r;

	pthread_mutex_lock(&s->lock);
	r = s->stop;
	pthread_mutex_unlock(&s->lock);
	return r;
}

void stopper_request(struct stopper *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

bool stopper_sleep_until(struct stopper *s, uint64_t deadline)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(deadline / NSEC_PER_SEC),
	    .tv_nsec = (long)(deadline % NSEC_PER_SEC),
	};
	bool stopped;

	pthread_mutex_lock(&s->lock);
	while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
		;
	stopped = s->stop;
	pthread_mutex_unlock(&s->lock);
	return !stopped;
}
