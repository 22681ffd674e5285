// SPDX-License-Identifier: GPL-2.0-or-later
/* The model the ioctl and control fuzzers drive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dispatch.h"
#include "fault.h"
#include "fuzz.h"
#include "model.h"
#include "real.h"

static const char config[] =
    "{\"version\":1,\"test_ops\":true,\"kernel\":\"7.2\","
    "\"iommu\":{\"page_sizes\":[\"4K\",\"2M\"],\"iova_ranges\":[[\"0\",\"0xfedfffff\"],"
    "[\"0xfef00000\",\"0xffffffffffff\"]]},"
    "\"devices\":[{\"name\":\"0000:01:00.0\",\"group\":42,\"cdev\":\"vfio0\",\"devt\":\"511:0\","
    "\"state\":{\"initial\":\"8K\",\"dirty\":\"4K\",\"stop_copy\":\"16K\","
    "\"reinit\":{\"when\":\"pre_switchover\",\"bytes\":\"4K\"}}},"
    "{\"name\":\"0000:02:00.0\",\"group\":43,\"cdev\":\"vfio1\",\"devt\":\"511:1\","
    "\"p2p\":false,\"dma_log_max_ranges\":2}]}";

static int nevents[VFM_MAX_DEVICES];

void fuzz_model_setup(void)
{
	char err[256];
	int i;

	real_resolve();
	if (config_parse(config, strlen(config), err, sizeof(err))) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	mock_setup(false);
	for (i = 0; i < mock_cfg.ndev; i++)
		nevents[i] = mock_cfg.dev[i].nevents;
}

void fuzz_model_reset(void)
{
	int i;

	mock_lock();
	fault_clear();
	for (i = 0; i < mock_cfg.ndev; i++)
		mock_cfg.dev[i].nevents = nevents[i];
	mock_unlock();
}
