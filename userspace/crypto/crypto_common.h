/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kdio crypto tools share: the algorithms by their -a names,
 * the fixed test key, IV and data, the buffer of regions (kdio/crypto.h:
 * queue_depth regions of len + tag bytes) and what to tell the user when
 * a driver is missing; and, for the two benchmarks (kdio-crypto and
 * kdio-afalg), their common options and the JSON line that reports a run.
 */
#ifndef KDIO_CRYPTO_COMMON_H
#define KDIO_CRYPTO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "jsonl.h"
#include "kdio/crypto.h"
#include "sha256.h"

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
/*
 * The drivers /proc/crypto lists for algorithm name (cbc(aes), ...), as
 * "a, b" in buf; "none" if it lists none, "unknown" if it cannot be read.
 */
const char *crypto_offered(const char *name, char *buf, size_t len);

/* The options both benchmarks take: -a -d -k -s -n -q -o -V. */
struct crypto_opts {
	const struct crypto_alg_desc *alg;
	const char *driver;		/* -d; "" if not given */
	unsigned int key_bits;		/* 0 if -k was above 256 */
	uint64_t size, count, qd;
	bool decrypt, verify;
};

/* What one benchmark's command line has of its own. */
struct crypto_cli {
	const char *tool;		/* "kdio-crypto": starts each message */
	const char *optstring;		/* "a:d:k:s:n:q:o:Vh" and its own */
	void (*usage)(FILE *out);
	/* Its own option c: 0, 1 if arg is not valid, -1 if c is not one. */
	int (*own_opt)(void *own, int c, const char *arg);
	/* Its own checks, made right after -a's: what is wrong, or NULL. */
	const char *(*own_check)(const void *own);
	bool check_size;		/* -s: 1..1m, cbc a multiple of 16 */
	bool check_driver_len;		/* -d: shorter than KDIO_CRYPTO_NAME_MAX */
};

/*
 * Parse and check argv into o (own: the tool's own options, for its
 * hooks); 0, or EXIT_USAGE after saying what is wrong. -h prints the
 * usage and exits 0.
 */
int crypto_parse_args(const struct crypto_cli *cli, int argc, char **argv,
		      struct crypto_opts *o, void *own);

/* What a run comes to, besides its rates. */
struct crypto_outcome {
	char sha[SHA256_HEX_LEN];	/* ciphertext_sha; "" if none */
	int verified;			/* -1 not asked, else 0/1 */
	bool unavailable;		/* the driver is not there */
	char msg[MSG_MAX];		/* what went wrong; "" if nothing */
};

/* Set out->msg and return -err. */
#define crypto_fail(out, err, ...) \
	msg_fail((out)->msg, sizeof((out)->msg), (err), __VA_ARGS__)

/* What a benchmark reports after "tool" (and "abi"). */
struct crypto_report {
	const char *driver;		/* the driver used; "" if not known */
	const char *path;		/* "zerocopy", "bounce", "afalg" */
	uint64_t requests, bytes, elapsed_ns;
	int64_t device_irqs;		/* during the run; -1: not known (AF_ALG) */
	const struct crypto_outcome *out;
};

/*
 * The rest of a benchmark's line, from "alg" to the error fields (err:
 * errno or 0), and its end; 0, or -1 if stdout could not be written.
 */
int crypto_emit(struct jsonl *j, const struct crypto_opts *o,
		const struct crypto_report *rep, int err);

/* The exit code of a benchmark whose run returned ret (0 or -errno). */
int crypto_exit_code(const struct crypto_outcome *out, int ret);

#endif /* KDIO_CRYPTO_COMMON_H */
