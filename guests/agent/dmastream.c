// SPDX-License-Identifier: GPL-2.0-or-later
/* dmastream.c: the continuous DMA stream (dmastream.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "clock.h"
#include "devio.h"
#include "dmastream.h"

/* How far back a stale fill stamp is looked for, for the report. */
#define STALE_LOOKBACK 16

static struct {
	enum stream_engine engine;
	bool running;
	struct dmabuf buf;
	uint64_t rate;
	_Atomic uint64_t seq; /* fill engine: stamps written */
	struct dma_dev *dev;
	pthread_t thread;
	struct stopper stopper;
	int error; /* the fill engine's failure, or 0 */
} st;

const char *stream_engine_name(enum stream_engine e)
{
	return e == STREAM_RING ? "ring" : e == STREAM_FILL ? "fill" : "none";
}

enum stream_engine dmastream_engine(void)
{
	return st.engine;
}

bool dmastream_running(void)
{
	return st.running;
}

const struct dmabuf *dmastream_buf(void)
{
	return st.engine != STREAM_NONE ? &st.buf : NULL;
}

/* One fill per stamp, on absolute deadlines; after a stall it keeps the rate. */
static void *fill_engine(void *arg)
{
	uint64_t deadline = clock_mono_ns(), period = NSEC_PER_SEC / st.rate;

	(void)arg;
	while (!stopper_requested(&st.stopper)) {
		uint64_t s = atomic_load(&st.seq), now;
		int ret;

		driver_lock();
		ret = st.dev->ops->fill(st.dev, st.buf.addr + s % st.buf.pages * DEVIO_PAGE, 1,
					STREAM_SEED + s);
		driver_unlock();
		if (ret) {
			st.error = ret;
			break;
		}
		atomic_store(&st.seq, s + 1);
		deadline += period;
		now = clock_mono_ns();
		if (now > deadline + NSEC_PER_SEC)
			deadline = now;
		if (!stopper_sleep_until(&st.stopper, deadline))
			break;
	}
	return NULL;
}

int dmastream_start(struct dma_dev *d, uint64_t pages, uint64_t rate)
{
	bool ring = d->ops->ring_start && d->ops->ring_stop && d->ops->ring_decode;
	int ret;

	if (st.running)
		return devio_refuse(EBUSY, "the stream runs: stop it first");
	if (!pages || !rate || rate > 100000)
		return devio_refuse(EINVAL, "bad stream: %llu pages at %llu stamps a second",
				    (unsigned long long)pages, (unsigned long long)rate);
	dmastream_release(d);
	ret = dmabuf_alloc(d->via == DEV_VIA_VFIO, pages, &st.buf);
	if (ret)
		return ret;
	st.rate = rate;
	st.dev = d;
	st.error = 0;
	atomic_store(&st.seq, 0);
	if (ring) {
		driver_lock();
		ret = d->ops->ring_start(d, st.buf.addr, pages, rate);
		driver_unlock();
		st.engine = STREAM_RING;
	} else {
		stopper_init(&st.stopper);
		ret = -pthread_create(&st.thread, NULL, fill_engine, NULL);
		if (ret) {
			stopper_destroy(&st.stopper);
			devio_fail(-ret, "stream thread");
		}
		st.engine = STREAM_FILL;
	}
	if (ret) {
		dmabuf_free(&st.buf);
		st.engine = STREAM_NONE;
		return ret;
	}
	st.running = true;
	return 0;
}

int dmastream_stop(struct dma_dev *d, uint64_t *seq)
{
	int ret = 0;

	if (st.engine == STREAM_NONE)
		return devio_refuse(ENOENT, "no stream: run dma stream start first");
	if (st.engine == STREAM_RING) {
		/* After migration this reads the count the device state carried over. */
		driver_lock();
		ret = d->ops->ring_stop(d, seq);
		driver_unlock();
	} else {
		if (st.running) {
			stopper_request(&st.stopper);
			pthread_join(st.thread, NULL);
			stopper_destroy(&st.stopper);
		}
		*seq = atomic_load(&st.seq);
		if (st.error)
			ret = devio_refuse(-st.error, "the stream's fill failed after %llu stamps",
					   (unsigned long long)*seq);
	}
	st.running = false;
	return ret;
}

static bool page_blank(const uint8_t *p)
{
	static const uint8_t zero[32];

	return !memcmp(p, zero, sizeof(zero));
}

/* The stamp a page carries, looking back from `want`; -1 if none or unknown. */
static int64_t stamp_of(struct dma_dev *d, const uint8_t *page, uint64_t index, int64_t want)
{
	uint64_t seen, k;

	if (st.engine == STREAM_RING)
		return d->ops->ring_decode(page, index, &seen) ? (int64_t)seen : -1;
	for (k = 0; k <= STALE_LOOKBACK && want - (int64_t)(k * st.buf.pages) >= 0; k++) {
		uint64_t s = (uint64_t)want - k * st.buf.pages;

		if (d->ops->fill_check(page, STREAM_SEED + s, 0))
			return (int64_t)s;
	}
	return -1;
}

int dmastream_check(struct dma_dev *d, struct stream_check *out)
{
	uint64_t n, p, k = st.buf.pages;
	int ret = dmastream_stop(d, &n);

	memset(out, 0, sizeof(*out));
	out->seq = n;
	out->pages = k;
	if (ret)
		return ret;
	for (p = 0; p < k; p++) {
		const uint8_t *page = st.buf.va + p * DEVIO_PAGE;
		int64_t want = n > p ? (int64_t)(p + (n - 1 - p) / k * k) : -1;
		int64_t seen = want < 0 ? -1 : stamp_of(d, page, p, want);
		bool ok = want < 0 ? page_blank(page) : seen == want;

		/*
		 * The fill engine counts a stamp once its fill returned: a stop
		 * between the two leaves stamp n written and n not yet counted.
		 */
		if (!ok && st.engine == STREAM_FILL && p == n % k)
			ok = d->ops->fill_check(page, STREAM_SEED + n, 0);
		if (ok)
			continue;
		if (!out->bad) {
			out->first = p;
			out->expected = want;
			out->found = want < 0 ? -1 : seen;
			if (dmabuf_gpa(&st.buf, p, &out->first_gpa))
				out->first_gpa = 0;
		}
		out->bad++;
	}
	return 0;
}

void dmastream_release(struct dma_dev *d)
{
	uint64_t seq;

	if (st.running)
		dmastream_stop(d, &seq);
	if (st.engine != STREAM_NONE)
		dmabuf_free(&st.buf);
	st.engine = STREAM_NONE;
}
