/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -V check of the crypto benchmarks: a buffer of regions (see
 * crypto_common.h), each encrypted once by the driver under test, must
 * equal what the generic C code gives through AF_ALG, and decrypted must
 * give its plaintext back.
 *
 * The CBC reference is cbc(aes-generic). The GCM one is not rfc4106 but
 * the plain gcm_base(ctr(aes-generic),ghash-generic) with the 12-byte
 * nonce iv[0..11] and the 8-byte ESP header as associated data, which
 * checks the rfc4106 layout (salt, explicit IV, associated data) as well.
 */
#ifndef KDIO_CRYPTO_VERIFY_H
#define KDIO_CRYPTO_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto_common.h"

/* What the check works on: qd regions of size bytes and the tag. */
struct crypto_layout {
	const struct crypto_alg_desc *alg;
	unsigned int key_bits;
	uint64_t size, qd;
	uint64_t region;		/* size + alg->tag */
};

/*
 * ref: each region of plain encrypted once by the generic code. 0, or
 * -errno with msg saying what to load.
 */
int crypto_reference(const struct crypto_layout *l, const uint8_t *plain,
		     uint8_t *ref, char *msg, size_t msg_len);

/*
 * Whether got equals want over the first len bytes of every region; if
 * not, msg names what and the first region and byte that differ.
 */
bool crypto_same(const struct crypto_layout *l, const uint8_t *got,
		 const uint8_t *want, uint64_t len, const char *what,
		 char *msg, size_t msg_len);

/*
 * One pass of the driver under test over every region of the tool's
 * buffer, in place: encrypt (decrypt false) or decrypt; 0 or -errno with
 * the tool's message set.
 */
typedef int crypto_pass_fn(void *ctx, bool decrypt);

/*
 * -V on the tool's buffer buf of buf_len bytes: the test data encrypted
 * once through pass must equal the reference in every region (GCM: ICV
 * included), and decrypted give the plaintext back (a GCM decryption
 * leaves the ICV in place). 0 with *verified set to 0 or 1, or -errno
 * with msg (then *verified is left alone, or 0 if the decryption failed).
 */
int crypto_verify(const struct crypto_layout *l, uint8_t *buf,
		  uint64_t buf_len, crypto_pass_fn *pass, void *ctx,
		  int *verified, char *msg, size_t msg_len);

#endif /* KDIO_CRYPTO_VERIFY_H */
