// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzzes the mock's configuration loader: any bytes as the file
 * VFIOMOCK_CONFIG names must parse or be refused with a message, and a
 * configuration that parses must bring the model up and down cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";

	if (config_parse((const char *)data, size, err, sizeof(err)))
		return 0;
	/* What parses stays within the model's limits. */
	if (mock_cfg.ndev > VFM_MAX_DEVICES || mock_cfg.iommu.nranges > MOCK_MAX_RANGES ||
	    !mock_cfg.iommu.pgsize_bitmap)
		abort();
	for (int i = 0; i < mock_cfg.ndev; i++)
		if (mock_cfg.dev[i].nevents > VFM_MAX_EVENTS || mock_cfg.dev[i].msix_vectors > 64 ||
		    !mock_cfg.dev[i].log_max_ranges || !memchr(mock_cfg.dev[i].name, 0, 64))
			abort();
	json_decref(mock_cfg.faults);
	mock_cfg.faults = NULL;
	return 0;
}
