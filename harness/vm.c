// SPDX-License-Identifier: GPL-2.0-or-later
#include "vm.h"
#include "lvpair.h"
#include "ramfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct argv_buf {
	char **v;
	size_t n, cap;
};

static void add(struct argv_buf *b, char *s)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = realloc(b->v, b->cap * sizeof(char *));
		if (!b->v)
			abort();
	}
	b->v[b->n++] = s;
	b->v[b->n] = NULL;
}

#define ADD(b, s) add(b, strdup(s))
#define ADDF(b, ...) add(b, mc_strdup_printf(__VA_ARGS__))

char **vm_build_argv(const struct vm_spec *s, enum vm_role role, const struct vm_fds *fds,
		     const char *console_path)
{
	struct argv_buf b = {0};
	const char *name = role == VM_SRC ? "src" : "dst";
	int i;

	ADD(&b, s->qemu);
	ADD(&b, "-name");
	ADDF(&b, "migcheck-%s,debug-threads=on", name);
	ADD(&b, "-machine");
	ADDF(&b, "%s,memory-backend=ram0", s->machine ? s->machine : "q35");
	ADD(&b, "-accel");
	ADD(&b, s->accel ? s->accel : "tcg");
	ADD(&b, "-m");
	ADDF(&b, "%llub", (unsigned long long)s->mem_bytes);
	ADD(&b, "-smp");
	ADDF(&b, "%d", s->smp > 0 ? s->smp : 1);
	ADD(&b, "-object");
	/*
	 * /proc/self/fd/N reopens the harness's unlinked tmpfs file inside QEMU;
	 * the alignment lets its huge pages be mapped whole (ramfile.h).
	 */
	ADDF(&b,
	     "memory-backend-file,id=ram0,size=%llub,mem-path=/proc/self/fd/%d,share=on,"
	     "align=" RAMFILE_ALIGN_ARG,
	     (unsigned long long)s->mem_bytes, fds->ram);
	ADD(&b, "-nodefaults");
	ADD(&b, "-no-user-config");
	ADD(&b, "-display");
	ADD(&b, "none");
	ADD(&b, "-no-reboot");
	if (s->kernel) {
		ADD(&b, "-kernel");
		ADD(&b, s->kernel);
		if (s->initrd) {
			ADD(&b, "-initrd");
			ADD(&b, s->initrd);
		}
		if (s->append) {
			ADD(&b, "-append");
			ADD(&b, s->append);
		}
	}
	ADD(&b, "-chardev");
	ADDF(&b, "file,id=console,path=%s", console_path);
	ADD(&b, "-serial");
	ADD(&b, "chardev:console");
	if (s->agent) {
		ADD(&b, "-chardev");
		ADDF(&b, "socket,id=agent,fd=%d", fds->agent);
		ADD(&b, "-serial");
		ADD(&b, "chardev:agent");
	}
	ADD(&b, "-chardev");
	ADDF(&b, "socket,id=qmp,fd=%d", fds->qmp);
	ADD(&b, "-mon");
	ADD(&b, "chardev=qmp,mode=control");
	for (i = 0; s->extra_args && s->extra_args[i]; i++)
		ADD(&b, s->extra_args[i]);
	if (role == VM_DST) {
		ADD(&b, "-incoming");
		ADD(&b, "defer");
		ADD(&b, "-S");
	}
	return b.v;
}

void vm_free_argv(char **argv)
{
	char **p;

	for (p = argv; p && *p; p++)
		free(*p);
	free(argv);
}

char *vm_argv_string(char *const *argv)
{
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	int i;

	if (!out)
		abort();
	out[0] = '\0';
	for (i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_=,./:@%+") == strlen(a);
		size_t need = strlen(a) * 4 + 4;

		if (len + need + 1 > cap) {
			cap = (len + need + 1) * 2;
			out = realloc(out, cap);
			if (!out)
				abort();
		}
		if (i)
			out[len++] = ' ';
		if (plain) {
			len += sprintf(out + len, "%s", a);
		} else {
			out[len++] = '\'';
			for (; *a; a++) {
				if (*a == '\'')
					len += sprintf(out + len, "'\\''");
				else
					out[len++] = *a;
			}
			out[len++] = '\'';
			out[len] = '\0';
		}
	}
	return out;
}

char *vm_last_words(struct vm *vm)
{
	char *t = mc_file_tail(vm->stderr_path, 400);

	return t ? t : strdup("");
}

bool vm_dead(struct vm *vm, char **why)
{
	if (vm->lv)
		return lvvm_dead(vm, why);
	if (!mc_proc_wait(&vm->proc, 0))
		return false;
	if (why && !*why) {
		char *desc = mc_proc_describe(&vm->proc), *tail = vm_last_words(vm);
		char *console = vm->console_path ? mc_read_file(vm->console_path, NULL) : NULL;
		char *panic = console ? strstr(console, "Kernel panic") : NULL;

		/* -no-reboot and panic=-1 make a guest panic a plain exit: say why. */
		if (panic)
			panic[strcspn(panic, "\r\n")] = '\0';
		*why = mc_strdup_printf("%s QEMU %s%s%s%s%s", vm->name, desc, *tail ? ": " : "",
					tail, panic ? "; guest: " : "", panic ? panic : "");
		free(console);
		free(desc);
		free(tail);
	}
	return true;
}

int vm_run_state(struct vm *vm, char **status)
{
	json_t *r = qmp_call(vm->qmp, "query-status", NULL, 10000, NULL);
	const char *name = json_string_value(json_object_get(r, "status"));
	int state = r ? json_is_true(json_object_get(r, "running")) : -1;

	if (status) {
		free(*status);
		*status = strdup(name ? name : "unknown");
	}
	json_decref(r);
	return state;
}

struct vm *vm_start(const struct vm_spec *s, enum vm_role role, const char *workdir,
		    enum vm_fail *fail, char **err)
{
	enum vm_fail why_kind = VM_FAIL_SETUP;
	struct vm *vm = calloc(1, sizeof(*vm));
	int qmp_sv[2] = {-1, -1}, ag_sv[2] = {-1, -1};
	struct vm_fds fds;
	int keep[3], keep_at[3], nkeep = 0;
	char *qmp_log, *agent_log, *cmdline, *cmd_path;
	struct mc_spawn sp = {0};

	if (!vm)
		abort();
	vm->role = role;
	vm->name = strdup(s->name ? s->name : role == VM_SRC ? "src" : "dst");
	vm->ram_fd = -1;
	vm->stderr_path = mc_strdup_printf("%s/%s.stderr", workdir, vm->name);
	vm->console_path = mc_strdup_printf("%s/%s.console", workdir, vm->name);
	qmp_log = mc_strdup_printf("%s/%s.qmp", workdir, vm->name);
	agent_log = mc_strdup_printf("%s/%s.agent", workdir, vm->name);
	cmd_path = mc_strdup_printf("%s/%s.cmdline", workdir, vm->name);

	vm->ram_size = s->mem_bytes;
	vm->ram_fd = ramfile_create(vm->name, s->mem_bytes, err);
	if (vm->ram_fd < 0)
		goto fail;
	vm->ram = ramfile_map(vm->ram_fd, vm->ram_size);
	if (!vm->ram) {
		mc_set_err(err, "cannot map guest RAM file: %s", strerror(errno));
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp_sv) < 0 ||
	    (s->agent && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ag_sv) < 0)) {
		mc_set_err(err, "socketpair: %s", strerror(errno));
		goto fail;
	}
	/* The same fd numbers on both sides keep the two command lines alike. */
	fds = (struct vm_fds){.qmp = VM_FD_QMP, .ram = VM_FD_RAM, .agent = VM_FD_AGENT};
	keep[nkeep] = qmp_sv[1];
	keep_at[nkeep++] = VM_FD_QMP;
	keep[nkeep] = vm->ram_fd;
	keep_at[nkeep++] = VM_FD_RAM;
	if (s->agent) {
		keep[nkeep] = ag_sv[1];
		keep_at[nkeep++] = VM_FD_AGENT;
	}
	vm->argv = vm_build_argv(s, role, &fds, vm->console_path);
	cmdline = vm_argv_string(vm->argv);
	{
		char *text = mc_strdup_printf("%s\n", cmdline);

		mc_write_file_atomic(cmd_path, text, strlen(text), NULL);
		free(text);
	}
	free(cmdline);

	sp.argv = vm->argv;
	sp.env_add = (char *const *)s->env;
	sp.stdout_path = vm->stderr_path;
	sp.stderr_path = vm->stderr_path;
	sp.keep_fds = keep;
	sp.nkeep = nkeep;
	sp.keep_at = keep_at;
	if (mc_proc_spawn(&vm->proc, &sp, err) < 0)
		goto fail;
	close(qmp_sv[1]);
	qmp_sv[1] = -1;
	if (ag_sv[1] >= 0) {
		close(ag_sv[1]);
		ag_sv[1] = -1;
	}
	vm->qmp = qmp_open(qmp_sv[0], qmp_log, vm->name);
	qmp_sv[0] = -1;
	if (s->agent) {
		vm->agent = agentlink_open(ag_sv[0], agent_log, vm->name);
		ag_sv[0] = -1;
	}
	if (qmp_handshake(vm->qmp, 30000, err) < 0) {
		char *why = NULL;

		/* Prefer QEMU's own words when it died during start-up. */
		mc_proc_wait(&vm->proc, 500);
		why_kind = VM_FAIL_NO_GREETING;
		if (vm_dead(vm, &why)) {
			why_kind = VM_FAIL_EXITED;
			if (err) {
				free(*err);
				*err = why;
				why = NULL;
			}
		}
		free(why);
		goto fail;
	}
	if (fail)
		*fail = VM_FAIL_NONE;
	free(qmp_log);
	free(agent_log);
	free(cmd_path);
	return vm;
fail:
	if (qmp_sv[0] >= 0)
		close(qmp_sv[0]);
	if (qmp_sv[1] >= 0)
		close(qmp_sv[1]);
	if (ag_sv[0] >= 0)
		close(ag_sv[0]);
	if (ag_sv[1] >= 0)
		close(ag_sv[1]);
	free(qmp_log);
	free(agent_log);
	free(cmd_path);
	vm_destroy(vm);
	if (fail)
		*fail = why_kind;
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->proc.pid > 0 && !vm->proc.exited) {
		if (vm->qmp && !qmp_closed(vm->qmp))
			qmp_call_void(vm->qmp, "quit", NULL, 2000, NULL);
		if (!mc_proc_wait(&vm->proc, 3000))
			mc_proc_terminate(&vm->proc, 2000);
	}
	qmp_close(vm->qmp);
	agentlink_close(vm->agent);
	ramfile_unmap(vm->ram, vm->ram_size);
	if (vm->ram_fd >= 0)
		close(vm->ram_fd);
	vm_free_argv(vm->argv);
	free(vm->stderr_path);
	free(vm->console_path);
	free(vm->name);
	free(vm);
}
