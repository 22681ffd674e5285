// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The known-defects table: what it accepts, and how an observation is
 * matched to an entry (the pattern names the suites report).
 */
#define KTEST_MAIN
#include "ktest.h"

#include "defects.h"

#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text, char **err)
{
	return defects_parse("t.json", text, strlen(text), err);
}

static const char table[] =
    "{\"version\":1,\"defects\":["
    "{\"id\":\"race\",\"intermittent\":true,\"cases\":[\"downtime.*.limit\"],"
    "\"signature\":{\"pattern\":\"cpu_pages_lost\"}},"
    "{\"id\":\"steady\",\"cases\":[\"dirty.*\"],\"signature\":{\"pattern\":\"dma_pages_lost\"}}]}";

TEST(intermittent_must_be_a_boolean)
{
	char *err = NULL;
	json_t *d = parse("{\"version\":1,\"defects\":[{\"id\":\"x\",\"intermittent\":\"yes\","
			  "\"cases\":[\"*\"],\"signature\":{\"pattern\":\"p\"}}]}",
			  &err);

	EXPECT_NULL(d);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "intermittent") != NULL);
	free(err);
	d = parse(table, &err);
	ASSERT_NONNULL(d);
	json_decref(d);
}

/* The guest's own lost writes are one pattern, the device's another: never confused. */
TEST(cpu_and_dma_losses_match_their_own_entries)
{
	char *err = NULL;
	json_t *d = parse(table, &err);
	struct defect_observation cpu = {.pattern = "cpu_pages_lost", .what = "ram"};
	struct defect_observation dma = {.pattern = "dma_pages_lost", .what = "ram"};
	const json_t *f;

	ASSERT_NONNULL(d);
	f = defect_find(d, "downtime.type1_devlog.limit", "10.0.2", &cpu);
	ASSERT_NONNULL(f);
	EXPECT_STREQ(defect_id(f), "race");
	EXPECT_NULL(defect_find(d, "downtime.type1_devlog.limit", "10.0.2", &dma));
	EXPECT_NULL(defect_find(d, "dirty.a.migrate", "10.0.2", &cpu));
	f = defect_find(d, "dirty.a.migrate", "10.0.2", &dma);
	ASSERT_NONNULL(f);
	EXPECT_STREQ(defect_id(f), "steady");
	json_decref(d);
}
