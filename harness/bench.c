// SPDX-License-Identifier: GPL-2.0-or-later
#include "bench.h"
#include "probe.h"
#include "ramcmp.h"
#include "ramfile.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_oracle_gbps(size_t mib)
{
	size_t len = mib << 20, i;
	uint8_t *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ram_layout l;
	struct ram_cmp c;
	double t[5];
	int k;

	if (a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	/* Non-zero, page-varying content: equal pages must be compared in full. */
	for (i = 0; i < len; i += 8)
		*(uint64_t *)(a + i) = i * 0x9e3779b97f4a7c15ull;
	memcpy(b, a, len);
	ram_layout_identity(&l, len);
	for (k = 0; k < 5; k++) {
		ram_compare(a, b, len, 4096, &l, &c);
		t[k] = len / c.seconds / 1e9;
	}
	munmap(a, len);
	munmap(b, len);
	return median(t, 5);
}

/*
 * GB/s at which never-touched guest RAM gets populated: a fresh guest RAM
 * file (ramfile.h, so huge pages where the host allows them), read a byte
 * per page as a migration reads it on the source (to find zero pages) and
 * on the destination (before clearing one).  Each first touch allocates
 * and clears memory, so every GiB a case's guest has costs this twice per
 * migration, whatever the guest uses.
 */
double bench_populate_gbps(size_t mib)
{
	size_t len = mib << 20, i;
	double t[3];
	int k;

	for (k = 0; k < 3; k++) {
		int fd = ramfile_create("bench", len, NULL);
		volatile const uint8_t *m = fd >= 0 ? ramfile_map(fd, len) : NULL;
		uint8_t sum = 0;
		double t0;

		if (fd >= 0)
			close(fd);
		if (!m)
			return -1;
		t0 = mc_now_s();
		for (i = 0; i < len; i += 4096)
			sum += m[i];
		t[k] = sum ? -1 : len / (mc_now_s() - t0) / 1e9;
		ramfile_unmap((void *)m, len);
	}
	return median(t, 3);
}

struct series {
	char *name;
	double *v[3]; /* guest_ready, migration, oracle */
	size_t n[3];
	int failures;
};

static const char *const phases[3] = {"guest_ready", "migration", "oracle"};

static struct series *find_series(struct series **all, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*all)[i].name, name))
			return &(*all)[i];
	*all = realloc(*all, (*n + 1) * sizeof(**all));
	if (!*all)
		abort();
	memset(&(*all)[*n], 0, sizeof(**all));
	(*all)[*n].name = strdup(name);
	return &(*all)[(*n)++];
}

int mc_bench(const struct mc_config *cfg, const struct mc_selection *sel, int repeat,
	     size_t oracle_mib)
{
	struct series *all = NULL;
	size_t nall = 0, i;
	char *base = report_new_run_id();
	int k, p, ret = 0;

	fprintf(stdout, "migcheck bench: %d run(s) of the selected cases against %s\n", repeat,
		cfg->qemu);
	for (k = 0; k < repeat; k++) {
		struct mc_config c = *cfg;
		char *id = mc_strdup_printf("bench-%s-%d", base, k + 1), *path;
		json_t *doc, *cs;
		FILE *devnull = fopen("/dev/null", "w");

		c.run_id = id;
		c.tap_out = devnull;
		c.progress = false;
		mc_run(&c, sel, probe_environment(cfg->qemu, cfg->guest_dir), json_object());
		fclose(devnull);
		path = mc_strdup_printf("%s/runs/%s/report.json", cfg->reports_dir, id);
		doc = json_load_file(path, 0, NULL);
		json_array_foreach(json_object_get(doc, "cases"), i, cs)
		{
			struct series *s = find_series(
			    &all, &nall, json_string_value(json_object_get(cs, "name")));

			if (strcmp(json_string_value(json_object_get(cs, "result")) ?: "", "pass"))
				s->failures++;
			for (p = 0; p < 3; p++) {
				json_t *v =
				    json_object_get(json_object_get(cs, "phases"), phases[p]);

				if (!json_is_number(v))
					continue;
				s->v[p] = realloc(s->v[p], (s->n[p] + 1) * sizeof(double));
				s->v[p][s->n[p]++] = json_number_value(v);
			}
		}
		fprintf(stdout, "  run %d: %s\n", k + 1, path);
		json_decref(doc);
		free(path);
		free(id);
	}
	fprintf(stdout, "\nmedian seconds per phase (%d runs)\n", repeat);
	fprintf(stdout, "%-36s %12s %10s %8s %s\n", "case", "guest_ready", "migration", "oracle",
		"not passing");
	for (i = 0; i < nall; i++) {
		fprintf(stdout, "%-36s", all[i].name);
		for (p = 0; p < 3; p++) {
			double m = median(all[i].v[p], all[i].n[p]);

			if (m < 0)
				fprintf(stdout, " %*s", p == 0 ? 12 : p == 1 ? 10 : 8, "-");
			else
				fprintf(stdout, " %*.3f", p == 0 ? 12 : p == 1 ? 10 : 8, m);
			free(all[i].v[p]);
		}
		fprintf(stdout, " %d\n", all[i].failures);
		if (all[i].failures)
			ret = 1;
		free(all[i].name);
	}
	free(all);
	free(base);
	fprintf(stdout, "\nRAM oracle throughput: %.2f GB/s (%zu MiB, median of 5)\n",
		bench_oracle_gbps(oracle_mib), oracle_mib);
	fprintf(stdout,
		"guest RAM first touch: %.2f GB/s (%zu MiB of a fresh guest RAM file on %s, median "
		"of 3; a migration pays it on both sides for every page the guest never wrote)\n",
		bench_populate_gbps(oracle_mib), oracle_mib, ramfile_backing());
	return ret;
}
