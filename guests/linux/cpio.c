// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cpio.c: newc archive writer.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"

void cpio_init(struct cpio_writer *w, FILE *f, uint32_t mtime)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->mtime = mtime;
	/* Inode 0 is avoided: some readers treat it as "no inode". */
	w->ino = 1;
}

static int put(struct cpio_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return -EIO;
	w->off += n;
	return 0;
}

/* newc aligns every header and every file body to 4 bytes. */
static int pad(struct cpio_writer *w, unsigned int align)
{
	static const char zero[512];
	size_t n = (size_t)((align - w->off % align) % align);

	return put(w, zero, n);
}

int cpio_add(struct cpio_writer *w, const char *name, uint32_t mode, uint32_t rmajor,
	     uint32_t rminor, const void *data, size_t size)
{
	char hdr[CPIO_HEADER_LEN + 1];
	size_t namesize = strlen(name) + 1;
	int ret;

	if (size > UINT32_MAX || namesize > 4096)
		return -EFBIG;
	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 CPIO_NEWC_MAGIC, w->ino++, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, w->mtime,
		 (uint32_t)size, 0u, 0u, rmajor, rminor, (uint32_t)namesize, 0u);
	ret = put(w, hdr, CPIO_HEADER_LEN);
	if (!ret)
		ret = put(w, name, namesize);
	if (!ret)
		ret = pad(w, 4);
	if (!ret)
		ret = put(w, data, size);
	if (!ret)
		ret = pad(w, 4);
	return ret;
}

int cpio_finish(struct cpio_writer *w)
{
	int ret;

	w->ino = 0;
	ret = cpio_add(w, CPIO_TRAILER, 0, 0, 0, NULL, 0);
	if (!ret)
		ret = pad(w, 512);
	if (!ret && fflush(w->f))
		ret = -EIO;
	return ret;
}
