/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * viommu.h: the guest's IOMMU, the one place its command lines are spelled.
 *
 * Every case with a vIOMMU (the dirty cells behind one, the domain suites,
 * the bare guest, the boot test) takes QEMU's arguments and the Linux
 * guest's kernel options from here, by the viommu axis value.
 */
#ifndef MIGCHECK_VIOMMU_H
#define MIGCHECK_VIOMMU_H

#include <stdbool.h>

/*
 * QEMU arguments that add vIOMMU `vi` (enum mx_viommu), to go before any
 * device; NULL-ended and static.  `linux_guest` adds interrupt remapping
 * (with the split irqchip it needs), as a Linux guest with an assigned
 * device is run; the bare guest has no interrupts.  intel-iommu's
 * properties are spelled as the QEMU under test spells them (qemuid);
 * NULL when that build cannot express `vi` (no scalable mode): the cell
 * does not exist for it.
 */
const char *const *viommu_qemu_args(int vi, bool linux_guest);

/*
 * Kernel options for a Linux guest under vIOMMU `vi`: the IOMMU on and in
 * the vIOMMU's mode, the default domain (gi: enum mx_guest_iommu, -1 for
 * identity) and invalidation (inv: enum mx_invalidation, -1 for the
 * kernel's default); malloc'd, "" without a vIOMMU.
 */
char *viommu_kernel_args(int vi, int gi, int inv);

#endif
