// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Runs a fuzz target over files (a corpus) without libFuzzer: the regression
 * check make check runs with any compiler.  Prints one TAP line per file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path, int n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %d %s\n", n, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0, i;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st))
			return 1;
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i], ++n))
				return 1;
			continue;
		}
		d = opendir(argv[i]);
		while (d && (e = readdir(d))) {
			char p[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			if (run_file(p, ++n))
				return 1;
		}
		if (d)
			closedir(d);
	}
	printf("1..%d\n", n);
	return 0;
}
