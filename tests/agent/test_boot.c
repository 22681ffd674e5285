// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_boot.c: boots the built guest (kernel + initramfs) under QEMU/TCG and
 * drives the agent over its serial port: the end-to-end check that the
 * artefacts in build/guests/linux work together.
 */
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "ktest.h"
#include "agent_client.h"
#include "matrix.h"
#include "viommu.h"

#define LINE 8192

struct bootvm {
	char dir[512];
	char sock[600];
	char console[600];
	struct agent a;
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static void boot_cleanup(struct bootvm *vm)
{
	char cmd[700];

	agent_stop(&vm->a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vm->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", vm->dir);
}

static void dump_console(struct bootvm *vm)
{
	char buf[2048];
	ssize_t n;
	off_t size;
	int fd = open(vm->console, O_RDONLY);

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		char *l, *save = NULL;

		buf[n] = '\0';
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("# console: %s\n", l);
	}
}

/*
 * Starts QEMU with the agent port on a unix socket and connects to it.
 * Returns false (after printing why) if QEMU cannot run here.
 */
static bool boot_start(struct bootvm *vm, bool viommu, const char *append)
{
	const char *qemu = env_or("MIGCHECK_QEMU", "qemu-system-x86_64");
	char con_arg[700], ag_arg[700];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int i, fd;

	memset(vm, 0, sizeof(*vm));
	snprintf(vm->dir, sizeof(vm->dir), "%s/boot-test.XXXXXX", env_or("TMPDIR", "/tmp"));
	if (!mkdtemp(vm->dir))
		return false;
	snprintf(vm->sock, sizeof(vm->sock), "%s/agent.sock", vm->dir);
	snprintf(vm->console, sizeof(vm->console), "%s/console.log", vm->dir);
	snprintf(con_arg, sizeof(con_arg), "file,id=con,path=%s", vm->console);
	snprintf(ag_arg, sizeof(ag_arg), "socket,id=ag,path=%s,server=on,wait=off", vm->sock);

	vm->a.fd = -1;
	vm->a.pid = fork();
	if (vm->a.pid < 0)
		return false;
	if (vm->a.pid == 0) {
		const char *argv[40] = {qemu,
					"-machine",
					"q35",
					"-accel",
					"tcg",
					"-m",
					"256",
					"-nodefaults",
					"-display",
					"none",
					"-no-reboot",
					"-kernel",
					env_or("MIGCHECK_VMLINUZ", "guests/linux/vmlinuz"),
					"-initrd",
					env_or("MIGCHECK_INITRAMFS", "guests/linux/initramfs.cpio"),
					"-append",
					append,
					"-chardev",
					con_arg,
					"-serial",
					"chardev:con",
					"-chardev",
					ag_arg,
					"-serial",
					"chardev:ag"};
		int n = 0, log;

		while (argv[n])
			n++;

		if (viommu) {
			const char *const *vi = viommu_qemu_args(MX_VI_LEGACY, true);

			for (; *vi; vi++)
				argv[n++] = *vi;
		}
		argv[n] = NULL;
		/* QEMU must not outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		log = open("/dev/null", O_WRONLY);
		dup2(log, 1);
		execvp(qemu, (char *const *)argv);
		_exit(127);
	}
	if (strlen(vm->sock) >= sizeof(sa.sun_path)) {
		printf("# socket path too long: %s\n", vm->sock);
		return false;
	}
	memcpy(sa.sun_path, vm->sock, strlen(vm->sock) + 1);
	/* Up to 60 s for QEMU to open its socket: generous, for a loaded host. */
	for (i = 0; i < 6000; i++) {
		int status;

		if (waitpid(vm->a.pid, &status, WNOHANG) == vm->a.pid) {
			vm->a.pid = 0;
			printf("# %s exited with status %d before opening its socket\n", qemu,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return false;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			vm->a.fd = fd;
			return true;
		}
		close(fd);
		usleep(10000);
	}
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void boot_and_check(struct ktest *_t, bool viommu, const char *append, struct bootvm *vm)
{
	char r[LINE], v[128];
	double t0 = now_s();
	int i;

	/* make check builds both and installs QEMU: either missing is a failure. */
	ASSERT_EQ(access(env_or("MIGCHECK_VMLINUZ", "guests/linux/vmlinuz"), R_OK), 0);
	if (!boot_start(vm, viommu, append)) {
		boot_cleanup(vm);
		ASSERT_TRUE(!"QEMU cannot start (MIGCHECK_QEMU)");
	}
	if (agent_line(&vm->a, r, sizeof(r), 180000) <= 0) {
		dump_console(vm);
		boot_cleanup(vm);
		ASSERT_TRUE(!"guest agent never said ready");
	}
	printf("# ready after %.2f s: %s\n", now_s() - t0, r);
	ASSERT_EQ(strncmp(r, "* ready kernel=", 15), 0);
	EXPECT_TRUE(strstr(r, " protocol=1") != NULL);

	ASSERT_GE(agent_cmd(&vm->a, "1 ready", r, sizeof(r)), 0);
	EXPECT_EQ(kv_num(r, "protocol"), 1);
	EXPECT_GT(kv_num(r, "uptime_ms"), 0);

	ASSERT_GE(agent_cmd(&vm->a, "2 modules load", r, sizeof(r)), 0);
	EXPECT_EQ(strncmp(r, "2 ok count=", 11), 0);
	EXPECT_GE(kv_num(r, "count"), 5);
	ASSERT_GE(agent_cmd(&vm->a, "3 modules load", r, sizeof(r)), 0);
	EXPECT_EQ(kv_num(r, "count"), 0);
	EXPECT_GE(kv_num(r, "already"), 5);

	/* More than the 256 MiB guest has: refused, and the guest lives on. */
	ASSERT_GE(agent_cmd(&vm->a, "40 cpu-dirty start mib=300", r, sizeof(r)), 0);
	EXPECT_STREQ(r, "40 err not enough memory for 300 MiB (keeps 16 MiB free)");
	ASSERT_GE(agent_cmd(&vm->a, "4 cpu-dirty start mib=16 rate=0", r, sizeof(r)), 0);
	EXPECT_STREQ(r, "4 ok pages=4096 locked=1");
	ASSERT_GE(agent_cmd(&vm->a, "5 heartbeat start interval_ms=20", r, sizeof(r)), 0);
	/* Three beats, however long a loaded host takes to deliver them. */
	while (vm->a.heartbeats < 3) {
		ASSERT_GT(agent_line(&vm->a, r, sizeof(r), 60000), 0);
		if (!strncmp(r, "* hb ", 5))
			vm->a.heartbeats++;
	}
	ASSERT_GE(agent_cmd(&vm->a, "6 cpu-dirty gpa index=4095", r, sizeof(r)), 0);
	ASSERT_TRUE(kv_get(r, "gpa", v, sizeof(v)));
	EXPECT_EQ(strncmp(v, "0x", 2), 0);
	EXPECT_GT(kv_num(r, "gpa"), 0);
	ASSERT_GE(agent_cmd(&vm->a, "7 verify", r, sizeof(r)), 0);
	EXPECT_STREQ(r, "7 ok checked=4096");
	ASSERT_GE(agent_cmd(&vm->a, "8 cpu-dirty corrupt index=4000 mode=stale", r, sizeof(r)), 0);
	ASSERT_GE(agent_cmd(&vm->a, "9 verify", r, sizeof(r)), 0);
	EXPECT_EQ(kv_num(r, "bad"), 1);
	EXPECT_EQ(kv_num(r, "first"), 4000);
	EXPECT_GT(kv_num(r, "first_gpa"), 0);
	ASSERT_GE(agent_cmd(&vm->a, "10 heartbeat stop", r, sizeof(r)), 0);
	EXPECT_GE(kv_num(r, "sent"), 3);
	EXPECT_GE(vm->a.heartbeats, 3);

	ASSERT_GE(agent_cmd(&vm->a, "11 poweroff", r, sizeof(r)), 0);
	EXPECT_STREQ(r, "11 ok");
	i = agent_wait(&vm->a, 30000);
	EXPECT_EQ(i, 0);
	printf("# powered off after %.2f s\n", now_s() - t0);
}

TEST_TIMEOUT(boot_plain, 300)
{
	struct bootvm vm;

	boot_and_check(_t, false, "console=ttyS0 panic=-1 quiet no_timer_check", &vm);
	boot_cleanup(&vm);
}

TEST_TIMEOUT(boot_viommu, 300)
{
	struct bootvm vm;

	boot_and_check(_t, true, "console=ttyS0 panic=-1 quiet no_timer_check intel_iommu=on", &vm);
	boot_cleanup(&vm);
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}
