/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy_table.h: the migration policy expectations of a QEMU release.
 *
 * A table (fixtures/expectations/qemu-*.json) covers a version range and
 * lists ordered rules; the first rule whose axis values match a matrix cell
 * says what QEMU decides for it: the migration is allowed (and which dirty
 * tracker runs), blocked (query-migrate blocked-reasons), refused when it
 * starts, or the device fails to realize, each with QEMU's exact text.
 * The format is documented in fixtures/expectations/README.md.
 *
 * The same structure, struct pt_decision, holds what a rule promises for a
 * cell (texts expanded with the device names) and what QEMU was observed to
 * do, so pt_compare() can judge one against the other.
 * policy_table.c loads and selects tables, policy_verdict.c applies them.
 */
#ifndef MIGCHECK_POLICY_TABLE_H
#define MIGCHECK_POLICY_TABLE_H

#include "matrix.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PT_FORMAT 1
#define PT_MAX_BACKENDS 8 /* backend axis values a table can name */

enum pt_outcome { PT_ALLOWED, PT_BLOCKED, PT_REFUSED, PT_REALIZE_ERROR, PT_NOUTCOMES };

/* A NULL-ended, malloc'd string vector. */
struct pt_strv {
	char **v;
	size_t n;
};

struct pt_decision {
	enum pt_outcome outcome;
	struct pt_strv texts;	 /* blocked: every reason; refused, realize-error: one */
	char *tracker;		 /* allowed: a tracker axis value ("device-log"...) */
	struct pt_strv warnings; /* warnings QEMU printed (observed) or must print (expected) */
};

struct pt_rule {
	char *id;
	int device;			/* refused, realize-error: whose name %s is */
	char *origin;			/* "qemu-10.0.json rule 3 (id)", for reasons */
	struct pt_strv match[MX_NAXES]; /* accepted values per axis; n == 0: any */
	enum pt_outcome outcome;
	struct pt_strv texts;
	char *tracker;
	struct pt_strv warnings;
};

/* How a device is named on QEMU's command line, for the naming templates. */
struct pt_device {
	const char *sysfs; /* basename of sysfsdev=, or NULL */
	const char *id;	   /* id= */
	const char *fd;	   /* fd= (fd passing), or NULL */
};

struct pt_table {
	char *path;
	char *from, *before;	       /* version range: from <= v < before; NULL: open */
	char *naming[PT_MAX_BACKENDS]; /* per backend axis value: template, NULL: default */
	struct pt_rule *rules;
	size_t nrules;
};

enum pt_verdict { PT_PASS, PT_XFAIL, PT_XPASS, PT_FAIL };

const char *pt_outcome_name(enum pt_outcome o);
const char *pt_verdict_name(enum pt_verdict v);

/* from <= v < before (mc_version_cmp); a NULL bound is open. */
bool pt_version_in(const char *v, const char *from, const char *before);

/* Loads one table and the tables it extends; NULL with *err naming file and problem. */
struct pt_table *pt_load(const char *path, char **err);
/*
 * The same from a table's contents in memory; @path names it in errors and
 * is where "extends" looks for the tables it names.
 */
struct pt_table *pt_parse(const char *path, const char *text, size_t len, char **err);
void pt_free(struct pt_table *t);
/*
 * The table in `dir` (files qemu-*.json) whose range holds `version`:
 * 1 with *out, 0 when none does, -1 with *err (a malformed file, or two
 * tables claiming the version).
 */
int pt_select(const char *dir, const char *version, struct pt_table **out, char **err);

/* The first rule matching a cell's axes ("name=value", NULL-ended), or NULL. */
const struct pt_rule *pt_match(const struct pt_table *t, const char *const *axes);

/*
 * The name QEMU gives a device (what %s stands for): the table's template
 * for the backend with {sysfs}, {id} and {fd} filled in; by default the
 * sysfs basename, or the id with fd passing.
 */
char *pt_device_name(const struct pt_table *t, int backend, const struct pt_device *d);

/* `tmpl` with every %s replaced by `name` and %% by %. */
char *pt_subst(const char *tmpl, const char *name);
/*
 * What a rule promises for devices `names[0..n)`: blocked texts and warnings
 * with %s appear once per device; refused and realize-error texts name the
 * rule's "device" (the first by default).
 */
void pt_expect(const struct pt_rule *r, const char *const *names, int n, struct pt_decision *out);

/*
 * Judges an observation against an expectation: PASS (allowed as expected,
 * same tracker), XFAIL (not allowed, exactly as expected), XPASS (expected
 * not allowed, observed allowed), FAIL otherwise.  *reason (malloc'd) names
 * both decisions when they differ, or the expected one.
 */
enum pt_verdict pt_compare(const struct pt_decision *exp, const struct pt_decision *obs,
			   char **reason);

char *pt_decision_str(const struct pt_decision *d);
json_t *pt_decision_json(const struct pt_decision *d);
void pt_decision_clear(struct pt_decision *d);

void pt_strv_add(struct pt_strv *s, const char *str);
void pt_strv_clear(struct pt_strv *s);

#endif
