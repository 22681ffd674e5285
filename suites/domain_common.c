// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * suites/domain_common: the crash watch, coherence reporting and known-defect
 * expectations both halves of the domain suite (bare guest, Linux guest)
 * share.
 */
#include "domain_common.h"
#include "defects.h"
#include "util.h"
#include "vm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct mc_fixture domain_fixture = {
    .name = "domain",
    .order = 4,
    .summary = "guest IOMMU domain switches and mapping coherence",
};
MC_FIXTURE(domain_fixture)

void dom_watch_init(struct dom_watch *w, struct mc_case *c)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
}

void dom_watch_free(struct dom_watch *w)
{
	free(w->stderr_tail);
	free(w->observed);
	free(w->inconclusive);
}

bool dom_has_pattern(const struct dom_watch *w, const char *pattern)
{
	const char *const *p;

	for (p = w->patterns; *p; p++)
		if (!strcmp(*p, pattern))
			return true;
	return false;
}

void dom_pattern(struct dom_watch *w, const char *pattern)
{
	size_t n = 0;

	if (dom_has_pattern(w, pattern))
		return;
	while (w->patterns[n])
		n++;
	if (n < DOM_MAX_PATTERNS)
		w->patterns[n] = pattern;
}

void dom_observed(struct dom_watch *w, const char *what)
{
	if (!w->observed)
		w->observed = strdup(what);
}

bool dom_alive(struct dom_watch *w, struct vm *vm, const char *step)
{
	char *why = NULL;

	if (w->crashed)
		return false;
	if (!vm || !vm_dead(vm, &why))
		return true;
	w->crashed = true;
	w->stderr_tail = vm_last_words(vm);
	mc_case_fail(w->c, "%s: %s", step, why);
	dom_observed(w, why);
	mc_case_set(w->c, "qemu_last_words", json_string(w->stderr_tail));
	free(why);
	return false;
}

void dom_oracle_failed(struct dom_watch *w, const char *oracle, const char *summary,
		       json_t *details)
{
	mc_case_oracle(w->c, oracle, false, summary, details);
	dom_observed(w, summary);
}

bool dom_coherence(struct dom_watch *w, const char *step, const char *domain, const char *note,
		   const struct coh_set *want, const struct coh_set *got,
		   const struct coh_diff *diff, bool equal)
{
	if (w->selftest) {
		w->last = *diff;
		w->last_equal = equal;
	} else if (!equal) {
		char *sum = coh_summary(diff);
		char *s = mc_strdup_printf("%s (%s): %s%s", step, domain, sum, note);
		json_t *det = coh_diff_json(diff);

		json_object_set_new(det, "step", json_string(step));
		json_object_set_new(det, "guest", coh_set_json(want, 32));
		json_object_set_new(det, "device", coh_set_json(got, 32));
		dom_oracle_failed(w, "coherence", s, det);
		free(s);
		free(sum);
	} else {
		mc_case_log(w->c, "%s: coherent (%s, %zu run(s), %" PRIu64 " bytes)", step, domain,
			    got->n, coh_set_bytes(got));
	}
	return equal || w->selftest;
}

void dom_coherence_held(struct dom_watch *w)
{
	mc_case_oracle(w->c, "coherence", true,
		       "the device's mappings matched the guest's domain after every step",
		       json_pack("{s:i}", "steps", w->steps));
}

bool dom_stale_selftest(struct dom_watch *w, uint64_t iova, uint64_t len, bool observe)
{
	const struct coh_diff *l = &w->last;
	bool ok = !w->last_equal && l->nranges == 1 && l->ranges[0].kind == COH_STALE &&
		  l->ranges[0].start == iova && l->ranges[0].end == iova + len &&
		  !l->missing_bytes && !l->different_bytes;
	char *s = coh_summary(l);
	char *sum = mc_strdup_printf("kept IOVA [0x%" PRIx64 ", 0x%" PRIx64 "); oracle: %s", iova,
				     (uint64_t)(iova + len), s);

	mc_case_oracle(w->c, "coherence_selftest", ok, sum, coh_diff_json(l));
	if (!ok && observe)
		dom_observed(w, sum);
	free(sum);
	free(s);
	return ok;
}

void dom_stale_dma(struct dom_watch *w, bool landed, json_t *details)
{
	mc_case_oracle(w->c, "stale_dma_lands", landed,
		       landed ? "a DMA to the stale IOVA still reached guest memory"
			      : "a DMA to the stale IOVA faulted: the fault kept nothing",
		       details);
}

void dom_expect_defects(struct dom_watch *w, const char *version)
{
	if (version)
		defects_decide(w->c, version,
			       &(struct defect_observation){.crashed = w->crashed,
							    .stderr_tail = w->stderr_tail,
							    .patterns = w->patterns,
							    .what = w->observed,
							    .inconclusive = w->inconclusive});
}
