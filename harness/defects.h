/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * defects.h: known QEMU defects per release, from
 * fixtures/expectations/defects.json (format in that directory's README).
 *
 * A defect names the releases it affects, the cases it breaks (globs over
 * fixture.variant.test) and its signature: how the failure looks when it
 * is that defect and nothing else.  A case calls defect_lookup() to learn
 * whether a failure is expected, and defect_matches() with what it observed
 * to decide between XFAIL (exactly this defect) and FAIL (anything else).
 */
#ifndef MIGCHECK_DEFECTS_H
#define MIGCHECK_DEFECTS_H

#include <jansson.h>
#include <stdbool.h>

/*
 * The expectations directory: the one given (--expectations), else
 * $MIGCHECK_EXPECTATIONS, else the source tree's fixtures/expectations.
 */
const char *expectations_dir(const char *given);
/* <expectations dir>/defects.json (malloc'd). */
char *defects_path(const char *given_dir);
/* Loads and checks the file; NULL with *err on failure. */
json_t *defects_load(const char *path, char **err);
/* The same checks on a file's contents already in memory; @name is for errors. */
json_t *defects_parse(const char *name, const char *text, size_t len, char **err);

/* "10.0.2" within [from, before)?  Missing bounds are open. */
bool defects_version_in(const char *version, const char *from, const char *before);

/* The first defect affecting `case_name` on QEMU `version` (borrowed), or NULL. */
const json_t *defect_lookup(const json_t *defects, const char *case_name, const char *version);

/*
 * What a case saw: a crash with QEMU's stderr tail, and/or a coherence
 * pattern name the suite recognised (e.g. "passthrough_kept").
 */
struct defect_observation {
	bool crashed;
	const char *stderr_tail;
	const char *pattern;
	const char *what; /* the first failure, for the XFAIL reason */
	/* More patterns the same failure shows (NULL-ended), or NULL. */
	const char *const *patterns;
	/*
	 * Why a pass could not have shown the case's defect this time (the
	 * case then SKIPs instead of XPASS), or NULL: evidence the suite read,
	 * not a guess.
	 */
	const char *inconclusive;
};
bool defect_matches(const json_t *defect, const struct defect_observation *o);
/* Among the defects affecting the case on that release, the one o shows, or NULL. */
const json_t *defect_find(const json_t *defects, const char *case_name, const char *version,
			  const struct defect_observation *o);
/*
 * The one evaluator every suite uses: on QEMU `version`, a failure that is
 * exactly a known defect of the case becomes XFAIL naming it; a case the
 * table says fails here but passed becomes XPASS, or SKIP when the
 * observation says the pass was inconclusive; anything else stands.
 */
struct mc_case;
void defects_decide(struct mc_case *c, const char *version, const struct defect_observation *o);
/* "id: title" for reasons. */
const char *defect_id(const json_t *defect);
const char *defect_title(const json_t *defect);

#endif
