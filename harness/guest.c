// SPDX-License-Identifier: GPL-2.0-or-later
#include "guest.h"
#include "util.h"

#include <elf.h>
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
 * An uncompressed kernel QEMU can boot: a little-endian x86-64 ELF whose
 * program headers lie in the file, holding the PVH entry (an ELF note of
 * owner "Xen", type XEN_ELFNOTE_PHYS32_ENTRY), and no shorter than its
 * loadable segments.  QEMU refuses any other ELF for x86.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static bool pvh_note_in(const unsigned char *p, size_t len)
{
	size_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *n = (const void *)(p + off);
		size_t name = (n->n_namesz + 3) & ~3ul, desc = (n->n_descsz + 3) & ~3ul;

		off += sizeof(*n);
		if (name > len - off || desc > len - off - name)
			return false;
		if (n->n_namesz == 4 && !memcmp(p + off, "Xen", 4) &&
		    n->n_type == XEN_ELFNOTE_PHYS32_ENTRY)
			return true;
		off += name + desc;
	}
	return false;
}

static bool pvh_elf_sane(const char *path, char **err)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned long long end = 0;
	bool pvh = false;
	struct stat st;
	int i;

	if (!read_head("kernel", path, 0, &eh, sizeof(eh), err))
		return false;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(ph)) {
		mc_set_err(err, "the guest kernel %s is an ELF but not an x86-64 kernel", path);
		return false;
	}
	/* Every segment inside the file first: a cut-off copy is named as such. */
	for (i = 0; i < eh.e_phnum; i++) {
		if (!read_head("kernel", path, (off_t)(eh.e_phoff + i * sizeof(ph)), &ph,
			       sizeof(ph), err))
			return false;
		if (ph.p_offset + ph.p_filesz > end)
			end = ph.p_offset + ph.p_filesz;
	}
	if (stat(path, &st) == 0 && (unsigned long long)st.st_size < end) {
		mc_set_err(err,
			   "the guest kernel %s is truncated: its segments need %llu bytes, the "
			   "file has %llu",
			   path, end, (unsigned long long)st.st_size);
		return false;
	}
	for (i = 0; i < eh.e_phnum && !pvh; i++) {
		unsigned char *notes;

		if (!read_head("kernel", path, (off_t)(eh.e_phoff + i * sizeof(ph)), &ph,
			       sizeof(ph), err))
			return false;
		if (ph.p_type != PT_NOTE || !ph.p_filesz || ph.p_filesz > (1u << 20))
			continue;
		notes = malloc(ph.p_filesz);
		if (!notes)
			abort();
		if (!read_head("kernel", path, (off_t)ph.p_offset, notes, ph.p_filesz, err)) {
			free(notes);
			return false;
		}
		pvh = pvh_note_in(notes, ph.p_filesz);
		free(notes);
	}
	if (!pvh) {
		mc_set_err(err,
			   "the guest kernel %s is an ELF without a PVH entry (no Xen "
			   "PHYS32_ENTRY note): QEMU cannot boot it",
			   path);
		return false;
	}
	return true;
}

/*
 * A quick look at both files, so that a damaged one is named at once
 * rather than seen as a guest that never comes up: the kernel must be a
 * bzImage ("HdrS" at 0x202) or an ELF with a PVH entry, the initramfs a
 * cpio archive, plain or in a compression Linux unpacks.
 */
static bool guest_files_sane(struct guest_files *g, char **err)
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

	if (!read_head("kernel", g->kernel, 0, head, 4, err))
		return false;
	if (!memcmp(head, ELFMAG, SELFMAG)) {
		if (!pvh_elf_sane(g->kernel, err))
			return false;
		g->pvh = true;
		goto initrd;
	}
	/* setup_sects at 0x1f1, syssize (16-byte units) at 0x1f4, "HdrS" at 0x202. */
	if (!read_head("kernel", g->kernel, 0x1f1, hdr, sizeof(hdr), err))
		return false;
	if (memcmp(hdr + 0x202 - 0x1f1, "HdrS", 4)) {
		mc_set_err(err,
			   "the guest kernel %s is not a Linux bzImage (no \"HdrS\" at 0x202) nor "
			   "an ELF",
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
initrd:
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
	struct stat st;

	memset(g, 0, sizeof(*g));
	/* The PVH-bootable ELF when the build made one (it is empty otherwise). */
	g->kernel = mc_strdup_printf("%s/vmlinux", dir);
	if (stat(g->kernel, &st) < 0 || st.st_size == 0) {
		free(g->kernel);
		g->kernel = mc_strdup_printf("%s/vmlinuz", dir);
	}
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
	json_object_set_new(o, "boot", json_string(g.pvh ? "pvh" : "bzimage"));
	json_object_set_new(o, "initrd", json_string(g.initrd));
	json_object_set_new(o, "kernel_release", g.release ? json_string(g.release) : json_null());
	json_object_set_new(o, "cmdline_base", json_string(GUEST_BASE_CMDLINE));
	guest_files_free(&g);
	return o;
}
