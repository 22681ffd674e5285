// SPDX-License-Identifier: GPL-2.0-or-later
#include "guest.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads @n bytes at @off of @path into @buf; false with *err when it cannot. */
static bool read_head(const char *what, const char *path, off_t off, void *buf, size_t n,
		      char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0) {
		mc_set_err(err, "cannot read the guest %s %s: %s", what, path, strerror(errno));
		return false;
	}
	got = pread(fd, buf, n, off);
	close(fd);
	if (got != (ssize_t)n) {
		mc_set_err(err, "the guest %s %s is truncated or empty (%s)", what, path,
			   got < 0 ? strerror(errno) : "too short for its header");
		return false;
	}
	return true;
}

/*
 * A quick look at both files, so that a damaged one is named at once
 * rather than seen as a guest that never comes up: the kernel must be a
 * bzImage ("HdrS" at 0x202), the initramfs a cpio archive, plain or in a
 * compression Linux unpacks.
 */
static bool guest_files_sane(const struct guest_files *g, char **err)
{
	static const struct {
		const char *magic;
		size_t len;
	} initrd_magic[] = {
	    {"070701", 6},
	    {"070702", 6},
	    {"\x1f\x8b", 2},
	    {"\xfd"
	     "7zXZ",
	     6},
	    {"\x28\xb5\x2f\xfd", 4},
	    {"\x02\x21\x4c\x18", 4},
	    {"BZh", 3},
	};
	unsigned char head[8], hdr[0x206 - 0x1f1];
	unsigned long long need;
	struct stat st;
	size_t i;

	/* setup_sects at 0x1f1, syssize (16-byte units) at 0x1f4, "HdrS" at 0x202. */
	if (!read_head("kernel", g->kernel, 0x1f1, hdr, sizeof(hdr), err))
		return false;
	if (memcmp(hdr + 0x202 - 0x1f1, "HdrS", 4)) {
		mc_set_err(err, "the guest kernel %s is not a Linux bzImage (no \"HdrS\" at 0x202)",
			   g->kernel);
		return false;
	}
	need = ((unsigned long long)(hdr[0] ? hdr[0] : 4) + 1) * 512 +
	       16ull * (hdr[3] | hdr[4] << 8 | hdr[5] << 16 | (unsigned long long)hdr[6] << 24);
	if (stat(g->kernel, &st) == 0 && (unsigned long long)st.st_size < need) {
		mc_set_err(err,
			   "the guest kernel %s is truncated: its header needs %llu bytes, the "
			   "file has %llu",
			   g->kernel, need, (unsigned long long)st.st_size);
		return false;
	}
	if (!read_head("initramfs", g->initrd, 0, head, 6, err))
		return false;
	for (i = 0; i < sizeof(initrd_magic) / sizeof(initrd_magic[0]); i++)
		if (!memcmp(head, initrd_magic[i].magic, initrd_magic[i].len))
			return true;
	mc_set_err(err,
		   "the guest initramfs %s is not a cpio archive (it starts with %02x %02x %02x "
		   "%02x)",
		   g->initrd, head[0], head[1], head[2], head[3]);
	return false;
}

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
	if (!guest_files_sane(g, err)) {
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
