// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-crypto: COUNT requests of SIZE bytes through one crypto driver,
 * by one data path of kdio_crypto.ko (zero-copy from pinned pages, or
 * bounced through kernel pages), at a queue depth; one JSON line with
 * the rate the kernel timed.
 *
 * The buffer is QD regions of SIZE bytes (GCM: and a 16-byte ICV each),
 * filled with the kdio pattern and encrypted in place: region r goes
 * through every request i with i % QD == r (kdio_uapi.h), all with the
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
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common.h"
#include "crypto_common.h"
#include "crypto_verify.h"
#include "jsonl.h"
#include "kdio_uapi.h"
#include "sha256.h"

struct copts {
	const struct crypto_alg_desc *alg;
	const char *driver;		/* "" : the crypto API's choice */
	const char *device;
	__u32 path;
	unsigned int key_bits;
	uint64_t size, count, qd;
	bool decrypt, verify;
};

struct crun {
	const struct copts *o;
	int fd;
	struct kdio_crypto_req req;	/* of the timed run */
	uint8_t *buf;			/* QD regions */
	uint64_t region, buf_len;
	uint8_t *plain;			/* -V: the pattern, for comparing */
	uint8_t *ref;			/* -V: the reference ciphertext */
	char sha[SHA256_HEX_LEN];
	int verified;			/* -1 not asked, else 0/1 */
	bool unavailable;		/* the module found no such driver */
	char msg[MSG_MAX];
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

/* Set r->msg and return -err. */
static int __attribute__((format(printf, 3, 4)))
fail(struct crun *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -err;
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

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct copts *o, bool path_given)
{
	const char *why = NULL;

	if (!o->alg)
		why = "-a must be one of " CRYPTO_ALG_LIST;
	else if (!path_given)
		why = "-p must be zerocopy or bounce";
	else if (!o->size || !o->count)
		why = "-s and -n are required and non-zero";
	else if (o->key_bits != 128 && o->key_bits != 192 && o->key_bits != 256)
		why = "-k must be 128, 192 or 256";
	else if (!o->qd || o->qd > KDIO_CRYPTO_MAX_QD)
		why = "-q must be 1 to 64";
	else if (strlen(o->driver) >= KDIO_CRYPTO_NAME_MAX)
		why = "-d DRIVER is longer than 63 bytes";
	else if (o->decrypt && o->alg->tag && o->count > o->qd)
		why = "gcm decrypt checks each region's ICV, which a decryption consumes: -n must not exceed -q";
	if (!why)
		return 0;
	fprintf(stderr, "kdio-crypto: %s\n", why);
	usage(stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct copts *o)
{
	uint64_t key_bits = 128;
	bool path_given = false;
	int c, bad = 0;

	*o = (struct copts){ .driver = "", .device = KDIO_CRYPTO_DEVICE, .qd = 1 };
	while ((c = getopt(argc, argv, "a:d:k:p:s:n:q:o:VD:h")) != -1) {
		switch (c) {
		case 'a': o->alg = crypto_alg_find(optarg); bad |= !o->alg; break;
		case 'd': o->driver = optarg; break;
		case 'k': bad |= parse_u64(optarg, &key_bits); break;
		case 'p': bad |= parse_path(optarg, &o->path); path_given = true; break;
		case 's': bad |= parse_size(optarg, &o->size); break;
		case 'n': bad |= parse_size(optarg, &o->count); break;
		case 'q': bad |= parse_u64(optarg, &o->qd); break;
		case 'o':
			o->decrypt = !strcmp(optarg, "decrypt");
			bad |= !o->decrypt && strcmp(optarg, "encrypt");
			break;
		case 'V': o->verify = true; break;
		case 'D': o->device = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
		if (bad) {
			fprintf(stderr, "kdio-crypto: -%c %s: not a valid value\n", c, optarg);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kdio-crypto: %s: unexpected argument\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	o->key_bits = key_bits > 256 ? 0 : (unsigned int)key_bits;
	return check_opts(o, path_given);
}

/* A run of count requests of op over the buffer, as the options say. */
static struct kdio_crypto_req base_req(const struct crun *r, __u32 op,
				       uint64_t count)
{
	const struct copts *o = r->o;
	struct kdio_crypto_req req = {
		.abi_version	= KDIO_ABI_VERSION,
		.struct_size	= sizeof(req),
		.alg		= o->alg->alg,
		.path		= o->path,
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
	const struct copts *o = r->o;
	const char *drv = o->driver[0] ? o->driver : o->alg->alg_name;

	switch (err) {
	case ENOENT:
		r->unavailable = true;
		return fail(r, err, "driver %s is not available for %s: %s", drv,
			    o->alg->alg_name, crypto_driver_hint(drv));
	case EINVAL:
		if (!o->alg->tag && o->size % KDIO_CRYPTO_BLOCK)
			return fail(r, err, "cbc needs SIZE a multiple of the AES block, 16, not %" PRIu64 " (the 1420-byte IPsec payload is 1424 padded)",
				    o->size);
		if (o->size > KDIO_CRYPTO_MAX_LEN)
			return fail(r, err, "SIZE %" PRIu64 " is above the module's 1m", o->size);
		return fail(r, err, "the module refused the request: is %s a %s driver? (see /proc/crypto)",
			    drv, o->alg->alg_name);
	case EPROTO:
	case ENOTTY:
		return fail(r, err, "%s does not speak this tool's kdio ABI %d; load kdio_crypto.ko built from the same tree",
			    o->device, KDIO_ABI_VERSION);
	case EBADMSG:
		return fail(r, err, "GCM decryption found a bad ICV after %llu requests",
			    (unsigned long long)req->requests);
	case EINTR:
		return fail(r, err, "interrupted by a signal after %llu requests",
			    (unsigned long long)req->requests);
	default:
		return fail(r, err, "KDIO_IOC_CRYPTO_RUN (%s, %s) after %llu requests: %s", drv,
			    path_names[o->path], (unsigned long long)req->requests,
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

/* GCM decrypt: the regions encrypted first, outside the timed run. */
static int seal_first(struct crun *r)
{
	struct kdio_crypto_req req = base_req(r, KDIO_CRYPTO_ENCRYPT, r->o->qd);

	return kernel_run(r, &req);
}

/*
 * -V: encrypt each region once, compare with the reference (GCM: ICV
 * included), decrypt, compare the payloads with the plaintext (a GCM
 * decryption leaves the ICV in place). 0 with r->verified set, or -errno.
 */
static int verify(struct crun *r)
{
	const struct crypto_layout l = {
		.alg = r->o->alg, .key_bits = r->o->key_bits, .size = r->o->size,
		.qd = r->o->qd, .region = r->region,
	};
	struct kdio_crypto_req req;
	int ret;

	r->plain = crypto_alloc_buf(r->buf_len);
	r->ref = crypto_alloc_buf(r->buf_len);
	if (!r->plain || !r->ref)
		return fail(r, ENOMEM, "no memory for the -V buffers");
	crypto_test_data(r->plain, r->buf_len);
	ret = crypto_reference(&l, r->plain, r->ref, r->msg, sizeof(r->msg));
	if (ret)
		return ret;
	memcpy(r->buf, r->plain, r->buf_len);
	req = base_req(r, KDIO_CRYPTO_ENCRYPT, r->o->qd);
	ret = kernel_run(r, &req);
	if (ret)
		return ret;
	r->verified = crypto_same(&l, r->buf, r->ref, r->region, "the ciphertext",
				  r->msg, sizeof(r->msg));
	req = base_req(r, KDIO_CRYPTO_DECRYPT, r->o->qd);
	ret = kernel_run(r, &req);
	if (ret)
		return ret;
	if (r->verified)
		r->verified = crypto_same(&l, r->buf, r->plain, r->o->size,
					  "the decrypted text", r->msg, sizeof(r->msg));
	return 0;
}

/* The timed run, and what comes with it; 0 or -errno. */
static int run(struct crun *r)
{
	const struct copts *o = r->o;
	int ret = 0;

	r->fd = open(o->device, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return fail(r, errno, "%s: %s; load kdio_crypto.ko and run as root",
			    o->device, strerror(errno));
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
		sha256_hex(r->buf, r->buf_len, r->sha);
	return o->verify ? verify(r) : 0;
}

static void emit_rates(struct jsonl *j, const struct kdio_crypto_req *req)
{
	jsonl_u64(j, "requests", req->requests);
	jsonl_u64(j, "bytes", req->bytes);
	if (!req->elapsed_ns || !req->requests) {
		jsonl_null(j, "elapsed_ns");
		jsonl_null(j, "ops_per_s");
		jsonl_null(j, "bytes_per_s");
		return;
	}
	jsonl_u64(j, "elapsed_ns", req->elapsed_ns);
	jsonl_u64(j, "ops_per_s", (uint64_t)((double)req->requests * 1e9 / (double)req->elapsed_ns));
	jsonl_u64(j, "bytes_per_s", (uint64_t)((double)req->bytes * 1e9 / (double)req->elapsed_ns));
}

static int emit(const struct crun *r, int err)
{
	const struct copts *o = r->o;
	struct jsonl j;

	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-crypto");
	jsonl_i64(&j, "abi", KDIO_ABI_VERSION);
	jsonl_str(&j, "alg", o->alg->name);
	jsonl_str(&j, "driver_requested", o->driver[0] ? o->driver : NULL);
	jsonl_str(&j, "driver", r->req.driver_used[0] ? r->req.driver_used : NULL);
	jsonl_str(&j, "path", path_names[o->path]);
	jsonl_str(&j, "op", o->decrypt ? "decrypt" : "encrypt");
	jsonl_u64(&j, "key_bits", o->key_bits);
	jsonl_u64(&j, "size", o->size);
	jsonl_u64(&j, "count", o->count);
	jsonl_u64(&j, "qd", o->qd);
	emit_rates(&j, &r->req);
	jsonl_str(&j, "ciphertext_sha", r->sha[0] ? r->sha : NULL);
	if (r->verified >= 0)
		jsonl_bool(&j, "verified", r->verified);
	else if (o->verify)
		jsonl_null(&j, "verified");
	json_error_fields(&j, err, r->msg[0] ? r->msg : NULL);
	return jsonl_end(&j);
}

int main(int argc, char **argv)
{
	struct copts o;
	struct crun r;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	r = (struct crun){ .o = &o, .fd = -1, .verified = -1 };
	r.region = o.size + o.alg->tag;
	r.buf_len = o.qd * r.region;
	r.buf = crypto_alloc_buf(r.buf_len);
	ret = r.buf ? run(&r) : fail(&r, ENOMEM, "no memory for %" PRIu64 " bytes", r.buf_len);
	if (emit(&r, -ret))
		ret = ret ? ret : -EIO;
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	free(r.plain);
	free(r.ref);
	if (r.unavailable)
		return EXIT_UNAVAILABLE;
	return ret || r.verified == 0 ? EXIT_ERROR : EXIT_OK;
}
