// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ramfile: the guest RAM file, with no name, shared, and on huge pages
 * where the host lets a process have a tmpfs of its own.
 */
#define KTEST_MAIN
#include "ktest.h"

#include "ramfile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define TMPFS_MAGIC_NUMBER 0x01021994
#define SIZE (8u << 20)

/* kB of `field` in the smaps entry of the mapping that starts at p; -1 if none. */
static long smaps_kb(const void *p, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], start[32];
	size_t flen = strlen(field);
	bool in = false;
	long kb = -1;

	snprintf(start, sizeof(start), "%lx-", (unsigned long)(uintptr_t)p);
	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
			in = !strncmp(line, start, strlen(start));
		else if (in && !strncmp(line, field, flen) && line[flen] == ':')
			kb = strtol(line + flen + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return kb;
}

/* 0 when a file made here is nameless, sized, shared and, on huge tmpfs, huge-mapped. */
static int check_file(char **msg)
{
	char *err = NULL;
	int fd = ramfile_create("unit", SIZE, &err);
	struct stat st;
	struct statfs sf;
	uint8_t *p, b = 0;
	size_t i;

	if (fd < 0) {
		*msg = err;
		return 1;
	}
	if (fstat(fd, &st) < 0 || st.st_size != SIZE || st.st_nlink != 0 || fstatfs(fd, &sf) < 0 ||
	    sf.f_type != TMPFS_MAGIC_NUMBER)
		return 2;
	p = ramfile_map(fd, SIZE);
	if (!p || (uintptr_t)p % RAMFILE_ALIGN_BYTES)
		return 3;
	for (i = 0; i < SIZE; i += 4096)
		p[i] = (uint8_t)(i >> 12);
	/* The mapping is the file: what was written is what a reader of the fd sees. */
	if (pread(fd, &b, 1, 5 * 4096) != 1 || b != 5)
		return 4;
	if (!strcmp(ramfile_backing(), "huge tmpfs") && smaps_kb(p, "ShmemPmdMapped") < SIZE / 1024)
		return 5;
	ramfile_unmap(p, SIZE);
	close(fd);
	return 0;
}

TEST(file_is_nameless_sized_shared_and_huge_where_possible)
{
	char *msg = NULL;
	int rc = check_file(&msg);

	printf("# backing: %s\n", ramfile_backing());
	if (msg)
		printf("# %s\n", msg);
	EXPECT_EQ(rc, 0);
	free(msg);
}

static bool userns_allowed(void)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_userns_clone", "r");
	int v = 1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

/* Without privilege the file still gets huge pages, from a user namespace. */
TEST(unprivileged_user_gets_huge_tmpfs_from_a_user_namespace)
{
	int status = 0;
	pid_t pid;

	if (geteuid() != 0)
		SKIP("needs root to become an unprivileged user");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *msg = NULL;
		int rc;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(90);
		/* As a user who logged in would be: its own /proc files writable. */
		prctl(PR_SET_DUMPABLE, 1);
		rc = check_file(&msg);
		printf("# as uid 65534: backing %s%s%s\n", ramfile_backing(), msg ? ": " : "",
		       msg ? msg : "");
		fflush(stdout);
		if (rc)
			_exit(rc);
		_exit(strcmp(ramfile_backing(), "huge tmpfs") && userns_allowed() ? 80 : 0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}
