// SPDX-License-Identifier: GPL-2.0-or-later
#include "lvhost.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The directories root libvirtd has built in, and what stands in for each. */
static const char *const bind_dirs[][2] = {
    {"etc", "/etc/libvirt"},
    {"lib", "/var/lib/libvirt"},
    {"log", "/var/log/libvirt"},
    {"cache", "/var/cache/libvirt"},
};
#define NBIND (sizeof(bind_dirs) / sizeof(bind_dirs[0]))
#define CAPS_INNER "/var/cache/libvirt/qemu/capabilities"

static char *new_uuid(void)
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		abort();
	close(fd);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return mc_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
				"%02x%02x%02x%02x%02x%02x",
				b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
				b[11], b[12], b[13], b[14], b[15]);
}

static int write_text(const char *path, const char *text, char **err)
{
	return mc_write_file_atomic(path, text, strlen(text), err);
}

/*
 * Per-host configuration.  qemu.conf keeps QEMU in the daemon's namespaces
 * as root with no cgroups, no seccomp (the VFIO mock runs inside QEMU), no
 * ownership changes to the harness's files, and its console output in plain
 * files (so no virtlogd); the migration stream is offered on the link.
 */
static int write_config(const struct lvhost *h, const struct lvhost_opts *o, char **err)
{
	char *path, *text;
	int rc;

	path = mc_strdup_printf("%s/etc/libvirtd.conf", h->dir);
	text = mc_strdup_printf("# written by migcheck for its private %s host\n"
				"host_uuid = \"%s\"\n"
				"log_outputs = \"3:file:/var/log/libvirt/libvirtd.log\"\n"
				"unix_sock_group = \"root\"\n"
				"unix_sock_rw_perms = \"0770\"\n"
				"auth_unix_rw = \"none\"\n"
				"auth_unix_ro = \"none\"\n"
				"listen_tcp = 1\n"
				"listen_tls = 0\n"
				"listen_addr = \"%s\"\n"
				"auth_tcp = \"none\"\n"
				"%s%s",
				h->name, h->uuid, h->addr, o->conf_extra ? o->conf_extra : "",
				o->conf_extra ? "\n" : "");
	rc = write_text(path, text, err);
	free(path);
	free(text);
	if (rc < 0)
		return -1;
	path = mc_strdup_printf("%s/etc/qemu.conf", h->dir);
	text = mc_strdup_printf("# written by migcheck for its private %s host\n"
				"user = \"root\"\n"
				"group = \"root\"\n"
				"dynamic_ownership = 0\n"
				"remember_owner = 0\n"
				"security_driver = \"none\"\n"
				"namespaces = [ ]\n"
				"cgroup_controllers = [ ]\n"
				"seccomp_sandbox = 0\n"
				"stdio_handler = \"file\"\n"
				"memory_backing_dir = \"%s\"\n"
				"migration_address = \"%s\"\n"
				"migration_host = \"%s\"\n",
				h->name, LVHOST_RAM_DIR, h->addr, h->addr);
	rc = write_text(path, text, err);
	free(path);
	free(text);
	return rc;
}

static void report_and_exit(int fd, const char *what, int e)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));

	if (write(fd, msg, n) < 0)
		_exit(3);
	_exit(2);
}

static volatile pid_t forward_to;

static void forward_term(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/*
 * PID 1 of the host: mounts /proc for its PID namespace, waits for the
 * start byte, runs libvirtd and reaps whatever is reparented to it.  When
 * libvirtd exits, init exits, and the kernel ends the rest of the namespace.
 */
static void host_init(int start_fd, int alive_fd, char *const *argv, char *const *envp,
		      const char *out_path)
{
	struct sigaction sa = {.sa_handler = forward_term};
	struct pollfd pfd = {.fd = alive_fd, .events = POLLIN};
	pid_t daemon;
	int status = 0, fd;
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The holder may have died before the parent-death signal was armed. */
	if (poll(&pfd, 1, 0) > 0)
		_exit(1);
	sigaction(SIGTERM, &sa, NULL);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		_exit(4);
	if (read(start_fd, &b, 1) != 1)
		_exit(0); /* never started: the harness gave up */
	close(start_fd);
	daemon = fork();
	if (daemon == 0) {
		setsid();
		fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd > 0) {
			dup2(fd, 0);
			close(fd);
		}
		sigaction(SIGTERM, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
		execve(argv[0], argv, envp);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	forward_to = daemon;
	for (;;) {
		pid_t p = waitpid(-1, &status, 0);

		if (p == daemon)
			break;
		if (p < 0 && errno == ECHILD)
			break;
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/*
 * The holder: our child in the host's new namespaces.  It makes the mounts,
 * reports on `status_fd` ("ok" or why not), then runs PID 1 and waits for it.
 */
static void holder_main(const struct lvhost *h, const struct lvhost_opts *o, int start_fd,
			int status_fd, pid_t parent)
{
	struct sigaction sa = {.sa_handler = forward_term};
	char *argv[] = {(char *)o->libvirtd,
			"--listen",
			"--pid-file",
			"/run/libvirt/libvirtd.pid",
			"--config",
			"/etc/libvirt/libvirtd.conf",
			NULL};
	char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=" LVHOST_RUN_DIR,
			NULL};
	char *out = mc_strdup_printf("%s/log/libvirtd.stderr", h->dir);
	char host[64];
	int alive[2], status;
	unsigned i;
	pid_t init;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID) < 0)
		report_and_exit(status_fd, "unshare (mount, network, UTS, IPC, PID namespaces)",
				errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		report_and_exit(status_fd, "making / private in the new mount namespace", errno);
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		report_and_exit(status_fd, "tmpfs on /run", errno);
	if (mkdir("/run/libvirt", 0755) < 0 || mkdir(LVHOST_RUN_DIR, 0755) < 0 ||
	    mkdir(LVHOST_RAM_DIR, 0755) < 0)
		report_and_exit(status_fd, "directories in /run", errno);
	for (i = 0; i < NBIND; i++) {
		char *from = mc_strdup_printf("%s/%s", h->dir, bind_dirs[i][0]);

		if (mount(from, bind_dirs[i][1], NULL, MS_BIND, NULL) < 0)
			report_and_exit(status_fd, bind_dirs[i][1], errno);
		free(from);
	}
	if (mount(o->caps_cache, CAPS_INNER, NULL, MS_BIND, NULL) < 0)
		report_and_exit(status_fd, "the shared capabilities cache", errno);
	snprintf(host, sizeof(host), "migcheck-%s", h->name);
	if (sethostname(host, strlen(host)) < 0)
		report_and_exit(status_fd, "sethostname", errno);
	if (pipe2(alive, O_CLOEXEC) < 0)
		report_and_exit(status_fd, "pipe", errno);
	fflush(NULL);
	init = fork();
	if (init < 0)
		report_and_exit(status_fd, "fork into the PID namespace", errno);
	if (init == 0) {
		close(alive[1]);
		close(status_fd);
		host_init(start_fd, alive[0], argv, envp, out);
	}
	close(alive[0]);
	close(start_fd);
	forward_to = init;
	sigaction(SIGTERM, &sa, NULL);
	if (write(status_fd, "ok", 2) != 2)
		_exit(1);
	close(status_fd);
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int make_dirs(struct lvhost *h, char **err)
{
	unsigned i;
	int rc;

	for (i = 0; i < NBIND; i++) {
		char *d = mc_strdup_printf("%s/%s", h->dir, bind_dirs[i][0]);

		rc = mc_mkdir_p(d, 0755);
		if (rc < 0)
			mc_set_err(err, "cannot create %s: %s", d, strerror(-rc));
		free(d);
		if (rc < 0)
			return -1;
		if (!mc_path_exists(bind_dirs[i][1])) {
			mc_set_err(err, "%s does not exist: is libvirt installed?",
				   bind_dirs[i][1]);
			return -1;
		}
	}
	{
		char *d = mc_strdup_printf("%s/cache/qemu/capabilities", h->dir);

		rc = mc_mkdir_p(d, 0755);
		if (rc < 0)
			mc_set_err(err, "cannot create %s: %s", d, strerror(-rc));
		free(d);
	}
	return rc < 0 ? -1 : 0;
}

static int spawn_holder(struct lvhost *h, const struct lvhost_opts *o, char **err)
{
	int start[2], status[2];
	pid_t parent = getpid();
	char msg[512];
	ssize_t n;

	if (pipe2(start, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		mc_set_err(err, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	h->holder = fork();
	if (h->holder < 0) {
		mc_set_err(err, "fork: %s", strerror(errno));
		return -1;
	}
	if (h->holder == 0) {
		close(start[1]);
		close(status[0]);
		holder_main(h, o, start[0], status[1], parent);
	}
	close(start[0]);
	close(status[1]);
	h->ctl = start[1];
	h->status = status[0];
	do {
		n = read(h->status, msg, sizeof(msg) - 1);
	} while (n < 0 && errno == EINTR);
	if (n == 2 && !memcmp(msg, "ok", 2))
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	mc_set_err(err, "%s host: %s", h->name, n > 0 ? msg : "namespace setup died");
	return -1;
}

/* Runs a short command (ip, nsenter) and waits for it; its output goes to log. */
static int run_cmd(char *const *argv, const char *log, char **err)
{
	struct mc_proc p;
	struct mc_spawn s = {.argv = argv, .stdout_path = log, .stderr_path = log};
	char *d;

	if (mc_proc_spawn(&p, &s, err) < 0)
		return -1;
	if (!mc_proc_wait(&p, 20000))
		mc_proc_terminate(&p, 1000);
	if (WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0)
		return 0;
	d = mc_proc_describe(&p);
	{
		char *tail = mc_file_tail(log, 300);

		mc_set_err(err, "%s %s: %s", argv[0], d, tail ? tail : "");
		free(tail);
	}
	free(d);
	return -1;
}

/* The veth pair, created directly inside the two namespaces, and addresses. */
static int make_link(struct lvhost h[2], const char *base, char **err)
{
	char *log = mc_strdup_printf("%s/link.log", base);
	char pid0[16], pid1[16];
	int rc, i;

	snprintf(pid0, sizeof(pid0), "%d", (int)h[0].holder);
	snprintf(pid1, sizeof(pid1), "%d", (int)h[1].holder);
	{
		char *argv[] = {"ip",	"link", "add",	"mc0", "netns", pid0, "type",
				"veth", "peer", "name", "mc0", "netns", pid1, NULL};

		rc = run_cmd(argv, log, err);
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		char *batch = mc_strdup_printf("%s/%s/link.ip", base, h[i].name);
		char *text = mc_strdup_printf("link set lo up\n"
					      "addr add %s/%d dev mc0\n"
					      "link set mc0 up\n",
					      h[i].addr, LVHOST_NET_PREFIX);
		char *net = mc_strdup_printf("--net=/proc/%d/ns/net", (int)h[i].holder);
		char *argv[] = {"nsenter", net, "ip", "-batch", batch, NULL};

		rc = write_text(batch, text, err);
		if (rc == 0)
			rc = run_cmd(argv, log, err);
		free(batch);
		free(text);
		free(net);
	}
	free(log);
	return rc;
}

int lvhost_create(const char *base, const struct lvhost_opts *o, struct lvhost h[2], bool *refused,
		  char **err)
{
	static const char *const names[2] = {"src", "dst"};
	static const char *const addrs[2] = {LVHOST_ADDR_SRC, LVHOST_ADDR_DST};
	int i, rc;

	*refused = false;
	memset(h, 0, 2 * sizeof(*h));
	for (i = 0; i < 2; i++) {
		h[i].name = names[i];
		h[i].ctl = h[i].status = -1;
		h[i].dir = mc_strdup_printf("%s/%s", base, names[i]);
		h[i].addr = strdup(addrs[i]);
		h[i].uuid = new_uuid();
	}
	if (access(o->libvirtd, X_OK) < 0) {
		mc_set_err(err, "libvirt daemon %s: %s", o->libvirtd, strerror(errno));
		return -1;
	}
	rc = mc_mkdir_p(o->caps_cache, 0755);
	if (rc < 0) {
		mc_set_err(err, "cannot create %s: %s", o->caps_cache, strerror(-rc));
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (make_dirs(&h[i], err) < 0 || write_config(&h[i], o, err) < 0)
			return -1;
	for (i = 0; i < 2; i++) {
		if (spawn_holder(&h[i], o, err) < 0) {
			*refused = err && *err && strstr(*err, "unshare");
			return -1;
		}
		h[i].root = mc_strdup_printf("/proc/%d/root", (int)h[i].holder);
		h[i].uri = mc_strdup_printf(
		    "qemu+unix:///system?socket=%s/run/libvirt/libvirt-sock", h[i].root);
		h[i].peer_uri = mc_strdup_printf("qemu+tcp://%s/system", h[i].addr);
	}
	return make_link(h, base, err);
}

static bool socket_answers(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc == 0;
}

static bool holder_exited(struct lvhost *h, int *status)
{
	if (h->holder <= 0)
		return true;
	if (waitpid(h->holder, status, WNOHANG) == h->holder) {
		h->holder = 0;
		return true;
	}
	return false;
}

int lvhost_start(struct lvhost *h, int timeout_ms, char **err)
{
	char *sock = lvhost_path(h, "/run/libvirt/libvirt-sock");
	uint64_t deadline = mc_now_ns() + (uint64_t)timeout_ms * 1000000;
	int status = 0;

	if (write(h->ctl, "s", 1) != 1) {
		mc_set_err(err, "%s host: cannot start its daemon: %s", h->name, strerror(errno));
		free(sock);
		return -1;
	}
	h->started = true;
	while (!socket_answers(sock)) {
		if (holder_exited(h, &status) || mc_now_ns() > deadline) {
			char *why = lvhost_why(h);

			mc_set_err(err, "%s libvirtd did not start%s: %s", h->name,
				   h->holder ? " in time" : "", why);
			free(why);
			free(sock);
			return -1;
		}
		usleep(20000);
	}
	free(sock);
	return 0;
}

char *lvhost_path(const struct lvhost *h, const char *inner)
{
	return mc_strdup_printf("%s%s", h->root, inner);
}

int lvhost_netns_fd(const struct lvhost *h)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)h->holder);
	return open(path, O_RDONLY | O_CLOEXEC);
}

char *lvhost_why(const struct lvhost *h)
{
	char *p1 = mc_strdup_printf("%s/log/libvirtd.stderr", h->dir);
	char *p2 = mc_strdup_printf("%s/log/libvirtd.log", h->dir);
	char *t1 = mc_file_tail(p1, 300), *t2 = mc_file_tail(p2, 400);
	char *why = mc_strdup_printf("%s%s%s%s%s", h->holder ? "" : "daemon exited",
				     t1 && *t1 ? "; stderr: " : "", t1 && *t1 ? t1 : "",
				     t2 && *t2 ? "; libvirtd.log: " : "", t2 && *t2 ? t2 : "");

	free(p1);
	free(p2);
	free(t1);
	free(t2);
	return why;
}

void lvhost_stop(struct lvhost *h, int grace_ms)
{
	uint64_t deadline = mc_now_ns() + (uint64_t)grace_ms * 1000000;
	int status;

	if (h->ctl >= 0) {
		close(h->ctl); /* a host never started lets init go */
		h->ctl = -1;
	}
	if (h->holder <= 0)
		return;
	if (h->started) {
		kill(h->holder, SIGTERM);
		while (!holder_exited(h, &status) && mc_now_ns() < deadline)
			usleep(10000);
	}
	if (h->holder > 0) {
		kill(h->holder, SIGKILL);
		waitpid(h->holder, &status, 0);
		h->holder = 0;
	}
}

void lvhost_free(struct lvhost *h)
{
	lvhost_stop(h, 0);
	if (h->status >= 0)
		close(h->status);
	free(h->dir);
	free(h->addr);
	free(h->uuid);
	free(h->root);
	free(h->uri);
	free(h->peer_uri);
	memset(h, 0, sizeof(*h));
	h->ctl = h->status = -1;
}
