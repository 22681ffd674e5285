/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tags.h: iteration tags written into every page of the CPU dirtying buffer.
 *
 * A page written in pass P for page index I holds a 32-byte header
 * {magic, I, P, checksum} followed by a 64-bit pattern derived from (I, P)
 * repeated to the end of the page.  A page left over from an older pass,
 * copied from another page, or only partly updated fails tag_check().
 */
#ifndef MIGCHECK_AGENT_TAGS_H
#define MIGCHECK_AGENT_TAGS_H

#include <stddef.h>
#include <stdint.h>

#define TAG_MAGIC "MIGCHKTG"
#define TAG_MAGIC_LEN 8

struct tag_header {
	char magic[TAG_MAGIC_LEN];
	uint64_t index;
	uint64_t pass;
	uint64_t csum;
};

enum tag_result {
	TAG_OK = 0,
	TAG_BAD_MAGIC,	/* header never written or overwritten */
	TAG_BAD_CSUM,	/* header torn or corrupted */
	TAG_BAD_INDEX,	/* the page holds another page's content */
	TAG_WRONG_PASS, /* consistent page from the wrong pass: stale */
	TAG_BAD_BODY,	/* header fine, body not from the same write */
};

/* The body word for (index, pass); never equal for different inputs in practice. */
uint64_t tag_pattern(uint64_t index, uint64_t pass);
/* Checksum over magic, index and pass. */
uint64_t tag_csum(uint64_t index, uint64_t pass);

/* Fills one page completely: body first, header last. */
void tag_write(void *page, size_t page_size, uint64_t index, uint64_t pass);

/*
 * Checks one page against (index, pass).  *seen gets the pass recorded in
 * the header when the header itself is intact, -1 otherwise.
 */
enum tag_result tag_check(const void *page, size_t page_size, uint64_t index, uint64_t pass,
			  int64_t *seen);

const char *tag_result_name(enum tag_result r);

/*
 * The expected pass of page @index after @writes page writes that followed
 * the initial pass-0 tagging of @npages pages written in index order.
 */
uint64_t tag_expected_pass(uint64_t writes, uint64_t npages, uint64_t index);

/* Progress view of @writes: the pass being written and its cursor. */
void tag_progress(uint64_t writes, uint64_t npages, uint64_t *pass, uint64_t *cursor);

struct tag_verify {
	uint64_t checked;
	uint64_t bad;
	uint64_t first;		 /* index of the first bad page */
	int64_t first_seen;	 /* pass found there, -1 if unreadable */
	uint64_t first_expected; /* pass expected there */
	enum tag_result first_result;
};

/* Checks a whole buffer; returns the number of bad pages. */
uint64_t tag_verify_buffer(const void *buf, size_t page_size, uint64_t npages, uint64_t writes,
			   struct tag_verify *v);

#endif /* MIGCHECK_AGENT_TAGS_H */
