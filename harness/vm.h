/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm.h: one QEMU process under test.
 *
 * Source and destination come from one vm_spec, so their command lines
 * differ only where migration needs them to (the destination waits with
 * -incoming defer and -S).  QMP and the agent serial port are socketpairs
 * handed to QEMU as fds; guest RAM is a shared tmpfs file the harness maps
 * too, without a name from the start so nothing is left behind even if the
 * harness is killed (ramfile.h).
 */
#ifndef MIGCHECK_VM_H
#define MIGCHECK_VM_H

#include "agentlink.h"
#include "proc.h"
#include "qmp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_role { VM_SRC, VM_DST };

struct vm_spec {
	const char *qemu;
	const char *machine; /* e.g. "q35" */
	const char *accel;   /* e.g. "tcg" */
	uint64_t mem_bytes;
	int smp;
	const char *kernel; /* NULL: no guest kernel (firmware only) */
	const char *initrd;
	const char *append;
	bool agent;		       /* second serial port wired to the agent link */
	const char *const *extra_args; /* appended verbatim, NULL-ended */
	const char *const *env;	       /* "KEY=VALUE" added to QEMU's environment, NULL-ended */
	const char *name;	       /* names its files and messages; NULL: "src" or "dst" */
};

/* Where QEMU finds its inherited fds (fixed, so both sides' command lines match). */
#define VM_FD_QMP 3
#define VM_FD_RAM 4
#define VM_FD_AGENT 5

/* The fd numbers a command line refers to. */
struct vm_fds {
	int qmp;
	int agent;
	int ram;
};

struct vm {
	enum vm_role role;
	char *name; /* "src", "dst", or the spec's name */
	struct mc_proc proc;
	struct qmp *qmp;
	struct agentlink *agent;
	int ram_fd;
	uint8_t *ram;
	size_t ram_size;
	char **argv;
	char *stderr_path;
	char *console_path;
	struct lvvm *lv; /* set when libvirt runs this QEMU (lvpair.c) */
};

/* Builds argv (NULL-ended, malloc'd strings) for a role; pure, for tests. */
char **vm_build_argv(const struct vm_spec *s, enum vm_role role, const struct vm_fds *fds,
		     const char *console_path);
void vm_free_argv(char **argv);
/* Shell-quoted command line, for logs and reports. */
char *vm_argv_string(char *const *argv);

/* Why vm_start() failed. */
enum vm_fail {
	VM_FAIL_NONE,
	VM_FAIL_SETUP,	     /* the harness could not prepare or spawn it */
	VM_FAIL_EXITED,	     /* QEMU exited during start-up: it refused the configuration */
	VM_FAIL_NO_GREETING, /* QEMU runs but never completed the QMP handshake */
};

/* Starts QEMU and completes the QMP handshake; on failure *fail (may be NULL) says why. */
struct vm *vm_start(const struct vm_spec *s, enum vm_role role, const char *workdir,
		    enum vm_fail *fail, char **err);
/* quit over QMP, then SIGTERM, then SIGKILL; frees everything. */
void vm_destroy(struct vm *vm);
/* True if QEMU has exited; fills *why (malloc'd) with its exit and last stderr words. */
bool vm_dead(struct vm *vm, char **why);
/*
 * QEMU's run state over QMP: 1 running, 0 not (paused, pre-switchover...),
 * -1 no answer.  *status (may be NULL) is replaced by the state's name.
 */
int vm_run_state(struct vm *vm, char **status);
/* QEMU's last words: the tail of its stderr, one line. */
char *vm_last_words(struct vm *vm);

#endif
