// SPDX-License-Identifier: GPL-2.0-or-later
#include "mockdev.h"
#include "runner.h"
#include "util.h"
#include "vfiomock-client.h"

#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const mock_kernels[] = {"6.12", "7.2", NULL};
static const char *default_kernel = MOCK_KERNEL_DEFAULT;

bool mock_set_default_kernel(const char *release)
{
	int i;

	for (i = 0; mock_kernels[i]; i++)
		if (!strcmp(mock_kernels[i], release)) {
			default_kernel = mock_kernels[i];
			return true;
		}
	return false;
}

const char *mock_default_kernel(void)
{
	return default_kernel;
}

const char *mock_backend_name(enum mock_backend b)
{
	switch (b) {
	case MOCK_TYPE1:
		return "type1";
	case MOCK_IOMMUFD:
		return "iommufd";
	case MOCK_IOMMUFD_FD:
		return "iommufd-fd";
	}
	return "?";
}

static void push(char ***v, size_t *n, char *s)
{
	*v = realloc(*v, (*n + 2) * sizeof(char *));
	if (!*v)
		abort();
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static json_t *device_config(const struct mock_spec *s, int k, int side)
{
	const struct mock_device_spec *d = &s->dev[k];
	char name[32], cdev[16], devt[16];
	json_t *o;

	snprintf(name, sizeof(name), "0000:01:%02x.0", k);
	snprintf(cdev, sizeof(cdev), "vfio%d", k);
	snprintf(devt, sizeof(devt), "511:%d", k);
	o = json_pack("{s:s, s:i, s:s, s:s, s:s}", VFM_KEY_NAME, name, VFM_KEY_GROUP, 42 + k,
		      VFM_KEY_CDEV, cdev, VFM_KEY_DEVT, devt, VFM_KEY_PERSONALITY,
		      d->personality ? d->personality : VFM_PERS_FULL);
	if (s->backend == MOCK_IOMMUFD_FD)
		json_object_set_new(o, VFM_KEY_FD, json_integer(VFM_FD_DEVICE0 + k));
	if (d->host_driven)
		json_object_set_new(o, VFM_KEY_REQUIRE_BME, json_false());
	/* The destination's ring comes from the migrated device state. */
	if (d->ring_pages && side == VM_SRC)
		json_object_set_new(
		    o, VFM_KEY_RING,
		    json_pack("{s:I, s:i, s:i, s:b}", VFM_KEY_IOVA, (json_int_t)d->ring_iova,
			      VFM_KEY_PAGES, d->ring_pages, VFM_KEY_RATE_HZ,
			      d->ring_rate_hz ? d->ring_rate_hz : 1000, VFM_KEY_AUTOSTART, 1));
	if (d->events)
		json_object_set(o, VFM_KEY_EVENTS, d->events);
	if (d->state_initial || d->state_dirty || d->state_stop_copy || d->reinit_when) {
		json_t *st = json_pack("{s:I, s:I, s:I}", VFM_KEY_STATE_INITIAL,
				       (json_int_t)d->state_initial, VFM_KEY_STATE_DIRTY,
				       (json_int_t)d->state_dirty, VFM_KEY_STATE_STOP_COPY,
				       (json_int_t)d->state_stop_copy);

		if (d->reinit_when)
			json_object_set_new(
			    st, VFM_KEY_REINIT,
			    json_pack("{s:s, s:I}", VFM_KEY_WHEN, d->reinit_when, VFM_KEY_BYTES,
				      (json_int_t)(d->reinit_bytes ? d->reinit_bytes : 4096)));
		json_object_set_new(o, VFM_KEY_STATE, st);
	}
	return o;
}

static json_t *page_sizes_json(const char *const *sizes)
{
	static const char *const all[] = {"4K", "2M", "1G", NULL};
	json_t *a = json_array();
	int i;

	for (i = 0; (sizes ? sizes : all)[i]; i++)
		json_array_append_new(a, json_string((sizes ? sizes : all)[i]));
	return a;
}

static void free_strv(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
}

/*
 * Writes the configuration of one mock instance in the role of `side` (its
 * devices, faults and ring as that side has them) as the rig's `slot`, with
 * its own log and control socket, and the environment that loads it.
 */
static int write_side(struct mock_rig *r, int slot, const char *name, int side, char **err)
{
	const struct mock_spec *s = r->spec;
	json_t *cfg, *devs = json_array();
	size_t nenv = 0;
	int k;

	free(r->config[slot]);
	free(r->log[slot]);
	free(r->control[slot]);
	free_strv(r->env[slot]);
	r->env[slot] = NULL;
	r->config[slot] = mc_strdup_printf("%s/%s.mock.json", r->workdir, name);
	r->log[slot] = mc_strdup_printf("%s/%s.mock.jsonl", r->workdir, name);
	/* Abstract sockets: nothing to clean up, even after a crash. */
	r->control[slot] = mc_strdup_printf("@migcheck-mock-%d-%s-%lx", (int)getpid(), name,
					    (unsigned long)mc_now_ns());
	for (k = 0; k < s->ndev; k++)
		json_array_append_new(devs, device_config(s, k, side));
	cfg = json_pack("{s:i, s:s, s:s, s:{s:b, s:o}, s:o, s:o}", VFM_KEY_VERSION, VFM_CFG_VERSION,
			VFM_KEY_LOG, r->log[slot], VFM_KEY_CONTROL, r->control[slot], VFM_KEY_IOMMU,
			VFM_KEY_DIRTY_TRACKING, s->iommu_dirty, VFM_KEY_PAGE_SIZES,
			page_sizes_json(s->page_sizes), VFM_KEY_DEVICES, devs, VFM_KEY_FAULTS,
			s->faults[side] ? json_incref(s->faults[side]) : json_array());
	if (s->backend == MOCK_IOMMUFD_FD)
		json_object_set_new(json_object_get(cfg, VFM_KEY_IOMMU), VFM_KEY_IOMMUFD_FD,
				    json_integer(VFM_FD_IOMMUFD));
	json_object_set_new(cfg, VFM_KEY_KERNEL,
			    json_string(s->kernel ? s->kernel : default_kernel));
	if (json_dump_file(cfg, r->config[slot], JSON_INDENT(2)) < 0) {
		mc_set_err(err, "cannot write %s", r->config[slot]);
		json_decref(cfg);
		return -1;
	}
	json_decref(cfg);
	push(&r->env[slot], &nenv, mc_strdup_printf("LD_PRELOAD=%s", r->lib));
	push(&r->env[slot], &nenv, mc_strdup_printf("%s=%s", VFM_CFG_ENV, r->config[slot]));
	return 0;
}

int mock_rig_prepare(const char *workdir, const char *lib, const struct mock_spec *s,
		     struct mock_rig *r, char **err)
{
	static const char *const side_name[2] = {"src", "dst"};
	size_t nargs = 0;
	int side, k;

	memset(r, 0, sizeof(*r));
	if (access(lib, R_OK) < 0) {
		mc_set_err(err, "VFIO mock library %s: %s", lib, strerror(errno));
		return -1;
	}
	if (s->ndev < 1 || s->ndev > VFM_MAX_DEVICES) {
		mc_set_err(err, "mock devices: %d (1-%d allowed)", s->ndev, VFM_MAX_DEVICES);
		return -1;
	}
	r->sysfs_root = mc_strdup_printf("%s/sysfs", workdir);
	if (s->backend == MOCK_IOMMUFD_FD) {
		push(&r->args, &nargs, strdup("-object"));
		push(&r->args, &nargs, mc_strdup_printf("iommufd,id=i0,fd=%d", VFM_FD_IOMMUFD));
	} else if (s->backend == MOCK_IOMMUFD) {
		push(&r->args, &nargs, strdup("-object"));
		push(&r->args, &nargs, strdup("iommufd,id=i0"));
	}
	for (k = 0; k < s->ndev; k++) {
		char name[32], path[4096], *dev;
		int rc;

		snprintf(name, sizeof(name), "0000:01:%02x.0", k);
		if (s->backend == MOCK_IOMMUFD_FD) {
			dev = mc_strdup_printf("vfio-pci,iommufd=i0,fd=%d,id=vf%d",
					       VFM_FD_DEVICE0 + k, k);
		} else {
			char cdev[16] = "";

			/* type1 finds the group; iommufd finds the cdev and its dev_t. */
			if (s->backend == MOCK_IOMMUFD)
				snprintf(cdev, sizeof(cdev), "vfio%d", k);
			rc = vfiomock_sysfs_create(r->sysfs_root, name, 42 + k, cdev, 511,
						   (unsigned)k, path, sizeof(path));
			if (rc < 0) {
				mc_set_err(err, "cannot create the fake sysfs tree in %s: %s",
					   r->sysfs_root, strerror(-rc));
				return -1;
			}
			dev = mc_strdup_printf("vfio-pci,sysfsdev=%s,id=vf%d%s", path, k,
					       s->backend == MOCK_IOMMUFD ? ",iommufd=i0" : "");
		}
		if (s->enable_migration) {
			char *old = dev;

			dev = mc_strdup_printf("%s,enable-migration=%s", old, s->enable_migration);
			free(old);
		}
		if (s->device_props && *s->device_props) {
			char *old = dev;

			dev = mc_strdup_printf("%s%s", old, s->device_props);
			free(old);
		}
		if (s->device_tracking_off) {
			char *old = dev;

			dev = mc_strdup_printf("%s,x-device-dirty-page-tracking=off", old);
			free(old);
		}
		push(&r->args, &nargs, strdup("-device"));
		push(&r->args, &nargs, dev);
	}
	r->spec = s;
	r->lib = strdup(lib);
	r->workdir = strdup(workdir);
	for (side = 0; side < 2; side++)
		if (write_side(r, side, side_name[side], side, err) < 0)
			return -1;
	return 0;
}

int mock_rig_new_destination(struct mock_rig *r, char **err)
{
	char name[32];

	snprintf(name, sizeof(name), "dst%d", ++r->instances + 1);
	return write_side(r, VM_DST, name, VM_DST, err);
}

void mock_rig_swap(struct mock_rig *r)
{
	char *t;
	char **e;

#define SWAP(a, b, tmp) (tmp = a, a = b, b = tmp)
	SWAP(r->config[VM_SRC], r->config[VM_DST], t);
	SWAP(r->control[VM_SRC], r->control[VM_DST], t);
	SWAP(r->log[VM_SRC], r->log[VM_DST], t);
	SWAP(r->env[VM_SRC], r->env[VM_DST], e);
#undef SWAP
}

void mock_rig_free(struct mock_rig *r)
{
	int side;

	if (r->sysfs_root)
		mc_rm_rf(r->sysfs_root);
	for (side = 0; side < 2; side++) {
		free(r->config[side]);
		free(r->control[side]);
		free(r->log[side]);
		free_strv(r->env[side]);
	}
	free_strv(r->args);
	free(r->sysfs_root);
	free(r->lib);
	free(r->workdir);
	memset(r, 0, sizeof(*r));
}

json_t *mock_rig_call(const struct mock_rig *r, enum vm_role side, json_t *req, char **err)
{
	json_t *resp = vfiomock_call(r->control[side], req, 10000);
	char *text = json_dumps(req, JSON_COMPACT);

	json_decref(req);
	if (!resp) {
		mc_set_err(err, "mock control %s: %s: %s", side == VM_SRC ? "src" : "dst", text,
			   strerror(errno));
	} else if (!json_is_true(json_object_get(resp, VFM_REPLY_OK))) {
		mc_set_err(err, "mock control %s: %s: %s", side == VM_SRC ? "src" : "dst", text,
			   json_string_value(json_object_get(resp, VFM_REPLY_ERROR)) ?: "refused");
		json_decref(resp);
		resp = NULL;
	}
	free(text);
	return resp;
}

json_t *mock_rig_device(const struct mock_rig *r, enum vm_role side, int index, char **err)
{
	json_t *st = mock_rig_call(r, side, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), err);
	json_t *d = json_incref(json_array_get(json_object_get(st, VFM_ST_DEVICES), index));

	json_decref(st);
	if (st && !d)
		mc_set_err(err, "mock state has no device %d", index);
	return d;
}

/* The map record holding iova in the state's containers or IOAS objects (borrowed). */
static json_t *map_at(json_t *st, uint64_t iova)
{
	static const char *const lists[] = {VFM_ST_CONTAINERS, VFM_ST_IOMMUFD};
	size_t i, j, k;

	for (i = 0; i < 2; i++) {
		json_t *list = json_object_get(st, lists[i]);

		for (j = 0; j < json_array_size(list); j++) {
			json_t *maps = json_object_get(json_array_get(list, j), VFM_ST_MAPS);

			for (k = 0; k < json_array_size(maps); k++) {
				json_t *m = json_array_get(maps, k);
				uint64_t a =
				    (uint64_t)json_integer_value(json_object_get(m, VFM_KEY_IOVA));
				uint64_t n = (uint64_t)json_integer_value(
				    json_object_get(m, VFM_KEY_LENGTH));

				if (iova >= a && iova - a < n)
					return m;
			}
		}
	}
	return NULL;
}

bool mock_placement_verdict(json_t *st, uint64_t ram_ino, const struct ram_layout *l, uint64_t iova,
			    uint64_t gpa, uint64_t min_gpa, char **summary, json_t **details)
{
	json_t *m = map_at(st, iova), *b = json_object_get(m, VFM_ST_BACKING);
	uint64_t want = ram_layout_offset(l, gpa), off = UINT64_MAX, ino = 0;
	bool ok;

	if (b) {
		ino = (uint64_t)json_integer_value(json_object_get(b, VFM_ST_INO));
		off = (uint64_t)json_integer_value(json_object_get(b, VFM_ST_OFFSET)) +
		      (iova - (uint64_t)json_integer_value(json_object_get(m, VFM_KEY_IOVA)));
	}
	ok = b && ram_ino && ino == ram_ino && off == want && gpa >= min_gpa;
	if (!m)
		*summary = mc_strdup_printf("IOVA 0x%" PRIx64 " is not mapped", iova);
	else if (!b)
		*summary = mc_strdup_printf("IOVA 0x%" PRIx64 " reaches no file page", iova);
	else
		*summary =
		    mc_strdup_printf("IOVA 0x%" PRIx64 " -> %s page at offset 0x%" PRIx64
				     " (GPA 0x%" PRIx64 " is RAM offset 0x%" PRIx64 "%s)",
				     iova, ino == ram_ino ? "RAM file" : "another file's", off, gpa,
				     want, gpa >= min_gpa ? "" : ", below where the case needs it");
	*details = json_pack("{s:I, s:I, s:I, s:I, s:O?}", "iova", (json_int_t)iova, "gpa",
			     (json_int_t)gpa, "ram_offset", (json_int_t)off, "layout_offset",
			     (json_int_t)want, "mapping", m);
	return ok;
}

bool mock_rig_placement(const struct mock_rig *r, enum vm_role side, const struct vm *vm,
			const struct ram_layout *l, uint64_t iova, uint64_t gpa, uint64_t min_gpa,
			char **summary, json_t **details)
{
	char *err = NULL;
	json_t *st = mock_rig_call(r, side, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), &err);
	struct stat sb = {0};
	bool ok = false;

	if (!st) {
		*summary = mc_strdup_printf("IOVA 0x%" PRIx64 ": %s", iova, err);
		*details =
		    json_pack("{s:I, s:I}", "iova", (json_int_t)iova, "gpa", (json_int_t)gpa);
	} else {
		/* No RAM file: inode 0 matches no mapping's backing. */
		if (!vm || fstat(vm->ram_fd, &sb) < 0)
			sb.st_ino = 0;
		ok = mock_placement_verdict(st, (uint64_t)sb.st_ino, l, iova, gpa, min_gpa, summary,
					    details);
	}
	json_decref(st);
	free(err);
	return ok;
}

bool mock_rig_placed(struct mc_case *c, const struct mock_rig *r, const struct vm *vm,
		     const struct ram_layout *l, const uint64_t *iova, const uint64_t *gpa,
		     size_t n, uint64_t min_gpa)
{
	json_t *all = json_array(), *det;
	char *sum = NULL;
	bool ok = true;
	size_t i;

	for (i = 0; i < n && ok; i++) {
		free(sum);
		ok = mock_rig_placement(r, VM_SRC, vm, l, iova[i], gpa[i], min_gpa, &sum, &det);
		json_array_append_new(all, det);
	}
	if (ok) {
		mc_case_oracle(c, "placement", true, sum, all);
	} else {
		mc_case_error(c, "DMA is not where the case placed it: %s", sum);
		json_decref(all);
	}
	free(sum);
	return ok;
}

int mock_rig_state(const struct mock_rig *r, enum vm_role side, struct ms_state *st, char **err)
{
	json_t *reply = mock_rig_call(r, side, json_pack("{s:s}", VFM_CTL_CMD, VFM_CTL_STATE), err);
	int rc = reply ? ms_parse(reply, st, err) : -1;

	json_decref(reply);
	return rc;
}

void mock_ring_check(const uint8_t *ram, size_t ram_size, const struct ram_layout *l, uint64_t gpa,
		     uint64_t pages, uint64_t next_seq, struct ring_check *out,
		     struct mc_ranges *bad)
{
	uint64_t i;

	memset(out, 0, sizeof(*out));
	out->pages = pages;
	for (i = 0; i < pages; i++) {
		uint64_t off = ram_layout_offset(l, gpa + i * 4096);
		uint64_t want = UINT64_MAX, seen = UINT64_MAX;
		const uint64_t *st;

		if (next_seq > i)
			want = i + (next_seq - 1 - i) / pages * pages;
		if (off != UINT64_MAX && off + 32 <= ram_size) {
			st = (const uint64_t *)(ram + off);
			if (st[0] == VFM_RING_MAGIC && st[2] == i &&
			    st[3] == (st[1] ^ VFM_RING_MAGIC))
				seen = st[1];
		}
		if (want == seen)
			continue;
		if (bad)
			ranges_add(bad, gpa + i * 4096, 4096);
		if (!out->bad) {
			out->first_bad_page = i;
			out->first_expected = want;
			out->first_seen = seen;
		}
		out->bad++;
	}
}

/*
 * Calls fn on each record of a side's request log (README.md, "Request
 * log") written at or after wall-clock `since` whose line holds one of
 * `keys`, a cheap filter since the log holds every request, until fn
 * returns false.  -1 when the side has no log.
 */
static int log_each(const struct mock_rig *r, enum vm_role side, double since,
		    const char *const *keys, bool (*fn)(const json_t *rec, void *ctx), void *ctx)
{
	FILE *f = r->log[side] ? fopen(r->log[side], "re") : NULL;
	char *line = NULL;
	size_t cap = 0;
	bool more = true;

	if (!f)
		return -1;
	while (more && getline(&line, &cap, f) > 0) {
		const char *const *k;
		json_t *rec;

		for (k = keys; *k && !strstr(line, *k); k++)
			;
		if (!*k)
			continue;
		rec = json_loads(line, 0, NULL);
		if (rec && json_number_value(json_object_get(rec, "t")) >= since)
			more = fn(rec, ctx);
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return 0;
}

static bool keep_refusal(const json_t *rec, void *ctx)
{
	char **last = ctx;
	const char *req = json_string_value(json_object_get(rec, "req"));
	const char *err = json_string_value(json_object_get(rec, "errno"));
	const char *rule = json_string_value(json_object_get(rec, "rule"));
	const char *from = json_string_value(json_object_get(rec, "from"));
	const char *to = json_string_value(json_object_get(rec, "to"));

	if (!req)
		return true;
	free(*last);
	*last = mc_strdup_printf("%s%s%s%s%s: %s%s%s%s", req, from ? " " : "", from ? from : "",
				 to ? " -> " : "", to ? to : "", err ? err : "refused",
				 rule ? " (" : "", rule ? rule : "", rule ? ")" : "");
	return true;
}

char *mock_rig_last_refusal(const struct mock_rig *r, enum vm_role side, double since)
{
	static const char *const refused[] = {"\"ret\":-", NULL};
	char *last = NULL;

	log_each(r, side, since, refused, keep_refusal, &last);
	return last;
}

struct rereports {
	uint64_t iova;
	int n;
};

/*
 * Counts a dirty read that covers the page and reported dirty pages; stops
 * at the device's write to it.
 */
static bool count_rereport(const json_t *rec, void *ctx)
{
	struct rereports *c = ctx;
	const char *req = json_string_value(json_object_get(rec, "req"));
	uint64_t start = json_integer_value(json_object_get(rec, "iova"));
	/* type1 logs the range's size, iommufd its length. */
	const json_t *len = json_object_get(rec, "size") ?: json_object_get(rec, "length");

	if (json_object_get(rec, "event")) {
		uint64_t pages = json_integer_value(json_object_get(rec, "pages"));

		return !(c->iova >= start && (c->iova - start) / VFM_DMA_PAGE_SIZE < (pages ?: 1));
	}
	if (req &&
	    (!strcmp(req, "VFIO_IOMMU_DIRTY_PAGES") ||
	     !strcmp(req, "IOMMU_HWPT_GET_DIRTY_BITMAP")) &&
	    json_integer_value(json_object_get(rec, "dirty")) > 0 && c->iova >= start &&
	    c->iova - start < (uint64_t)json_integer_value(len))
		c->n++;
	return true;
}

int mock_rig_dirty_reads_before_write(const struct mock_rig *r, enum vm_role side, uint64_t iova,
				      double since)
{
	static const char *const keys[] = {"\"event_write\"", "DIRTY", NULL};
	struct rereports c = {.iova = iova};

	return log_each(r, side, since, keys, count_rereport, &c) < 0 ? -1 : c.n;
}
