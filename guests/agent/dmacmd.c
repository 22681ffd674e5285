// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dmacmd.c: the dma command (PROTOCOL.md, "Device DMA through drivers"):
 * guest-side DMA by the found device's driver, on buffers the agent owns
 * and checks, before and after migration.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devio.h"
#include "dmabuf.h"
#include "dmastream.h"
#include "driver.h"
#include "proto.h"
#include "vfioguest.h"

#define MEMCPY_WAIT_MS 10000
#define CORRUPT_AT 2048

static struct {
	struct dma_dev dev; /* dev.ops set: attached */
	struct dmabuf fill;
	uint64_t seed; /* of the last fill */
} dm;

static void reply_err(const struct request *rq, int ret)
{
	const char *e = devio_error();

	proto_reply_err(rq, "%s", e[0] ? e : strerror(-ret));
}

static bool need_open(const struct request *rq)
{
	if (dm.dev.ops)
		return true;
	proto_reply_err(rq, "no DMA device: run dma open first");
	return false;
}

static void dma_open(struct request *rq)
{
	const char *via_text = proto_arg_str(rq, "via");
	enum dev_via via = vfio_stage_now() == VFIO_DEVICE ? DEV_VIA_VFIO : DEV_VIA_SYSFS;
	char ops[64];
	int ret;

	if (!proto_args_allowed(rq, "via", NULL))
		return;
	if (via_text && dev_via_parse(via_text, &via)) {
		proto_reply_err(rq, "bad value for via: %s (sysfs or vfio)", via_text);
		return;
	}
	if (dm.dev.ops) {
		proto_reply_err(rq, "dma is open (%s via %s): close it first", dm.dev.ops->name,
				dev_via_name(dm.dev.via));
		return;
	}
	ret = dma_dev_attach(&dm.dev, via);
	if (ret) {
		reply_err(rq, ret);
		return;
	}
	driver_ops_text(dm.dev.ops, ops, sizeof(ops));
	proto_reply_ok(rq, "driver=%s via=%s bdf=%s ops=%s", dm.dev.ops->name,
		       dev_via_name(dm.dev.via), dm.dev.bdf, ops);
}

static void dma_close(struct request *rq)
{
	if (!proto_args_allowed(rq, NULL) || !need_open(rq))
		return;
	dmastream_release(&dm.dev);
	dmabuf_free(&dm.fill);
	dma_dev_detach(&dm.dev);
	dm.seed = 0;
	proto_reply_ok(rq, "closed=1");
}

/* Pages of the fill buffer that hold page i of the last fill. */
static uint64_t count_landed(uint64_t *first_bad)
{
	uint64_t i, ok = 0;

	*first_bad = UINT64_MAX;
	for (i = 0; i < dm.fill.pages; i++) {
		if (dm.dev.ops->fill_check(dm.fill.va + i * DEVIO_PAGE, dm.seed, i))
			ok++;
		else if (*first_bad == UINT64_MAX)
			*first_bad = i;
	}
	return ok;
}

/*
 * A fill over the same buffer is DMA only: the CPU zeroes a buffer once,
 * when it is allocated, so no CPU write can make the page look dirty.
 */
static void dma_fill(struct request *rq)
{
	struct dma_results r;
	uint64_t pages, seed, bad, landed, gpa = 0;
	int ret;

	if (!proto_args_allowed(rq, "pages", "seed", NULL) ||
	    !proto_arg_u64(rq, "pages", 16, &pages) || !proto_arg_u64(rq, "seed", 1, &seed) ||
	    !need_open(rq))
		return;
	if (!pages || pages > DMABUF_IDENTITY_MAX_PAGES) {
		proto_reply_err(rq, "bad value for pages: %" PRIu64 " (1-%d)", pages,
				DMABUF_IDENTITY_MAX_PAGES);
		return;
	}
	if (dm.fill.pages != pages) {
		dmabuf_free(&dm.fill);
		ret = dmabuf_alloc(dm.dev.via == DEV_VIA_VFIO, pages, &dm.fill);
		if (ret) {
			reply_err(rq, ret);
			return;
		}
	}
	driver_lock();
	ret = dm.dev.ops->clear(&dm.dev);
	if (!ret)
		ret = dm.dev.ops->fill(&dm.dev, dm.fill.addr, pages, seed);
	if (!ret)
		ret = dm.dev.ops->results(&dm.dev, &r);
	driver_unlock();
	if (ret) {
		reply_err(rq, ret);
		return;
	}
	dm.seed = seed;
	landed = count_landed(&bad);
	dmabuf_gpa(&dm.fill, 0, &gpa);
	proto_reply_ok(rq,
		       "pages=%" PRIu64 " seed=%" PRIu64 " status=%" PRIu64 " written=%" PRIu64
		       " faulted=%" PRIu64 " landed=%" PRIu64 " addr=0x%" PRIx64 " gpa=0x%" PRIx64,
		       pages, seed, r.status, r.pages_written, r.pages_faulted, landed,
		       dm.fill.addr, gpa);
}

static bool need_fill(const struct request *rq)
{
	if (dm.fill.va && dm.seed)
		return true;
	proto_reply_err(rq, "nothing filled: run dma fill first");
	return false;
}

static void dma_verify(struct request *rq)
{
	uint64_t bad, landed, gpa = 0;

	if (!proto_args_allowed(rq, NULL) || !need_open(rq) || !need_fill(rq))
		return;
	landed = count_landed(&bad);
	if (landed == dm.fill.pages) {
		proto_reply_ok(rq, "checked=%" PRIu64 " seed=%" PRIu64, dm.fill.pages, dm.seed);
		return;
	}
	dmabuf_gpa(&dm.fill, bad, &gpa);
	proto_reply_err(rq,
			"checked=%" PRIu64 " bad=%" PRIu64 " first=%" PRIu64 " first_gpa=0x%" PRIx64
			" seed=%" PRIu64,
			dm.fill.pages, dm.fill.pages - landed, bad, gpa, dm.seed);
}

/* The fill or the stream buffer named by what=, or NULL after replying. */
static const struct dmabuf *named_buf(const struct request *rq)
{
	const char *what = proto_arg_str(rq, "what");
	const struct dmabuf *b;

	if (!what)
		what = "fill";
	if (strcmp(what, "fill") && strcmp(what, "stream")) {
		proto_reply_err(rq, "bad value for what: %s (fill or stream)", what);
		return NULL;
	}
	b = !strcmp(what, "fill") ? (dm.fill.va ? &dm.fill : NULL) : dmastream_buf();
	if (!b)
		proto_reply_err(rq, "no %s buffer", what);
	return b;
}

/* Test only: damages one page of a buffer, so each check has a negative control. */
static void dma_corrupt(struct request *rq)
{
	const struct dmabuf *b;
	uint64_t index;

	if (!proto_args_allowed(rq, "what", "index", NULL) ||
	    !proto_arg_u64(rq, "index", -1, &index) || !need_open(rq) || !(b = named_buf(rq)))
		return;
	if (index >= b->pages) {
		proto_reply_err(rq, "index %" PRIu64 " out of range (%" PRIu64 " pages)", index,
				b->pages);
		return;
	}
	/* A stamp word and the body: the driver's check must see it. */
	b->va[index * DEVIO_PAGE + 8] ^= 0x5a;
	b->va[index * DEVIO_PAGE + CORRUPT_AT] ^= 0x5a;
	proto_reply_ok(rq, "index=%" PRIu64, index);
}

static void dma_gpa(struct request *rq)
{
	const struct dmabuf *b;
	uint64_t index, gpa;
	int ret;

	if (!proto_args_allowed(rq, "what", "index", NULL) ||
	    !proto_arg_u64(rq, "index", 0, &index) || !need_open(rq) || !(b = named_buf(rq)))
		return;
	ret = dmabuf_gpa(b, index, &gpa);
	if (ret)
		reply_err(rq, ret);
	else
		proto_reply_ok(rq, "gpa=0x%" PRIx64 " addr=0x%" PRIx64, gpa,
			       (uint64_t)(b->addr + index * DEVIO_PAGE));
}
static void stream_start(struct request *rq)
{
	const struct dmabuf *b;
	uint64_t pages, rate, gpa = 0;
	int ret;

	if (!proto_args_allowed(rq, "pages", "rate", NULL) ||
	    !proto_arg_u64(rq, "pages", 64, &pages) || !proto_arg_u64(rq, "rate", 500, &rate) ||
	    !need_open(rq))
		return;
	if (pages > DMABUF_IDENTITY_MAX_PAGES) {
		proto_reply_err(rq, "bad value for pages: %" PRIu64 " (1-%d)", pages,
				DMABUF_IDENTITY_MAX_PAGES);
		return;
	}
	ret = dmastream_start(&dm.dev, pages, rate);
	if (ret) {
		reply_err(rq, ret);
		return;
	}
	b = dmastream_buf();
	dmabuf_gpa(b, 0, &gpa);
	proto_reply_ok(
	    rq, "engine=%s pages=%" PRIu64 " rate=%" PRIu64 " addr=0x%" PRIx64 " gpa=0x%" PRIx64,
	    stream_engine_name(dmastream_engine()), pages, rate, b->addr, gpa);
}

static void stream_stop(struct request *rq)
{
	uint64_t seq;
	int ret;

	if (!proto_args_allowed(rq, NULL) || !need_open(rq))
		return;
	ret = dmastream_stop(&dm.dev, &seq);
	if (ret)
		reply_err(rq, ret);
	else
		proto_reply_ok(rq, "seq=%" PRIu64 " engine=%s", seq,
			       stream_engine_name(dmastream_engine()));
}

static void stream_check(struct request *rq)
{
	struct stream_check c;
	int ret;

	if (!proto_args_allowed(rq, NULL) || !need_open(rq))
		return;
	ret = dmastream_check(&dm.dev, &c);
	if (ret)
		reply_err(rq, ret);
	else if (!c.bad)
		proto_reply_ok(rq,
			       "seq=%" PRIu64 " pages=%" PRIu64 " checked=%" PRIu64 " engine=%s",
			       c.seq, c.pages, c.pages, stream_engine_name(dmastream_engine()));
	else
		proto_reply_err(rq,
				"seq=%" PRIu64 " pages=%" PRIu64 " bad=%" PRIu64 " first=%" PRIu64
				" expected=%" PRId64 " found=%" PRId64 " first_gpa=0x%" PRIx64
				" engine=%s",
				c.seq, c.pages, c.bad, c.first, c.expected, c.found, c.first_gpa,
				stream_engine_name(dmastream_engine()));
}

/* A pattern the CPU writes into the copy's source: page i, word w. */
static uint64_t copy_word(uint64_t seed, uint64_t i, uint64_t w)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull ^ i << 24 ^ w;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ x >> 29;
}

static void dma_memcpy(struct request *rq)
{
	struct dmabuf src, dst;
	uint64_t pages, seed, i, w, equal = 0, first_bad = UINT64_MAX;
	int ret;

	if (!proto_args_allowed(rq, "pages", "seed", NULL) ||
	    !proto_arg_u64(rq, "pages", 4, &pages) || !proto_arg_u64(rq, "seed", 1, &seed) ||
	    !need_open(rq))
		return;
	if (!dm.dev.ops->memcpy_start || !dm.dev.ops->memcpy_wait) {
		proto_reply_err(rq, "driver %s has no memcpy", dm.dev.ops->name);
		return;
	}
	if (!pages || pages > DMABUF_IDENTITY_MAX_PAGES) {
		proto_reply_err(rq, "bad value for pages: %" PRIu64 " (1-%d)", pages,
				DMABUF_IDENTITY_MAX_PAGES);
		return;
	}
	ret = dmabuf_alloc(dm.dev.via == DEV_VIA_VFIO, pages, &src);
	if (!ret) {
		ret = dmabuf_alloc(dm.dev.via == DEV_VIA_VFIO, pages, &dst);
		if (ret)
			dmabuf_free(&src);
	}
	if (ret) {
		reply_err(rq, ret);
		return;
	}
	for (i = 0; i < pages; i++)
		for (w = 0; w < DEVIO_PAGE / 8; w++)
			((uint64_t *)(src.va + i * DEVIO_PAGE))[w] = copy_word(seed, i, w);
	driver_lock();
	ret = dm.dev.ops->memcpy_start(&dm.dev, src.addr, dst.addr, pages);
	if (!ret)
		ret = dm.dev.ops->memcpy_wait(&dm.dev, MEMCPY_WAIT_MS);
	driver_unlock();
	for (i = 0; !ret && i < pages; i++) {
		if (!memcmp(src.va + i * DEVIO_PAGE, dst.va + i * DEVIO_PAGE, DEVIO_PAGE))
			equal++;
		else if (first_bad == UINT64_MAX)
			first_bad = i;
	}
	dmabuf_free(&dst);
	dmabuf_free(&src);
	if (ret)
		reply_err(rq, ret);
	else if (equal == pages)
		proto_reply_ok(rq, "pages=%" PRIu64 " copied=%" PRIu64, pages, equal);
	else
		proto_reply_err(rq, "pages=%" PRIu64 " copied=%" PRIu64 " first_bad=%" PRIu64,
				pages, equal, first_bad);
}

static void dma_results(struct request *rq)
{
	struct dma_results r;
	int ret;

	if (!proto_args_allowed(rq, NULL) || !need_open(rq))
		return;
	driver_lock();
	ret = dm.dev.ops->results(&dm.dev, &r);
	driver_unlock();
	if (ret)
		reply_err(rq, ret);
	else
		proto_reply_ok(rq, "written=%" PRIu64 " faulted=%" PRIu64 " status=%" PRIu64,
			       r.pages_written, r.pages_faulted, r.status);
}

static void dma_status(struct request *rq)
{
	if (!proto_args_allowed(rq, NULL))
		return;
	proto_reply_ok(rq, "driver=%s via=%s fill_pages=%" PRIu64 " stream=%s running=%d",
		       dm.dev.ops ? dm.dev.ops->name : "none",
		       dm.dev.ops ? dev_via_name(dm.dev.via) : "none", dm.fill.pages,
		       stream_engine_name(dmastream_engine()), dmastream_running());
}

void dmacmd_dma(struct request *rq)
{
	static const struct {
		const char *name;
		void (*fn)(struct request *rq);
	} sub[] = {
	    {"open", dma_open},		  {"close", dma_close},
	    {"fill", dma_fill},		  {"verify", dma_verify},
	    {"corrupt", dma_corrupt},	  {"gpa", dma_gpa},
	    {"memcpy", dma_memcpy},	  {"results", dma_results},
	    {"status", dma_status},	  {"stream-start", stream_start},
	    {"stream-stop", stream_stop}, {"stream-check", stream_check},
	};
	size_t i;

	if (!rq->sub) {
		proto_reply_err(rq,
				"dma needs open, close, fill, verify, stream-start, stream-stop, "
				"stream-check, memcpy, results, gpa or status");
		return;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (!strcmp(rq->sub, sub[i].name)) {
			sub[i].fn(rq);
			return;
		}
	}
	proto_reply_err(rq, "unknown dma subcommand %s", rq->sub);
}
