/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * suites/domain_linux.h: the Linux-guest half of the domain suite, shared
 * by its two files: domain_linux.c (the rig, the agent's steps, the
 * coherence checks and the cases without migration) and domain_linux_mig.c
 * (the same switches during migration).
 *
 * A case keeps a struct lin: the source/destination pair, the mock's rig,
 * the guest's domain as the harness expects it and the agent's MAP_DMA set.
 * Every step helper returns false once the case failed (and said why).
 */
#ifndef MIGCHECK_DOMAIN_LINUX_H
#define MIGCHECK_DOMAIN_LINUX_H

#include "coherence.h"
#include "domain_common.h"
#include "mockdev.h"
#include "pair.h"
#include "runner.h"

#include <stdbool.h>
#include <stdint.h>

#define LIN_IOVA_A 0x1000000000ull /* 64 GiB: outside guest RAM even when IOVA == GPA */
#define LIN_IOVA_B 0x1000100000ull
#define LIN_IOVA_HOLE 0x1000200000ull
#define LIN_IOVA_STORM 0x1100000000ull
#define LIN_RAM_PROBE 0x100000ull /* guest RAM: reachable only in an identity domain */
#define LIN_PAM_START 0xc0000ull
#define LIN_PAM_END 0x100000ull
#define LIN_PAGES_A 16
#define LIN_PAGES_B 4
#define LIN_STORM_HALF 128
/* An agent command's bound: 256 strict unmaps take long on a loaded host. */
#define LIN_CMD_MS 120000

struct lin_variant {
	bool scalable, pt, strict;
	enum mock_backend backend;
};

enum lin_dom { LD_IDENTITY, LD_DMA, LD_BLOCKED, LD_UNMANAGED };

struct lin {
	struct dom_watch w; /* and the case */
	const struct lin_variant *v;
	struct mock_rig rig;
	struct pair p;
	bool launched;
	char **args;
	char *append;
	struct coh_ram ram;
	struct coh_set baseline; /* what QEMU maps before the guest enables DMAR */
	struct coh_set maps;	 /* the guest's MAP_DMA set */
	enum lin_dom dom, dflt;
	unsigned seed;
	bool skipped;
};

/* Starts case c on variant v (no QEMU yet). */
void lin_init(struct lin *d, struct mc_case *c, const struct lin_variant *v);
/* The mock's configuration for variant v: one device the guest's driver masters. */
void lin_mock_spec(const struct lin_variant *v, struct mock_spec *spec);
/* The guest kernel's command line for v, with `extra` appended (may be NULL). */
char *lin_cmdline(const struct lin_variant *v, const char *extra);
/* QEMU's extra arguments (vIOMMU, then the mock's); NULL without scalable mode. */
char **lin_args(const struct lin_variant *v, const struct mock_rig *rig, bool paused);
/* Reads the identity set from the paused source, then lets the guest run. */
int lin_baseline_and_cont(struct lin *d, char **err);
/* Checks, records and frees everything lin_init() and the case set up. */
void lin_teardown(struct lin *d);

/* Boots the guest (the mock with `faults`, NULL for none); false if the case ended. */
bool lin_setup(struct lin *d, struct mc_case *c, const struct lin_variant *v, json_t *faults);

/* True while the source QEMU runs; otherwise fails the case with its last words. */
bool lin_alive(struct lin *d, const char *step);
/* One agent command, sequenced: the reply (to free) ends the step; NULL on failure. */
json_t *lin_agent(struct lin *d, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One agent command; its reply ends the step. */
bool lin_cmd(struct lin *d, const char *step, const char *cmd);
/* bind vfio-pci, SET_CONTAINER, SET_IOMMU, open and enable, checked after each. */
bool lin_bind_open(struct lin *d);
/* MAP_DMA of `pages` at iova (of GPA phys when not 0), added to the MAP_DMA set. */
bool lin_map_at(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write,
		bool each, uint64_t phys);
bool lin_map(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool write, bool each);
/* The coherence oracle after `step`: the mock's mappings against the guest's domain. */
bool lin_check(struct lin *d, const char *step);
/* UNMAP_DMA of `pages` at iova (page by page with `each`), then the check. */
bool lin_unmap(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool each);
/* close(group) (UNMAP_DMA first with unmap_first): back to the default domain, checked. */
bool lin_close(struct lin *d, const char *step, bool unmap_first);
/* A device write by GPA through sysfs (identity domain) that must land or fault. */
bool lin_fill_phys(struct lin *d, const char *step, bool lands);
/* A device write of `pages` at iova that must land (or fault). */
bool lin_fill(struct lin *d, const char *step, uint64_t iova, uint64_t pages, bool lands);

/* The cases during migration (domain_linux_mig.c), by switch and phase. */
#define LIN_MIG_CASE(sw, ph) void linux_mig_##sw##_##ph(struct mc_case *c, const void *data);
#define LIN_MIG_PHASES(sw)                                                                         \
	LIN_MIG_CASE(sw, setup) LIN_MIG_CASE(sw, sync2) LIN_MIG_CASE(sw, preswitch)
LIN_MIG_PHASES(bind_open)
LIN_MIG_PHASES(close)
LIN_MIG_PHASES(group_type)
LIN_MIG_PHASES(storm)
#undef LIN_MIG_PHASES
#undef LIN_MIG_CASE
void linux_mig_highmem(struct mc_case *c, const void *data);
void linux_mig_drop_dirty_unmap(struct mc_case *c, const void *data);

#endif
