// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_guest: which kernel file a guest boots, and the checks that name a
 * damaged one at once: the PVH ELF when the build made one, vmlinuz when
 * it is empty, and an ELF without a PVH entry or shorter than its segments
 * refused with the reason.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "guest.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18

static void put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	if (len && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

/* A guest directory with a plausible bzImage, initramfs and release. */
static char *guest_dir(void)
{
	char tmpl[512];
	unsigned char bz[0x400] = {0};
	char *dir;

	snprintf(tmpl, sizeof(tmpl), "%s/guest.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	dir = strdup(mkdtemp(tmpl));
	bz[0x1f1] = 1; /* setup_sects: 2 sectors, then syssize 0 */
	memcpy(bz + 0x202, "HdrS", 4);
	put(dir, "vmlinuz", bz, sizeof(bz));
	put(dir, "initramfs.cpio", "070701", 6);
	put(dir, "kernel-release", "6.12.0-test\n", 12);
	return dir;
}

static void drop_dir(char *dir)
{
	static const char *const names[] = {"vmlinuz", "vmlinux", "initramfs.cpio",
					    "kernel-release"};
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	free(dir);
}

/*
 * An x86-64 ELF: header, two program headers (a note, a load segment of
 * @load bytes at offset 0x1000), the note of @type from owner "Xen".
 */
static void put_elf(const char *dir, uint32_t type, uint64_t load, size_t file_len)
{
	unsigned char *f = calloc(1, file_len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
	Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));
	Elf64_Nhdr *n = (Elf64_Nhdr *)(f + 0x200);

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = 0x200;
	ph[0].p_filesz = sizeof(*n) + 4 + 4;
	ph[1].p_type = PT_LOAD;
	ph[1].p_offset = 0x1000;
	ph[1].p_filesz = load;
	n->n_namesz = 4;
	n->n_descsz = 4;
	n->n_type = type;
	memcpy(n + 1, "Xen", 4);
	put(dir, "vmlinux", f, file_len);
	free(f);
}

TEST(an_empty_vmlinux_boots_vmlinuz)
{
	char *dir = guest_dir(), *err = NULL;
	struct guest_files g;

	put(dir, "vmlinux", "", 0);
	ASSERT_EQ(guest_files_find(dir, &g, &err), 0);
	EXPECT_TRUE(strstr(g.kernel, "/vmlinuz") != NULL);
	EXPECT_FALSE(g.pvh);
	guest_files_free(&g);
	drop_dir(dir);
}

TEST(a_vmlinux_with_a_pvh_entry_is_booted)
{
	char *dir = guest_dir(), *err = NULL;
	struct guest_files g;
	json_t *d;

	put_elf(dir, XEN_ELFNOTE_PHYS32_ENTRY, 0x1000, 0x2000);
	ASSERT_EQ(guest_files_find(dir, &g, &err), 0);
	EXPECT_TRUE(strstr(g.kernel, "/vmlinux") != NULL);
	EXPECT_TRUE(g.pvh);
	guest_files_free(&g);
	d = guest_describe(dir);
	EXPECT_STREQ(json_string_value(json_object_get(d, "boot")), "pvh");
	json_decref(d);
	drop_dir(dir);
}

TEST(an_elf_without_a_pvh_entry_is_refused)
{
	char *dir = guest_dir(), *err = NULL;
	struct guest_files g;

	put_elf(dir, XEN_ELFNOTE_PHYS32_ENTRY - 1, 0x1000, 0x2000);
	ASSERT_EQ(guest_files_find(dir, &g, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "without a PVH entry") != NULL);
	free(err);
	drop_dir(dir);
}

TEST(an_elf_shorter_than_its_segments_is_refused)
{
	char *dir = guest_dir(), *err = NULL;
	struct guest_files g;

	put_elf(dir, XEN_ELFNOTE_PHYS32_ENTRY, 0x100000, 0x2000);
	ASSERT_EQ(guest_files_find(dir, &g, &err), -1);
	ASSERT_NONNULL(err);
	EXPECT_TRUE(strstr(err, "truncated") != NULL);
	free(err);
	drop_dir(dir);
}
