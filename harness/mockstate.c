// SPDX-License-Identifier: GPL-2.0-or-later
#include "mockstate.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t u64(const json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static void copy_str(char *dst, size_t len, const json_t *o, const char *key)
{
	snprintf(dst, len, "%s", json_string_value(json_object_get(o, key)) ?: "");
}

static void parse_maps(struct ms_space *s, const json_t *maps)
{
	const json_t *m;
	size_t i;

	s->nmaps = json_array_size(maps);
	s->maps = calloc(s->nmaps + 1, sizeof(*s->maps));
	if (!s->maps)
		abort();
	json_array_foreach(maps, i, m)
	{
		struct ms_map *x = &s->maps[i];
		const json_t *file = json_object_get(m, VFM_ST_FILE);
		uint64_t prot = u64(m, VFM_ST_PROT);

		x->iova = u64(m, VFM_KEY_IOVA);
		x->len = u64(m, VFM_KEY_LENGTH);
		x->host = u64(m, VFM_ST_HOST);
		x->page_size = u64(m, VFM_ST_PAGE_SIZE);
		x->read = prot & VFM_PROT_READ;
		x->write = prot & VFM_PROT_WRITE;
		if (file) {
			x->file = true;
			x->ino = u64(file, VFM_ST_INO);
			x->file_off = u64(file, VFM_ST_OFFSET);
		}
	}
}

static void page_list(struct mc_ranges *r, const json_t *list)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v) ranges_add(r, (uint64_t)json_integer_value(v), 4096);
}

static void parse_device(struct ms_device *d, const json_t *o)
{
	const json_t *ring = json_object_get(o, VFM_ST_RING), *res, *v;
	size_t i;

	copy_str(d->name, sizeof(d->name), o, VFM_KEY_NAME);
	copy_str(d->state, sizeof(d->state), o, VFM_ST_STATE);
	d->hold = json_is_true(json_object_get(o, VFM_CTL_HOLD));
	d->writes = u64(o, VFM_ST_WRITES);
	d->faults = u64(o, VFM_ST_FAULT_COUNT);
	d->queries = u64(o, VFM_ST_QUERIES);
	page_list(&d->written, json_object_get(o, VFM_ST_PAGES_WRITTEN));
	d->written_complete = json_array_size(json_object_get(o, VFM_ST_PAGES_WRITTEN)) >=
			      u64(o, VFM_ST_PAGES_WRITTEN_COUNT);
	page_list(&d->after_stop, json_object_get(o, VFM_ST_PAGES_AFTER_STOP));
	d->ring.on = json_is_true(json_object_get(ring, VFM_KEY_ON));
	d->ring.iova = u64(ring, VFM_KEY_IOVA);
	d->ring.pages = u64(ring, VFM_KEY_PAGES);
	d->ring.seq = u64(ring, VFM_ST_SEQ);
	res = json_object_get(o, VFM_ST_RESUMING);
	if (res) {
		d->resuming.present = true;
		d->resuming.received = json_is_true(json_object_get(res, VFM_ST_RECEIVED));
		d->resuming.corrupt = json_is_true(json_object_get(res, VFM_ST_CORRUPT));
		d->resuming.seq = u64(res, VFM_ST_SEQ);
	}
	d->nsyncs = json_array_size(json_object_get(o, VFM_ST_SYNCS));
	d->syncs = calloc(d->nsyncs + 1, sizeof(*d->syncs));
	d->nhistory = json_array_size(json_object_get(o, VFM_ST_HISTORY));
	d->history = calloc(d->nhistory + 1, sizeof(*d->history));
	if (!d->syncs || !d->history)
		abort();
	json_array_foreach(json_object_get(o, VFM_ST_SYNCS), i, v)
	{
		struct ms_sync *s = &d->syncs[i];

		copy_str(s->tracker, sizeof(s->tracker), v, VFM_KEY_TRACKER);
		s->seq = u64(v, VFM_ST_SEQ);
		s->iova = u64(v, VFM_KEY_IOVA);
		s->len = u64(v, VFM_KEY_LENGTH);
		s->page_size = u64(v, VFM_ST_PAGE_SIZE);
		s->dirty = u64(v, VFM_ST_DIRTY);
		s->dropped = u64(v, VFM_ST_DROPPED);
	}
	d->syncs_lost = u64(o, VFM_ST_SYNCS_LOST);
	json_array_foreach(json_object_get(o, VFM_ST_HISTORY), i, v)
	{
		copy_str(d->history[i].from, sizeof(d->history[i].from), v, VFM_ST_FROM);
		copy_str(d->history[i].to, sizeof(d->history[i].to), v, VFM_ST_TO);
		d->history[i].t = json_number_value(json_object_get(v, VFM_ST_T));
	}
	d->data_bytes = json_incref(json_object_get(o, VFM_ST_DATA_BYTES));
	d->data_fd_open = json_is_true(json_object_get(o, VFM_ST_DATA_FD_OPEN));
	d->logging =
	    json_is_true(json_object_get(json_object_get(o, VFM_ST_DMA_LOGGING), VFM_ST_STARTED));
	v = json_object_get(o, VFM_ST_REPORTED);
	d->reported.stop_copy = u64(v, VFM_ST_STOP_COPY_LENGTH);
	d->reported.at_stop = u64(v, VFM_ST_AT_STOP_COPY);
	d->reported.initial = u64(v, VFM_ST_INITIAL_BYTES);
	d->reported.dirty = u64(v, VFM_ST_DIRTY_BYTES);
	d->reported.size_queries = u64(v, VFM_ST_SIZE_QUERIES);
	d->reported.info_queries = u64(v, VFM_ST_INFO_QUERIES);
}

int ms_parse(json_t *reply, struct ms_state *st, char **err)
{
	const json_t *devs = json_object_get(reply, VFM_ST_DEVICES), *v, *dropped;
	const json_t *containers = json_object_get(reply, VFM_ST_CONTAINERS);
	const json_t *objs = json_object_get(reply, VFM_ST_IOMMUFD);
	size_t i, n = 0;

	memset(st, 0, sizeof(*st));
	if (!json_is_array(devs) || !json_is_array(containers) || !json_is_array(objs)) {
		mc_set_err(err, "the mock's state reply lacks devices, containers or iommufd");
		return -1;
	}
	if (json_array_size(devs) > VFM_MAX_DEVICES) {
		mc_set_err(err, "the mock reports %zu devices, at most %d exist",
			   json_array_size(devs), VFM_MAX_DEVICES);
		return -1;
	}
	st->spaces =
	    calloc(json_array_size(containers) + json_array_size(objs) + 1, sizeof(*st->spaces));
	if (!st->spaces)
		abort();
	json_array_foreach(containers, i, v)
	{
		st->spaces[n].id = (int)i;
		st->spaces[n].dirty_tracking =
		    json_is_true(json_object_get(v, VFM_ST_DIRTY_STARTED));
		parse_maps(&st->spaces[n++], json_object_get(v, VFM_ST_MAPS));
	}
	json_array_foreach(objs, i, v)
	{
		const char *type = json_string_value(json_object_get(v, VFM_ST_TYPE));

		if (type && !strcmp(type, VFM_ST_TYPE_HWPT)) {
			st->hwpts++;
			st->hwpts_tracking +=
			    json_is_true(json_object_get(v, VFM_ST_DIRTY_ENABLED));
		}
		if (!type || strcmp(type, VFM_ST_TYPE_IOAS))
			continue;
		st->spaces[n].ioas = true;
		st->spaces[n].id = (int)u64(v, VFM_ST_ID);
		parse_maps(&st->spaces[n++], json_object_get(v, VFM_ST_MAPS));
	}
	st->nspaces = n;
	json_array_foreach(devs, i, v) parse_device(&st->dev[st->ndev++], v);
	dropped = json_object_get(reply, VFM_ST_PAGES_DROPPED);
	json_array_foreach(json_object_get(dropped, VFM_ST_RANGES), i, v)
	    ranges_add(&st->dropped, (uint64_t)json_integer_value(json_array_get(v, 0)),
		       (uint64_t)json_integer_value(json_array_get(v, 1)));
	st->dropped_complete = !json_is_true(json_object_get(dropped, VFM_ST_TRUNCATED));
	st->raw = json_incref(reply);
	return 0;
}

void ms_free(struct ms_state *st)
{
	size_t i;
	int k;

	for (i = 0; i < st->nspaces; i++)
		free(st->spaces[i].maps);
	free(st->spaces);
	for (k = 0; k < st->ndev; k++) {
		ranges_free(&st->dev[k].written);
		ranges_free(&st->dev[k].after_stop);
		free(st->dev[k].syncs);
		free(st->dev[k].history);
		json_decref(st->dev[k].data_bytes);
	}
	ranges_free(&st->dropped);
	json_decref(st->raw);
	memset(st, 0, sizeof(*st));
}

bool ms_wrote(const struct ms_device *d, uint64_t iova)
{
	return ranges_cover(&d->written, iova & ~4095ull, 4096);
}

size_t ms_readonly_maps(const struct ms_state *st, struct mc_ranges *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < st->nspaces; i++)
		for (j = 0; j < st->spaces[i].nmaps; j++) {
			const struct ms_map *m = &st->spaces[i].maps[j];

			if (m->write)
				continue;
			ranges_add(out, m->iova, m->len);
			n++;
		}
	return n;
}

uint64_t ms_data_bytes(const struct ms_device *d, const char *state)
{
	return (uint64_t)json_integer_value(json_object_get(d->data_bytes, state));
}
