// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkcpio: builds a newc cpio archive (an initramfs) from spec files, with
 * no root privileges and no external cpio.
 *
 * usage: mkcpio -o OUTPUT SPEC...
 *
 * Spec lines ('#' starts a comment; fields are separated by blanks):
 *   dir   PATH [MODE]                 directory, default mode 0755
 *   file  SRC PATH [MODE]             copy of the host file SRC; default mode
 *                                     is SRC's permission bits
 *   nod   PATH c|b MAJOR MINOR [MODE] device node, default mode 0600
 *   slink PATH TARGET [MODE]          symbolic link, default mode 0777
 * PATH is absolute.  Missing parent directories are added (mode 0755).
 * Entries are owned by root; mtime is $SOURCE_DATE_EPOCH or 0 so that the
 * archive is reproducible.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"

#define MAX_FIELDS 8

struct spec_ctx {
	struct cpio_writer w;
	const char *spec; /* current spec file name, for messages */
	unsigned int lineno;
	/* Paths emitted so far and their file types, to add parents and catch duplicates. */
	char **paths;
	uint32_t *types;
	size_t npaths, cap;
};

static int spec_error(struct spec_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int spec_error(struct spec_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mkcpio: %s:%u: ", c->spec, c->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static long find_path(struct spec_ctx *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->npaths; i++)
		if (!strcmp(c->paths[i], path))
			return (long)i;
	return -1;
}

static int remember(struct spec_ctx *c, const char *path, uint32_t type)
{
	if (c->npaths == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **p = realloc(c->paths, cap * sizeof(*p));
		uint32_t *t;

		if (!p)
			return -ENOMEM;
		c->paths = p;
		t = realloc(c->types, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		c->types = t;
		c->cap = cap;
	}
	c->paths[c->npaths] = strdup(path);
	if (!c->paths[c->npaths])
		return -ENOMEM;
	c->types[c->npaths++] = type;
	return 0;
}

static int emit(struct spec_ctx *c, const char *path, uint32_t mode, uint32_t maj, uint32_t min,
		const void *data, size_t size);

/* Adds the directories above @path (without leading '/') that are missing. */
static int add_parents(struct spec_ctx *c, const char *path)
{
	char buf[4096];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	for (slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
		long i;

		*slash = '\0';
		i = find_path(c, buf);
		if (i < 0) {
			if (emit(c, buf, S_IFDIR | 0755, 0, 0, NULL, 0))
				return -1;
		} else if (c->types[i] != S_IFDIR) {
			return spec_error(c, "/%s is not a directory", buf);
		}
		*slash = '/';
	}
	return 0;
}

static int emit(struct spec_ctx *c, const char *path, uint32_t mode, uint32_t maj, uint32_t min,
		const void *data, size_t size)
{
	long i;
	int ret;

	if (add_parents(c, path))
		return -1;
	i = find_path(c, path);
	if (i >= 0) {
		/* Declaring a directory twice is harmless; anything else is a mistake. */
		if ((mode & S_IFMT) == S_IFDIR && c->types[i] == S_IFDIR)
			return 0;
		return spec_error(c, "duplicate entry /%s", path);
	}
	ret = cpio_add(&c->w, path, mode, maj, min, data, size);
	if (!ret)
		ret = remember(c, path, mode & S_IFMT);
	if (ret)
		return spec_error(c, "writing /%s: %s", path, strerror(-ret));
	return 0;
}

/* Checks an archive path and returns it without its leading '/'. */
static const char *archive_path(struct spec_ctx *c, const char *path)
{
	size_t n = strlen(path);

	if (path[0] != '/') {
		spec_error(c, "path %s is not absolute", path);
		return NULL;
	}
	while (*path == '/')
		path++;
	if (!*path || n >= 4000 || strstr(path, "//") || path[strlen(path) - 1] == '/' ||
	    !strcmp(path, "..") || !strncmp(path, "../", 3) || strstr(path, "/../") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/..")) || !strcmp(path, ".") ||
	    !strncmp(path, "./", 2) || strstr(path, "/./")) {
		spec_error(c, "bad path %s", path - 1);
		return NULL;
	}
	return path;
}

static bool parse_mode(const char *s, uint32_t *mode)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (!*s || *end || errno || v > 07777)
		return false;
	*mode = (uint32_t)v;
	return true;
}

static bool parse_num(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > 0xfffff)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int read_file(struct spec_ctx *c, const char *src, char **data, size_t *size, uint32_t *perm)
{
	struct stat st;
	size_t done = 0;
	int fd;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		spec_error(c, "cannot read %s: %s", src, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return spec_error(c, "%s is not a regular file", src);
	}
	*perm = st.st_mode & 07777;
	*size = (size_t)st.st_size;
	*data = malloc(*size ? *size : 1);
	if (!*data) {
		close(fd);
		return spec_error(c, "%s: out of memory", src);
	}
	while (done < *size) {
		ssize_t n = read(fd, *data + done, *size - done);

		if (n <= 0) {
			spec_error(c, "reading %s: %s", src, n ? strerror(errno) : "short file");
			free(*data);
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

static int do_line(struct spec_ctx *c, char **f, int n)
{
	const char *path;
	uint32_t mode, maj, min;

	if (!strcmp(f[0], "dir")) {
		if (n < 2 || n > 3)
			return spec_error(c, "expected: dir PATH [MODE]");
		mode = 0755;
		if (n == 3 && !parse_mode(f[2], &mode))
			return spec_error(c, "bad mode %s (octal, at most 07777)", f[2]);
		path = archive_path(c, f[1]);
		return path ? emit(c, path, S_IFDIR | mode, 0, 0, NULL, 0) : -1;
	}
	if (!strcmp(f[0], "file")) {
		char *data = NULL;
		size_t size = 0;
		uint32_t perm = 0;
		int ret;

		if (n < 3 || n > 4)
			return spec_error(c, "expected: file SRC PATH [MODE]");
		if (n == 4 && !parse_mode(f[3], &mode))
			return spec_error(c, "bad mode %s (octal, at most 07777)", f[3]);
		path = archive_path(c, f[2]);
		if (!path || read_file(c, f[1], &data, &size, &perm))
			return -1;
		ret = emit(c, path, S_IFREG | (n == 4 ? mode : perm), 0, 0, data, size);
		free(data);
		return ret;
	}
	if (!strcmp(f[0], "nod")) {
		uint32_t type;

		if (n < 5 || n > 6)
			return spec_error(c, "expected: nod PATH c|b MAJOR MINOR [MODE]");
		if (!strcmp(f[2], "c"))
			type = S_IFCHR;
		else if (!strcmp(f[2], "b"))
			type = S_IFBLK;
		else
			return spec_error(c, "bad device type %s (c or b)", f[2]);
		if (!parse_num(f[3], &maj) || !parse_num(f[4], &min))
			return spec_error(c, "bad device number %s %s", f[3], f[4]);
		mode = 0600;
		if (n == 6 && !parse_mode(f[5], &mode))
			return spec_error(c, "bad mode %s (octal, at most 07777)", f[5]);
		path = archive_path(c, f[1]);
		return path ? emit(c, path, type | mode, maj, min, NULL, 0) : -1;
	}
	if (!strcmp(f[0], "slink")) {
		if (n < 3 || n > 4)
			return spec_error(c, "expected: slink PATH TARGET [MODE]");
		mode = 0777;
		if (n == 4 && !parse_mode(f[3], &mode))
			return spec_error(c, "bad mode %s (octal, at most 07777)", f[3]);
		path = archive_path(c, f[1]);
		return path ? emit(c, path, S_IFLNK | mode, 0, 0, f[2], strlen(f[2])) : -1;
	}
	return spec_error(c, "unknown entry type '%s' (dir, file, nod or slink)", f[0]);
}

static int do_spec(struct spec_ctx *c, const char *spec)
{
	char line[8192];
	FILE *in;
	int ret = 0;

	c->spec = spec;
	c->lineno = 0;
	in = fopen(spec, "re");
	if (!in) {
		fprintf(stderr, "mkcpio: cannot open %s: %s\n", spec, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), in)) {
		char *f[MAX_FIELDS + 1], *p = line, *save = NULL;
		int n = 0;

		c->lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			ret = spec_error(c, "line too long");
			break;
		}
		p[strcspn(p, "#")] = '\0';
		for (p = strtok_r(p, " \t\r\n", &save); p && n <= MAX_FIELDS;
		     p = strtok_r(NULL, " \t\r\n", &save))
			f[n++] = p;
		if (n > MAX_FIELDS)
			ret = spec_error(c, "too many fields");
		else if (n)
			ret = do_line(c, f, n);
	}
	fclose(in);
	return ret;
}

static void spec_free(struct spec_ctx *c)
{
	size_t i;

	for (i = 0; i < c->npaths; i++)
		free(c->paths[i]);
	free(c->paths);
	free(c->types);
}

int main(int argc, char **argv)
{
	struct spec_ctx c = {0};
	const char *out = NULL, *sde;
	char tmp[4096];
	FILE *f;
	int opt, i, ret = 0;

	while ((opt = getopt(argc, argv, "o:h")) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		default:
			fprintf(stderr, "usage: mkcpio -o OUTPUT SPEC...\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!out || optind >= argc) {
		fprintf(stderr, "usage: mkcpio -o OUTPUT SPEC...\n");
		return 2;
	}
	/* Write next to the output and rename: a failed run leaves no archive. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "mkcpio: cannot create %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	sde = getenv("SOURCE_DATE_EPOCH");
	cpio_init(&c.w, f, sde ? (uint32_t)strtoul(sde, NULL, 10) : 0);
	for (i = optind; i < argc && !ret; i++)
		ret = do_spec(&c, argv[i]);
	if (!ret && cpio_finish(&c.w)) {
		fprintf(stderr, "mkcpio: writing %s: %s\n", tmp, strerror(EIO));
		ret = -1;
	}
	if (fclose(f) && !ret) {
		fprintf(stderr, "mkcpio: writing %s: %s\n", tmp, strerror(errno));
		ret = -1;
	}
	if (!ret && rename(tmp, out) < 0) {
		fprintf(stderr, "mkcpio: rename %s: %s\n", tmp, strerror(errno));
		ret = -1;
	}
	if (ret)
		unlink(tmp);
	spec_free(&c);
	return ret ? 1 : 0;
}
