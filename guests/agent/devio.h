/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devio.h: what the device modules share: the page size and the one-line
 * explanation of the last failure.
 *
 * The device modules (pcisys: sysfs, vfioguest: in-guest VFIO, dmabuf: DMA
 * buffers, driver: device drivers) return 0 or a negative errno and leave
 * the step, the file or ioctl and the errno in devio_error().  The text is
 * per thread, so the DMA stream's thread does not overwrite a command's.
 */
#ifndef MIGCHECK_AGENT_DEVIO_H
#define MIGCHECK_AGENT_DEVIO_H

#define DEVIO_PAGE 4096ull

const char *devio_error(void);
/* Sets the text to "<fmt>: <strerror(err)> (errno <err>)" and returns -err. */
int devio_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the text as given and returns -err (the text names the reason itself). */
int devio_refuse(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MIGCHECK_AGENT_DEVIO_H */
