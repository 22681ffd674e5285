/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvhost.h: private libvirt hosts on one machine.
 *
 * Each host is a root libvirtd in its own mount, network, UTS, IPC and PID
 * namespaces.  Its configuration, state, log and cache directories are
 * directories under the harness's work directory, bind-mounted over
 * /etc/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt
 * inside the namespace (root libvirtd has those paths built in); /run is a
 * namespace-private tmpfs holding the daemon's sockets, the guests' RAM
 * files and the agent sockets, so none of it can outlive the namespace.
 * The two hosts are joined by a veth pair that never exists outside them.
 *
 * Nothing persists: the namespaces are held by processes only, and the
 * process that is PID 1 inside dies with the harness (parent-death
 * signal), which makes the kernel kill everything left in the namespace:
 * libvirtd, QEMU, any helper.
 */
#ifndef MIGCHECK_LVHOST_H
#define MIGCHECK_LVHOST_H

#include <stdbool.h>
#include <sys/types.h>

/* Harness-chosen addresses of the link between the two hosts. */
#define LVHOST_NET_PREFIX 30
#define LVHOST_ADDR_SRC "198.18.0.1"
#define LVHOST_ADDR_DST "198.18.0.2"

/* Fixed places inside every host (its own /run is a tmpfs). */
#define LVHOST_RUN_DIR "/run/migcheck"
#define LVHOST_RAM_DIR LVHOST_RUN_DIR "/ram"

struct lvhost_opts {
	const char *libvirtd;	/* the daemon binary */
	const char *caps_cache; /* shared QEMU capabilities cache directory */
	const char *conf_extra; /* lines appended to libvirtd.conf, or NULL */
};

struct lvhost {
	const char *name; /* "src" or "dst": also the host name suffix */
	char *dir;	  /* its directories: etc, lib, log, cache */
	char *addr;
	char *uuid;	/* libvirtd host_uuid: distinct per host */
	pid_t holder;	/* our child, in the host's namespaces */
	char *root;	/* "/proc/<holder>/root": the host's file view */
	char *uri;	/* what the harness connects to */
	char *peer_uri; /* what the other host's daemon connects to */
	int ctl;	/* write end: one byte starts libvirtd */
	int status;	/* read end: init's progress and exit */
	bool started;
};

/*
 * Creates both hosts' namespaces under `base` and the link between them,
 * without starting the daemons.  Fails with *err when namespaces cannot be
 * made (not root, or refused).  *refused is set when that is the reason.
 */
int lvhost_create(const char *base, const struct lvhost_opts *o, struct lvhost h[2], bool *refused,
		  char **err);
/* Starts a host's libvirtd and waits until its socket answers. */
int lvhost_start(struct lvhost *h, int timeout_ms, char **err);
/* The path the harness uses for a path inside a host (malloc'd). */
char *lvhost_path(const struct lvhost *h, const char *inner);
/* Opens the host's network namespace (for sockets in it), or -1. */
int lvhost_netns_fd(const struct lvhost *h);
/* Why a host's daemon is not there: its exit and the tails of its logs. */
char *lvhost_why(const struct lvhost *h);
/*
 * SIGTERM to libvirtd, up to grace_ms for it to exit, then SIGKILL to the
 * namespace's PID 1, which takes everything still inside with it.
 */
void lvhost_stop(struct lvhost *h, int grace_ms);
void lvhost_free(struct lvhost *h);

#endif
