/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmastream.h: a continuous DMA stream over a ring of pages, checkable after
 * migration from one number.
 *
 * Stamp s goes to page s % pages.  With the stamps written so far, n, page p
 * must hold the largest s < n with s % pages == p, and pages p >= n nothing.
 * The engine is the device's own ring when its driver has one (n is the
 * device's count, which migrates with the device state), else the agent
 * issues one-page fills with seed STREAM_SEED + s from a thread (n is the
 * agent's count, which migrates with guest memory).
 */
#ifndef MIGCHECK_AGENT_DMASTREAM_H
#define MIGCHECK_AGENT_DMASTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "dmabuf.h"
#include "driver.h"

#define STREAM_SEED 0x5354524d00000000ull /* "STRM" */

enum stream_engine { STREAM_NONE, STREAM_RING, STREAM_FILL };
const char *stream_engine_name(enum stream_engine e);

struct stream_check {
	uint64_t seq, pages, bad;
	uint64_t first;	    /* the first wrong page */
	int64_t expected;   /* the stamp it should carry (-1: none) */
	int64_t found;	    /* the stamp it carries (-1: none or unknown) */
	uint64_t first_gpa; /* its guest physical address (0: unknown) */
};

/* Starts a stream on d (a new buffer of `pages` pages), `rate` stamps a second. */
int dmastream_start(struct dma_dev *d, uint64_t pages, uint64_t rate);
/* Stops it; *seq: the stamps written so far. */
int dmastream_stop(struct dma_dev *d, uint64_t *seq);
/* Stops it if it runs, reads the count and checks every page. */
int dmastream_check(struct dma_dev *d, struct stream_check *out);
/* Stops it and frees the buffer. */
void dmastream_release(struct dma_dev *d);

enum stream_engine dmastream_engine(void);
bool dmastream_running(void);
const struct dmabuf *dmastream_buf(void);

#endif /* MIGCHECK_AGENT_DMASTREAM_H */
