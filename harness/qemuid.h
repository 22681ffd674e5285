/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemuid.h: which release a QEMU build belongs to, and what it can do.
 *
 * A development build reports the previous release's minor with micro 50
 * or above (the 11.0 tree reports 10.2.50): for expectation tables and
 * known-defect ranges it is the next release.  Where behaviour can be
 * probed, the probe decides and the version string only names the table:
 * the spelling of intel-iommu's properties (x-scalable-mode or
 * scalable-mode, x-flts or fsts), and whether a VFIO device behind a
 * vIOMMU is refused at realize, blocked at migrate, or allowed.  Every
 * intel-iommu argument the harness passes is built here, from the probe.
 */
#ifndef MIGCHECK_QEMUID_H
#define MIGCHECK_QEMUID_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a VFIO device behind intel-iommu meets (qemuid_probe_viommu). */
enum qid_viommu {
	QID_VIOMMU_UNPROBED,
	QID_VIOMMU_REALIZE, /* the device fails to realize */
	QID_VIOMMU_MIGRATE, /* QEMU starts, migration is blocked */
	QID_VIOMMU_ALLOWED, /* QEMU starts, nothing blocks migration */
	QID_VIOMMU_UNKNOWN, /* the probe itself failed */
};

/* One probed configuration of the vIOMMU question. */
struct qid_viommu_case {
	const char *name; /* "type1, enable-migration=on", "iommufd, HWPT dirty tracking" */
	enum qid_viommu verdict;
	char *text; /* QEMU's words: the realize error or the blocker; or the probe's error */
};

struct qemu_id {
	char version[32]; /* as the build reports it: "10.2.50" */
	char release[32]; /* the release it belongs to: "11.0.0" */
	bool development; /* micro >= 50: the next release's development tree */
	bool probed;	  /* false: QEMU could not be asked; spellings are the historical ones */
	bool intel_iommu; /* the build has the device */
	/* intel-iommu property names this build spells ("" when it has none). */
	char scalable_prop[32]; /* "x-scalable-mode" or "scalable-mode" */
	char flts_prop[32];	/* "x-flts" or "fsts" */
	char pasid_prop[32];	/* "x-pasid-mode" or "pasid" */
	struct qid_viommu_case viommu[2];
	size_t nviommu;
};

/*
 * The release `version` (x.y.z) belongs to into buf: itself, or for a
 * development build (z >= 50) the next release, x.(y+1).0, or (x+1).0.0
 * after x.2 (QEMU makes three releases a year and bumps the major with the
 * first).  -1 when version is not x.y[.z].
 */
int qemuid_release_of(const char *version, char *buf, size_t len);

/* The release the QEMU binary belongs to, from its --version line; -1 if unknown. */
int qemuid_binary_release(const char *qemu, char *buf, size_t len);
/*
 * The machine type both builds run: "q35" for one build (b NULL or equal),
 * else "pc-q35-X.Y" of the older release, so that a migration between them
 * is one the newer build promises to support.  NULL with *err if a release
 * cannot be told.
 */
char *qemuid_common_machine(const char *qemu_a, const char *qemu_b, char **err);

/* Fills id from probe_qemu()'s answer (version and intel-iommu properties). */
void qemuid_from_probe(struct qemu_id *id, const json_t *probe);

/*
 * The identity of `qemu`, probed once per process and kept (forked cases
 * share the parent's).  Never NULL: when QEMU cannot be asked, id->probed
 * is false and *err (if given and unset) says why.
 */
const struct qemu_id *qemuid_get(const char *qemu, char **err);

/*
 * The identity of the QEMU under test: the one qemuid_get() probed last,
 * else $MIGCHECK_QEMU or the configured default.
 */
const struct qemu_id *qemuid_current(void);

/*
 * Asks QEMU how a VFIO mock device behind intel-iommu fares in the two
 * configurations migration with a vIOMMU can use: type1 with
 * enable-migration=on and iommufd with HWPT dirty tracking.  Starts QEMU
 * (stopped, no guest) twice under a temporary directory it removes.
 */
void qemuid_probe_viommu(struct qemu_id *id, const char *qemu, const char *mock_lib);
const char *qemuid_viommu_name(enum qid_viommu v);

/*
 * The -device argument of intel-iommu with caching-mode=on, `extra`
 * (",intremap=on" or NULL) and, when `scalable`, this build's scalable-mode
 * property (id may be NULL when !scalable: legacy mode spells nothing
 * release-specific).  NULL with *err when the build has no scalable mode.
 */
char *qemuid_intel_iommu(const struct qemu_id *id, bool scalable, const char *extra, char **err);

/* The identity as JSON for reports and `migcheck probe --json`. */
json_t *qemuid_json(const struct qemu_id *id);
void qemuid_clear(struct qemu_id *id);

#endif
