/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testdev.h: the register map of "testdev", a device that exists only in
 * the tests: a model of a small DMA engine (testdev_model.c) that lives in
 * a test build of the agent, driven by a driver (drv_testdev.c) written the
 * way a vendor writes one for a real device.  Its registers are 32 bits
 * wide; it has a fill and a copy engine and no ring, so the agent streams
 * with one-page fills.
 */
#ifndef MIGCHECK_TESTDEV_H
#define MIGCHECK_TESTDEV_H

#define TESTDEV_VENDOR 0x1b36
#define TESTDEV_DEVICE 0x0fe1  /* never on a bus: tests only */
#define TESTDEV_ID 0x31564454u /* "TDV1" */

enum testdev_reg {
	TD_ID = 0x00,	    /* RO */
	TD_CTRL = 0x04,	    /* W: TD_CTRL_RESET clears the counters */
	TD_DOORBELL = 0x08, /* W: enum testdev_op; the engine takes it and clears it */
	TD_STATUS = 0x0c,   /* TD_ST_*: the driver clears it, then rings */
	TD_SRC_LO = 0x10,
	TD_SRC_HI = 0x14,
	TD_DST_LO = 0x18,
	TD_DST_HI = 0x1c,
	TD_PAGES = 0x20,
	TD_SEED_LO = 0x24,
	TD_SEED_HI = 0x28,
	TD_WRITTEN = 0x30, /* RO: pages written since the reset */
	TD_FAULTED = 0x34, /* RO: pages it could not reach */
};
#define TD_CTRL_RESET 1u
enum testdev_op { TD_OP_FILL = 1, TD_OP_COPY = 2 };
#define TD_ST_BUSY 1u
#define TD_ST_DONE 2u
#define TD_ST_ERROR 4u

/* A filled page: magic, seed, page index, then a pattern. */
#define TD_FILL_MAGIC 0x4c4c494656445431ull /* "1TDVFILL" */

/* Where the test tells the model its BAR lives (the fake sysfs resource0). */
#define TESTDEV_BAR_ENV "MIGCHECK_TESTDEV_BAR"

#endif
