// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ramcmp: the RAM equality oracle on synthetic guest RAM.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "fakepeer.h"
#include "ramcmp.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096ul
#define RAM_SIZE (64ul << 20)
#define NPAGES (RAM_SIZE / PAGE)

/* A shared mapping of a fresh memfd, like the harness's view of guest RAM. */
static uint8_t *ram_map(size_t size)
{
	int fd = memfd_create("ramcmp-test", MFD_CLOEXEC);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, size) < 0)
		abort();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		abort();
	return p;
}

/* Every page distinct: its index and a running pattern. */
static void fill(uint8_t *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += 8) {
		uint64_t v = (i / PAGE) * 0x9e3779b97f4a7c15ull ^ i;

		memcpy(p + i, &v, size - i < 8 ? size - i : 8);
	}
}

static struct ram_cmp cmp;

TEST(identical)
{
	uint8_t *a = ram_map(RAM_SIZE), *b = ram_map(RAM_SIZE);
	struct ram_layout l;
	char *s;

	fill(a, RAM_SIZE);
	memcpy(b, a, RAM_SIZE);
	ram_layout_identity(&l, RAM_SIZE);
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.pages, NPAGES);
	EXPECT_EQ(cmp.differing, 0);
	EXPECT_EQ(cmp.nreported, 0);
	EXPECT_TRUE(cmp.seconds >= 0);
	s = ram_cmp_summary(&cmp);
	EXPECT_STREQ(s, "all 16384 pages equal");
	free(s);
}

TEST(one_corrupted_page)
{
	uint8_t *a = ram_map(RAM_SIZE), *b = ram_map(RAM_SIZE);
	struct ram_layout l;
	const size_t idx = 12345;

	fill(a, RAM_SIZE);
	memcpy(b, a, RAM_SIZE);
	/* A single byte deep in the page is enough. */
	b[idx * PAGE + 4000] ^= 1;
	ram_layout_identity(&l, RAM_SIZE);
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.differing, 1);
	ASSERT_EQ(cmp.nreported, 1);
	EXPECT_EQ(cmp.diff[0].offset, idx * PAGE);
	EXPECT_EQ(cmp.diff[0].gpa, idx * PAGE);
	/* Shown from the 16-byte line that holds the first difference. */
	EXPECT_EQ(cmp.diff[0].first_byte, 4000);
	EXPECT_EQ(cmp.diff[0].bytes_differing, 1);
	EXPECT_EQ(cmp.diff[0].shown_at, 4000 & ~15);
	EXPECT_EQ(memcmp(cmp.diff[0].src, a + idx * PAGE + (4000 & ~15), 16), 0);
	EXPECT_EQ(memcmp(cmp.diff[0].dst, b + idx * PAGE + (4000 & ~15), 16), 0);
}

TEST(first_bytes_of_both_sides)
{
	uint8_t *a = ram_map(RAM_SIZE), *b = ram_map(RAM_SIZE);
	struct ram_layout l;
	const size_t idx = 77;
	int i;

	fill(a, RAM_SIZE);
	memcpy(b, a, RAM_SIZE);
	for (i = 0; i < 16; i++) {
		a[idx * PAGE + i] = (uint8_t)i;
		b[idx * PAGE + i] = (uint8_t)(0xf0 | i);
	}
	ram_layout_identity(&l, RAM_SIZE);
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	ASSERT_EQ(cmp.nreported, 1);
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(cmp.diff[0].src[i], i);
		EXPECT_EQ(cmp.diff[0].dst[i], 0xf0 | i);
	}
}

TEST(twenty_pages_sixteen_reported_in_address_order)
{
	/* Corrupted out of order on purpose. */
	static const size_t idx[20] = {9000, 3,	   16383, 500,	 501,	8191, 8192,
				       0,    1024, 2048,  12000, 15000, 7,    77,
				       777,  7777, 4095,  4096,	 10000, 11111};
	size_t sorted[20];
	uint8_t *a = ram_map(RAM_SIZE), *b = ram_map(RAM_SIZE);
	struct ram_layout l;
	unsigned i, j;

	fill(a, RAM_SIZE);
	memcpy(b, a, RAM_SIZE);
	for (i = 0; i < 20; i++)
		b[idx[i] * PAGE + 100] ^= 0xff;
	memcpy(sorted, idx, sizeof(sorted));
	for (i = 0; i < 20; i++)
		for (j = i + 1; j < 20; j++)
			if (sorted[j] < sorted[i]) {
				size_t t = sorted[i];

				sorted[i] = sorted[j];
				sorted[j] = t;
			}
	ram_layout_identity(&l, RAM_SIZE);
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.pages, NPAGES);
	EXPECT_EQ(cmp.differing, 20);
	ASSERT_EQ(cmp.nreported, RAMCMP_MAX_REPORTED);
	EXPECT_EQ(RAMCMP_MAX_REPORTED, 16);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(cmp.diff[i].offset, sorted[i] * PAGE);
}

TEST(partial_last_page)
{
	const size_t len = 10 * PAGE + 100;
	uint8_t *a = ram_map(11 * PAGE), *b = ram_map(11 * PAGE);
	struct ram_layout l;

	fill(a, len);
	memcpy(b, a, len);
	/* Beyond len: must not count. */
	b[len + 5] ^= 1;
	ram_layout_identity(&l, len);
	ram_compare(a, b, len, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.pages, 11);
	EXPECT_EQ(cmp.differing, 0);

	b[len - 1] ^= 1;
	ram_compare(a, b, len, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.differing, 1);
	ASSERT_EQ(cmp.nreported, 1);
	EXPECT_EQ(cmp.diff[0].offset, 10 * PAGE);
	/* The partial page's last byte: only the 4 bytes of its line that exist are shown. */
	EXPECT_EQ(cmp.diff[0].first_byte, 99);
	EXPECT_EQ(cmp.diff[0].shown_at, 96);
	EXPECT_EQ(memcmp(cmp.diff[0].src, a + 10 * PAGE + 96, 4), 0);
}

/* Trimmed from QEMU 10.0's "info mtree" for q35 with 4 GiB of memory-backend RAM. */
static const char mtree_4g[] =
    "address-space: cpu-memory-0\n"
    "address-space: memory\n"
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
    "    0000000000000000-000000007fffffff (prio 0, ram): alias ram-below-4g @ram0 "
    "0000000000000000-000000007fffffff\n"
    "    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
    "      00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n"
    "      00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
    "      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
    "    00000000000a0000-00000000000bffff (prio 1, i/o): alias smram-region @pci "
    "00000000000a0000-00000000000bffff\n"
    "    00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\n"
    "    00000000fed00000-00000000fed003ff (prio 0, i/o): hpet\n"
    "    0000000100000000-000000017fffffff (prio 0, ram): alias ram-above-4g @ram0 "
    "0000000080000000-00000000ffffffff\n"
    "\n"
    "address-space: I/O\n"
    "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
    "\n"
    "memory-region: ram0\n"
    "  0000000000000000-00000000ffffffff (prio 0, ram): ram0\n";

TEST(layout_from_mtree_below_and_above_4g)
{
	struct ram_layout l;

	ASSERT_EQ(ram_layout_from_mtree(&l, mtree_4g, "ram0"), 2);
	EXPECT_EQ(l.nseg, 2);
	/* offsets -> GPAs */
	EXPECT_EQ(ram_layout_gpa(&l, 0), 0);
	EXPECT_EQ(ram_layout_gpa(&l, 0x1234000), 0x1234000);
	EXPECT_EQ(ram_layout_gpa(&l, 0x7fffffff), 0x7fffffff);
	EXPECT_EQ(ram_layout_gpa(&l, 0x80000000), 0x100000000ull);
	EXPECT_EQ(ram_layout_gpa(&l, 0xfffff000), 0x17ffff000ull);
	EXPECT_EQ(ram_layout_gpa(&l, 0x100000000ull), UINT64_MAX);
	/* GPAs -> offsets */
	EXPECT_EQ(ram_layout_offset(&l, 0x7ffff000), 0x7ffff000);
	EXPECT_EQ(ram_layout_offset(&l, 0x100000000ull), 0x80000000);
	EXPECT_EQ(ram_layout_offset(&l, 0x17fffffffull), 0xffffffffull);
	/* The PCI hole and beyond RAM are not RAM. */
	EXPECT_EQ(ram_layout_offset(&l, 0x80000000), UINT64_MAX);
	EXPECT_EQ(ram_layout_offset(&l, 0xfec00000), UINT64_MAX);
	EXPECT_EQ(ram_layout_offset(&l, 0x180000000ull), UINT64_MAX);
}

TEST(layout_from_mtree_small_guest)
{
	static const char mtree[] =
	    "address-space: memory\n"
	    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
	    "    0000000000000000-000000000fffffff (prio 0, ram): alias ram-below-4g @ram0 "
	    "0000000000000000-000000000fffffff\n"
	    "    00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\n";
	struct ram_layout l;

	ASSERT_EQ(ram_layout_from_mtree(&l, mtree, "ram0"), 1);
	EXPECT_EQ(ram_layout_gpa(&l, 0xffff000), 0xffff000);
	EXPECT_EQ(ram_layout_gpa(&l, 0x10000000), UINT64_MAX);
	EXPECT_EQ(ram_layout_offset(&l, 0x100000000ull), UINT64_MAX);
}

TEST(layout_from_mtree_other_backend_falls_back)
{
	struct ram_layout l;

	EXPECT_EQ(ram_layout_from_mtree(&l, mtree_4g, "pc.ram"), 0);
	EXPECT_EQ(ram_layout_from_mtree(&l, "", "ram0"), 0);
	EXPECT_EQ(ram_layout_from_mtree(&l, "garbage\nalias ram-below-4g @ram0 zz\n", "ram0"), 0);

	/* The caller's fallback: identity over the backend. */
	ram_layout_identity(&l, 256ul << 20);
	EXPECT_EQ(l.nseg, 1);
	EXPECT_EQ(ram_layout_gpa(&l, 0x1000), 0x1000);
	EXPECT_EQ(ram_layout_offset(&l, 0xfffffff), 0xfffffff);
	EXPECT_EQ(ram_layout_gpa(&l, 256ul << 20), UINT64_MAX);
	EXPECT_EQ(ram_layout_offset(&l, 256ul << 20), UINT64_MAX);
}

/* A differing page above the PCI hole is reported at its real GPA. */
TEST(diff_gpa_through_layout)
{
	struct ram_layout l = {
	    .seg = {{.offset = 0, .gpa = 0, .size = 1 << 20},
		    {.offset = 1 << 20, .gpa = 0x100000000ull, .size = 1 << 20}},
	    .nseg = 2,
	};
	uint8_t *a = ram_map(2 << 20), *b = ram_map(2 << 20);
	json_t *j, *d;
	char *s;

	fill(a, 2 << 20);
	memcpy(b, a, 2 << 20);
	b[(1 << 20) + 2 * PAGE + 9] ^= 0x80;
	ram_compare(a, b, 2 << 20, PAGE, &l, &cmp);
	ASSERT_EQ(cmp.nreported, 1);
	EXPECT_EQ(cmp.diff[0].offset, (1 << 20) + 2 * PAGE);
	EXPECT_EQ(cmp.diff[0].gpa, 0x100002000ull);

	s = ram_cmp_summary(&cmp);
	EXPECT_STREQ(s, "1 of 512 pages differ, first at GPA 0x100002000");
	free(s);

	j = ram_cmp_json(&cmp);
	ASSERT_NONNULL(j);
	EXPECT_EQ(json_integer_value(json_object_get(j, "pages")), 512);
	EXPECT_EQ(json_integer_value(json_object_get(j, "differing_pages")), 1);
	EXPECT_TRUE(json_is_number(json_object_get(j, "seconds")));
	ASSERT_EQ(json_array_size(json_object_get(j, "first_differences")), 1);
	d = json_array_get(json_object_get(j, "first_differences"), 0);
	EXPECT_STREQ(json_string_value(json_object_get(d, "gpa")), "0x100002000");
	EXPECT_EQ(json_integer_value(json_object_get(d, "offset")), (1 << 20) + 2 * PAGE);
	{
		char hex[33];
		const uint8_t *p = a + (1 << 20) + 2 * PAGE;
		int i;

		EXPECT_EQ(json_integer_value(json_object_get(d, "first_byte")), 9);
		EXPECT_EQ(json_integer_value(json_object_get(d, "bytes_differing")), 1);
		EXPECT_EQ(json_integer_value(json_object_get(d, "shown_at")), 0);
		for (i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", p[i]);
		EXPECT_STREQ(json_string_value(json_object_get(d, "src")), hex);
		p = b + (1 << 20) + 2 * PAGE;
		for (i = 0; i < 16; i++)
			sprintf(hex + 2 * i, "%02x", p[i]);
		EXPECT_STREQ(json_string_value(json_object_get(d, "dst")), hex);
	}
	json_decref(j);
}

TEST(json_of_equal_ram)
{
	uint8_t *a = ram_map(PAGE * 4);
	struct ram_layout l;
	json_t *j;

	ram_layout_identity(&l, PAGE * 4);
	ram_compare(a, a, PAGE * 4, PAGE, &l, &cmp);
	j = ram_cmp_json(&cmp);
	EXPECT_EQ(json_integer_value(json_object_get(j, "differing_pages")), 0);
	EXPECT_TRUE(json_is_array(json_object_get(j, "first_differences")));
	EXPECT_EQ(json_array_size(json_object_get(j, "first_differences")), 0);
	json_decref(j);
}

/*
 * The oracle's negative control on files, as the harness sees guest RAM:
 * copy a RAM file, corrupt exactly one page of the copy through the file,
 * map both, and the oracle must name that page and no other.
 */
TEST(selftest_one_page_of_a_copied_file)
{
	char dir[128], src_path[192], dst_path[192];
	const size_t idx = 9999;
	struct ram_layout l;
	uint8_t *a, *b, junk[64];
	int fa, fb;
	size_t off;

	make_tmpdir(dir, sizeof(dir));
	snprintf(src_path, sizeof(src_path), "%s/src.ram", dir);
	snprintf(dst_path, sizeof(dst_path), "%s/dst.ram", dir);
	fa = open(src_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	fb = open(dst_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fa >= 0 && fb >= 0);
	ASSERT_EQ(ftruncate(fa, RAM_SIZE), 0);
	a = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	ASSERT_TRUE(a != MAP_FAILED);
	fill(a, RAM_SIZE);
	msync(a, RAM_SIZE, MS_SYNC);
	/* Copy through write(2), the way a second process would see it. */
	for (off = 0; off < RAM_SIZE; off += 1 << 20)
		ASSERT_EQ(pwrite(fb, a + off, 1 << 20, off), 1 << 20);
	memset(junk, 0x5a, sizeof(junk));
	ASSERT_EQ(pwrite(fb, junk, sizeof(junk), idx * PAGE + 2048), sizeof(junk));
	b = mmap(NULL, RAM_SIZE, PROT_READ, MAP_SHARED, fb, 0);
	ASSERT_TRUE(b != MAP_FAILED);

	ram_layout_identity(&l, RAM_SIZE);
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.differing, 1);
	ASSERT_EQ(cmp.nreported, 1);
	EXPECT_EQ(cmp.diff[0].gpa, idx * PAGE);

	/* Undo it: the oracle must then see equal RAM. */
	ASSERT_EQ(pwrite(fb, a + idx * PAGE + 2048, sizeof(junk), idx * PAGE + 2048), sizeof(junk));
	ram_compare(a, b, RAM_SIZE, PAGE, &l, &cmp);
	EXPECT_EQ(cmp.differing, 0);
	munmap(a, RAM_SIZE);
	munmap(b, RAM_SIZE);
	close(fa);
	close(fb);
	rm_tree(dir);
}

/*
 * Whose writes a RAM difference held (migcase_hooks.c and the Linux domain
 * cases name the loss for the known-defects table with it): only a
 * difference wholly outside the device's pages is the guest CPU's, only one
 * wholly inside is the device's; a mixed one and none are neither.
 */
TEST(loss_signature_names_whose_writes_were_lost)
{
	struct mc_ranges device, diff;

	ranges_init(&device);
	ranges_init(&diff);
	ranges_add(&device, 0x8000000, 64 * PAGE); /* a ring */
	ranges_add(&device, 0x9000000, PAGE);	   /* an event page */

	EXPECT_NULL(ram_loss_signature(&diff, &device));

	ranges_add(&diff, 0xc478000, PAGE);
	EXPECT_STREQ(ram_loss_signature(&diff, &device), RAM_LOSS_CPU);

	/* The same CPU page and the event page: neither alone explains it. */
	ranges_add(&diff, 0x9000000, PAGE);
	EXPECT_NULL(ram_loss_signature(&diff, &device));

	ranges_free(&diff);
	ranges_add(&diff, 0x9000000, PAGE);
	ranges_add(&diff, 0x8010000, 2 * PAGE);
	EXPECT_STREQ(ram_loss_signature(&diff, &device), RAM_LOSS_DMA);

	/* A page straddling the ring's end is partly the CPU's: neither. */
	ranges_free(&diff);
	ranges_add(&diff, 0x8000000 + 63 * PAGE, 2 * PAGE);
	EXPECT_NULL(ram_loss_signature(&diff, &device));

	/* No device pages at all: any loss is the CPU's. */
	ranges_free(&device);
	EXPECT_STREQ(ram_loss_signature(&diff, &device), RAM_LOSS_CPU);
	ranges_free(&diff);
}
