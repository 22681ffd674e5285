// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * modload.c: finit_module over a list file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "modload.h"

static int load_one(const char *path)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* glibc has no wrapper for finit_module in every version. */
	if (syscall(SYS_finit_module, fd, "", 0) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int modload_list(const char *list, const char *dir, struct modload_result *res)
{
	char line[1024], path[2048];
	FILE *f;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	f = fopen(list, "re");
	if (!f) {
		res->err = errno;
		res->list_unreadable = 1;
		snprintf(res->failed, sizeof(res->failed), "%.200s", list);
		return -res->err;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, "#\r\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (!*p)
			continue;
		if (*p == '/')
			snprintf(path, sizeof(path), "%s", p);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, p);
		ret = load_one(path);
		if (ret == -EEXIST) {
			res->already++;
			ret = 0;
			continue;
		}
		if (ret < 0) {
			res->err = -ret;
			snprintf(res->failed, sizeof(res->failed), "%.200s", p);
			break;
		}
		res->loaded++;
	}
	fclose(f);
	return ret;
}
