/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sha256.h: SHA-256 (FIPS 180-4), for the digests certificates quote; the
 * same value `sha256sum` prints.
 */
#ifndef MIGCHECK_SHA256_H
#define MIGCHECK_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes so far */
	uint8_t buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* The digest of data as 64 lower-case hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);
/* The digest of a file's bytes; -1 if it cannot be read. */
int sha256_file_hex(const char *path, char out[65]);

#endif
