// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * heartbeat.c: the heartbeat thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "clock.h"
#include "heartbeat.h"
#include "port.h"

static struct {
	bool running;
	pthread_t thread;
	struct stopper stopper;
	/* Held from start until the reply is out: no beat may precede it. */
	pthread_mutex_t gate;
	uint64_t interval_ns;
	uint64_t sent;
} hb;

static void *beat(void *arg)
{
	uint64_t deadline;

	pthread_mutex_lock(&hb.gate);
	pthread_mutex_unlock(&hb.gate);
	/* Absolute deadlines: the period does not drift with send time. */
	deadline = clock_mono_ns();

	while (!stopper_requested(&hb.stopper)) {
		uint64_t now = clock_mono_ns();

		port_send("* hb seq=%llu mono_ms=%llu", (unsigned long long)++hb.sent,
			  (unsigned long long)(now / NSEC_PER_MSEC));
		deadline += hb.interval_ns;
		/* After the VM was paused, keep the period instead of catching up. */
		if (deadline < now)
			deadline = now + hb.interval_ns;
		if (!stopper_sleep_until(&hb.stopper, deadline))
			break;
	}
	return NULL;
}

int heartbeat_start(uint64_t interval_ms)
{
	int ret;

	if (!interval_ms || interval_ms > 3600 * 1000)
		return -EINVAL;
	heartbeat_stop();
	hb.interval_ns = interval_ms * NSEC_PER_MSEC;
	hb.sent = 0;
	stopper_init(&hb.stopper);
	pthread_mutex_init(&hb.gate, NULL);
	pthread_mutex_lock(&hb.gate);
	ret = pthread_create(&hb.thread, NULL, beat, NULL);
	if (ret) {
		pthread_mutex_unlock(&hb.gate);
		pthread_mutex_destroy(&hb.gate);
		stopper_destroy(&hb.stopper);
		return -ret;
	}
	hb.running = true;
	return 0;
}

void heartbeat_go(void)
{
	if (hb.running)
		pthread_mutex_unlock(&hb.gate);
}

uint64_t heartbeat_stop(void)
{
	if (hb.running) {
		stopper_request(&hb.stopper);
		pthread_join(hb.thread, NULL);
		stopper_destroy(&hb.stopper);
		pthread_mutex_destroy(&hb.gate);
		hb.running = false;
	}
	return hb.sent;
}
