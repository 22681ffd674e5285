// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * testdev_model.c: the hardware of testdev (testdev.h), for the test build
 * of the agent.  A thread watches the doorbell in the BAR (the fake sysfs
 * resource0 the driver maps too) and runs each operation on the memory the
 * device addresses reach, as an IOMMU would let it: only what a live agent
 * DMA buffer holds (dmabuf_resolve()); anything else faults.  Without
 * translation, device addresses are the agent's virtual ones here, so the
 * identity allocator is replaced by plain memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "devio.h"
#include "dmabuf.h"
#include "testdev.h"

static volatile uint32_t *bar;

static uint32_t reg(unsigned off)
{
	return __atomic_load_n(&bar[off / 4], __ATOMIC_ACQUIRE);
}

static void set(unsigned off, uint32_t val)
{
	__atomic_store_n(&bar[off / 4], val, __ATOMIC_RELEASE);
}

static uint64_t reg64(unsigned lo)
{
	return reg(lo) | (uint64_t)reg(lo + 4) << 32;
}

static void fill_page(uint64_t *w, uint64_t seed, uint64_t index)
{
	uint64_t i;

	for (i = 3; i < DEVIO_PAGE / 8; i++)
		w[i] = seed * 0x9e3779b97f4a7c15ull ^ index << 20 ^ i;
	w[0] = TD_FILL_MAGIC;
	w[1] = seed;
	w[2] = index;
}

/* Runs one operation; page by page, so a fault stops at the page it hits. */
static void run(uint32_t op)
{
	uint64_t pages = reg(TD_PAGES), src = reg64(TD_SRC_LO), dst = reg64(TD_DST_LO);
	uint64_t seed = reg64(TD_SEED_LO), i;
	uint32_t faulted = 0, written = 0;

	for (i = 0; i < pages; i++) {
		void *to = dmabuf_resolve(dst + i * DEVIO_PAGE, DEVIO_PAGE);
		void *from =
		    op == TD_OP_COPY ? dmabuf_resolve(src + i * DEVIO_PAGE, DEVIO_PAGE) : NULL;

		if (!to || (op == TD_OP_COPY && !from) || (op != TD_OP_COPY && op != TD_OP_FILL)) {
			faulted++;
			continue;
		}
		if (op == TD_OP_FILL)
			fill_page(to, seed, i);
		else
			memcpy(to, from, DEVIO_PAGE);
		written++;
	}
	set(TD_WRITTEN, reg(TD_WRITTEN) + written);
	set(TD_FAULTED, reg(TD_FAULTED) + faulted);
	set(TD_STATUS, TD_ST_DONE | (faulted ? TD_ST_ERROR : 0));
}

static void *engine(void *arg)
{
	struct timespec nap = {0, 50000};
	uint32_t op;

	(void)arg;
	for (;;) {
		if (reg(TD_CTRL) & TD_CTRL_RESET) {
			set(TD_WRITTEN, 0);
			set(TD_FAULTED, 0);
			set(TD_CTRL, 0);
		}
		op = reg(TD_DOORBELL);
		if (op) {
			set(TD_STATUS, TD_ST_BUSY);
			set(TD_DOORBELL, 0);
			run(op);
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

__attribute__((constructor)) static void testdev_model_start(void)
{
	const char *path = getenv(TESTDEV_BAR_ENV);
	pthread_t t;
	void *p;
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	p = mmap(NULL, DEVIO_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	bar = p;
	set(TD_ID, TESTDEV_ID);
	set(TD_STATUS, 0);
	if (pthread_create(&t, NULL, engine, NULL) == 0)
		pthread_detach(t);
}

/* Without translation the model reaches the agent's memory by virtual address. */
int dmabuf_identity_alloc(uint64_t pages, uint8_t **va, size_t *len, uint64_t *addr)
{
	void *p = mmap(NULL, pages * DEVIO_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return devio_fail(errno, "mmap %llu pages", (unsigned long long)pages);
	*va = p;
	*len = pages * DEVIO_PAGE;
	*addr = (uintptr_t)p;
	return 0;
}
