/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sysinit.h: what the agent does as PID 1 of the initramfs.
 */
#ifndef MIGCHECK_AGENT_SYSINIT_H
#define MIGCHECK_AGENT_SYSINIT_H

#include <stdbool.h>
#include <stddef.h>

bool sysinit_is_pid1(void);
/* Mounts /proc, /sys and devtmpfs on /dev; returns 0 or -errno. */
int sysinit_mounts(void);
/* Copies the value of kernel parameter @key ("migcheck.port") into @val. */
bool sysinit_cmdline_get(const char *key, char *val, size_t size);
/* As PID 1: sync and power off, never returning.  Otherwise exit(@status). */
void sysinit_halt(int status) __attribute__((noreturn));

#endif /* MIGCHECK_AGENT_SYSINIT_H */
