/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench.h: `migcheck bench`, the place speed is measured (never in a test):
 * median per-phase times of the selected cases over repeated runs, the
 * RAM oracle's throughput on synthetic memory, and what populating a
 * fresh guest's RAM costs on this host.
 */
#ifndef MIGCHECK_BENCH_H
#define MIGCHECK_BENCH_H

#include "runner.h"

int mc_bench(const struct mc_config *cfg, const struct mc_selection *sel, int repeat,
	     size_t oracle_mib);
/* GB/s of ram_compare over two equal buffers of `mib` MiB (median of 5). */
double bench_oracle_gbps(size_t mib);
/* GB/s of first reads of a fresh `mib` MiB memory file (median of 3). */
double bench_populate_gbps(size_t mib);

#endif
