// SPDX-License-Identifier: GPL-2.0-or-later
#include "coherence.h"

#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void coh_set_init(struct coh_set *s)
{
	memset(s, 0, sizeof(*s));
}

void coh_set_free(struct coh_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void coh_set_add(struct coh_set *s, uint64_t iova, uint64_t len, uint64_t gpa, bool read,
		 bool write)
{
	if (!len)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = (struct coh_run){iova, len, gpa, read, write};
}

void coh_set_copy(struct coh_set *dst, const struct coh_set *src)
{
	size_t i;

	coh_set_init(dst);
	for (i = 0; i < src->n; i++)
		coh_set_add(dst, src->v[i].iova, src->v[i].len, src->v[i].gpa, src->v[i].read,
			    src->v[i].write);
}

static int cmp_run(const void *a, const void *b)
{
	const struct coh_run *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static bool continues(const struct coh_run *a, const struct coh_run *b)
{
	if (a->iova + a->len != b->iova || a->read != b->read || a->write != b->write)
		return false;
	if (a->gpa == COH_GPA_UNKNOWN || b->gpa == COH_GPA_UNKNOWN)
		return a->gpa == b->gpa;
	return a->gpa + a->len == b->gpa;
}

void coh_set_normalize(struct coh_set *s)
{
	size_t i, o = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_run);
	for (i = 1; i < s->n; i++) {
		if (continues(&s->v[o], &s->v[i]))
			s->v[o].len += s->v[i].len;
		else
			s->v[++o] = s->v[i];
	}
	s->n = o + 1;
}

uint64_t coh_set_bytes(const struct coh_set *s)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		t += s->v[i].len;
	return t;
}

static int add_leaf(void *opaque, const struct vtd_leaf *l)
{
	coh_set_add(opaque, l->iova, l->size, l->gpa, l->read, l->write);
	return 0;
}

int coh_from_pt(struct coh_set *s, const struct vtd_pt *pt)
{
	int rc = vtd_pt_walk(pt, add_leaf, s);

	coh_set_normalize(s);
	return rc;
}

static uint64_t jnum(const json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

/* Every map of the type1 containers and the iommufd IOAS objects. */
static void foreach_map(const json_t *state, void (*fn)(void *, const json_t *), void *opaque)
{
	const json_t *o, *m;
	size_t i, j;

	json_array_foreach(json_object_get(state, "containers"), i, o)
	{
		json_array_foreach(json_object_get(o, "maps"), j, m) fn(opaque, m);
	}
	json_array_foreach(json_object_get(state, "iommufd"), i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));

		if (!t || strcmp(t, "ioas"))
			continue;
		json_array_foreach(json_object_get(o, "maps"), j, m) fn(opaque, m);
	}
}

/*
 * Where a mapping points, as one linear key: QEMU's host address, or for an
 * IOAS_MAP_FILE mapping (whose host address is the mock's own mmap) the
 * file and offset, kept apart from addresses by the top bit.
 */
static uint64_t map_key(const json_t *m)
{
	const json_t *f = json_object_get(m, "file");

	if (!f)
		return jnum(m, "host");
	return (1ull << 63) | (jnum(f, "ino") << 40) | jnum(f, "offset");
}

struct ram_probe {
	struct coh_ram *ram;
	bool overflow;
};

/* Each identity map is a run; one that continues another in both spaces joins it. */
static void add_run(void *opaque, const json_t *m)
{
	struct ram_probe *p = opaque;
	struct coh_ram *ram = p->ram;
	uint64_t gpa = jnum(m, "iova"), len = jnum(m, "length"), key = map_key(m);
	unsigned i;

	if (!len)
		return;
	for (i = 0; i < ram->n; i++) {
		struct coh_ram_run *r = &ram->run[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->len && key - gpa == r->key - r->gpa)
			return; /* the same run, seen again (a second container or IOAS) */
		if (r->gpa + r->len == gpa && r->key + r->len == key) {
			r->len += len;
			return;
		}
		if (gpa + len == r->gpa && key + len == r->key) {
			r->gpa = gpa;
			r->key = key;
			r->len += len;
			return;
		}
	}
	if (ram->n == COH_RAM_MAX_RUNS) {
		p->overflow = true;
		return;
	}
	ram->run[ram->n++] = (struct coh_ram_run){gpa, key, len};
}

int coh_ram_from_identity(struct coh_ram *ram, const json_t *state, char **err)
{
	struct ram_probe p = {.ram = ram};
	unsigned i;

	memset(ram, 0, sizeof(*ram));
	foreach_map(state, add_run, &p);
	if (p.overflow) {
		if (err && !*err)
			*err = mc_strdup_printf("the mock's maps while DMAR is off make more than "
						"%d runs of guest memory",
						COH_RAM_MAX_RUNS);
		return -1;
	}
	for (i = 0; i < ram->n && ram->run[i].gpa; i++)
		;
	if (i == ram->n) {
		if (err && !*err)
			*err = strdup("the mock has no mapping at IOVA 0 while DMAR is off, so "
				      "guest RAM cannot be located in QEMU");
		return -1;
	}
	return 0;
}

uint64_t coh_ram_gpa(const struct coh_ram *ram, uint64_t key, uint64_t len)
{
	unsigned i;

	for (i = 0; ram && i < ram->n; i++) {
		const struct coh_ram_run *r = &ram->run[i];

		if (key >= r->key && key - r->key < r->len && len <= r->len - (key - r->key))
			return r->gpa + (key - r->key);
	}
	return COH_GPA_UNKNOWN;
}

struct mock_collect {
	struct coh_set *s;
	const struct coh_ram *ram;
};

static void collect(void *opaque, const json_t *m)
{
	struct mock_collect *c = opaque;
	uint64_t iova = jnum(m, "iova"), len = jnum(m, "length"), host = map_key(m);
	uint64_t prot = jnum(m, "prot"), gpa = coh_ram_gpa(c->ram, host, len);

	coh_set_add(c->s, iova, len, gpa, prot & 1, prot & 2);
}

int coh_from_mock(struct coh_set *s, const json_t *state, const struct coh_ram *ram, char **err)
{
	struct mock_collect c = {s, ram};

	if (!json_is_array(json_object_get(state, "containers")) ||
	    !json_is_array(json_object_get(state, "iommufd"))) {
		if (err && !*err)
			*err = strdup("the mock's state has no containers/iommufd lists");
		return -1;
	}
	foreach_map(state, collect, &c);
	coh_set_normalize(s);
	return 0;
}

/* ---- comparison ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The run of s holding addr, advancing *k (s sorted, addr non-decreasing). */
static const struct coh_run *run_at(const struct coh_set *s, size_t *k, uint64_t addr)
{
	while (*k < s->n && s->v[*k].iova + s->v[*k].len <= addr)
		(*k)++;
	if (*k < s->n && s->v[*k].iova <= addr)
		return &s->v[*k];
	return NULL;
}

static void note(struct coh_diff *d, enum coh_kind kind, uint64_t a, uint64_t b,
		 const struct coh_run *want, const struct coh_run *got, bool *open,
		 enum coh_kind *open_kind)
{
	struct coh_range *r;

	if (*open && *open_kind == kind && d->nranges && d->ranges[d->nranges - 1].end == a) {
		d->ranges[d->nranges - 1].end = b;
		return;
	}
	switch (kind) {
	case COH_STALE:
		d->nstale++;
		break;
	case COH_MISSING:
		d->nmissing++;
		break;
	case COH_DIFFERENT:
		d->ndifferent++;
		break;
	}
	*open = false;
	if (d->nranges == COH_MAX_RANGES)
		return;
	r = &d->ranges[d->nranges++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->start = a;
	r->end = b;
	if (want) {
		r->want = *want;
		if (want->gpa != COH_GPA_UNKNOWN)
			r->want.gpa += a - want->iova;
		r->want.iova = a;
	}
	if (got) {
		r->got = *got;
		if (got->gpa != COH_GPA_UNKNOWN)
			r->got.gpa += a - got->iova;
		r->got.iova = a;
	}
	*open = true;
	*open_kind = kind;
}

bool coh_compare(const struct coh_set *want, const struct coh_set *got, struct coh_diff *d)
{
	size_t nb = 0, i, kw = 0, kg = 0;
	uint64_t *b = malloc((2 * (want->n + got->n) + 1) * sizeof(uint64_t));
	bool open = false;
	enum coh_kind open_kind = COH_STALE;

	if (!b)
		abort();
	memset(d, 0, sizeof(*d));
	for (i = 0; i < want->n; i++) {
		b[nb++] = want->v[i].iova;
		b[nb++] = want->v[i].iova + want->v[i].len;
	}
	for (i = 0; i < got->n; i++) {
		b[nb++] = got->v[i].iova;
		b[nb++] = got->v[i].iova + got->v[i].len;
	}
	qsort(b, nb, sizeof(*b), cmp_u64);
	for (i = 0; i + 1 < nb; i++) {
		uint64_t a = b[i], e = b[i + 1], len = e - a;
		const struct coh_run *w, *g;

		if (a == e)
			continue;
		w = run_at(want, &kw, a);
		g = run_at(got, &kg, a);
		if (!w && !g) {
			open = false;
			continue;
		}
		if (!w) {
			d->stale_bytes += len;
			note(d, COH_STALE, a, e, NULL, g, &open, &open_kind);
		} else if (!g) {
			d->missing_bytes += len;
			note(d, COH_MISSING, a, e, w, NULL, &open, &open_kind);
		} else {
			bool same = w->read == g->read && w->write == g->write;

			if (w->gpa == COH_GPA_UNKNOWN || g->gpa == COH_GPA_UNKNOWN)
				d->unknown_gpa_bytes += len;
			else if (w->gpa + (a - w->iova) != g->gpa + (a - g->iova))
				same = false;
			if (same) {
				open = false;
				continue;
			}
			d->different_bytes += len;
			note(d, COH_DIFFERENT, a, e, w, g, &open, &open_kind);
		}
	}
	free(b);
	return !d->stale_bytes && !d->missing_bytes && !d->different_bytes;
}

bool coh_none_applied(const struct coh_set *want, const struct coh_diff *d)
{
	uint64_t bytes = coh_set_bytes(want);

	return bytes && d->missing_bytes == bytes && !d->different_bytes;
}

static const char *rights(const struct coh_run *r)
{
	return r->write ? (r->read ? "rw" : "wo") : "ro";
}

static void append(char **s, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void append(char **s, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *t;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	*s = realloc(*s, *len + n + 1);
	if (!*s)
		abort();
	memcpy(*s + *len, t, n + 1);
	*len += n;
	free(t);
}

static void list_ranges(char **s, size_t *len, const struct coh_diff *d, enum coh_kind kind)
{
	unsigned i, shown = 0;

	for (i = 0; i < d->nranges; i++) {
		const struct coh_range *r = &d->ranges[i];

		if (r->kind != kind)
			continue;
		if (shown++ == 3) {
			append(s, len, ", ...");
			break;
		}
		append(s, len, "%s[0x%" PRIx64 ", 0x%" PRIx64 ")", shown > 1 ? ", " : "", r->start,
		       r->end);
		if (kind == COH_STALE && r->got.gpa != COH_GPA_UNKNOWN)
			append(s, len, " -> GPA 0x%" PRIx64 " %s", r->got.gpa, rights(&r->got));
		if (kind == COH_DIFFERENT) {
			append(s, len, " guest ");
			if (r->want.gpa != COH_GPA_UNKNOWN)
				append(s, len, "GPA 0x%" PRIx64 " ", r->want.gpa);
			append(s, len, "%s, device ", rights(&r->want));
			if (r->got.gpa != COH_GPA_UNKNOWN)
				append(s, len, "GPA 0x%" PRIx64 " ", r->got.gpa);
			append(s, len, "%s", rights(&r->got));
		}
	}
}

char *coh_summary(const struct coh_diff *d)
{
	char *s = NULL;
	size_t len = 0;

	append(&s, &len, "%s", "");
	if (d->stale_bytes) {
		append(&s, &len,
		       "the device could still reach memory the guest took away: %" PRIu64
		       " page(s) in %u IOVA range(s) ",
		       d->stale_bytes / 4096, d->nstale);
		list_ranges(&s, &len, d, COH_STALE);
	}
	if (d->missing_bytes) {
		append(&s, &len, "%sthe device lacks %" PRIu64 " page(s) the guest mapped, IOVA ",
		       len ? "; " : "", d->missing_bytes / 4096);
		list_ranges(&s, &len, d, COH_MISSING);
	}
	if (d->different_bytes) {
		append(&s, &len,
		       "%s%" PRIu64 " page(s) map differently than the guest's tables say: ",
		       len ? "; " : "", d->different_bytes / 4096);
		list_ranges(&s, &len, d, COH_DIFFERENT);
	}
	if (!len)
		append(&s, &len, "the device's mappings equal what the guest's domain allows");
	return s;
}

static json_t *run_json(const struct coh_run *r)
{
	json_t *o = json_pack("{s:I, s:s}", "iova", (json_int_t)r->iova, "rights", rights(r));

	if (r->gpa != COH_GPA_UNKNOWN)
		json_object_set_new(o, "gpa", json_integer((json_int_t)r->gpa));
	return o;
}

json_t *coh_diff_json(const struct coh_diff *d)
{
	static const char *const kinds[] = {"stale", "missing", "different"};
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < d->nranges; i++) {
		const struct coh_range *r = &d->ranges[i];
		json_t *o = json_pack("{s:s, s:I, s:I}", "kind", kinds[r->kind], "iova_start",
				      (json_int_t)r->start, "iova_end", (json_int_t)r->end);

		if (r->kind != COH_STALE)
			json_object_set_new(o, "guest", run_json(&r->want));
		if (r->kind != COH_MISSING)
			json_object_set_new(o, "device", run_json(&r->got));
		json_array_append_new(a, o);
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:o}", "stale_bytes", (json_int_t)d->stale_bytes,
			 "missing_bytes", (json_int_t)d->missing_bytes, "different_bytes",
			 (json_int_t)d->different_bytes, "unknown_gpa_bytes",
			 (json_int_t)d->unknown_gpa_bytes, "ranges", a);
}

json_t *coh_set_json(const struct coh_set *s, size_t max)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n && i < max; i++) {
		json_t *o = run_json(&s->v[i]);

		json_object_set_new(o, "length", json_integer((json_int_t)s->v[i].len));
		json_array_append_new(a, o);
	}
	return a;
}
