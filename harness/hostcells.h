/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostcells.h: which matrix cells apply to real host devices.
 *
 * Two kinds of "no".  Cases that need mock-only means (fault injection,
 * DMA plans the harness runs from the host side, the mock's personalities
 * and mapping state) are never generated for host devices: the table below
 * lists them with the reason.  A generated cell may still not apply to the
 * devices at hand: hostcells_applies() says so from what the kernel
 * reported (devcaps.h), with the reason.  What QEMU itself refuses is left
 * to QEMU: such a case SKIPs with QEMU's words.
 */
#ifndef MIGCHECK_HOSTCELLS_H
#define MIGCHECK_HOSTCELLS_H

#include "hostdev.h"
#include "matrix.h"

#include <jansson.h>
#include <stdbool.h>

struct hostcells_gap {
	const char *what;   /* cases or cell values, as names or globs */
	const char *reason; /* why they are not generated for host devices */
};
/* NULL-ended. */
extern const struct hostcells_gap hostcells_not_generated[];
json_t *hostcells_not_generated_json(void);

/* Whether the passthrough suite generates this cell at all. */
bool hostcells_generated(const struct mx_cell *c);
/* Whether the cell applies to the devices; false with *why (malloc'd) when not. */
bool hostcells_applies(const struct mx_cell *c, const struct hostdev_set *s, char **why);

#endif
