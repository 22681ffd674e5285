// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devcmd.c: the dev, vfio and marker commands (PROTOCOL.md, "Device
 * commands"): the guest's side of the domain switches Linux performs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "devio.h"
#include "dmabuf.h"
#include "driver.h"
#include "pcisys.h"
#include "port.h"
#include "proto.h"
#include "vfioguest.h"
#include "vfiomock-abi.h"

/* Run lists stop here so a reply stays well inside one line. */
#define RUNS_TEXT_MAX 3600
#define PHYS_MAX_PAGES 4096

/* Pages the agent owns for DMA by guest physical address (identity domain). */
static struct {
	uint8_t *mem;
	uint64_t pages;
} phys;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void reply_devio_err(const struct request *rq, int ret)
{
	const char *e = devio_error();

	proto_reply_err(rq, "%s", e[0] ? e : strerror(-ret));
}

static void reply_info(const struct request *rq, const struct pcisys_info *d)
{
	proto_reply_ok(rq, "bdf=%s group=%d driver=%s type=%s vfio=%s bufs=%zu", d->bdf, d->group,
		       d->driver[0] ? d->driver : "none", d->type[0] ? d->type : "none",
		       vfio_stage_name(vfio_stage_now()), vfiobuf_count());
}

/*
 * Appends "gpa+n" runs for `pages` pages starting at va (or buffer pages
 * behind IOVAs when va is NULL).  Returns the pages covered; *err on a
 * pagemap failure.
 */
static uint64_t runs_text(char *out, size_t size, const uint8_t *va, uint64_t iova, uint64_t pages,
			  int *err)
{
	uint64_t start = 0, n = 0, i, gpa;
	size_t len = 0;
	int w;

	*err = 0;
	out[0] = '\0';
	for (i = 0; i < pages; i++) {
		const uint8_t *p =
		    va ? va + i * DEVIO_PAGE : vfiobuf_page(iova + i * DEVIO_PAGE, NULL);

		if (!p) {
			*err = -ENOENT;
			return i;
		}
		*err = va ? pagemap_gpa(p, &gpa) : vfiobuf_gpa(p, &gpa);
		if (*err)
			return i;
		if (n && gpa == start + n * DEVIO_PAGE) {
			n++;
			continue;
		}
		if (n) {
			w = snprintf(out + len, size - len, "%s0x%" PRIx64 "+%" PRIu64,
				     len ? "," : "", start, n);
			len += w;
			if (len > RUNS_TEXT_MAX)
				return i;
		}
		start = gpa;
		n = 1;
	}
	if (n)
		snprintf(out + len, size - len, "%s0x%" PRIx64 "+%" PRIu64, len ? "," : "", start,
			 n);
	return pages;
}

/* ---- dev ---- */

static void dev_find(struct request *rq)
{
	struct pcisys_info d;
	uint64_t vendor, device;
	int ret;

	if (!proto_args_allowed(rq, "vendor", "device", NULL) ||
	    !proto_arg_u64(rq, "vendor", VFM_PCI_VENDOR, &vendor) ||
	    !proto_arg_u64(rq, "device", VFM_PCI_DEVICE, &device))
		return;
	ret = pcisys_find((uint16_t)vendor, (uint16_t)device, &d);
	if (ret)
		reply_devio_err(rq, ret);
	else
		reply_info(rq, &d);
}

static void dev_status(struct request *rq)
{
	struct pcisys_info d;
	int ret;

	if (!proto_args_allowed(rq, NULL))
		return;
	ret = pcisys_info(&d);
	if (ret)
		reply_devio_err(rq, ret);
	else
		reply_info(rq, &d);
}

static void dev_bind(struct request *rq, bool bind)
{
	const char *driver = proto_arg_str(rq, "driver");
	struct pcisys_info d;
	int ret;

	if (!proto_args_allowed(rq, bind ? "driver" : NULL, NULL))
		return;
	if (!bind && vfio_stage_now() != VFIO_NONE) {
		/* The group is held: unbinding would pull the device from under VFIO. */
		proto_reply_err(rq, "VFIO is open (%s): close it first",
				vfio_stage_name(vfio_stage_now()));
		return;
	}
	ret = bind ? pcisys_bind(driver ? driver : "vfio-pci") : pcisys_unbind();
	if (!ret)
		ret = pcisys_info(&d);
	if (ret)
		reply_devio_err(rq, ret);
	else
		reply_info(rq, &d);
}

static void dev_group_type(struct request *rq)
{
	const char *type = proto_arg_str(rq, "type");
	char back[64];
	double t0 = now_ms();
	int ret;

	if (!proto_args_allowed(rq, "type", NULL))
		return;
	if (!type || !*type) {
		proto_reply_err(rq, "missing argument type");
		return;
	}
	ret = pcisys_group_type(type, back, sizeof(back));
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "type=%s ms=%.1f", back, now_ms() - t0);
}

static void enable(struct request *rq, bool via_vfio)
{
	struct dma_dev d = {.via = via_vfio ? DEV_VIA_VFIO : DEV_VIA_SYSFS};
	uint64_t bme;
	uint16_t cmd;
	int ret;

	if (!proto_args_allowed(rq, "bme", NULL) || !proto_arg_u64(rq, "bme", 1, &bme))
		return;
	ret = dev_enable(&d, bme != 0, &cmd);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "command=0x%04x", cmd);
}

/* What a one-shot fill did: the device's counters and what landed in agent buffers. */
struct fill_result {
	uint64_t status, written, faulted;
	uint64_t landed; /* pages of agent buffers that hold the fill */
	uint64_t in_buffers;
	const struct dma_driver_ops *ops; /* the driver that filled */
};

/*
 * The found device's driver, without probing: clear the counters, fill,
 * read the results, then look at every fill page inside a VFIO buffer.
 */
static int fill_once(bool via_vfio, uint64_t iova, uint64_t pages, uint64_t seed,
		     struct fill_result *r)
{
	struct dma_dev d = {.via = via_vfio ? DEV_VIA_VFIO : DEV_VIA_SYSFS};
	struct dma_results res;
	struct pcisys_info info;
	uint64_t i;
	int ret = pcisys_info(&info);

	memset(r, 0, sizeof(*r));
	if (ret)
		return ret;
	d.ops = driver_find(info.vendor, info.device);
	if (!d.ops)
		return devio_refuse(ENODEV, "no driver for %04x:%04x (drivers: %s)", info.vendor,
				    info.device, driver_names());
	if ((ret = d.ops->clear(&d)) || (ret = d.ops->fill(&d, iova, pages, seed)) ||
	    (ret = d.ops->results(&d, &res)))
		return ret;
	r->ops = d.ops;
	r->status = res.status;
	r->written = res.pages_written;
	r->faulted = res.pages_faulted;
	for (i = 0; i < pages; i++) {
		uint8_t *p = vfiobuf_page(iova + i * DEVIO_PAGE, NULL);

		if (!p)
			continue;
		r->in_buffers++;
		r->landed += d.ops->fill_check(p, seed, i);
	}
	return 0;
}

static void reply_fill(const struct request *rq, const struct fill_result *r, const char *path)
{
	proto_reply_ok(rq,
		       "status=%" PRIu64 " written=%" PRIu64 " faulted=%" PRIu64 " landed=%" PRIu64
		       " in_buffers=%" PRIu64 " path=%s",
		       r->status, r->written, r->faulted, r->landed, r->in_buffers, path);
}

static bool fill_args(struct request *rq, uint64_t *iova, uint64_t *pages, uint64_t *seed)
{
	return proto_args_allowed(rq, "iova", "pages", "seed", NULL) &&
	       proto_arg_u64(rq, "iova", -1, iova) && proto_arg_u64(rq, "pages", 1, pages) &&
	       proto_arg_u64(rq, "seed", 1, seed);
}

static void dev_fill(struct request *rq)
{
	uint64_t iova, pages, seed;
	struct fill_result r;
	int ret;

	if (!fill_args(rq, &iova, &pages, &seed))
		return;
	ret = fill_once(false, iova, pages, seed, &r);
	if (ret)
		reply_devio_err(rq, ret);
	else
		reply_fill(rq, &r, "sysfs");
}

static int phys_alloc(uint64_t pages)
{
	if (phys.mem && phys.pages == pages)
		return 0;
	if (phys.mem)
		munmap(phys.mem, phys.pages * DEVIO_PAGE);
	phys.mem = mmap(NULL, pages * DEVIO_PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (phys.mem == MAP_FAILED) {
		phys.mem = NULL;
		return -errno;
	}
	mlock(phys.mem, pages * DEVIO_PAGE);
	phys.pages = pages;
	return 0;
}

/*
 * Identity domain: the device addresses guest physical memory, so the
 * agent's own pages are reachable at their pagemap addresses.  One fill per
 * page (the pages are not contiguous); each must land in its page.
 */
static void dev_fill_phys(struct request *rq)
{
	struct fill_result r, sum = {0};
	uint64_t pages, seed, i, gpa;
	int ret;

	if (!proto_args_allowed(rq, "pages", "seed", NULL) ||
	    !proto_arg_u64(rq, "pages", 1, &pages) || !proto_arg_u64(rq, "seed", 1, &seed))
		return;
	if (!pages || pages > PHYS_MAX_PAGES) {
		proto_reply_err(rq, "bad value for pages: %" PRIu64 " (1-%d)", pages,
				PHYS_MAX_PAGES);
		return;
	}
	ret = phys_alloc(pages);
	if (ret) {
		proto_reply_err(rq, "cannot allocate %" PRIu64 " pages: %s", pages, strerror(-ret));
		return;
	}
	memset(phys.mem, 0, pages * DEVIO_PAGE);
	for (i = 0; i < pages; i++) {
		uint8_t *p = phys.mem + i * DEVIO_PAGE;

		ret = pagemap_gpa(p, &gpa);
		if (!ret)
			ret = fill_once(false, gpa, 1, seed + i, &r);
		if (ret) {
			reply_devio_err(rq, ret);
			return;
		}
		sum.status |= r.status;
		sum.written += r.written;
		sum.faulted += r.faulted;
		sum.in_buffers++;
		sum.landed += r.ops->fill_check(p, seed + i, 0);
	}
	reply_fill(rq, &sum, "sysfs-phys");
}

static void dev_gpa(struct request *rq)
{
	char text[PORT_LINE_MAX];
	uint64_t done;
	int err;

	if (!proto_args_allowed(rq, NULL))
		return;
	if (!phys.mem) {
		proto_reply_err(rq, "no buffer: run dev fill-phys first");
		return;
	}
	done = runs_text(text, sizeof(text), phys.mem, 0, phys.pages, &err);
	if (err)
		proto_reply_err(rq, "page %" PRIu64 ": %s", done, devio_error());
	else
		proto_reply_ok(rq, "pages=%" PRIu64 " done=%" PRIu64 " runs=%s", phys.pages, done,
			       text);
}

void devcmd_dev(struct request *rq)
{
	static const struct {
		const char *name;
		void (*fn)(struct request *rq);
	} sub[] = {
	    {"find", dev_find}, {"status", dev_status},	      {"group-type", dev_group_type},
	    {"fill", dev_fill}, {"fill-phys", dev_fill_phys}, {"gpa", dev_gpa},
	};
	size_t i;

	if (!rq->sub) {
		proto_reply_err(rq, "dev needs find, status, bind, unbind, group-type, enable, "
				    "fill, fill-phys or gpa");
		return;
	}
	if (!strcmp(rq->sub, "bind") || !strcmp(rq->sub, "unbind")) {
		dev_bind(rq, !strcmp(rq->sub, "bind"));
		return;
	}
	if (!strcmp(rq->sub, "enable")) {
		enable(rq, false);
		return;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (!strcmp(rq->sub, sub[i].name)) {
			sub[i].fn(rq);
			return;
		}
	}
	proto_reply_err(rq, "unknown dev subcommand %s", rq->sub);
}

/* ---- vfio ---- */

static void vfio_open_cmd(struct request *rq)
{
	const char *stage = proto_arg_str(rq, "stage");
	enum vfio_stage upto = VFIO_DEVICE;
	double t0 = now_ms();
	int ret;

	if (!proto_args_allowed(rq, "stage", NULL))
		return;
	if (stage && (vfio_stage_parse(stage, &upto) || upto == VFIO_NONE)) {
		proto_reply_err(rq, "bad value for stage: %s (group, container, iommu or device)",
				stage);
		return;
	}
	ret = vfio_open_upto(upto);
	if (ret)
		proto_reply_err(rq, "%s (stage %s)", devio_error(),
				vfio_stage_name(vfio_stage_now()));
	else
		proto_reply_ok(rq, "stage=%s ms=%.1f", vfio_stage_name(vfio_stage_now()),
			       now_ms() - t0);
}

static void vfio_close_cmd(struct request *rq)
{
	uint64_t unmap;
	size_t live = vfiobuf_count();
	double t0 = now_ms();
	int ret;

	if (!proto_args_allowed(rq, "unmap", NULL) || !proto_arg_u64(rq, "unmap", 0, &unmap))
		return;
	ret = vfio_close_all(unmap != 0);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "live=%zu ms=%.1f", unmap ? 0 : live, now_ms() - t0);
}

static void vfio_map_cmd(struct request *rq)
{
	uint64_t iova, pages, write, each, gpa;
	double t0 = now_ms();
	int ret;

	if (!proto_args_allowed(rq, "iova", "pages", "write", "each", "phys", NULL) ||
	    !proto_arg_u64(rq, "iova", -1, &iova) || !proto_arg_u64(rq, "pages", 1, &pages) ||
	    !proto_arg_u64(rq, "write", 1, &write) || !proto_arg_u64(rq, "each", 0, &each) ||
	    !proto_arg_u64(rq, "phys", 0, &gpa))
		return;
	ret = vfiobuf_map(iova, pages, write != 0, each != 0, gpa);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "iova=0x%" PRIx64 " pages=%" PRIu64 " ms=%.1f", iova, pages,
			       now_ms() - t0);
}

static void vfio_unmap_cmd(struct request *rq)
{
	uint64_t iova, pages, each, bytes;
	double t0 = now_ms();
	int ret;

	if (!proto_args_allowed(rq, "iova", "pages", "each", NULL) ||
	    !proto_arg_u64(rq, "iova", -1, &iova) || !proto_arg_u64(rq, "pages", 1, &pages) ||
	    !proto_arg_u64(rq, "each", 0, &each))
		return;
	ret = vfiobuf_unmap(iova, pages, each != 0, &bytes);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "bytes=%" PRIu64 " ms=%.1f", bytes, now_ms() - t0);
}

/* Page-by-page map then unmap: as many invalidations as pages, each way. */
static void vfio_storm_cmd(struct request *rq)
{
	uint64_t iova, pages, write, bytes;
	double t0 = now_ms(), t1;
	int ret;

	if (!proto_args_allowed(rq, "iova", "pages", "write", NULL) ||
	    !proto_arg_u64(rq, "iova", -1, &iova) || !proto_arg_u64(rq, "pages", 256, &pages) ||
	    !proto_arg_u64(rq, "write", 1, &write))
		return;
	ret = vfiobuf_map(iova, pages, write != 0, true, 0);
	t1 = now_ms();
	if (!ret)
		ret = vfiobuf_unmap(iova, pages, true, &bytes);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "pages=%" PRIu64 " bytes=%" PRIu64 " map_ms=%.1f unmap_ms=%.1f",
			       pages, bytes, t1 - t0, now_ms() - t1);
}

static void vfio_gpa_cmd(struct request *rq)
{
	char text[PORT_LINE_MAX];
	uint64_t iova, pages, done;
	int err;

	if (!proto_args_allowed(rq, "iova", "pages", NULL) ||
	    !proto_arg_u64(rq, "iova", -1, &iova) || !proto_arg_u64(rq, "pages", 1, &pages))
		return;
	done = runs_text(text, sizeof(text), NULL, iova, pages, &err);
	if (err == -ENOENT)
		proto_reply_err(rq, "iova 0x%" PRIx64 " is not in a mapped buffer",
				(uint64_t)(iova + done * DEVIO_PAGE));
	else if (err)
		proto_reply_err(rq, "iova 0x%" PRIx64 ": %s", (uint64_t)(iova + done * DEVIO_PAGE),
				devio_error());
	else
		proto_reply_ok(rq, "pages=%" PRIu64 " done=%" PRIu64 " runs=%s", pages, done, text);
}

static void vfio_fill_cmd(struct request *rq)
{
	uint64_t iova, pages, seed;
	struct fill_result r;
	int ret;

	if (!fill_args(rq, &iova, &pages, &seed))
		return;
	ret = fill_once(true, iova, pages, seed, &r);
	if (ret)
		reply_devio_err(rq, ret);
	else
		reply_fill(rq, &r, vfio_bar_path());
}

static void vfio_status_cmd(struct request *rq)
{
	if (proto_args_allowed(rq, NULL))
		proto_reply_ok(rq, "stage=%s bufs=%zu bar=%s", vfio_stage_name(vfio_stage_now()),
			       vfiobuf_count(), vfio_bar_path());
}

void devcmd_vfio(struct request *rq)
{
	static const struct {
		const char *name;
		void (*fn)(struct request *rq);
	} sub[] = {
	    {"open", vfio_open_cmd},   {"close", vfio_close_cmd},   {"map", vfio_map_cmd},
	    {"unmap", vfio_unmap_cmd}, {"storm", vfio_storm_cmd},   {"gpa", vfio_gpa_cmd},
	    {"fill", vfio_fill_cmd},   {"status", vfio_status_cmd},
	};
	size_t i;

	if (!rq->sub) {
		proto_reply_err(rq, "vfio needs open, close, enable, map, unmap, storm, gpa, fill "
				    "or status");
		return;
	}
	if (!strcmp(rq->sub, "enable")) {
		enable(rq, true);
		return;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (!strcmp(rq->sub, sub[i].name)) {
			sub[i].fn(rq);
			return;
		}
	}
	proto_reply_err(rq, "unknown vfio subcommand %s", rq->sub);
}

/* ---- marker ---- */

void devcmd_marker(struct request *rq)
{
	bool via_vfio = vfio_stage_now() == VFIO_DEVICE;
	uint64_t value;
	int ret;

	if (!proto_no_sub(rq) || !proto_args_allowed(rq, "value", NULL) ||
	    !proto_arg_u64(rq, "value", -1, &value))
		return;
	/* The mock's own register: its log records the value. */
	ret = via_vfio ? 0 : pcisys_wake();
	if (!ret)
		ret = via_vfio ? vfio_bar_write(0, VFM_REG_MARKER, 8, value)
			       : pcisys_bar_write(0, VFM_REG_MARKER, 8, value);
	if (ret)
		reply_devio_err(rq, ret);
	else
		proto_reply_ok(rq, "value=0x%" PRIx64 " via=%s", value,
			       via_vfio ? "vfio" : "sysfs");
}
