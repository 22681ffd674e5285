// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 against the FIPS 180-4 examples, and a file digest against the same bytes. */
#define KTEST_MAIN
#include "ktest.h"

#include "sha256.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

TEST(fips_examples)
{
	char hex[65], *million = malloc(1000000);
	struct sha256 s;
	uint8_t d[32];
	int i;

	sha256_hex("", 0, hex);
	EXPECT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	EXPECT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	EXPECT_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ASSERT_NONNULL(million);
	memset(million, 'a', 1000000);
	sha256_hex(million, 1000000, hex);
	EXPECT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* Fed in uneven pieces, the same digest. */
	sha256_init(&s);
	for (i = 0; i < 1000000; i += 997)
		sha256_update(&s, million + i, i + 997 > 1000000 ? 1000000 - i : 997);
	sha256_final(&s, d);
	EXPECT_EQ(d[0], 0xcd);
	EXPECT_EQ(d[31], 0xd0);
	free(million);
}

TEST(file_digest)
{
	const char *tmp = getenv("TMPDIR");
	char *path = mc_strdup_printf("%s/sha256-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	char a[65], b[65];

	ASSERT_EQ(mc_write_file_atomic(path, "abc", 3, NULL), 0);
	ASSERT_EQ(sha256_file_hex(path, a), 0);
	sha256_hex("abc", 3, b);
	EXPECT_STREQ(a, b);
	unlink(path);
	EXPECT_EQ(sha256_file_hex(path, a), -1);
	free(path);
}
