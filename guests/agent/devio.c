// SPDX-License-Identifier: GPL-2.0-or-later
/* devio.c: the device modules' failure text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devio.h"

static __thread char errbuf[512];

const char *devio_error(void)
{
	return errbuf;
}

int devio_fail(int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	n = strlen(errbuf);
	snprintf(errbuf + n, sizeof(errbuf) - n, ": %s (errno %d)", strerror(err), err);
	return -err;
}

int devio_refuse(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -err;
}
