// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migcheck-agent: PID 1 of the migcheck guest initramfs.
 *
 * It mounts the pseudo file systems, opens the dedicated agent serial port
 * (/dev/ttyS1 unless migcheck.port= says otherwise) and serves the line
 * protocol described in PROTOCOL.md.  Run as an ordinary process it serves
 * the protocol on --port PATH or on an inherited --fd N, which is how the
 * unit tests drive it.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "clock.h"
#include "dmabuf.h"
#include "pcisys.h"
#include "modload.h"
#include "port.h"
#include "proto.h"
#include "sysinit.h"

#define DEFAULT_PORT "/dev/ttyS1"

static bool pid1;

static void fatal(const char *fmt, const char *arg, int err)
{
	fprintf(stderr, "migcheck-agent: fatal: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s%s\n", strerror(err), pid1 ? "; powering off" : "");
	sysinit_halt(1);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: migcheck-agent [--port PATH | --fd N] [--modules LIST] [--sysfs DIR]\n"
		   "                      [--devmem FILE]\n"
		   "  --port PATH     serve the protocol on this device or file\n"
		   "  --fd N          serve it on an inherited file descriptor\n"
		   "  --modules LIST  module load list (default " MODLOAD_LIST_DEFAULT ")\n"
		   "  --sysfs DIR     where sysfs is mounted (default /sys)\n"
		   "  --devmem FILE   guest physical memory for vfio map phys= (default /dev/mem)\n"
		   "As PID 1 the port is " DEFAULT_PORT " or the kernel parameter "
		   "migcheck.port=PATH.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"fd", required_argument, NULL, 'f'},
	    {"modules", required_argument, NULL, 'm'},
	    {"sysfs", required_argument, NULL, 's'},
	    {"devmem", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static char line[PORT_LINE_MAX + 1];
	static struct port_reader rd;
	char port_path[256] = DEFAULT_PORT, moddir[512];
	const char *modules = MODLOAD_LIST_DEFAULT;
	struct proto_config cfg;
	struct utsname uts;
	int c, fd = -1;

	pid1 = sysinit_is_pid1();
	if (pid1) {
		sysinit_mounts();
		sysinit_cmdline_get("migcheck.port", port_path, sizeof(port_path));
	}
	while ((c = getopt_long(argc, argv, "p:f:m:s:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			snprintf(port_path, sizeof(port_path), "%s", optarg);
			break;
		case 'f':
			fd = atoi(optarg);
			break;
		case 'm':
			modules = optarg;
			break;
		case 's':
			pcisys_set_root(optarg);
			break;
		case 'd':
			dmabuf_set_devmem(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			/* The kernel may hand PID 1 arguments it did not recognise. */
			if (!pid1) {
				usage(stderr);
				return 2;
			}
		}
	}

	/* A host that goes away must not kill the agent with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	uname(&uts);
	if (fd >= 0) {
		if (port_setup(fd) < 0)
			fatal("cannot set up fd %s", "", errno);
	} else {
		fd = port_open(port_path);
		if (fd < 0)
			fatal("cannot open agent port %s", port_path, -fd);
	}
	port_set_output(fd);
	port_reader_init(&rd, fd);

	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", uts.release);
	cfg.release = uts.release;
	cfg.modules_list = modules;
	cfg.modules_dir = moddir;
	proto_init(&cfg);

	if (pid1)
		printf("migcheck-agent: up at %llu ms, kernel %s, protocol %d on %s\n",
		       (unsigned long long)clock_boot_ms(), uts.release, PROTO_VERSION, port_path);
	fflush(stdout);
	proto_announce();

	for (;;) {
		size_t len;

		switch (port_read_line(&rd, line, &len)) {
		case PORT_LINE:
			if (!proto_handle_line(line, len)) {
				if (pid1)
					printf("migcheck-agent: powering off\n");
				fflush(stdout);
				sysinit_halt(0);
			}
			break;
		case PORT_TOO_LONG:
			proto_handle_overlong(line);
			break;
		case PORT_EOF:
			/* The host closed its end; as PID 1 wait for it to come back. */
			if (!pid1)
				return 0;
			sleep(1);
			break;
		case PORT_ERROR:
			if (!pid1)
				fatal("reading the port %s", port_path, errno);
			sleep(1);
			break;
		}
	}
}
