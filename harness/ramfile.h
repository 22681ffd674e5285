/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ramfile.h: the file that holds a directly launched guest's RAM.
 *
 * A tmpfs file with no name, which QEMU maps shared (memory-backend-file on
 * /proc/self/fd/N) and the harness maps too, so the oracles read guest RAM
 * without asking QEMU.  Where the kernel allows it, each file lives on its
 * own tmpfs instance mounted with huge=always and never attached to any
 * mount table: QEMU and the oracles then map it with 2 MiB pages, which
 * matters because a migration reads every page of the guest on both sides
 * and each 4 KiB first touch is a page fault.  Otherwise (no privilege to
 * create a tmpfs, not even in a user namespace) the file is in /dev/shm
 * with 4 KiB pages, as fast as the host's faults allow.
 */
#ifndef MIGCHECK_RAMFILE_H
#define MIGCHECK_RAMFILE_H

#include <stddef.h>

/* Mapping alignment that lets a huge page back a whole PMD; QEMU's "align". */
#define RAMFILE_ALIGN_BYTES (2u << 20)
#define RAMFILE_ALIGN_ARG "2M"

/* An unlinked file of `size` bytes, close-on-exec; -1 with *err set. */
int ramfile_create(const char *label, size_t size, char **err);
/* A shared read-write mapping of it at a RAMFILE_ALIGN_BYTES boundary; NULL on failure. */
void *ramfile_map(int fd, size_t size);
/* Unmaps what ramfile_map returned. */
void ramfile_unmap(void *p, size_t size);
/*
 * Where the files go: "huge tmpfs" or "/dev/shm (<why not huge>)"; decided by
 * the first ramfile_create() (made here if there was none) and kept.
 */
const char *ramfile_backing(void);

#endif
