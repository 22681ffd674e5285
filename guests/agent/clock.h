/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h: monotonic time and stoppable absolute-deadline sleeps, shared by
 * the agent's worker threads.
 */
#ifndef MIGCHECK_AGENT_CLOCK_H
#define MIGCHECK_AGENT_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* A worker's stop request and the condition it sleeps on. */
struct stopper {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

uint64_t clock_mono_ns(void);
/* Milliseconds since boot, suspend included. */
uint64_t clock_boot_ms(void);

/* The condition variable measures time on CLOCK_MONOTONIC. */
void stopper_init(struct stopper *s);
void stopper_destroy(struct stopper *s);
bool stopper_requested(struct stopper *s);
void stopper_request(struct stopper *s);
/* Sleeps until @deadline (CLOCK_MONOTONIC ns); returns false if stopped. */
bool stopper_sleep_until(struct stopper *s, uint64_t deadline);

#endif /* MIGCHECK_AGENT_CLOCK_H */
