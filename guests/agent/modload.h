/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modload.h: loads the kernel modules the initramfs carries, in the order
 * listed by the build (dependencies first).
 */
#ifndef MIGCHECK_AGENT_MODLOAD_H
#define MIGCHECK_AGENT_MODLOAD_H

#include <stddef.h>

#define MODLOAD_LIST_DEFAULT "/etc/migcheck/modules"

struct modload_result {
	unsigned int loaded;  /* newly loaded */
	unsigned int already; /* were loaded before (EEXIST) */
	char failed[256];     /* the module that failed, if any */
	int err;	      /* its errno */
	int list_unreadable;  /* the list itself could not be opened */
};

/*
 * Loads every module in @list (one path per line, relative to @dir unless
 * absolute; '#' starts a comment).  Stops at the first failure.
 * Returns 0 or -errno; on error @res names the module.
 */
int modload_list(const char *list, const char *dir, struct modload_result *res);

#endif /* MIGCHECK_AGENT_MODLOAD_H */
