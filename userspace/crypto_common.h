/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kdio crypto tools share: the algorithms by their -a names,
 * the fixed test key, IV and data, the buffer of regions (kdio_uapi.h:
 * queue_depth regions of len + tag bytes) and what to tell the user when
 * a driver is missing.
 */
#ifndef KDIO_CRYPTO_COMMON_H
#define KDIO_CRYPTO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdio_uapi.h"

/* Exit code of a crypto tool whose driver is not there: a skip. */
#define EXIT_UNAVAILABLE	3

/* GCM (rfc4106) in a buffer: 8 bytes of ESP header, the 8-byte IV. */
#define CRYPTO_GCM_AAD		8
#define CRYPTO_GCM_HDR		16
#define CRYPTO_GCM_NONCE	12

struct crypto_alg_desc {
	const char *name;		/* -a: "cbc", "gcm" */
	__u32 alg;			/* enum kdio_crypto_alg */
	const char *alg_name;		/* the crypto API's name */
	const char *generic;		/* driver of the generic C code */
	const char *afalg_type;		/* "skcipher" or "aead" */
	uint64_t tag;			/* bytes after each payload */
};

#define CRYPTO_ALG_LIST	"cbc|gcm"

/* By -a name; NULL if there is none. */
const struct crypto_alg_desc *crypto_alg_find(const char *name);

/* The key (its first key_len bytes) and IV of every kdio crypto run. */
void crypto_test_key(uint8_t *key, size_t key_len);
void crypto_test_iv(uint8_t iv[KDIO_CRYPTO_IV_SIZE]);
/* The plaintext of a buffer of regions: the kdio pattern. */
void crypto_test_data(void *buf, uint64_t len);
/* Whether buf still holds it. */
bool crypto_test_data_intact(const void *buf, uint64_t len);

/*
 * The 16 bytes before a GCM payload in rfc4106's input: the ESP header
 * (SPI KDIO_CRYPTO_GCM_SPI, sequence number KDIO_CRYPTO_GCM_SEQ, both
 * big-endian) and the explicit IV, iv[4..11].
 */
void crypto_gcm_hdr(uint8_t hdr[CRYPTO_GCM_HDR],
		    const uint8_t iv[KDIO_CRYPTO_IV_SIZE]);

/* A page-aligned buffer of bytes (at least one page); NULL if none. */
void *crypto_alloc_buf(uint64_t bytes);

/* What to load for driver to be there, as advice after its name. */
const char *crypto_driver_hint(const char *driver);

#endif /* KDIO_CRYPTO_COMMON_H */
