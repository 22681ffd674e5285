/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * certhtml.h: the certificate as one self-contained HTML page (no scripts,
 * nothing fetched), for a vendor to hand on: the result, the devices and
 * host, each profile item with its runs' downtime spread, what does not
 * apply, and the digest of the JSON it was rendered from.
 */
#ifndef MIGCHECK_CERTHTML_H
#define MIGCHECK_CERTHTML_H

#include <jansson.h>

/* The page for certificate `cert` whose JSON text hashes to `sha256` (hex); malloc'd. */
char *cert_html(const json_t *cert, const char *sha256);

#endif
