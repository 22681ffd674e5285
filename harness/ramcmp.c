// SPDX-License-Identifier: GPL-2.0-or-later
#include "ramcmp.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ram_layout_identity(struct ram_layout *l, uint64_t size)
{
	memset(l, 0, sizeof(*l));
	l->seg[0] = (struct ram_segment){0, 0, size};
	l->nseg = 1;
}

/*
 * A line of "info mtree" for an alias looks like
 *   00000000-7fffffff (prio 0, ram): alias ram-below-4g @ram0 00000000-7fffffff
 * (address widths vary).  Only the system address space's aliases matter;
 * the first occurrence of each name is the one in "memory".
 */
int ram_layout_from_mtree(struct ram_layout *l, const char *mtree, const char *backend)
{
	static const char *const names[] = {"ram-below-4g", "ram-above-4g"};
	unsigned i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < 2; i++) {
		char needle[128];
		const char *p, *line;
		unsigned long long g0, g1, o0, o1;

		snprintf(needle, sizeof(needle), "alias %s @%s ", names[i], backend);
		p = strstr(mtree, needle);
		if (!p)
			continue;
		for (line = p; line > mtree && line[-1] != '\n'; line--)
			;
		if (sscanf(line, " %llx-%llx", &g0, &g1) != 2)
			continue;
		if (sscanf(p + strlen(needle), "%llx-%llx", &o0, &o1) != 2)
			continue;
		if (g1 < g0 || o1 < o0)
			continue;
		l->seg[l->nseg++] = (struct ram_segment){o0, g0, o1 - o0 + 1};
	}
	return l->nseg;
}

uint64_t ram_layout_gpa(const struct ram_layout *l, uint64_t offset)
{
	int i;

	for (i = 0; i < l->nseg; i++)
		if (offset >= l->seg[i].offset && offset - l->seg[i].offset < l->seg[i].size)
			return l->seg[i].gpa + (offset - l->seg[i].offset);
	return UINT64_MAX;
}

uint64_t ram_layout_offset(const struct ram_layout *l, uint64_t gpa)
{
	int i;

	for (i = 0; i < l->nseg; i++)
		if (gpa >= l->seg[i].gpa && gpa - l->seg[i].gpa < l->seg[i].size)
			return l->seg[i].offset + (gpa - l->seg[i].gpa);
	return UINT64_MAX;
}

void ram_compare(const uint8_t *src, const uint8_t *dst, size_t len, size_t page_size,
		 const struct ram_layout *l, struct ram_cmp *out)
{
	uint64_t t0 = mc_now_ns();
	size_t off;

	memset(out, 0, sizeof(*out));
	for (off = 0; off < len; off += page_size) {
		size_t n = len - off < page_size ? len - off : page_size;

		out->pages++;
		if (!memcmp(src + off, dst + off, n))
			continue;
		if (out->nreported < RAMCMP_MAX_REPORTED) {
			struct ram_diff *d = &out->diff[out->nreported++];
			size_t b, at, show;

			d->offset = off;
			d->gpa = ram_layout_gpa(l, off);
			d->bytes_differing = 0;
			for (b = n; b-- > 0;)
				if (src[off + b] != dst[off + b]) {
					d->first_byte = (uint32_t)b;
					d->bytes_differing++;
				}
			/* Show where the page differs, not its (often equal) start. */
			at = d->first_byte & ~(size_t)(RAMCMP_BYTES_SHOWN - 1);
			show = n - at < RAMCMP_BYTES_SHOWN ? n - at : RAMCMP_BYTES_SHOWN;
			d->shown_at = (uint32_t)at;
			memcpy(d->src, src + off + at, show);
			memcpy(d->dst, dst + off + at, show);
		}
		out->differing++;
		ranges_add(&out->where, ram_layout_gpa(l, off), n);
	}
	out->seconds = (mc_now_ns() - t0) / 1e9;
}

void ram_cmp_free(struct ram_cmp *c)
{
	ranges_free(&c->where);
}

static json_t *hex_bytes(const uint8_t *b, size_t n)
{
	char s[RAMCMP_BYTES_SHOWN * 2 + 1];
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[2 * n] = '\0';
	return json_string(s);
}

json_t *ram_cmp_json(const struct ram_cmp *c)
{
	json_t *o = json_object(), *arr = json_array();
	unsigned i;

	json_object_set_new(o, "pages", json_integer(c->pages));
	json_object_set_new(o, "differing_pages", json_integer(c->differing));
	json_object_set_new(o, "seconds", json_real(c->seconds));
	for (i = 0; i < c->nreported; i++) {
		char gpa[32];

		snprintf(gpa, sizeof(gpa), "0x%" PRIx64, c->diff[i].gpa);
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:I, s:i, s:i, s:i, s:o, s:o}", "gpa", gpa, "offset",
			      (json_int_t)c->diff[i].offset, "first_byte",
			      (int)c->diff[i].first_byte, "bytes_differing",
			      (int)c->diff[i].bytes_differing, "shown_at", (int)c->diff[i].shown_at,
			      "src", hex_bytes(c->diff[i].src, RAMCMP_BYTES_SHOWN), "dst",
			      hex_bytes(c->diff[i].dst, RAMCMP_BYTES_SHOWN)));
	}
	json_object_set_new(o, "first_differences", arr);
	return o;
}

char *ram_cmp_summary(const struct ram_cmp *c)
{
	if (!c->differing)
		return mc_strdup_printf("all %" PRIu64 " pages equal", c->pages);
	return mc_strdup_printf("%" PRIu64 " of %" PRIu64 " pages differ, first at GPA 0x%" PRIx64,
				c->differing, c->pages, c->diff[0].gpa);
}

const char *ram_loss_signature(const struct mc_ranges *differing, const struct mc_ranges *device)
{
	if (ranges_empty(differing))
		return NULL;
	if (ranges_within(differing, device))
		return RAM_LOSS_DMA;
	if (ranges_disjoint(differing, device))
		return RAM_LOSS_CPU;
	return NULL;
}
