// SPDX-License-Identifier: GPL-2.0-or-later
#include "mockdev.h"
#include "util.h"
#include "vfiomock-client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The mock's ring stamp: magic, sequence, page index, sequence ^ magic. */
#define RING_STAMP_MAGIC 0x474e49524b4d4656ULL /* "VFMKRING" */
/* Fd numbers the mock pre-creates for the fd-passing form. */
#define MOCK_FD_IOMMUFD 30
#define MOCK_FD_DEVICE0 31

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
	o = json_pack("{s:s, s:i, s:s, s:s, s:b, s:b, s:b, s:b}", "name", name, "group", 42 + k,
		      "cdev", cdev, "devt", devt, "migration", !d->no_migration, "dma_logging",
		      !d->no_dma_logging, "precopy", !d->no_precopy, "p2p", !d->no_p2p);
	if (s->backend == MOCK_IOMMUFD_FD)
		json_object_set_new(o, "fd", json_integer(MOCK_FD_DEVICE0 + k));
	if (d->host_driven)
		json_object_set_new(o, "require_bme", json_false());
	/* The destination's ring comes from the migrated device state. */
	if (d->ring_pages && side == VM_SRC)
		json_object_set_new(o, "ring",
				    json_pack("{s:I, s:i, s:i, s:b}", "iova",
					      (json_int_t)d->ring_iova, "pages", d->ring_pages,
					      "rate_hz", d->ring_rate_hz ? d->ring_rate_hz : 1000,
					      "autostart", 1));
	if (d->events)
		json_object_set(o, "events", d->events);
	if (d->state_initial || d->state_dirty || d->state_stop_copy || d->reinit_when) {
		json_t *st = json_pack("{s:I, s:I, s:I}", "initial", (json_int_t)d->state_initial,
				       "dirty", (json_int_t)d->state_dirty, "stop_copy",
				       (json_int_t)d->state_stop_copy);

		if (d->reinit_when)
			json_object_set_new(
			    st, "reinit",
			    json_pack("{s:s, s:I}", "when", d->reinit_when, "bytes",
				      (json_int_t)(d->reinit_bytes ? d->reinit_bytes : 4096)));
		json_object_set_new(o, "state", st);
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
	if (s->ndev < 1 || s->ndev > MOCK_MAX_DEV) {
		mc_set_err(err, "mock devices: %d (1-%d allowed)", s->ndev, MOCK_MAX_DEV);
		return -1;
	}
	r->sysfs_root = mc_strdup_printf("%s/sysfs", workdir);
	if (s->backend == MOCK_IOMMUFD_FD) {
		push(&r->args, &nargs, strdup("-object"));
		push(&r->args, &nargs, mc_strdup_printf("iommufd,id=i0,fd=%d", MOCK_FD_IOMMUFD));
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
					       MOCK_FD_DEVICE0 + k, k);
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
	for (side = 0; side < 2; side++) {
		json_t *cfg, *devs = json_array();
		size_t nenv = 0;

		r->config[side] = mc_strdup_printf("%s/%s.mock.json", workdir, side_name[side]);
		r->log[side] = mc_strdup_printf("%s/%s.mock.jsonl", workdir, side_name[side]);
		/* Abstract sockets: nothing to clean up, even after a crash. */
		r->control[side] = mc_strdup_printf("@migcheck-mock-%d-%s-%lx", (int)getpid(),
						    side_name[side], (unsigned long)mc_now_ns());
		for (k = 0; k < s->ndev; k++)
			json_array_append_new(devs, device_config(s, k, side));
		cfg = json_pack("{s:i, s:s, s:s, s:{s:b, s:o}, s:o, s:o}", "version", 1, "log",
				r->log[side], "control", r->control[side], "iommu",
				"dirty_tracking", s->iommu_dirty, "page_sizes",
				page_sizes_json(s->page_sizes), "devices", devs, "faults",
				s->faults[side] ? json_incref(s->faults[side]) : json_array());
		if (s->backend == MOCK_IOMMUFD_FD)
			json_object_set_new(json_object_get(cfg, "iommu"), "iommufd_fd",
					    json_integer(MOCK_FD_IOMMUFD));
		json_object_set_new(cfg, "kernel",
				    json_string(s->kernel ? s->kernel : default_kernel));
		if (json_dump_file(cfg, r->config[side], JSON_INDENT(2)) < 0) {
			mc_set_err(err, "cannot write %s", r->config[side]);
			json_decref(cfg);
			return -1;
		}
		json_decref(cfg);
		push(&r->env[side], &nenv, mc_strdup_printf("LD_PRELOAD=%s", lib));
		push(&r->env[side], &nenv, mc_strdup_printf("VFIOMOCK_CONFIG=%s", r->config[side]));
	}
	return 0;
}

static void free_strv(char **v)
{
	char **p;

	for (p = v; p && *p; p++)
		free(*p);
	free(v);
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
	} else if (!json_is_true(json_object_get(resp, "ok"))) {
		mc_set_err(err, "mock control %s: %s: %s", side == VM_SRC ? "src" : "dst", text,
			   json_string_value(json_object_get(resp, "error")) ?: "refused");
		json_decref(resp);
		resp = NULL;
	}
	free(text);
	return resp;
}

json_t *mock_rig_device(const struct mock_rig *r, enum vm_role side, int index, char **err)
{
	json_t *st = mock_rig_call(r, side, json_pack("{s:s}", "cmd", "state"), err);
	json_t *d = json_incref(json_array_get(json_object_get(st, "devices"), index));

	json_decref(st);
	if (st && !d)
		mc_set_err(err, "mock state has no device %d", index);
	return d;
}

json_t *mock_rig_data_bytes(const struct mock_rig *r, enum vm_role side)
{
	FILE *f = fopen(r->log[side], "re");
	json_t *by_state = json_object();
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return by_state;
	while (getline(&line, &cap, f) > 0) {
		json_t *rec;
		const char *st;

		/* Cheap filter first: the log holds every request. */
		if (!strstr(line, "\"req\":\"read\"") || !strstr(line, "\"state\""))
			continue;
		rec = json_loads(line, 0, NULL);
		st = json_string_value(json_object_get(rec, "state"));
		if (st && json_integer_value(json_object_get(rec, "ret")) > 0) {
			json_t *n = json_object_get(by_state, st);

			json_object_set_new(
			    by_state, st,
			    json_integer((n ? json_integer_value(n) : 0) +
					 json_integer_value(json_object_get(rec, "ret"))));
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return by_state;
}

void mock_ring_check(const uint8_t *ram, size_t ram_size, const struct ram_layout *l, uint64_t iova,
		     uint64_t pages, uint64_t next_seq, struct ring_check *out)
{
	uint64_t i;

	memset(out, 0, sizeof(*out));
	out->pages = pages;
	for (i = 0; i < pages; i++) {
		uint64_t off = ram_layout_offset(l, iova + i * 4096);
		uint64_t want = UINT64_MAX, seen = UINT64_MAX;
		const uint64_t *st;

		if (next_seq > i)
			want = i + (next_seq - 1 - i) / pages * pages;
		if (off != UINT64_MAX && off + 32 <= ram_size) {
			st = (const uint64_t *)(ram + off);
			if (st[0] == RING_STAMP_MAGIC && st[2] == i &&
			    st[3] == (st[1] ^ RING_STAMP_MAGIC))
				seen = st[1];
		}
		if (want == seen)
			continue;
		if (!out->bad) {
			out->first_bad_page = i;
			out->first_expected = want;
			out->first_seen = seen;
		}
		out->bad++;
	}
}
