// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dirty.c: CPU dirtying with iteration tags.
 *
 * Only the command thread starts, stops and inspects the workload; the
 * writer thread shares nothing with it but the buffer, the stop request and
 * one counter.  The counter (page writes since tagging) alone determines
 * which pass every page must carry, so progress is published with a single
 * atomic store and can never be read torn.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "dirty.h"

static struct {
	char *buf;
	size_t size;
	size_t page_size;
	uint64_t npages;
	uint64_t rate;
	bool locked;
	bool running;
	pthread_t thread;
	struct stopper stopper;
	_Atomic uint64_t writes;
} dw;

static void *writer(void *arg)
{
	uint64_t w = atomic_load(&dw.writes);
	uint64_t batch, period = 0, deadline;

	/*
	 * About 200 wake-ups a second when throttled, at most 1024 pages
	 * between looks at the stop request; unthrottled, poll stop often.
	 */
	if (dw.rate) {
		batch = dw.rate / 200 ? dw.rate / 200 : 1;
		if (batch > 1024)
			batch = 1024;
		period = batch * NSEC_PER_SEC / dw.rate;
	} else {
		batch = 64;
	}
	deadline = clock_mono_ns();
	while (!stopper_requested(&dw.stopper)) {
		uint64_t k;

		for (k = 0; k < batch; k++) {
			uint64_t i = w % dw.npages;

			tag_write(dw.buf + i * dw.page_size, dw.page_size, i, w / dw.npages + 1);
			atomic_store_explicit(&dw.writes, ++w, memory_order_release);
		}
		if (!period)
			continue;
		deadline += period;
		/* After a long stall (e.g. a paused VM) resume the rate, do not burst. */
		if (clock_mono_ns() > deadline + NSEC_PER_SEC)
			deadline = clock_mono_ns();
		if (!stopper_sleep_until(&dw.stopper, deadline))
			break;
	}
	return NULL;
}

static void release_buffer(void)
{
	if (dw.buf)
		munmap(dw.buf, dw.size);
	dw.buf = NULL;
	dw.size = 0;
	dw.npages = 0;
}

/* MemAvailable in MiB, or UINT64_MAX when unknown. */
static uint64_t available_mib(void)
{
	char line[128];
	uint64_t kib = UINT64_MAX;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kib) == 1)
			break;
	fclose(f);
	return kib == UINT64_MAX ? kib : kib >> 10;
}

int dirty_start(uint64_t mib, uint64_t rate)
{
	uint64_t i;
	int ret;

	if (dw.running)
		return -EBUSY;
	if (!mib || mib > (1ULL << 20))
		return -EINVAL;
	release_buffer();
	/*
	 * Populating and locking more than the guest has would not fail: the
	 * OOM killer would run, and with the agent as init the kernel panics.
	 */
	if (mib + DIRTY_RESERVE_MIB > available_mib())
		return -ENOSPC;
	dw.page_size = (size_t)sysconf(_SC_PAGESIZE);
	dw.size = (size_t)(mib << 20);
	dw.buf = mmap(NULL, dw.size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dw.buf == MAP_FAILED) {
		dw.buf = NULL;
		return -ENOMEM;
	}
	/* Pinned so that the physical addresses reported by gpa stay valid. */
	dw.locked = mlock(dw.buf, dw.size) == 0;
	dw.npages = dw.size / dw.page_size;
	for (i = 0; i < dw.npages; i++)
		tag_write(dw.buf + i * dw.page_size, dw.page_size, i, 0);
	atomic_store(&dw.writes, 0);
	dw.rate = rate;
	stopper_init(&dw.stopper);
	ret = pthread_create(&dw.thread, NULL, writer, NULL);
	if (ret) {
		stopper_destroy(&dw.stopper);
		return -ret;
	}
	dw.running = true;
	return 0;
}

void dirty_stop(void)
{
	if (!dw.running)
		return;
	stopper_request(&dw.stopper);
	pthread_join(dw.thread, NULL);
	stopper_destroy(&dw.stopper);
	dw.running = false;
}

bool dirty_has_buffer(void)
{
	return dw.buf != NULL;
}

void dirty_status(struct dirty_status *st)
{
	memset(st, 0, sizeof(*st));
	st->running = dw.running;
	st->pages = dw.npages;
	st->locked = dw.locked;
	st->writes = atomic_load_explicit(&dw.writes, memory_order_acquire);
	tag_progress(st->writes, dw.npages, &st->pass, &st->cursor);
}

int dirty_gpa(uint64_t index, uint64_t *gpa)
{
	uintptr_t va;
	uint64_t ent;
	ssize_t n;
	int fd;

	if (!dw.buf)
		return -ENOENT;
	if (index >= dw.npages)
		return -ERANGE;
	va = (uintptr_t)(dw.buf + index * dw.page_size);
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, &ent, sizeof(ent), (off_t)(va / dw.page_size * sizeof(ent)));
	close(fd);
	if (n != sizeof(ent))
		return n < 0 ? -errno : -EIO;
	if (!(ent >> 63))
		return -EFAULT;
	/* Without CAP_SYS_ADMIN the kernel reports PFN 0. */
	ent &= (1ULL << 55) - 1;
	if (!ent)
		return -EPERM;
	*gpa = ent * dw.page_size;
	return 0;
}

int dirty_verify(struct tag_verify *v)
{
	if (!dw.buf)
		return -ENOENT;
	dirty_stop();
	tag_verify_buffer(dw.buf, dw.page_size, dw.npages, atomic_load(&dw.writes), v);
	return 0;
}

int dirty_corrupt(uint64_t index, enum dirty_corrupt_mode mode)
{
	char *page;
	uint64_t want;

	if (!dw.buf)
		return -ENOENT;
	if (index >= dw.npages)
		return -ERANGE;
	page = dw.buf + index * dw.page_size;
	switch (mode) {
	case DIRTY_CORRUPT_BYTE:
		page[dw.page_size / 2] ^= 0x5a;
		break;
	case DIRTY_CORRUPT_STALE:
		want = tag_expected_pass(atomic_load(&dw.writes), dw.npages, index);
		tag_write(page, dw.page_size, index, want ? want - 1 : want + 1);
		break;
	}
	return 0;
}
