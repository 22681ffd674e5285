/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proc.h: child processes that cannot outlive the harness.
 *
 * Each child gets its own process group (so a terminal's Ctrl-C reaches the
 * harness, which then decides) and a parent-death signal of SIGKILL, so it
 * dies with the harness even when the harness is killed outright.  Only the
 * fds named in `keep_fds` cross exec; stdout and stderr go to files.
 */
#ifndef MIGCHECK_PROC_H
#define MIGCHECK_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct mc_proc {
	pid_t pid;
	int status;
	bool exited;
};

struct mc_spawn {
	char *const *argv;
	char *const *env_add;	 /* "KEY=VALUE" entries added to the environment, NULL-ended */
	const char *stdout_path; /* appended; NULL: /dev/null */
	const char *stderr_path; /* appended; NULL: /dev/null */
	const int *keep_fds;
	int nkeep;
	/*
	 * Optional: where each kept fd lands in the child (keep_fds[i] becomes
	 * fd keep_at[i]), so command lines can name fixed fd numbers.
	 */
	const int *keep_at;
};

int mc_proc_spawn(struct mc_proc *p, const struct mc_spawn *s, char **err);
/* Reaps the child if it has exited, waiting up to timeout_ms; true once it has exited. */
bool mc_proc_wait(struct mc_proc *p, int timeout_ms);
/* SIGTERM, then SIGKILL after grace_ms; always reaps. */
void mc_proc_terminate(struct mc_proc *p, int grace_ms);
/* True once the child has exited and a signal ended it (a crash, not an exit). */
bool mc_proc_signaled(const struct mc_proc *p);
/* "exited with status 1" / "killed by signal 6 (Aborted)"; malloc'd. */
char *mc_proc_describe(const struct mc_proc *p);

#endif
