/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4) of a buffer, as lowercase hex: the crypto tools
 * print a digest of their output so that runs of different drivers and
 * paths can be compared without keeping the data.
 */
#ifndef KDIO_SHA256_H
#define KDIO_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN	65	/* 64 digits and the NUL */

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_LEN]);

#endif /* KDIO_SHA256_H */
