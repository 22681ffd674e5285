/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvdomain.h: libvirt domain XML for a migcheck guest.
 *
 * The same description as vm_spec (q35, TCG, file-backed shared RAM, the
 * guest kernel and initramfs, the console in a file and the agent's serial
 * port), expressed as a libvirt domain.  Arguments libvirt has an element
 * for become that element (an intel-iommu -device becomes <iommu>, with
 * <qemu:override> for the properties libvirt has no attribute for); the
 * rest, the VFIO mock devices above all, go through libvirt's QEMU
 * namespace (<qemu:commandline>, <qemu:env>), which taints the domain
 * "custom-argv".
 */
#ifndef MIGCHECK_LVDOMAIN_H
#define MIGCHECK_LVDOMAIN_H

#include <jansson.h>
#include <stdint.h>

#define LVDOMAIN_RAM_ID "pc.ram"

struct lvdomain_spec {
	const char *name;
	const char *emulator;
	uint64_t mem_bytes;
	int smp;
	const char *kernel, *initrd, *append;
	const char *console_path;      /* a file libvirt opens for QEMU */
	const char *agent_path;	       /* a unix socket libvirt binds, or NULL */
	const char *const *extra_args; /* QEMU arguments, NULL-ended */
	const char *const *env;	       /* "KEY=VALUE", NULL-ended */
};

/*
 * The domain XML (malloc'd).  *how (new reference, may be NULL) says what
 * became which element and what went to the QEMU namespace.
 */
char *lvdomain_xml(const struct lvdomain_spec *s, json_t **how);
/* XML text with every occurrence of from[i] replaced by to[i] (NULL-ended lists). */
char *lvdomain_rewrite(const char *xml, const char *const *from, const char *const *to);
/* Text escaped for XML attribute values and content (malloc'd). */
char *lvdomain_escape(const char *s);

#endif
