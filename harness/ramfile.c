// SPDX-License-Identifier: GPL-2.0-or-later
#include "ramfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *backing; /* set by the first ramfile_create() */

/*
 * The root of a new tmpfs, sized for one file and mounted nowhere (the new
 * mount API gives a detached mount), so no mount table ever shows it and it
 * goes away with the last fd.  -errno on failure.
 */
static int detached_huge_tmpfs(const char *size_arg)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt, e;

	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "huge", "always", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", size_arg, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		e = -errno;
		close(fs);
		return e;
	}
	mnt =
	    fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	e = -errno;
	close(fs);
	return mnt >= 0 ? mnt : e;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static int send_fd(int sock, int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * Without CAP_SYS_ADMIN: a child enters a user and a mount namespace of its
 * own (fsopen() asks for the capability over the mount namespace), where it
 * may create a tmpfs, and hands the mount back.  Our uid maps to the
 * namespace's root so that we may create files on it.  Only async-signal-safe
 * calls after fork(), since the harness may have threads.
 */
static int huge_tmpfs_via_userns(const char *size_arg)
{
	char uid_map[32], gid_map[32];
	int sv[2], mnt = -EPERM, status;
	pid_t pid;

	snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)getuid());
	snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getgid());
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		int m;

		close(sv[0]);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ||
		    write_str("/proc/self/setgroups", "deny") < 0 ||
		    write_str("/proc/self/uid_map", uid_map) < 0 ||
		    write_str("/proc/self/gid_map", gid_map) < 0)
			_exit(1);
		m = detached_huge_tmpfs(size_arg);
		_exit(m >= 0 && send_fd(sv[1], m) == 0 ? 0 : 2);
	}
	close(sv[1]);
	mnt = recv_fd(sv[0]);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return mnt >= 0 ? mnt : -EPERM;
}

static int huge_tmpfs_file(size_t size, char **why)
{
	char size_arg[32];
	int mnt, fd;

	/* Rounded up to whole huge pages, so the last one is huge as well. */
	snprintf(size_arg, sizeof(size_arg), "%zu",
		 (size + RAMFILE_ALIGN_BYTES - 1) & ~(size_t)(RAMFILE_ALIGN_BYTES - 1));
	mnt = detached_huge_tmpfs(size_arg);
	if (mnt == -EPERM)
		mnt = huge_tmpfs_via_userns(size_arg);
	if (mnt < 0) {
		*why = mc_strdup_printf("no tmpfs of our own: %s", strerror(-mnt));
		return -1;
	}
	fd = openat(mnt, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		*why = mc_strdup_printf("no file on our tmpfs: %s", strerror(errno));
	close(mnt);
	return fd;
}

static int shm_file(const char *label, char **err)
{
	char *path = mc_strdup_printf("/dev/shm/migcheck-%d-%s-XXXXXX", (int)getpid(), label);
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		mc_set_err(err, "cannot create guest RAM file in /dev/shm: %s", strerror(errno));
	else
		unlink(path); /* nothing left behind, even if we are killed */
	free(path);
	return fd;
}

#define BACKING_HUGE "huge tmpfs"

/* What the first ramfile_create() found, or NULL before it. */
static const char *decided(void)
{
	const char *b;

	pthread_mutex_lock(&lock);
	b = backing;
	pthread_mutex_unlock(&lock);
	return b;
}

int ramfile_create(const char *label, size_t size, char **err)
{
	const char *b = decided();
	char *why = NULL;
	int fd = -1;

	/* A host that refused once refuses again: no new attempt (a fork each, without root). */
	if (!b || !strcmp(b, BACKING_HUGE))
		fd = huge_tmpfs_file(size, &why);
	pthread_mutex_lock(&lock);
	if (!backing)
		backing = fd >= 0 ? strdup(BACKING_HUGE) : mc_strdup_printf("/dev/shm (%s)", why);
	pthread_mutex_unlock(&lock);
	free(why);
	if (fd < 0)
		fd = shm_file(label, err);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		mc_set_err(err, "cannot size guest RAM file to %zu bytes: %s", size,
			   strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void *ramfile_map(int fd, size_t size)
{
	size_t span = size + RAMFILE_ALIGN_BYTES;
	uint8_t *r =
	    mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t at;
	void *p;

	if (r == MAP_FAILED)
		return NULL;
	/* Reserve, then place the file at the first aligned address inside. */
	at = ((uintptr_t)r + RAMFILE_ALIGN_BYTES - 1) & ~(uintptr_t)(RAMFILE_ALIGN_BYTES - 1);
	p = mmap((void *)at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		munmap(r, span);
		return NULL;
	}
	if (at > (uintptr_t)r)
		munmap(r, at - (uintptr_t)r);
	if ((uintptr_t)r + span > at + size)
		munmap((void *)(at + size), (uintptr_t)r + span - (at + size));
	return p;
}

void ramfile_unmap(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

const char *ramfile_backing(void)
{
	if (!decided()) {
		/* Decide now, with a file of one huge page. */
		int fd = ramfile_create("probe", RAMFILE_ALIGN_BYTES, NULL);

		if (fd >= 0)
			close(fd);
	}
	return decided() ?: "unknown";
}
