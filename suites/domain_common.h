/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * suites/domain_common.h: what the bare-guest and the Linux-guest halves of
 * the domain suite share.
 *
 * A case keeps a struct dom_watch: the crash watch on QEMU (with its last
 * words), the first failure it observed and the coherence signature it saw
 * (for matching known defects), its step counts and the negative control's
 * last diff.  The helpers report coherence results and decide between
 * FAIL, XFAIL and XPASS from fixtures/expectations/defects.json.
 */
#ifndef MIGCHECK_DOMAIN_COMMON_H
#define MIGCHECK_DOMAIN_COMMON_H

#include "coherence.h"
#include "runner.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

#define DOM_MAX_PATTERNS 4

struct dom_watch {
	struct mc_case *c;
	unsigned steps, dmas;
	/* For the defects table. */
	bool crashed;
	char *stderr_tail;  /* QEMU's last words, once it died */
	char *observed;	    /* the first failure, for the XFAIL reason */
	char *inconclusive; /* why a pass proves nothing this time (evidence) */
	/* Signatures the failure showed, e.g. "passthrough_kept" (NULL-ended). */
	const char *patterns[DOM_MAX_PATTERNS + 1];
	/* Negative control: keep the last diff instead of failing. */
	bool selftest, negative, last_equal;
	struct coh_diff last;
};

/* Starts watching case c. */
void dom_watch_init(struct dom_watch *w, struct mc_case *c);
void dom_watch_free(struct dom_watch *w);

/* Notes a signature the failure shows (once; a few at most). */
void dom_pattern(struct dom_watch *w, const char *pattern);
bool dom_has_pattern(const struct dom_watch *w, const char *pattern);

/* Keeps `what` as the observation unless one came first. */
void dom_observed(struct dom_watch *w, const char *what);

/*
 * True while QEMU (vm; NULL counts as running) runs; otherwise fails the
 * case with QEMU's last words, once.
 */
bool dom_alive(struct dom_watch *w, struct vm *vm, const char *step);

/* A failing oracle, which is also the observation unless one came first. */
void dom_oracle_failed(struct dom_watch *w, const char *oracle, const char *summary,
		       json_t *details);

/*
 * Reports one coherence check of the device's mappings (got) against the
 * guest's domain (want) after `step` in domain `domain`; `note` is appended
 * to a failure's summary.  Under a selftest the diff is kept instead.
 * True if coherent or under a selftest.
 */
bool dom_coherence(struct dom_watch *w, const char *step, const char *domain, const char *note,
		   const struct coh_set *want, const struct coh_set *got,
		   const struct coh_diff *diff, bool equal);

/* The passing coherence oracle over all the case's steps. */
void dom_coherence_held(struct dom_watch *w);

/*
 * The negative control's oracle: the last diff names exactly the stale
 * range [iova, iova + len).  `observe` makes a miss the observation.
 */
bool dom_stale_selftest(struct dom_watch *w, uint64_t iova, uint64_t len, bool observe);
/* Whether a DMA to the stale IOVA still landed. */
void dom_stale_dma(struct dom_watch *w, bool landed, json_t *details);

/*
 * Known defects of QEMU `version` decide between FAIL, XFAIL and XPASS;
 * a NULL version leaves the result as it is.
 */
void dom_expect_defects(struct dom_watch *w, const char *version);

#endif
