/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ramcmp.h: the RAM equality oracle.
 *
 * Compares source and destination guest RAM page by page, with both sides
 * stopped.  A differing page is a lost dirty page or corruption; the first
 * few are reported with their guest physical address and the first bytes of
 * both sides.  A layout maps offsets in the RAM backend to guest physical
 * addresses (on q35 RAM above the PCI hole lives at 4 GiB and up).
 */
#ifndef MIGCHECK_RAMCMP_H
#define MIGCHECK_RAMCMP_H

#include "ranges.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RAMCMP_MAX_REPORTED 16
/* Whose writes a RAM difference held, as the known-defects table names it. */
#define RAM_LOSS_DMA "dma_pages_lost"
#define RAM_LOSS_CPU "cpu_pages_lost"
#define RAMCMP_BYTES_SHOWN 16

struct ram_segment {
	uint64_t offset; /* in the RAM backend */
	uint64_t gpa;
	uint64_t size;
};

struct ram_layout {
	struct ram_segment seg[8];
	int nseg;
};

struct ram_diff {
	uint64_t offset;
	uint64_t gpa;
	uint32_t first_byte;	  /* the page's first differing byte */
	uint32_t bytes_differing; /* how many of its bytes differ */
	uint32_t shown_at;	  /* src and dst show the page from here (first_byte, 16-aligned) */
	uint8_t src[RAMCMP_BYTES_SHOWN];
	uint8_t dst[RAMCMP_BYTES_SHOWN];
};

struct ram_cmp {
	uint64_t pages;
	uint64_t differing;
	unsigned nreported;
	struct ram_diff diff[RAMCMP_MAX_REPORTED];
	struct mc_ranges where; /* every differing page, by guest physical address */
	double seconds;
};

/* One segment, offset == gpa. */
void ram_layout_identity(struct ram_layout *l, uint64_t size);
/*
 * Reads the layout from HMP "info mtree" output: the aliases called
 * ram-below-4g / ram-above-4g into the backend named `backend`.  Returns the
 * number of segments found (0: caller should fall back to identity).
 */
int ram_layout_from_mtree(struct ram_layout *l, const char *mtree, const char *backend);
/* Guest physical address of a backend offset (UINT64_MAX if unmapped). */
uint64_t ram_layout_gpa(const struct ram_layout *l, uint64_t offset);
/* Backend offset of a guest physical address (UINT64_MAX if not RAM). */
uint64_t ram_layout_offset(const struct ram_layout *l, uint64_t gpa);

/* Fills *out (free it with ram_cmp_free). */
void ram_compare(const uint8_t *src, const uint8_t *dst, size_t len, size_t page_size,
		 const struct ram_layout *l, struct ram_cmp *out);
void ram_cmp_free(struct ram_cmp *c);
json_t *ram_cmp_json(const struct ram_cmp *c);
/* "3 differing pages, first at GPA 0x..." */
char *ram_cmp_summary(const struct ram_cmp *c);
/*
 * Whose writes the differing pages held, as the known-defects table names
 * it: RAM_LOSS_DMA when every one is a page the device wrote (in
 * `device`), RAM_LOSS_CPU when none is, NULL when they are mixed or
 * nothing differs.
 */
const char *ram_loss_signature(const struct mc_ranges *differing, const struct mc_ranges *device);

#endif
