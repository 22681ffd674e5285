/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h: small helpers shared by the harness: time, strings, files. */
#ifndef MIGCHECK_UTIL_H
#define MIGCHECK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds / milliseconds. */
uint64_t mc_now_ns(void);
double mc_now_s(void);
/* Wall clock as seconds since the epoch (QMP timestamps use this clock). */
double mc_wall_s(void);

/* Formatted allocation; aborts on OOM since nothing sensible can follow. */
char *mc_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *mc_strdup_vprintf(const char *fmt, va_list ap);

/*
 * Error strings: functions that can fail take `char **err` and, on failure,
 * set *err to a malloc'd one-line reason (never overwriting an earlier one).
 */
void mc_set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mkdir -p; returns 0 or -errno. */
int mc_mkdir_p(const char *path, unsigned mode);
/* Recursive removal of a directory tree (no symlink following). */
int mc_rm_rf(const char *path);
/* Write a whole file through a temporary and rename(2): readers never see half of it. */
int mc_write_file_atomic(const char *path, const void *buf, size_t len, char **err);
/* Read a whole (small) file; returns malloc'd NUL-terminated contents or NULL. */
char *mc_read_file(const char *path, size_t *len);
/* Trim trailing whitespace in place; returns s. */
char *mc_rstrip(char *s);
/* Last `max` bytes of a file as a single line (newlines -> " | "), for reasons. */
char *mc_file_tail(const char *path, size_t max);
bool mc_path_exists(const char *path);
/*
 * How much longer than nominal the harness's own time limits are (case
 * timeouts, guest start, migration): MIGCHECK_TIME_SCALE, 1 to 20, default
 * 1.  A loaded host gets more time; no check gets less.
 */
unsigned mc_time_scale(void);
/* Parse sizes like "256M", "4K", "1G", "0x1000"; returns 0 or -1. */
int mc_parse_size(const char *s, uint64_t *out);

/* qsort() comparator for an array of C strings. */
int mc_strptr_cmp(const void *a, const void *b);

/*
 * Compares dotted release numbers ("10.0.2", "10.1", "11.0.0-rc1") part by
 * part, missing parts as 0 and a non-numeric suffix ignored: <0, 0, >0.
 */
int mc_version_cmp(const char *a, const char *b);

#endif
