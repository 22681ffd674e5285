/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.h: what the system under test is and can do.
 *
 * probe_environment() is cheap and goes into every report (host, kernel,
 * QEMU binary and version, guest kernel).  probe_qemu() starts QEMU and asks
 * it over QMP: accelerators, the VFIO-related devices and their properties,
 * migration capabilities and parameters.  probe_kvm() checks whether /dev/kvm
 * can boot the project's ordinary Linux guest.
 */
#ifndef MIGCHECK_PROBE_H
#define MIGCHECK_PROBE_H

#include <jansson.h>
#include <stdio.h>

json_t *probe_environment(const char *qemu, const char *guest_dir);
json_t *probe_qemu(const char *qemu, char **err);
json_t *probe_kvm(const char *qemu, const char *guest_dir);
/* Human-readable rendering of a full probe object. */
void probe_print(const json_t *probe, FILE *out);

#endif
