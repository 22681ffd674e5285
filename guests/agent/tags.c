// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tags.c: write and check iteration tags in buffer pages.
 */
#include <string.h>

#include "tags.h"

/* splitmix64's finaliser: cheap, and every input bit affects every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t tag_pattern(uint64_t index, uint64_t pass)
{
	return mix64(index * 0x9e3779b97f4a7c15ULL + mix64(pass ^ 0x5a5a5a5a5a5a5a5aULL));
}

uint64_t tag_csum(uint64_t index, uint64_t pass)
{
	uint64_t magic;

	memcpy(&magic, TAG_MAGIC, sizeof(magic));
	return mix64(magic ^ mix64(index ^ mix64(pass + 1)));
}

void tag_write(void *page, size_t page_size, uint64_t index, uint64_t pass)
{
	volatile uint64_t *w = page;
	struct tag_header h;
	uint64_t pat = tag_pattern(index, pass);
	size_t i, nw = page_size / sizeof(uint64_t);

	/*
	 * volatile: every word must really be stored, in order, so that a
	 * page copied out in the middle of a write looks partly stale.
	 */
	for (i = sizeof(h) / sizeof(uint64_t); i < nw; i++)
		w[i] = pat;
	memcpy(h.magic, TAG_MAGIC, TAG_MAGIC_LEN);
	h.index = index;
	h.pass = pass;
	h.csum = tag_csum(index, pass);
	memcpy((void *)w, &h, sizeof(h));
}

enum tag_result tag_check(const void *page, size_t page_size, uint64_t index, uint64_t pass,
			  int64_t *seen)
{
	const uint64_t *w = page;
	struct tag_header h;
	uint64_t pat;
	size_t i, nw = page_size / sizeof(uint64_t);

	*seen = -1;
	memcpy(&h, page, sizeof(h));
	if (memcmp(h.magic, TAG_MAGIC, TAG_MAGIC_LEN))
		return TAG_BAD_MAGIC;
	if (h.csum != tag_csum(h.index, h.pass))
		return TAG_BAD_CSUM;
	*seen = (int64_t)h.pass;
	if (h.index != index)
		return TAG_BAD_INDEX;
	if (h.pass != pass)
		return TAG_WRONG_PASS;
	pat = tag_pattern(index, pass);
	for (i = sizeof(h) / sizeof(uint64_t); i < nw; i++)
		if (w[i] != pat)
			return TAG_BAD_BODY;
	return TAG_OK;
}

const char *tag_result_name(enum tag_result r)
{
	switch (r) {
	case TAG_OK:
		return "ok";
	case TAG_BAD_MAGIC:
		return "bad-magic";
	case TAG_BAD_CSUM:
		return "bad-checksum";
	case TAG_BAD_INDEX:
		return "wrong-index";
	case TAG_WRONG_PASS:
		return "wrong-pass";
	case TAG_BAD_BODY:
		return "bad-body";
	}
	return "unknown";
}

void tag_progress(uint64_t writes, uint64_t npages, uint64_t *pass, uint64_t *cursor)
{
	if (!npages) {
		*pass = 0;
		*cursor = 0;
		return;
	}
	*pass = writes / npages + 1;
	*cursor = writes % npages;
}

uint64_t tag_expected_pass(uint64_t writes, uint64_t npages, uint64_t index)
{
	uint64_t pass, cursor;

	tag_progress(writes, npages, &pass, &cursor);
	return index < cursor ? pass : pass - 1;
}

uint64_t tag_verify_buffer(const void *buf, size_t page_size, uint64_t npages, uint64_t writes,
			   struct tag_verify *v)
{
	const char *p = buf;
	uint64_t i;

	memset(v, 0, sizeof(*v));
	v->first_seen = -1;
	for (i = 0; i < npages; i++, p += page_size) {
		uint64_t want = tag_expected_pass(writes, npages, i);
		enum tag_result r;
		int64_t seen;

		r = tag_check(p, page_size, i, want, &seen);
		v->checked++;
		if (r == TAG_OK)
			continue;
		if (!v->bad++) {
			v->first = i;
			v->first_seen = seen;
			v->first_expected = want;
			v->first_result = r;
		}
	}
	return v->bad;
}
