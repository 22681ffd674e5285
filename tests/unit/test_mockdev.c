// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_mockdev: what the harness reads from a mock's request log when a
 * migration failed: the request the mock refused, its errno and the rule.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "mockdev.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(last_refusal_names_request_errno_and_rule)
{
	const char *log =
	    "{\"t\":100.0,\"req\":\"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO\",\"ret\":-1,\"errno\":"
	    "\"ENOSPC\"}\n"
	    "{\"t\":200.0,\"req\":\"VFIO_DEVICE_FEATURE\",\"ret\":0}\n"
	    "{\"t\":201.5,\"req\":\"VFIO_DEVICE_FEATURE\",\"from\":\"STOP\",\"to\":\"PRE_COPY\","
	    "\"ret\":-1,\"errno\":\"EINVAL\",\"rule\":\"vfio_mig_get_next_state\"}\n"
	    "not json at all\n";
	struct mock_rig r = {0};
	char dir[128], *s;

	make_tmpdir(dir, sizeof(dir));
	r.log[VM_SRC] = mc_strdup_printf("%s/src.mock.jsonl", dir);
	ASSERT_EQ(mc_write_file_atomic(r.log[VM_SRC], log, strlen(log), NULL), 0);
	s = mock_rig_last_refusal(&r, VM_SRC, 150.0);
	ASSERT_NONNULL(s);
	EXPECT_STREQ(s, "VFIO_DEVICE_FEATURE STOP -> PRE_COPY: EINVAL (vfio_mig_get_next_state)");
	free(s);
	/* Refusals before the migration began are not its cause. */
	EXPECT_NULL(mock_rig_last_refusal(&r, VM_SRC, 300.0));
	/* No log, no reason. */
	EXPECT_NULL(mock_rig_last_refusal(&r, VM_DST, 0));
	free(r.log[VM_SRC]);
	rm_tree(dir);
}
