/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Forced into the VFIO selftest library: a prototype it uses without one. */
#include <stddef.h>
void *calloc_assert(size_t n, size_t size);
