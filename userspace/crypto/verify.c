// SPDX-License-Identifier: GPL-2.0
/* The -V check of the crypto benchmarks (see crypto_verify.h). */
#include "verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afalg.h"

#define GCM_REFERENCE	"gcm_base(ctr(aes-generic),ghash-generic)"

/* One region's reference on a new operation socket of tfm. */
static int reference_region(const struct crypto_layout *l, int tfm,
			    const uint8_t *plain, uint8_t *out)
{
	uint8_t iv[KDIO_CRYPTO_IV_SIZE], hdr[CRYPTO_GCM_HDR], scratch[CRYPTO_GCM_AAD];
	struct afalg_req ar = { .iv = iv, .iv_len = KDIO_CRYPTO_IV_SIZE };
	struct iovec in[2], out_iov[2];
	int op, ret;

	crypto_test_iv(iv);
	op = afalg_accept(tfm, l->region + CRYPTO_GCM_HDR);
	if (op < 0)
		return op;
	if (!l->alg->tag) {
		in[0] = (struct iovec){ (void *)plain, l->size };
		out_iov[0] = (struct iovec){ out, l->size };
		ret = afalg_crypt(op, &ar, in, 1, out_iov, 1, l->size);
	} else {
		crypto_gcm_hdr(hdr, iv);
		ar.iv_len = CRYPTO_GCM_NONCE;
		ar.assoclen = CRYPTO_GCM_AAD;
		in[0] = (struct iovec){ hdr, CRYPTO_GCM_AAD };
		in[1] = (struct iovec){ (void *)plain, l->size };
		out_iov[0] = (struct iovec){ scratch, CRYPTO_GCM_AAD };
		out_iov[1] = (struct iovec){ out, l->region };
		ret = afalg_crypt(op, &ar, in, 2, out_iov, 2, CRYPTO_GCM_AAD + l->region);
	}
	close(op);
	return ret;
}

int crypto_reference(const struct crypto_layout *l, const uint8_t *plain,
		     uint8_t *ref, char *msg, size_t msg_len)
{
	const char *name = l->alg->tag ? GCM_REFERENCE : l->alg->generic;
	uint8_t key[KDIO_CRYPTO_KEY_MAX];
	uint64_t i;
	int tfm, ret = 0;

	crypto_test_key(key, l->key_bits / 8);
	tfm = afalg_bind(l->alg->afalg_type, name, key, l->key_bits / 8,
			 (unsigned int)l->alg->tag);
	if (tfm < 0) {
		snprintf(msg, msg_len, "AF_ALG %s %s for the -V reference: %s; load af_alg, algif_%s%s",
			 l->alg->afalg_type, name, strerror(-tfm), l->alg->afalg_type,
			 l->alg->tag ? ", gcm, ctr and ghash_generic" : "");
		return tfm;
	}
	for (i = 0; i < l->qd && !ret; i++)
		ret = reference_region(l, tfm, plain + i * l->region, ref + i * l->region);
	close(tfm);
	if (ret)
		snprintf(msg, msg_len, "AF_ALG -V reference with %s: %s", name, strerror(-ret));
	return ret;
}

bool crypto_same(const struct crypto_layout *l, const uint8_t *got,
		 const uint8_t *want, uint64_t len, const char *what,
		 char *msg, size_t msg_len)
{
	uint64_t i;

	for (i = 0; i < l->qd * l->region; i++)
		if (i % l->region < len && got[i] != want[i]) {
			snprintf(msg, msg_len, "%s differs from the reference in region %" PRIu64 " byte %" PRIu64,
				 what, i / l->region, i % l->region);
			return false;
		}
	return true;
}

/* Encrypt, compare with ref, decrypt, compare with plain (see verify.h). */
static int verify_passes(const struct crypto_layout *l, uint8_t *buf,
			 const uint8_t *plain, const uint8_t *ref,
			 crypto_pass_fn *pass, void *ctx, int *verified,
			 char *msg, size_t msg_len)
{
	int ret = pass(ctx, false);

	if (ret)
		return ret;
	*verified = crypto_same(l, buf, ref, l->region, "the ciphertext", msg, msg_len);
	ret = pass(ctx, true);
	if (ret)
		return ret;
	if (*verified)
		*verified = crypto_same(l, buf, plain, l->size, "the decrypted text",
					msg, msg_len);
	return 0;
}

int crypto_verify(const struct crypto_layout *l, uint8_t *buf,
		  uint64_t buf_len, crypto_pass_fn *pass, void *ctx,
		  int *verified, char *msg, size_t msg_len)
{
	uint8_t *plain = crypto_alloc_buf(buf_len), *ref = crypto_alloc_buf(buf_len);
	int ret;

	if (!plain || !ref) {
		ret = msg_fail(msg, msg_len, ENOMEM, "no memory for the -V buffers");
	} else {
		crypto_test_data(plain, buf_len);
		ret = crypto_reference(l, plain, ref, msg, msg_len);
	}
	if (!ret) {
		memcpy(buf, plain, buf_len);
		ret = verify_passes(l, buf, plain, ref, pass, ctx, verified, msg, msg_len);
	}
	free(plain);
	free(ref);
	return ret;
}
