// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-crypto: COUNT requests of SIZE bytes through one crypto driver,
 * by one data path of kdio_crypto.ko (zero-copy from pinned pages, or
 * bounced through kernel pages), at a queue depth; one JSON line with
 * the rate the kernel timed.
 *
 * The buffer is QD regions of SIZE bytes (GCM: and a 16-byte ICV each),
 * filled with the kdio pattern and encrypted in place: region r goes
 * through every request i with i % QD == r (kdio/crypto.h), all with the
 * same key and IV, so the buffer after a run depends only on the
 * algorithm, key size, SIZE, COUNT and QD, never on the driver or path.
 * Its SHA-256 is printed as ciphertext_sha for comparing runs.
 *
 * -o decrypt decrypts the pattern (CBC) or, for GCM, whose decryption
 * checks the ICV, the regions first encrypted by the same driver and
 * path outside the timed run; a GCM region can be decrypted only once,
 * so COUNT must not exceed QD there.
 *
 * -V checks the driver after the timed run (crypto_verify.h): every
 * region encrypted once (COUNT = QD, the same driver, path and depth)
 * must equal what the generic C implementation gives through AF_ALG,
 * and decrypting them must give the pattern back. "verified" says
 * whether both held; exit 1 if not.
 *
 * Exit 0 ok, 1 error, 2 usage, 3 (EXIT_UNAVAILABLE) when the driver is
 * not registered: the harness records that case as skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common.h"
#include "crypto_common.h"
#include "verify.h"
#include "jsonl.h"
#include "kdio/crypto.h"
#include "sha256.h"

/* The options of this tool alone (crypto_common.h has the others). */
struct copts {
	const char *device;
	__u32 path;
	bool path_given;
};

struct crun {
	const struct crypto_opts *o;
	const struct copts *own;
	int fd;
	struct kdio_crypto_req req;	/* of the timed run */
	uint8_t *buf;			/* QD regions */
	uint64_t region, buf_len;
	struct crypto_outcome out;	/* unavailable: the module found
					 * no such driver */
};

static const char *const path_names[] = {
	[KDIO_CRYPTO_ZERO_COPY]	= "zerocopy",
	[KDIO_CRYPTO_BOUNCE]	= "bounce",
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-crypto -a " CRYPTO_ALG_LIST " [-d DRIVER] [-k KEYBITS] -p zerocopy|bounce\n"
		"                   -s SIZE -n COUNT [-q QD] [-o encrypt|decrypt] [-V] [-D DEVICE]\n"
		"  -a ALG      cbc: cbc(aes); gcm: rfc4106(gcm(aes)), AES-GCM as IPsec ESP uses it\n"
		"  -d DRIVER   driver name, e.g. virtio_crypto_aes_cbc, cbc-aes-aesni,\n"
		"              cbc(aes-generic), rfc4106-gcm-aesni,\n"
		"              rfc4106(gcm_base(ctr(aes-generic),ghash-generic)); default: the\n"
		"              crypto API's choice, the highest priority\n"
		"  -k KEYBITS  128, 192 or 256 (default 128)\n"
		"  -p PATH     zerocopy (pinned user pages) or bounce (copied through kernel pages)\n"
		"  -s SIZE     bytes per request, 1..1m; cbc: a multiple of 16 (an IPsec\n"
		"              payload of 1420 bytes is 1424 padded to the block)\n"
		"  -n COUNT    requests\n"
		"  -q QD       requests in flight, 1..%d (default 1)\n"
		"  -o OP       encrypt (default) or decrypt; gcm decrypt needs COUNT <= QD\n"
		"  -V          check the driver against the generic code through AF_ALG\n"
		"  -D DEVICE   default " KDIO_CRYPTO_DEVICE "\n"
		"exit: 0 ok, 1 error or -V mismatch, 2 usage, 3 driver not available\n",
		KDIO_CRYPTO_MAX_QD);
}

static int parse_path(const char *s, __u32 *path)
{
	__u32 i;

	for (i = 0; i < KDIO_CRYPTO_NR_PATHS; i++)
		if (!strcmp(s, path_names[i])) {
			*path = i;
			return 0;
		}
	return -EINVAL;
}

/* -p PATH, -D DEVICE. */
static int own_opt(void *own, int c, const char *arg)
{
	struct copts *o = own;

	switch (c) {
	case 'p':
		o->path_given = true;
		return parse_path(arg, &o->path) != 0;
	case 'D':
		o->device = arg;
		return 0;
	}
	return -1;
}

static const char *own_check(const void *own)
{
	const struct copts *o = own;

	return o->path_given ? NULL : "-p must be zerocopy or bounce";
}

static const struct crypto_cli cli = {
	.tool			= "kdio-crypto",
	.optstring		= "a:d:k:p:s:n:q:o:VD:h",
	.usage			= usage,
	.own_opt		= own_opt,
	.own_check		= own_check,
	.check_driver_len	= true,
};

/* A run of count requests of op over the buffer, as the options say. */
static struct kdio_crypto_req base_req(const struct crun *r, __u32 op,
				       uint64_t count)
{
	const struct crypto_opts *o = r->o;
	struct kdio_crypto_req req = {
		.abi_version	= KDIO_CRYPTO_ABI_VERSION,
		.struct_size	= sizeof(req),
		.alg		= o->alg->alg,
		.path		= r->own->path,
		.op		= op,
		.queue_depth	= (__u32)o->qd,
		.key_len	= o->key_bits / 8,
		.data		= (uintptr_t)r->buf,
		.len		= o->size,
		.count		= count,
	};

	snprintf(req.driver, sizeof(req.driver), "%s", o->driver);
	crypto_test_key(req.key, req.key_len);
	crypto_test_iv(req.iv);
	return req;
}

/* What a failed run means, in words; returns -err. */
static int describe(struct crun *r, int err, const struct kdio_crypto_req *req)
{
	const struct crypto_opts *o = r->o;
	const char *drv = o->driver[0] ? o->driver : o->alg->alg_name;
	char offered[160];

	switch (err) {
	case ENOENT:
		r->out.unavailable = true;
		return crypto_fail(&r->out, err, "driver %s is not available for %s: %s; /proc/crypto offers %s from: %s",
				   drv, o->alg->alg_name, crypto_driver_hint(drv), o->alg->alg_name,
				   crypto_offered(o->alg->alg_name, offered, sizeof(offered)));
	case EINVAL:
		if (!o->alg->tag && o->size % KDIO_CRYPTO_BLOCK)
			return crypto_fail(&r->out, err, "cbc needs SIZE a multiple of the AES block, 16, not %" PRIu64 " (the 1420-byte IPsec payload is 1424 padded)",
					   o->size);
		if (o->size > KDIO_CRYPTO_MAX_LEN)
			return crypto_fail(&r->out, err, "SIZE %" PRIu64 " is above the module's 1m", o->size);
		return crypto_fail(&r->out, err, "the module refused the request: is %s a %s driver? (see /proc/crypto)",
				   drv, o->alg->alg_name);
	case EPROTO:
	case ENOTTY:
		return crypto_fail(&r->out, err, "%s does not speak this tool's kdio ABI %d; load kdio_crypto.ko built from the same tree",
				   r->own->device, KDIO_CRYPTO_ABI_VERSION);
	case EBADMSG:
		return crypto_fail(&r->out, err, "GCM decryption found a bad ICV after %llu requests",
				   (unsigned long long)req->requests);
	case EINTR:
		return crypto_fail(&r->out, err, "interrupted by a signal after %llu requests",
				   (unsigned long long)req->requests);
	default:
		return crypto_fail(&r->out, err, "KDIO_IOC_CRYPTO_RUN (%s, %s) after %llu requests: %s", drv,
				   path_names[r->own->path], (unsigned long long)req->requests,
				   strerror(err));
	}
}

/* One kernel run into *req; 0 or -errno with the message set. */
static int kernel_run(struct crun *r, struct kdio_crypto_req *req)
{
	if (ioctl(r->fd, KDIO_IOC_CRYPTO_RUN, req))
		return describe(r, errno, req);
	return 0;
}

/*
 * A run that is not the measurement: every region once (qd requests), with
 * no profiler window (KDIO_CRYPTO_F_UNTIMED). 0 or -errno.
 */
static int untimed_run(struct crun *r, __u32 op)
{
	struct kdio_crypto_req req = base_req(r, op, r->o->qd);

	req.flags = KDIO_CRYPTO_F_UNTIMED;
	return kernel_run(r, &req);
}

/* GCM decrypt: the regions encrypted first, outside the timed run. */
static int seal_first(struct crun *r)
{
	return untimed_run(r, KDIO_CRYPTO_ENCRYPT);
}

/* One -V pass through the module: every region once, encrypt or decrypt. */
static int verify_pass(void *ctx, bool decrypt)
{
	return untimed_run(ctx, decrypt ? KDIO_CRYPTO_DECRYPT : KDIO_CRYPTO_ENCRYPT);
}

/* -V (verify.h) through the module. 0 with r->out.verified set, or -errno. */
static int verify(struct crun *r)
{
	const struct crypto_layout l = {
		.alg = r->o->alg, .key_bits = r->o->key_bits, .size = r->o->size,
		.qd = r->o->qd, .region = r->region,
	};

	return crypto_verify(&l, r->buf, r->buf_len, verify_pass, r,
			     &r->out.verified, r->out.msg, sizeof(r->out.msg));
}

/* The timed run, and what comes with it; 0 or -errno. */
static int run(struct crun *r)
{
	const struct crypto_opts *o = r->o;
	int ret = 0;

	r->fd = open(r->own->device, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return crypto_fail(&r->out, errno, "%s: %s; load kdio_crypto.ko and run as root",
				   r->own->device, strerror(errno));
	crypto_test_data(r->buf, r->buf_len);
	if (o->decrypt && o->alg->tag)
		ret = seal_first(r);
	if (ret)
		return ret;
	r->req = base_req(r, o->decrypt ? KDIO_CRYPTO_DECRYPT : KDIO_CRYPTO_ENCRYPT, o->count);
	ret = kernel_run(r, &r->req);
	if (ret)
		return ret;
	if (!o->decrypt)
		sha256_hex(r->buf, r->buf_len, r->out.sha);
	return o->verify ? verify(r) : 0;
}

static int emit(const struct crun *r, int err)
{
	const struct crypto_report rep = {
		.driver		= r->req.driver_used,
		.path		= path_names[r->own->path],
		.requests	= r->req.requests,
		.bytes		= r->req.bytes,
		.elapsed_ns	= r->req.elapsed_ns,
		.device_irqs	= r->req.device_irqs,
		.out		= &r->out,
	};
	struct jsonl j;

	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-crypto");
	jsonl_i64(&j, "abi", KDIO_CRYPTO_ABI_VERSION);
	return crypto_emit(&j, r->o, &rep, err);
}

int main(int argc, char **argv)
{
	struct crypto_opts o;
	struct copts own = { .device = KDIO_CRYPTO_DEVICE };
	struct crun r;
	int ret;

	ret = crypto_parse_args(&cli, argc, argv, &o, &own);
	if (ret)
		return ret;
	r = (struct crun){ .o = &o, .own = &own, .fd = -1, .out.verified = -1 };
	r.region = o.size + o.alg->tag;
	r.buf_len = o.qd * r.region;
	r.buf = crypto_alloc_buf(r.buf_len);
	ret = r.buf ? run(&r) : crypto_fail(&r.out, ENOMEM, "no memory for %" PRIu64 " bytes", r.buf_len);
	if (emit(&r, -ret))
		ret = ret ? ret : -EIO;
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	return crypto_exit_code(&r.out, ret);
}
