/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kdio crypto API paths: device names, ioctl numbers and request structs shared
 * by kdio_crypto.ko and the userspace tools. No logic here.
 */
#ifndef _KDIO_UAPI_CRYPTO_H
#define _KDIO_UAPI_CRYPTO_H

#include "kdio/common.h"

/* Bumped on any change of a struct or ioctl in this file. */
#define KDIO_CRYPTO_ABI_VERSION	1


/*
 * kdio_crypto: the kernel crypto API on user data (kdio_crypto.ko,
 * modules/crypto/), one data path per source file.
 *
 * KDIO_IOC_CRYPTO_RUN on /dev/kdio_crypto (mode 0600) runs count requests
 * of len bytes each through the driver named, in place on the caller's
 * buffer: after an encryption it holds the ciphertext, after a decryption
 * the plaintext. The buffer is made of regions of len + tag bytes, tag
 * being KDIO_CRYPTO_GCM_TAG for KDIO_CRYPTO_GCM_AES and 0 for CBC; with
 * queue_depth qd it holds qd of them back to back (qd * (len + tag)
 * bytes), and request i works on region i % qd, once request i - qd on
 * it has completed, whatever the path: each request in flight has its
 * own region, and after the run region r has been through as many
 * requests as there are i < count with i % qd == r, in order. Every
 * request uses the same key, iv and (GCM) associated data, so one region
 * through k encryptions holds E^k of its plaintext, and k decryptions
 * take it back (CBC only: see GCM below).
 *
 * CBC_AES: skcipher "cbc(aes)"; len a multiple of KDIO_CRYPTO_BLOCK; iv
 *   is the 16-byte CBC IV. (An IPsec payload of 1420 bytes is 1424 here,
 *   padded to the block as ESP pads it.)
 * GCM_AES: aead "rfc4106(gcm(aes))", AES-GCM as IPsec ESP uses it: the
 *   key is key_len bytes of AES key, the 4-byte salt is iv[0..3] and the
 *   8-byte explicit IV iv[4..11] (the GCM nonce is iv[0..11]); iv[12..15]
 *   is not used. The associated data are the 8 bytes of an ESP header,
 *   SPI KDIO_CRYPTO_GCM_SPI and sequence number KDIO_CRYPTO_GCM_SEQ, both
 *   big-endian, as in RFC 4106. A region is len bytes of payload (any len)
 *   and then the 16-byte ICV: encryption writes it, decryption checks it
 *   (a mismatch ends the run with -EBADMSG) and leaves it as it was. A
 *   region can thus be decrypted once after an encryption: a GCM decrypt
 *   run must have count <= qd.
 *
 * Paths: ZERO_COPY pins the region's user pages (pin_user_pages_fast,
 * for writing) for each request and builds the request's scatterlist on
 * them, source = destination; they are unpinned when it completes.
 * BOUNCE copies the region into kernel pages of its own (copy_from_user),
 * runs the request there and copies the result back (copy_to_user) once
 * it has completed. queue_depth 1 waits for each request
 * (crypto_wait_req); above it up to qd requests are in flight, each with
 * its own request, IV copy, scatterlist and pages, completed through a
 * callback.
 *
 * driver names the implementation: a driver name (cra_driver_name, e.g.
 * "virtio_crypto_aes_cbc", "cbc-aes-aesni", "cbc(aes-generic)",
 * "rfc4106-gcm-aesni", "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))")
 * or the algorithm's name; empty: the crypto API picks the highest
 * priority one. Unknown to the crypto API: -ENOENT. A name it knows that
 * is not an implementation of the algorithm asked for (of the other
 * algorithm, ecb(aes), an aead for CBC...): -EINVAL.
 *
 * The ioctl returns 0 or -errno. A request that fails validation (-EFAULT,
 * -EPROTO, -EINVAL, -ENAMETOOLONG, -ENOTTY) or names no driver (-ENOENT)
 * leaves user memory untouched. Once the driver is allocated, the out
 * fields are copied back whatever the outcome, and error equals the
 * ioctl's return: -EFAULT when the buffer cannot be pinned, read or
 * written (for BOUNCE only at that request's copy), -EBADMSG (GCM
 * decryption), -ENOMEM, -EINTR after a fatal signal, or the driver's
 * error. The run stops submitting at the first error and waits for every
 * request in flight before it returns, a fatal signal included.
 *
 * elapsed_ns is the wall time from just before the first request's
 * pinning or copy-in to just after the last one's unpinning or copy-back:
 * the path is what is measured. Setting up the driver, the key, the
 * requests and BOUNCE's kernel pages is outside it.
 */
#define KDIO_CRYPTO_DEVICE	"/dev/kdio_crypto"
/* Driver names kdio runs are shorter; a longer driver_used is cut short. */
#define KDIO_CRYPTO_NAME_MAX	64
#define KDIO_CRYPTO_KEY_MAX	32
#define KDIO_CRYPTO_IV_SIZE	16
#define KDIO_CRYPTO_BLOCK	16ULL	/* CBC: len a multiple of it */
#define KDIO_CRYPTO_GCM_TAG	16ULL	/* GCM: ICV bytes after each payload */
#define KDIO_CRYPTO_GCM_SPI	0x6b64696fU	/* "kdio" */
#define KDIO_CRYPTO_GCM_SEQ	1U
#define KDIO_CRYPTO_MAX_LEN	(1ULL << 20)
#define KDIO_CRYPTO_MAX_QD	64

enum kdio_crypto_alg {
	KDIO_CRYPTO_CBC_AES	= 0,	/* cbc(aes) */
	KDIO_CRYPTO_GCM_AES	= 1,	/* rfc4106(gcm(aes)), the ESP case */
	KDIO_CRYPTO_NR_ALGS
};

enum kdio_crypto_path {
	KDIO_CRYPTO_ZERO_COPY	= 0,	/* pinned user pages */
	KDIO_CRYPTO_BOUNCE	= 1,	/* copied through kernel pages */
	KDIO_CRYPTO_NR_PATHS
};

enum kdio_crypto_op {
	KDIO_CRYPTO_ENCRYPT	= 0,
	KDIO_CRYPTO_DECRYPT	= 1,
};

/*
 * KDIO_CRYPTO_F_UNTIMED: a run that is not the timed one (the GCM seal
 * before a timed decrypt, a -V pass). Its figures are as for any run; the
 * profiler's window markers are left out, so a profiled case's windows are
 * its timed runs only. Any other bit set is -EINVAL.
 */
#define KDIO_CRYPTO_F_UNTIMED	(1U << 0)
#define KDIO_CRYPTO_F_ALL	KDIO_CRYPTO_F_UNTIMED

struct kdio_crypto_req {
	/* in */
	__u32 abi_version;	/* KDIO_CRYPTO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_crypto_req), else -EPROTO */
	__u32 alg;		/* enum kdio_crypto_alg, else -EINVAL */
	__u32 path;		/* enum kdio_crypto_path, else -EINVAL */
	__u32 op;		/* enum kdio_crypto_op, else -EINVAL */
	__u32 flags;		/* KDIO_CRYPTO_F_*, else -EINVAL */
	__u32 queue_depth;	/* 1..KDIO_CRYPTO_MAX_QD, else -EINVAL */
	__u32 key_len;		/* 16, 24 or 32, else -EINVAL */
	char driver[KDIO_CRYPTO_NAME_MAX];	/* NUL-terminated, else
						 * -ENAMETOOLONG; "" any */
	__u8 key[KDIO_CRYPTO_KEY_MAX];	/* the first key_len bytes */
	__u8 iv[KDIO_CRYPTO_IV_SIZE];
	__u64 data;		/* user address of the regions (see above) */
	__u64 len;		/* bytes per request: 1..KDIO_CRYPTO_MAX_LEN,
				 * CBC a multiple of KDIO_CRYPTO_BLOCK, else
				 * -EINVAL */
	__u64 count;		/* requests in the run, > 0, else -EINVAL */
	/* out */
	char driver_used[KDIO_CRYPTO_NAME_MAX];	/* cra_driver_name */
	__u64 bytes;		/* len times requests */
	__u64 elapsed_ns;	/* see above */
	__u64 requests;		/* completed without error */
	__s32 error;		/* -errno the run ended with, 0 if none */
	__u32 device_irqs;	/* device interrupts the CPUs took during the
				 * run (irqs_sum: not the local timer), so a
				 * driver declared CPU-only can be checked */
};

#define KDIO_IOC_CRYPTO_RUN	_IOWR(KDIO_IOC_MAGIC, 0x30, struct kdio_crypto_req)

#endif /* _KDIO_UAPI_CRYPTO_H */
