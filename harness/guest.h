/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest.h: the Linux guest tier's files (built by guests/linux) and the
 * kernel command line every Linux-guest case starts from.
 */
#ifndef MIGCHECK_GUEST_H
#define MIGCHECK_GUEST_H

#include <jansson.h>
#include <stdbool.h>

/*
 * ttyS0 is the console (a file in the case's work directory), ttyS1 the
 * agent's port.  panic=-1 turns a guest panic into a QEMU exit the harness
 * sees at once instead of a silent hang.  no_timer_check: Linux's boot-time
 * check that the IO-APIC timer ticks fails when TCG's vCPU is starved on a
 * loaded host ("MP-BIOS bug: 8254 timer not connected", and with interrupt
 * remapping a panic); a VM's timer needs no such check.
 * cryptomgr.notests: the kernel tests every crypto algorithm it registers
 * before first use, and the module-signing keyring waits for those tests at
 * boot; under TCG that was a fifth of the boot (2.70 -> 2.12 s to a ready
 * agent, median of six).  Only the self-tests go: the algorithms are the
 * same, and module signatures are still checked with them.
 */
#define GUEST_BASE_CMDLINE                                                                         \
	"console=ttyS0 panic=-1 loglevel=4 mitigations=off no_timer_check cryptomgr.notests"

struct guest_files {
	char *kernel; /* vmlinux (booted at its PVH entry) when the build made one, else vmlinuz */
	char *initrd;
	char *release;
	bool pvh; /* the kernel is the PVH ELF */
};

int guest_files_find(const char *dir, struct guest_files *g, char **err);
void guest_files_free(struct guest_files *g);
/* {"dir", "kernel_release", "kernel", "boot": "pvh"|"bzimage", "initrd"} or with "error". */
json_t *guest_describe(const char *dir);

#endif
