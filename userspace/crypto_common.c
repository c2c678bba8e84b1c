// SPDX-License-Identifier: GPL-2.0
/* What the kdio crypto tools share (see crypto_common.h). */
#include "crypto_common.h"

#include <stdlib.h>
#include <string.h>

#include "kdio_pattern.h"

#define PAGE		4096
#define KEY_SEED	0x6b6579ULL	/* "key" */
#define IV_SEED		0x6976ULL	/* "iv" */
#define DATA_SEED	0ULL

static const struct crypto_alg_desc algs[] = {
	{ "cbc", KDIO_CRYPTO_CBC_AES, "cbc(aes)", "cbc(aes-generic)",
	  "skcipher", 0 },
	{ "gcm", KDIO_CRYPTO_GCM_AES, "rfc4106(gcm(aes))",
	  "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))", "aead",
	  KDIO_CRYPTO_GCM_TAG },
};

const struct crypto_alg_desc *crypto_alg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i].name, name))
			return &algs[i];
	return NULL;
}

void crypto_test_key(uint8_t *key, size_t key_len)
{
	kdio_pattern_fill(key, key_len, 0, KEY_SEED);
}

void crypto_test_iv(uint8_t iv[KDIO_CRYPTO_IV_SIZE])
{
	kdio_pattern_fill(iv, KDIO_CRYPTO_IV_SIZE, 0, IV_SEED);
}

void crypto_test_data(void *buf, uint64_t len)
{
	kdio_pattern_fill(buf, len, 0, DATA_SEED);
}

bool crypto_test_data_intact(const void *buf, uint64_t len)
{
	return kdio_pattern_check(buf, len, 0, DATA_SEED) == 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void crypto_gcm_hdr(uint8_t hdr[CRYPTO_GCM_HDR],
		    const uint8_t iv[KDIO_CRYPTO_IV_SIZE])
{
	put_be32(hdr, KDIO_CRYPTO_GCM_SPI);
	put_be32(hdr + 4, KDIO_CRYPTO_GCM_SEQ);
	memcpy(hdr + CRYPTO_GCM_AAD, iv + 4, CRYPTO_GCM_HDR - CRYPTO_GCM_AAD);
}

void *crypto_alloc_buf(uint64_t bytes)
{
	uint64_t size = (bytes + PAGE - 1) / PAGE * PAGE;
	void *buf;

	if (posix_memalign(&buf, PAGE, size ? size : PAGE))
		return NULL;
	return buf;
}

const char *crypto_driver_hint(const char *driver)
{
	if (strstr(driver, "virtio"))
		return "load virtio_crypto, in a guest with -device virtio-crypto-pci";
	if (strstr(driver, "aesni"))
		return "load aesni_intel, on a CPU with AES-NI";
	if (strstr(driver, "gcm"))
		return "load gcm, ctr and ghash_generic";
	return "load the module that provides it (see /proc/crypto)";
}
