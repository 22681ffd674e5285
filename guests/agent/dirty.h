/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dirty.h: the CPU dirtying workload: a locked buffer whose pages a thread
 * rewrites with iteration tags, pass after pass, at a chosen rate.
 */
#ifndef MIGCHECK_AGENT_DIRTY_H
#define MIGCHECK_AGENT_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "tags.h"

struct dirty_status {
	bool running;
	uint64_t pass;	 /* pass being written: pages [0, cursor) carry it */
	uint64_t cursor; /* pages [cursor, pages) still carry pass - 1 */
	uint64_t pages;
	uint64_t writes; /* page writes by the writer since the pass-0 tagging */
	bool locked;	 /* mlock succeeded */
};

enum dirty_corrupt_mode {
	DIRTY_CORRUPT_BYTE,  /* flip one byte of the body */
	DIRTY_CORRUPT_STALE, /* a well-formed page from another pass */
};

/* Memory left to the rest of the guest when sizing the buffer. */
#define DIRTY_RESERVE_MIB 16

/*
 * Allocates @mib MiB, tags it with pass 0, starts the writer.  -ENOSPC when
 * the guest has less than @mib + DIRTY_RESERVE_MIB MiB available.
 */
int dirty_start(uint64_t mib, uint64_t rate);
/* Stops the writer at a page boundary; the buffer is kept for verify. */
void dirty_stop(void);
void dirty_status(struct dirty_status *st);
bool dirty_has_buffer(void);
/* Guest physical address of page @index, from /proc/self/pagemap. */
int dirty_gpa(uint64_t index, uint64_t *gpa);
/* Stops the writer and checks every page. */
int dirty_verify(struct tag_verify *v);
/* Test-only: damages page @index as a negative control. */
int dirty_corrupt(uint64_t index, enum dirty_corrupt_mode mode);

#endif /* MIGCHECK_AGENT_DIRTY_H */
