// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzzes the mock's ioctl argument decoding through the entry the interposed
 * ioctl() calls (mock_ioctl), on the fd kinds QEMU uses: containers, groups,
 * devices, iommufd and the fds requests hand out (device, data, access).
 * An input is a sequence of calls:
 *   u8 fd, u8 request, u16 pointer-slot mask, u16 length, length bytes
 * The bytes are the argument (argsz/size, flags, counts as they come); each
 * set bit i of the mask turns the argument's 8-byte slot i into a pointer into
 * a scratch area (whose bytes the input also supplies), so embedded pointers
 * are sometimes valid, sometimes wild.  A 32-bit word 0xfdfdfdNN names the
 * NNth fd the run holds (a container for a group, an iommufd to bind, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dispatch.h"
#include "fdtab.h"
#include "fuzz.h"
#include "selftest_abi.h"
#include "uapi.h"

static const unsigned long reqs[] = {VFIO_GET_API_VERSION,
				     VFIO_CHECK_EXTENSION,
				     VFIO_SET_IOMMU,
				     VFIO_IOMMU_GET_INFO,
				     VFIO_IOMMU_MAP_DMA,
				     VFIO_IOMMU_UNMAP_DMA,
				     VFIO_IOMMU_DIRTY_PAGES,
				     VFIO_GROUP_GET_STATUS,
				     VFIO_GROUP_SET_CONTAINER,
				     VFIO_GROUP_UNSET_CONTAINER,
				     VFIO_GROUP_GET_DEVICE_FD,
				     VFIO_DEVICE_GET_INFO,
				     VFIO_DEVICE_GET_REGION_INFO,
				     VFIO_DEVICE_GET_IRQ_INFO,
				     VFIO_DEVICE_SET_IRQS,
				     VFIO_DEVICE_RESET,
				     VFIO_DEVICE_FEATURE,
				     VFIO_DEVICE_BIND_IOMMUFD,
				     VFIO_DEVICE_ATTACH_IOMMUFD_PT,
				     VFIO_DEVICE_DETACH_IOMMUFD_PT,
				     VFIO_MIG_GET_PRECOPY_INFO,
				     IOMMU_DESTROY,
				     IOMMU_IOAS_ALLOC,
				     IOMMU_IOAS_ALLOW_IOVAS,
				     IOMMU_IOAS_COPY,
				     IOMMU_IOAS_IOVA_RANGES,
				     IOMMU_IOAS_MAP,
				     IOMMU_IOAS_UNMAP,
				     IOMMU_OPTION,
				     IOMMU_VFIO_IOAS,
				     IOMMU_HWPT_ALLOC,
				     IOMMU_GET_HW_INFO,
				     IOMMU_HWPT_SET_DIRTY_TRACKING,
				     IOMMU_HWPT_GET_DIRTY_BITMAP,
				     IOMMU_HWPT_INVALIDATE,
				     IOMMU_IOAS_MAP_FILE,
				     IOMMU_IOAS_CHANGE_PROCESS,
				     MOCK_IOMMU_TEST_CMD,
				     MOCK_IOMMU_VIOMMU_ALLOC,
				     MOCK_IOMMU_VDEVICE_ALLOC,
				     IOMMU_FAULT_QUEUE_ALLOC,
				     _IO(VFIO_TYPE, VFIO_BASE + 40),
				     _IO(IOMMUFD_TYPE, 0x9f)};

#define NREQ (sizeof(reqs) / sizeof(reqs[0]))
#define MAXFD 32
#define SCRATCH (1 << 20)

static uint8_t *scratch;
static int fds[MAXFD], nfds;
static int extra[MAXFD], nextra; /* plain fds requests created (dma-bufs) */

static void add_fd(int fd)
{
	int i;

	for (i = 0; i < nfds; i++)
		if (fds[i] == fd)
			return;
	if (nfds < MAXFD)
		fds[nfds++] = fd;
}

static int mock_path(const char *path)
{
	int fd;

	return mock_open(path, O_RDWR, &fd) && fd >= 0 ? fd : -1;
}

static bool value_arg(unsigned long req)
{
	return req == VFIO_GET_API_VERSION || req == VFIO_CHECK_EXTENSION ||
	       req == VFIO_SET_IOMMU || req == VFIO_GROUP_UNSET_CONTAINER ||
	       req == VFIO_DEVICE_RESET;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint64_t arg[4096 / 8];
	static const char *const paths[] = {"/dev/vfio/vfio", "/dev/vfio/42",
					    "/dev/iommu",     "/dev/vfio/devices/vfio0",
					    "/dev/vfio/43",   "/dev/vfio/devices/vfio1"};
	size_t i, off = 0;
	int k;

	if (!ready) {
		fuzz_model_setup();
		scratch =
		    mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (scratch == MAP_FAILED)
			abort();
		ready = 1;
	}
	nfds = nextra = 0;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd = mock_path(paths[i]);

		if (fd >= 0)
			add_fd(fd);
	}
	memset(scratch, 0, 65536);
	while (nfds && size - off >= 6) {
		unsigned long req = reqs[data[off + 1] % NREQ];
		int fd = fds[data[off] % nfds];
		uint16_t mask = (uint16_t)(data[off + 2] | data[off + 3] << 8);
		size_t len = (size_t)(data[off + 4] | data[off + 5] << 8), n;
		long r;

		off += 6;
		n = len < size - off ? len : size - off;
		memset(arg, 0, sizeof(arg));
		memcpy(arg, data + off, n < sizeof(arg) ? n : sizeof(arg));
		/* The same bytes, further on, are what pointers find in the scratch area. */
		memcpy(scratch, data + off, n < 65536 ? n : 65536);
		off += n;
		for (k = 0; k < 16; k++)
			if (mask & (1u << k))
				arg[k] = (uint64_t)(uintptr_t)(scratch + arg[k] % (SCRATCH - 4096));
		for (k = 0; k < 64; k++) {
			uint32_t *w = (uint32_t *)arg + k;

			if (*w >> 8 == 0xfdfdfd)
				*w = (uint32_t)fds[(*w & 0xff) % nfds];
		}
		if (value_arg(req))
			r = mock_ioctl(fd, req, (void *)(uintptr_t)arg[0]);
		else
			r = mock_ioctl(fd, req, mask & 0x8000 ? (void *)(uintptr_t)arg[1] : arg);
		/* Requests that hand out fds: keep using them, close them after. */
		if (r > 2 && r < 65536) {
			if (fd_file((int)r))
				add_fd((int)r);
			else if (fcntl((int)r, F_GETFD) >= 0 && nextra < MAXFD &&
				 req == MOCK_IOMMU_TEST_CMD)
				extra[nextra++] = (int)r;
		}
	}
	/* Last references first released in reverse: data and device fds before their owners. */
	for (k = nfds - 1; k >= 0; k--) {
		mock_close(fds[k]);
		close(fds[k]);
	}
	for (k = 0; k < nextra; k++)
		close(extra[k]);
	/* Fds handed out inside argument structs (data fds, dma-bufs) as QEMU would close them. */
	for (k = 1023; k > 2; k--)
		if (fd_file(k)) {
			mock_close(k);
			close(k);
		}
	fuzz_model_reset();
	return 0;
}
