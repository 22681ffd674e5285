// SPDX-License-Identifier: GPL-2.0-or-later
#include "guest.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int guest_files_find(const char *dir, struct guest_files *g, char **err)
{
	char *rel = mc_strdup_printf("%s/kernel-release", dir);

	memset(g, 0, sizeof(*g));
	g->kernel = mc_strdup_printf("%s/vmlinuz", dir);
	g->initrd = mc_strdup_printf("%s/initramfs.cpio", dir);
	g->release = mc_read_file(rel, NULL);
	free(rel);
	if (g->release)
		mc_rstrip(g->release);
	if (!mc_path_exists(g->kernel) || !mc_path_exists(g->initrd)) {
		mc_set_err(err,
			   "guest artefacts missing in %s (vmlinuz, initramfs.cpio): build them "
			   "with 'make' or pass --guest-dir",
			   dir);
		guest_files_free(g);
		return -1;
	}
	return 0;
}

void guest_files_free(struct guest_files *g)
{
	free(g->kernel);
	free(g->initrd);
	free(g->release);
	memset(g, 0, sizeof(*g));
}

json_t *guest_describe(const char *dir)
{
	struct guest_files g;
	char *err = NULL;
	json_t *o = json_pack("{s:s}", "dir", dir);

	if (guest_files_find(dir, &g, &err) < 0) {
		json_object_set_new(o, "error", json_string(err));
		free(err);
		return o;
	}
	json_object_set_new(o, "kernel", json_string(g.kernel));
	json_object_set_new(o, "initrd", json_string(g.initrd));
	json_object_set_new(o, "kernel_release", g.release ? json_string(g.release) : json_null());
	json_object_set_new(o, "cmdline_base", json_string(GUEST_BASE_CMDLINE));
	guest_files_free(&g);
	return o;
}
