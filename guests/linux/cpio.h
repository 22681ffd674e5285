/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cpio.h: a writer for the "newc" cpio format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst).
 */
#ifndef MIGCHECK_CPIO_H
#define MIGCHECK_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CPIO_NEWC_MAGIC "070701"
#define CPIO_HEADER_LEN 110
#define CPIO_TRAILER "TRAILER!!!"

struct cpio_writer {
	FILE *f;
	uint32_t ino;
	uint32_t mtime;
	uint64_t off;
};

void cpio_init(struct cpio_writer *w, FILE *f, uint32_t mtime);
/*
 * Appends one entry.  @name has no leading '/'; @mode carries the file type
 * bits; @rmajor/@rminor matter for device nodes only.  Returns 0 or -errno.
 */
int cpio_add(struct cpio_writer *w, const char *name, uint32_t mode, uint32_t rmajor,
	     uint32_t rminor, const void *data, size_t size);
/* Writes the trailer and pads the archive to a 512-byte multiple. */
int cpio_finish(struct cpio_writer *w);

#endif /* MIGCHECK_CPIO_H */
