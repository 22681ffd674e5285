// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * drivers.c: the registry of device drivers (driver.h).  A new device is
 * its driver file plus one X(<ops struct>) line here.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"

#define AGENT_DRIVERS(X) X(vfiomock_driver)

/* The test build adds drivers for device models that live in the agent. */
#ifdef AGENT_TEST_DRIVERS
#define TEST_DRIVERS(X) X(testdev_driver)
#else
#define TEST_DRIVERS(X)
#endif

#define DECLARE(ops) extern const struct dma_driver_ops ops;
#define ENTRY(ops) &ops,
AGENT_DRIVERS(DECLARE)
TEST_DRIVERS(DECLARE)

static const struct dma_driver_ops *const registry[] = {AGENT_DRIVERS(ENTRY) TEST_DRIVERS(ENTRY)};
#define NDRIVERS (sizeof(registry) / sizeof(registry[0]))

const struct dma_driver_ops *driver_find(uint16_t vendor, uint16_t device)
{
	size_t i;

	for (i = 0; i < NDRIVERS; i++)
		if (registry[i]->vendor == vendor && registry[i]->device == device)
			return registry[i];
	return NULL;
}

const char *driver_names(void)
{
	static char names[256];
	size_t i, len = 0;

	if (names[0])
		return names;
	for (i = 0; i < NDRIVERS && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s", i ? "," : "",
				registry[i]->name);
	return names;
}
