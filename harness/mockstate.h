/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mockstate.h: the mock's "state" reply (vfiomock-abi.h) as C structures.
 *
 * One reader for every user: the dirty suite's accounting, the oracles'
 * injected places, the domain suites' mappings.  Lists the mock truncates
 * say so (a *_count beyond the list), so no caller mistakes part for all.
 */
#ifndef MIGCHECK_MOCKSTATE_H
#define MIGCHECK_MOCKSTATE_H

#include "ranges.h"
#include "vfiomock-abi.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ms_map {
	uint64_t iova, len, host, page_size;
	bool read, write;
	bool file; /* IOAS_MAP_FILE: ino and file_off are set */
	uint64_t ino, file_off;
};

/* A type1 container or an iommufd IOAS. */
struct ms_space {
	bool ioas;
	int id;		     /* IOAS object id; container index */
	bool dirty_tracking; /* type1: DIRTY_PAGES started */
	struct ms_map *maps;
	size_t nmaps;
};

struct ms_sync {
	char tracker[16];
	uint64_t seq, iova, len, page_size, dirty, dropped;
};

struct ms_transition {
	char from[24], to[24];
	double t;
};

struct ms_device {
	char name[64];
	char state[24];
	bool hold;
	uint64_t writes, faults, queries;
	struct mc_ranges written;    /* IOVA pages the device wrote */
	bool written_complete;	     /* false: the mock kept only the first pages */
	struct mc_ranges after_stop; /* IOVA pages written once stopped (dma_after_stop) */
	struct {
		bool on;
		uint64_t iova, pages, seq;
	} ring;
	struct {
		bool present, received, corrupt;
		uint64_t seq;
	} resuming;
	struct ms_sync *syncs;
	size_t nsyncs;
	uint64_t syncs_lost;
	struct ms_transition *history;
	size_t nhistory;
	json_t *data_bytes; /* {"PRE_COPY": bytes, ...} */
	bool data_fd_open;
	bool logging; /* DMA logging started */
	/* What QEMU was last told was pending (MIG_DATA_SIZE, PRECOPY_INFO). */
	struct {
		uint64_t stop_copy, at_stop; /* the last answer; the one in force at STOP_COPY */
		uint64_t initial, dirty;
		uint64_t size_queries, info_queries;
	} reported;
};

struct ms_state {
	struct ms_space *spaces;
	size_t nspaces;
	struct ms_device dev[VFM_MAX_DEVICES];
	int ndev;
	int hwpts, hwpts_tracking; /* iommufd HWPTs, and those with dirty tracking enabled */
	struct mc_ranges dropped;  /* IOVA ranges drop_dirty hid */
	bool dropped_complete;
	json_t *raw; /* the reply itself, for records */
};

/* Parses a reply; -1 with *err if it is not a mock state. */
int ms_parse(json_t *reply, struct ms_state *st, char **err);
void ms_free(struct ms_state *st);
/* Whether device d wrote the page at iova. */
bool ms_wrote(const struct ms_device *d, uint64_t iova);
/* Every mapping of every space whose rights lack `write`. */
size_t ms_readonly_maps(const struct ms_state *st, struct mc_ranges *out);
/* Bytes of device state QEMU read in a migration state ("STOP_COPY"), 0 if none. */
uint64_t ms_data_bytes(const struct ms_device *d, const char *state);

#endif
