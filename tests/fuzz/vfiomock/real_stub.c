// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * For the fuzz targets the model is linked in, not preloaded: the libc
 * functions it calls as "real" are simply libc's.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real.h"

struct real_libc real;

void real_resolve(void)
{
	real.open = open;
	real.openat = openat;
	real.ioctl = (int (*)(int, unsigned long, ...))ioctl;
	real.close = close;
	real.read = read;
	real.write = write;
	real.pread = pread;
	real.pwrite = pwrite;
	real.mmap = mmap;
	real.munmap = munmap;
	real.mremap = mremap;
	real.fstat = fstat;
	real.dup = dup;
	real.dup2 = dup2;
	real.dup3 = dup3;
	real.fcntl = fcntl;
	real.close_range = close_range;
}
