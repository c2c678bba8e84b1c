// SPDX-License-Identifier: GPL-2.0
/* kdio-fuzz: /dev/kdio_crypto, KDIO_IOC_CRYPTO_RUN. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* KDIO_IOC_CRYPTO_RUN: validation, no such driver, then the run's own. */
static const int crypto_run_errs[] = {
	EFAULT, EPROTO, EINVAL, ENAMETOOLONG, ENOTTY, ENOENT,
	EBADMSG, ENOMEM, EINTR, 0
};

static const uint64_t crypto_algs[] = { KDIO_CRYPTO_CBC_AES, KDIO_CRYPTO_GCM_AES };
static const uint64_t crypto_paths[] = { KDIO_CRYPTO_ZERO_COPY, KDIO_CRYPTO_BOUNCE };
static const uint64_t crypto_ops[] = { KDIO_CRYPTO_ENCRYPT, KDIO_CRYPTO_DECRYPT };
static const uint64_t crypto_depths[] = { 1, 1, 2, 4, KDIO_CRYPTO_MAX_QD };
static const uint64_t crypto_keys[] = { 16, 24, 32 };
static const uint64_t crypto_lens[] = { 16, 64, 1424, 4096, 65536 };
static const uint64_t crypto_counts[] = { 1, 2, 4, 16 };
static const char *const crypto_drivers[] = {
	"", "cbc(aes)", "cbc(aes-generic)", "cbc-aes-aesni",
	"rfc4106(gcm(aes))", "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))",
	"ecb(aes)", "sha256", "kdio-no-such-driver",
};
static const unsigned long crypto_cmds[] = { KDIO_IOC_CRYPTO_RUN };

/* Whether the uAPI's rules let a crypto run go ahead, its driver aside. */
static bool crypto_valid(const struct kdio_crypto_req *r)
{
	if (r->abi_version != KDIO_CRYPTO_ABI_VERSION || r->struct_size != sizeof(*r) ||
	    r->alg >= KDIO_CRYPTO_NR_ALGS || r->path >= KDIO_CRYPTO_NR_PATHS ||
	    r->op > KDIO_CRYPTO_DECRYPT || (r->flags & ~KDIO_CRYPTO_F_ALL))
		return false;
	if ((r->key_len != 16 && r->key_len != 24 && r->key_len != 32) ||
	    !r->len || r->len > KDIO_CRYPTO_MAX_LEN || !r->count ||
	    (r->alg == KDIO_CRYPTO_CBC_AES && r->len % KDIO_CRYPTO_BLOCK))
		return false;
	return r->queue_depth && r->queue_depth <= KDIO_CRYPTO_MAX_QD;
}

/*
 * The driver name: one from the table (any, one of each algorithm, of
 * another type, none such) or one with no NUL.
 */
static void crypto_driver(struct fuzz *f, char *driver)
{
	rng_fill(f, driver, KDIO_CRYPTO_NAME_MAX);	/* what follows the NUL */
	if (!chance(f, f->wild))
		driver[0] = '\0';
	else if (chance(f, 10))
		memset(driver, 'a', KDIO_CRYPTO_NAME_MAX);
	else
		snprintf(driver, KDIO_CRYPTO_NAME_MAX, "%s",
			 crypto_drivers[rng_below(&f->rng, ARRAY_LEN(crypto_drivers))]);
}

/*
 * A run request. The regions go in the arena (whose guard reservation
 * covers any qd * region from it) or, with queue depth 1 so that only the
 * first region is ever touched, at NULL or an address above user space.
 * A run of more than FUZZ_MAX_CALLS requests or FUZZ_MAX_BYTES gets
 * count 0 (invalid).
 */
static void crypto_build(struct fuzz *f, struct kdio_crypto_req *r)
{
	rng_fill(f, r, sizeof(*r));	/* key, iv and out fields random too */
	r->abi_version = usually(f, KDIO_CRYPTO_ABI_VERSION);
	r->struct_size = usually(f, sizeof(*r));
	r->alg = FUZZ(f, crypto_algs);
	r->path = FUZZ(f, crypto_paths);
	r->op = FUZZ(f, crypto_ops);
	r->flags = usually(f, 0);
	r->queue_depth = FUZZ(f, crypto_depths);
	r->key_len = FUZZ(f, crypto_keys);
	crypto_driver(f, r->driver);
	r->len = FUZZ(f, crypto_lens);
	r->count = FUZZ(f, crypto_counts);
	r->data = (uintptr_t)buffer(f);
	if (r->data != (uintptr_t)f->ro && (r->data < (uintptr_t)f->arena ||
	    r->data >= (uintptr_t)f->arena + ARENA_SIZE))
		r->queue_depth = chance(f, f->wild / 4) ? 0 : 1;
	if (crypto_valid(r) && (r->count > FUZZ_MAX_CALLS ||
				r->len * r->count > FUZZ_MAX_BYTES))
		r->count = 0;
}

static void op_crypto_run(struct fuzz *f)
{
	struct kdio_crypto_req req;

	crypto_build(f, &req);
	send_ioctl(f, f->iface->fd, KDIO_IOC_CRYPTO_RUN, &req, sizeof(req), crypto_run_errs, NULL);
}

static const struct op crypto_fuzz_ops[] = {
	{ "run", op_crypto_run, 9 },
	{ "file-ops", op_no_fops, 1 },
};


const struct fuzz_device fuzz_crypto = FUZZ_DEVICE(crypto_fuzz_ops, crypto_cmds);
