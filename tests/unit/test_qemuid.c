// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Release identity: a development build belongs to the next release, and
 * intel-iommu's property spellings come from the probe's property list.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "defects.h"
#include "qemuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *rel(const char *v)
{
	static char buf[32];

	return qemuid_release_of(v, buf, sizeof(buf)) < 0 ? "(bad)" : buf;
}

TEST(development_builds_belong_to_the_next_release)
{
	EXPECT_STREQ(rel("10.0.2"), "10.0.2");
	EXPECT_STREQ(rel("10.2.49"), "10.2.49");
	/* x.2 is the year's last release: the next is (x+1).0. */
	EXPECT_STREQ(rel("10.2.50"), "11.0.0");
	EXPECT_STREQ(rel("10.2.93"), "11.0.0");
	EXPECT_STREQ(rel("11.0.50"), "11.1.0");
	EXPECT_STREQ(rel("11.1.50"), "11.2.0");
	EXPECT_STREQ(rel("11.0"), "11.0.0");
	EXPECT_STREQ(rel("eleven"), "(bad)");
	EXPECT_STREQ(rel(NULL), "(bad)");
}

/* Defect ranges are in releases: 10.2.50 is inside [11.0.0, ...). */
TEST(defect_ranges_hold_development_builds)
{
	const char *path = getenv("TMPDIR") ?: "/tmp";
	char *file = NULL;
	json_t *d;
	char *err = NULL;
	FILE *f;

	if (asprintf(&file, "%s/defects-qemuid.json", path) < 0)
		abort();
	f = fopen(file, "w");
	ASSERT_NONNULL(f);
	fputs("{\"version\":1,\"defects\":[{\"id\":\"x\",\"qemu\":{\"from\":\"11.0.0\"},"
	      "\"cases\":[\"s.v.t\"],\"signature\":{\"pattern\":\"p\"}},"
	      "{\"id\":\"y\",\"qemu\":{\"before\":\"11.0.0\"},"
	      "\"cases\":[\"s.v.u\"],\"signature\":{\"pattern\":\"p\"}}]}",
	      f);
	fclose(f);
	d = defects_load(file, &err);
	ASSERT_NONNULL(d);
	EXPECT_TRUE(defect_lookup(d, "s.v.t", "10.2.50") != NULL);
	EXPECT_NULL(defect_lookup(d, "s.v.t", "10.2.2"));
	EXPECT_NULL(defect_lookup(d, "s.v.u", "10.2.50"));
	EXPECT_TRUE(defect_lookup(d, "s.v.u", "10.2.2") != NULL);
	json_decref(d);
	unlink(file);
	free(file);
	free(err);
}

static json_t *probe_with(const char *version, json_t *iommu_props)
{
	return json_pack("{s:s, s:{s:o}}", "version", version, "devices", "intel-iommu",
			 iommu_props);
}

TEST(intel_iommu_spelling_comes_from_the_probe)
{
	struct qemu_id id = {0};
	json_t *p = probe_with("10.2.50", json_pack("{s:{}, s:{}, s:{}}", "x-scalable-mode",
						    "x-flts", "caching-mode"));
	char *arg, *err = NULL;

	qemuid_from_probe(&id, p);
	EXPECT_STREQ(id.version, "10.2.50");
	EXPECT_STREQ(id.release, "11.0.0");
	EXPECT_TRUE(id.development);
	EXPECT_STREQ(id.scalable_prop, "x-scalable-mode");
	EXPECT_STREQ(id.flts_prop, "x-flts");
	arg = qemuid_intel_iommu(&id, true, ",intremap=on", NULL);
	EXPECT_STREQ(arg, "intel-iommu,caching-mode=on,intremap=on,x-scalable-mode=on");
	free(arg);
	json_decref(p);
	qemuid_clear(&id);

	/* A release that dropped the x- prefixes. */
	p = probe_with("11.1.0", json_pack("{s:{}, s:{}}", "scalable-mode", "fsts"));
	qemuid_from_probe(&id, p);
	EXPECT_FALSE(id.development);
	EXPECT_STREQ(id.scalable_prop, "scalable-mode");
	EXPECT_STREQ(id.flts_prop, "fsts");
	arg = qemuid_intel_iommu(&id, true, NULL, NULL);
	EXPECT_STREQ(arg, "intel-iommu,caching-mode=on,scalable-mode=on");
	free(arg);
	arg = qemuid_intel_iommu(&id, false, NULL, NULL);
	EXPECT_STREQ(arg, "intel-iommu,caching-mode=on");
	free(arg);
	json_decref(p);
	qemuid_clear(&id);

	/* No scalable mode at all: a clear error, not a guessed name. */
	p = probe_with("9.0.0", json_pack("{s:{}}", "caching-mode"));
	qemuid_from_probe(&id, p);
	EXPECT_NULL(qemuid_intel_iommu(&id, true, NULL, &err));
	EXPECT_TRUE(err && strstr(err, "no scalable-mode property"));
	free(err);
	json_decref(p);
	qemuid_clear(&id);

	/* No intel-iommu device: probe_qemu answers with an error object. */
	p = probe_with("10.0.2", json_pack("{s:s}", "_error", "not found"));
	qemuid_from_probe(&id, p);
	EXPECT_FALSE(id.intel_iommu);
	json_decref(p);
	qemuid_clear(&id);
}

/* A stand-in QEMU that only answers --version with `version`. */
static char *fake_qemu(const char *dir, const char *name, const char *version)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	FILE *f;

	if (!path)
		abort();
	sprintf(path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "#!/bin/sh\necho 'QEMU emulator version %s (fake)'\n", version);
	fclose(f);
	chmod(path, 0755);
	return path;
}

TEST(two_builds_share_the_older_release_machine_type)
{
	char dir[] = "/tmp/qemuid-test.XXXXXX", *err = NULL, *m;
	char *old, *dev, *bad;

	ASSERT_NONNULL(mkdtemp(dir));
	old = fake_qemu(dir, "old", "10.0.2");
	dev = fake_qemu(dir, "dev", "10.2.50");
	bad = fake_qemu(dir, "bad", "unknown");
	m = qemuid_common_machine(old, NULL, NULL);
	EXPECT_STREQ(m, "q35");
	free(m);
	m = qemuid_common_machine(dev, old, NULL);
	EXPECT_STREQ(m, "pc-q35-10.0");
	free(m);
	m = qemuid_common_machine(old, dev, NULL);
	EXPECT_STREQ(m, "pc-q35-10.0");
	free(m);
	EXPECT_NULL(qemuid_common_machine(old, bad, &err));
	EXPECT_TRUE(err && strstr(err, "cannot tell the releases"));
	free(err);
	unlink(old);
	unlink(dev);
	unlink(bad);
	free(old);
	free(dev);
	free(bad);
	rmdir(dir);
}
