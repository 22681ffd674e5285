/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tools.h: the commands that work from report files alone:
 *
 *   migcheck render  [--junit FILE] [--html FILE] REPORT
 *   migcheck compare [--format text|markdown|html] [--output FILE] BASE NEW
 *   migcheck merge   OUT REPORT...
 */
#ifndef MIGCHECK_TOOLS_H
#define MIGCHECK_TOOLS_H

#include <stdbool.h>
#include <stdio.h>

bool tools_has(const char *cmd);
/* argv[1] is the command; returns the exit status. */
int tools_main(int argc, char **argv);
void tools_usage(FILE *out);

#endif
