// SPDX-License-Identifier: GPL-2.0-or-later
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>

uint64_t mc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

double mc_now_s(void)
{
	return mc_now_ns() / 1e9;
}

double mc_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

char *mc_strdup_vprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

char *mc_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

void mc_set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (!err || *err)
		return;
	va_start(ap, fmt);
	*err = mc_strdup_vprintf(fmt, ap);
	va_end(ap);
}

int mc_mkdir_p(const char *path, unsigned mode)
{
	char *p = strdup(path), *s;
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				ret = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return ret;
}

int mc_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = mc_strdup_printf("%s/%s", path, de->d_name);
		mc_rm_rf(sub);
		free(sub);
	}
	closedir(d);
	return rmdir(path) < 0 ? -errno : 0;
}

int mc_write_file_atomic(const char *path, const void *buf, size_t len, char **err)
{
	char *tmp = mc_strdup_printf("%s.tmp.%d", path, (int)getpid());
	const char *p = buf;
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		mc_set_err(err, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mc_set_err(err, "cannot write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			goto out;
		}
		p += n;
		len -= n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		mc_set_err(err, "cannot flush %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		mc_set_err(err, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

char *mc_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (cap - n < 4097) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *mc_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

char *mc_file_tail(const char *path, size_t max)
{
	size_t len;
	char *buf = mc_read_file(path, &len), *start, *out, *o;

	if (!buf)
		return NULL;
	mc_rstrip(buf);
	len = strlen(buf);
	start = len > max ? buf + len - max : buf;
	out = malloc(strlen(start) * 3 + 1);
	if (!out)
		abort();
	for (o = out; *start; start++) {
		if (*start == '\n') {
			memcpy(o, " | ", 3);
			o += 3;
		} else if (*start != '\r') {
			*o++ = isprint((unsigned char)*start) ? *start : '?';
		}
	}
	*o = '\0';
	free(buf);
	return out;
}

bool mc_path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int mc_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	case 'T':
		v <<= 40;
		end++;
		break;
	default:
		return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

unsigned mc_time_scale(void)
{
	const char *e = getenv("MIGCHECK_TIME_SCALE");
	char *end;
	unsigned long v;

	/* Digits only: strtoul would take "-2" for a huge number. */
	if (!e || *e < '0' || *e > '9')
		return 1;
	v = strtoul(e, &end, 10);
	return *end || v < 1 ? 1 : v > 20 ? 20 : (unsigned)v;
}

int mc_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10);
		unsigned long y = strtoul(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		/* Skip the dot (or anything that is not a digit, such as a suffix). */
		while (*a && (*a < '0' || *a > '9'))
			a++;
		while (*b && (*b < '0' || *b > '9'))
			b++;
	}
	return 0;
}

int mc_strptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}
