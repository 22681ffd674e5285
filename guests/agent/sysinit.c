// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysinit.c: minimal init duties.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysinit.h"

bool sysinit_is_pid1(void)
{
	return getpid() == 1;
}

static int mount_one(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, MS_NOSUID | MS_NOEXEC, NULL) < 0 && errno != EBUSY) {
		fprintf(stderr, "migcheck-agent: mount %s on %s: %s\n", type, dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int sysinit_mounts(void)
{
	int ret = 0;

	ret |= mount_one("proc", "/proc", "proc");
	ret |= mount_one("sysfs", "/sys", "sysfs");
	/* devtmpfs: device nodes appear as drivers register them. */
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 && errno != EBUSY) {
		fprintf(stderr, "migcheck-agent: mount devtmpfs: %s\n", strerror(errno));
		ret = -errno;
	}
	return ret < 0 ? -EIO : 0;
}

bool sysinit_cmdline_get(const char *key, char *val, size_t size)
{
	char buf[4096], *tok, *save = NULL;
	size_t klen = strlen(key);
	ssize_t n;
	bool found = false;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The last occurrence wins, as for kernel parameters. */
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(tok, key, klen) && tok[klen] == '=') {
			snprintf(val, size, "%s", tok + klen + 1);
			found = true;
		}
	}
	return found;
}

void sysinit_halt(int status)
{
	if (!sysinit_is_pid1())
		exit(status);
	sync();
	reboot(RB_POWER_OFF);
	/* PID 1 must not exit: that would panic the kernel. */
	for (;;)
		pause();
}
