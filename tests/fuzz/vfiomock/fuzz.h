/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by vfiomock's fuzz targets: the model brought up from a fixed configuration. */
#ifndef VFIOMOCK_FUZZ_H
#define VFIOMOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Once per process: the model with two devices, test ops on, no threads. */
void fuzz_model_setup(void);
/* After each input: faults and armed events the input added are gone. */
void fuzz_model_reset(void);

#endif
