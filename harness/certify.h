/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certify.h: `migcheck certify --device host=SRC_BDF,DST_BDF`.
 *
 * Runs the fixed profile (certprofile.h) against the run's host devices,
 * each case as often as the profile says, then writes a certificate
 * (reports/CERTIFICATE.md): the devices' identity, driver and capabilities,
 * the host kernel, the QEMU build, every case's verdict with its downtime
 * and device-state figures and their spread, the downtime budgets, what
 * does not apply and what is never generated for host devices, and the
 * digests of the reports it was made from.  Its own SHA-256 goes next to
 * it (certificate.sha256, sha256sum's format) and on stdout, so it can be
 * quoted.  stdout is TAP: one line per profile item.
 */
#ifndef MIGCHECK_CERTIFY_H
#define MIGCHECK_CERTIFY_H

#include "runner.h"

#include <jansson.h>

#define MC_CERT_SCHEMA "migcheck-certificate"
#define MC_CERT_SCHEMA_VERSION 1

/* environment and invocation are borrowed.  Returns the exit code. */
int certify_run(const struct mc_config *cfg, json_t *environment, json_t *invocation);

#endif
