/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * coherence.h: the mapping coherence oracle.
 *
 * A mapping set is a list of runs: IOVA range -> guest physical address
 * with read/write permission.  The expected set comes from the guest's
 * VT-d state (nothing when blocked, the RAM QEMU maps without DMAR when
 * pass-through, the page-table leaves when translated); the actual set from
 * the VFIO mock's state (the device's container or IOAS).  Both are
 * normalised (sorted, adjacent runs merged), so QEMU may shadow a huge leaf
 * as one mapping or several: what counts is which IOVA page reaches which
 * guest page, and whether it may write.
 */
#ifndef MIGCHECK_BARE_COHERENCE_H
#define MIGCHECK_BARE_COHERENCE_H

#include "vtd_tables.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define COH_GPA_UNKNOWN UINT64_MAX

struct coh_run {
	uint64_t iova, len;
	uint64_t gpa; /* COH_GPA_UNKNOWN: the mock's host address is not in guest RAM */
	bool read, write;
};

struct coh_set {
	struct coh_run *v;
	size_t n, cap;
};

void coh_set_init(struct coh_set *s);
void coh_set_free(struct coh_set *s);
void coh_set_add(struct coh_set *s, uint64_t iova, uint64_t len, uint64_t gpa, bool read,
		 bool write);
void coh_set_copy(struct coh_set *dst, const struct coh_set *src);
/* Sorts and merges runs that continue each other in IOVA and GPA with equal rights. */
void coh_set_normalize(struct coh_set *s);
uint64_t coh_set_bytes(const struct coh_set *s);

/* The page-table leaves of pt. */
int coh_from_pt(struct coh_set *s, const struct vtd_pt *pt);

/*
 * Where guest memory is in QEMU's own address space: runs of guest
 * physical addresses and the host address (or file page) each starts at.
 * On q35 a guest of more than 2 GiB has two runs of one RAM block (RAM
 * above 4 GiB continues the block where RAM below 4 GiB ends), and ROMs
 * are runs of their own.
 */
#define COH_RAM_MAX_RUNS 32

struct coh_ram_run {
	uint64_t gpa, key, len; /* key: as the mock names the host side (see coherence.c) */
};

struct coh_ram {
	struct coh_ram_run run[COH_RAM_MAX_RUNS];
	unsigned n;
};
/* Learns coh_ram from the mock's maps taken while DMAR is off (IOVA == GPA). */
int coh_ram_from_identity(struct coh_ram *ram, const json_t *state, char **err);
/* The guest physical address of [key, key + len), or COH_GPA_UNKNOWN outside every run. */
uint64_t coh_ram_gpa(const struct coh_ram *ram, uint64_t key, uint64_t len);
/*
 * The mock's mappings (all type1 containers, or all iommufd IOAS: the mock
 * serves one device, so there is one of either).  Host addresses become
 * guest physical ones through ram (NULL: all unknown).
 */
int coh_from_mock(struct coh_set *s, const json_t *state, const struct coh_ram *ram, char **err);

enum coh_kind { COH_STALE, COH_MISSING, COH_DIFFERENT };

struct coh_range {
	enum coh_kind kind;
	uint64_t start, end;
	struct coh_run want, got; /* at start */
};

#define COH_MAX_RANGES 16

struct coh_diff {
	uint64_t stale_bytes, missing_bytes, different_bytes;
	uint64_t unknown_gpa_bytes; /* compared on rights only */
	unsigned nranges, nstale, nmissing, ndifferent;
	struct coh_range ranges[COH_MAX_RANGES]; /* the first ones */
};

/* Compares the mock's set with what the guest allows. Returns true if equal. */
bool coh_compare(const struct coh_set *want, const struct coh_set *got, struct coh_diff *d);
/*
 * After coh_compare(want, got, d): none of a non-empty want reaches the
 * device and nothing in its IOVA ranges is mapped otherwise; what the device
 * holds lies elsewhere.  A domain that was never applied looks like this.
 */
bool coh_none_applied(const struct coh_set *want, const struct coh_diff *d);
/* One line: what is wrong, stale ranges first ("the device could still reach ..."). */
char *coh_summary(const struct coh_diff *d);
json_t *coh_diff_json(const struct coh_diff *d);
json_t *coh_set_json(const struct coh_set *s, size_t max);

#endif
