// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-afalg: the user-space baseline of kdio-crypto, the same requests
 * through AF_ALG sockets, with the same buffer of QD regions, key, IV,
 * data and region-per-request rule, so that the buffer after a run, and
 * its ciphertext_sha, equal kdio-crypto's for the same algorithm, key
 * size, SIZE, COUNT and QD.
 *
 * A request is a sendmsg() of its region (the kernel copies it into the
 * socket's pages) and a read of the result into the same region (the
 * kernel pins the reader's pages and the driver writes into them): a
 * copy in and zero-copy out. GCM is rfc4106 as in the module: the input
 * is the 16-byte ESP header and IV, then the payload (and ICV, to
 * decrypt), the associated data length 16, the output the same header
 * again, read into scratch, then the region.
 *
 * QD 1: one operation socket, sendmsg() and read per request. Above it,
 * QD operation sockets (one has one IV and one queue of input, so each
 * request in flight needs its own), request i on socket and region
 * i % QD: sendmsg(), then an IOCB_CMD_PREADV io_submit() on the socket,
 * reaped with io_getevents(): AF_ALG's own asynchronous interface. A
 * synchronous driver (AES-NI, generic) has completed the request by the
 * time io_submit() returns. elapsed_ns is CLOCK_MONOTONIC from before the
 * first sendmsg() to after the last completion.
 *
 * "driver": AF_ALG does not say which driver a socket is bound to; it is
 * the one /proc/crypto names for the name given, read after binding (see
 * afalg_driver_of()): that name itself if it is a driver name, else the
 * highest-priority tested driver of the algorithm, the crypto API's rule.
 *
 * -V checks the driver as kdio-crypto -V does, through these sockets.
 *
 * Exit 0 ok, 1 error or -V mismatch, 2 usage, 3 when the kernel knows no
 * such driver.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/aio_abi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "afalg.h"
#include "common.h"
#include "crypto_common.h"
#include "verify.h"
#include "jsonl.h"
#include "sha256.h"
#include "kdio/marker.h"

/* One operation socket and the request it carries. */
struct aslot {
	int op;
	uint8_t hdr[CRYPTO_GCM_HDR];	/* GCM input: ESP header and IV */
	uint8_t scratch[CRYPTO_GCM_HDR];	/* GCM output: the same again */
	struct iovec in[2], out[2];
	int in_cnt, out_cnt;
	size_t out_total;
	bool busy;			/* submitted, not reaped */
	struct iocb cb;
};

struct arun {
	const struct crypto_opts *o;
	const char *name;		/* what the socket is bound to */
	int tfm;
	struct aslot *slots;
	uint8_t *buf;
	uint64_t region, buf_len;
	struct afalg_req ar;		/* op, IV, associated data */
	uint8_t iv[KDIO_CRYPTO_IV_SIZE];
	aio_context_t aio;
	uint64_t requests, elapsed_ns;
	int req_err;			/* AIO: the first request's error */
	char driver[KDIO_CRYPTO_NAME_MAX * 2];
	struct crypto_outcome out;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-afalg -a " CRYPTO_ALG_LIST " [-d DRIVER] [-k KEYBITS] -s SIZE -n COUNT\n"
		"                  [-q QD] [-o encrypt|decrypt] [-V]\n"
		"  -a ALG      cbc: cbc(aes); gcm: rfc4106(gcm(aes))\n"
		"  -d DRIVER   driver or algorithm name AF_ALG binds (default: the algorithm's)\n"
		"  -k KEYBITS  128, 192 or 256 (default 128)\n"
		"  -s SIZE     bytes per request, 1..1m; cbc: a multiple of 16\n"
		"  -n COUNT    requests\n"
		"  -q QD       requests in flight, 1..%d (default 1): above 1, through AIO\n"
		"  -o OP       encrypt (default) or decrypt; gcm decrypt needs COUNT <= QD\n"
		"  -V          check the driver against the generic code, as kdio-crypto -V\n"
		"exit: 0 ok, 1 error or -V mismatch, 2 usage, 3 driver not available\n",
		KDIO_CRYPTO_MAX_QD);
}

static const struct crypto_cli cli = {
	.tool		= "kdio-afalg",
	.optstring	= "a:d:k:s:n:q:o:Vh",
	.usage		= usage,
	.check_size	= true,
};

/* The transform socket, keyed as kdio-crypto keys its runs. */
static int bind_tfm(struct arun *r)
{
	const struct crypto_opts *o = r->o;
	uint8_t key[KDIO_CRYPTO_KEY_MAX + 4];
	size_t key_len = o->key_bits / 8;

	crypto_test_key(key, key_len);
	crypto_test_iv(r->iv);
	if (o->alg->tag) {		/* rfc4106: the salt ends the key */
		memcpy(key + key_len, r->iv, 4);
		key_len += 4;
	}
	r->tfm = afalg_bind(o->alg->afalg_type, r->name, key, key_len,
			    (unsigned int)o->alg->tag);
	if (r->tfm == -ENOENT) {
		char offered[160];

		r->out.unavailable = true;
		return crypto_fail(&r->out, ENOENT, "driver %s is not available for %s: %s; /proc/crypto offers %s from: %s",
				   r->name, o->alg->alg_name, crypto_driver_hint(r->name),
				   o->alg->alg_name,
				   crypto_offered(o->alg->alg_name, offered, sizeof(offered)));
	}
	if (r->tfm < 0)
		return crypto_fail(&r->out, -r->tfm, "AF_ALG %s %s: %s%s", o->alg->afalg_type, r->name,
				   strerror(-r->tfm), r->tfm == -EAFNOSUPPORT ?
				   "; load af_alg, algif_skcipher and algif_aead" : "");
	if (afalg_driver_of(o->alg->afalg_type, r->name, r->driver, sizeof(r->driver)))
		r->driver[0] = '\0';
	return 0;
}

/* Slot s's operation socket. */
static int slot_open(struct arun *r, uint64_t s)
{
	struct aslot *sl = &r->slots[s];

	sl->op = afalg_accept(r->tfm, r->region + CRYPTO_GCM_HDR);
	if (sl->op < 0)
		return crypto_fail(&r->out, -sl->op, "AF_ALG operation socket: %s%s", strerror(-sl->op),
				   sl->op == -ENOBUFS ? "; run as root to raise its buffers" : "");
	return 0;
}

/* Slot s's iovecs over region s, for an encryption or a decryption. */
static void slot_iov(struct arun *r, uint64_t s, bool decrypt)
{
	const struct crypto_opts *o = r->o;
	struct aslot *sl = &r->slots[s];
	uint8_t *region = r->buf + s * r->region;

	if (!o->alg->tag) {
		sl->in[0] = (struct iovec){ region, o->size };
		sl->out[0] = sl->in[0];
		sl->in_cnt = sl->out_cnt = 1;
		sl->out_total = o->size;
		return;
	}
	crypto_gcm_hdr(sl->hdr, r->iv);
	sl->in[0] = (struct iovec){ sl->hdr, CRYPTO_GCM_HDR };
	sl->in[1] = (struct iovec){ region, decrypt ? r->region : o->size };
	sl->out[0] = (struct iovec){ sl->scratch, CRYPTO_GCM_HDR };
	sl->out[1] = (struct iovec){ region, decrypt ? o->size : r->region };
	sl->in_cnt = sl->out_cnt = 2;
	sl->out_total = CRYPTO_GCM_HDR + sl->out[1].iov_len;
}

/* The request parameters every request shares, and the iovecs, for op. */
static void set_op(struct arun *r, bool decrypt)
{
	bool gcm = r->o->alg->tag;
	uint64_t s;

	r->ar = (struct afalg_req){
		.decrypt	= decrypt,
		.iv		= gcm ? r->iv + 4 : r->iv,
		.iv_len		= gcm ? 8 : KDIO_CRYPTO_IV_SIZE,
		.assoclen	= gcm ? CRYPTO_GCM_HDR : 0,
	};
	for (s = 0; s < r->o->qd; s++)
		slot_iov(r, s, decrypt);
}
/* count requests, one at a time. */
static int run_sync(struct arun *r, uint64_t count)
{
	uint64_t i;

	for (i = 0; i < count; i++) {
		struct aslot *sl = &r->slots[i % r->o->qd];
		int ret = afalg_crypt(sl->op, &r->ar, sl->in, sl->in_cnt,
				      sl->out, sl->out_cnt, sl->out_total);

		if (ret)
			return crypto_fail(&r->out, -ret, "AF_ALG request %" PRIu64 ": %s", i, strerror(-ret));
		r->requests++;
	}
	return 0;
}

/*
 * Reap at least one completion, and all that are there. A request's
 * error goes to r->req_err (the first one, with msg); returns 0, or
 * -errno if io_getevents() itself fails.
 */
static int reap(struct arun *r)
{
	struct io_event ev[KDIO_CRYPTO_MAX_QD];
	long n, i;

	n = syscall(SYS_io_getevents, r->aio, 1L, (long)r->o->qd, ev, NULL);
	if (n < 0)
		return crypto_fail(&r->out, errno, "io_getevents: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		struct aslot *sl = &r->slots[ev[i].data];

		sl->busy = false;
		if (r->req_err)
			continue;
		if (ev[i].res < 0)
			r->req_err = crypto_fail(&r->out, (int)-ev[i].res, "AF_ALG asynchronous read: %s",
						 strerror((int)-ev[i].res));
		else if ((size_t)ev[i].res != sl->out_total)
			r->req_err = crypto_fail(&r->out, EIO, "AF_ALG asynchronous read gave %lld bytes of %zu",
						 (long long)ev[i].res, sl->out_total);
		else
			r->requests++;
	}
	return 0;
}

/* Send request i's input and submit its read; 0 or -errno with msg. */
static int submit(struct arun *r, uint64_t i)
{
	struct aslot *sl = &r->slots[i % r->o->qd];
	struct iocb *cbp = &sl->cb;
	int ret = afalg_send(sl->op, &r->ar, sl->in, sl->in_cnt);

	if (ret)
		return crypto_fail(&r->out, -ret, "AF_ALG sendmsg of request %" PRIu64 ": %s", i, strerror(-ret));
	sl->cb = (struct iocb){
		.aio_data	= i % r->o->qd,
		.aio_lio_opcode	= IOCB_CMD_PREADV,
		.aio_fildes	= (__u32)sl->op,
		.aio_buf	= (uintptr_t)sl->out,
		.aio_nbytes	= (__u64)sl->out_cnt,
	};
	if (syscall(SYS_io_submit, r->aio, 1L, &cbp) != 1)
		return crypto_fail(&r->out, errno, "io_submit: %s", strerror(errno));
	sl->busy = true;
	return 0;
}

/*
 * count requests, up to QD in flight, all reaped before the return
 * unless io_getevents() fails (io_destroy() then waits for them).
 */
static int run_aio(struct arun *r, uint64_t count)
{
	uint64_t i, s;
	int ret = 0;

	for (i = 0; i < count && !ret && !r->req_err; i++) {
		while (!ret && r->slots[i % r->o->qd].busy)
			ret = reap(r);
		if (!ret && !r->req_err)
			ret = submit(r, i);
	}
	for (s = 0; s < r->o->qd; s++)
		while (r->slots[s].busy) {
			int err = reap(r);

			if (err)
				return ret ? ret : err;
		}
	return ret ? ret : r->req_err;
}

/* One -V pass through the sockets: every region once, encrypt or decrypt. */
static int verify_pass(void *ctx, bool decrypt)
{
	struct arun *r = ctx;

	set_op(r, decrypt);
	return run_sync(r, r->o->qd);
}

/*
 * -V: kdio-crypto's check (verify.h) on this tool's sockets. 0 with
 * r->out.verified set, or -errno with msg; the requests of the timed run
 * are left as they were counted.
 */
static int verify(struct arun *r)
{
	const struct crypto_layout l = {
		.alg = r->o->alg, .key_bits = r->o->key_bits, .size = r->o->size,
		.qd = r->o->qd, .region = r->region,
	};
	uint64_t requests = r->requests;
	int ret;

	ret = crypto_verify(&l, r->buf, r->buf_len, verify_pass, r,
			    &r->out.verified, r->out.msg, sizeof(r->out.msg));
	r->requests = requests;
	return ret;
}

/* Sockets, the AIO context, GCM's sealing for a decrypt, the timed run. */
static int run(struct arun *r)
{
	const struct crypto_opts *o = r->o;
	uint64_t s, start;
	int ret = bind_tfm(r);

	for (s = 0; s < o->qd && !ret; s++)
		ret = slot_open(r, s);
	if (!ret && o->qd > 1 && syscall(SYS_io_setup, (unsigned int)o->qd, &r->aio))
		ret = crypto_fail(&r->out, errno, "io_setup: %s", strerror(errno));
	if (ret)
		return ret;
	crypto_test_data(r->buf, r->buf_len);
	if (o->decrypt && o->alg->tag) {	/* valid ICVs, untimed */
		set_op(r, false);
		ret = run_sync(r, o->qd);
		r->requests = 0;
		if (ret)
			return ret;
	}
	set_op(r, o->decrypt);
	KDIO_MARK(KDIO_MARK_START);
	start = now_ns();
	ret = o->qd > 1 ? run_aio(r, o->count) : run_sync(r, o->count);
	r->elapsed_ns = now_ns() - start;
	KDIO_MARK(KDIO_MARK_END);
	if (!ret && !o->decrypt)
		sha256_hex(r->buf, r->buf_len, r->out.sha);
	return !ret && o->verify ? verify(r) : ret;
}

static int emit(const struct arun *r, int err)
{
	const struct crypto_report rep = {
		.driver		= r->driver,
		.path		= "afalg",
		.requests	= r->requests,
		.bytes		= r->requests * r->o->size,
		.elapsed_ns	= r->elapsed_ns,
		.device_irqs	= -1,
		.out		= &r->out,
	};
	struct jsonl j;

	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-afalg");
	return crypto_emit(&j, r->o, &rep, err);
}

static void cleanup(struct arun *r)
{
	uint64_t s;

	if (r->aio)
		syscall(SYS_io_destroy, r->aio);
	for (s = 0; r->slots && s < r->o->qd; s++)
		if (r->slots[s].op >= 0)
			close(r->slots[s].op);
	if (r->tfm >= 0)
		close(r->tfm);
	free(r->slots);
	free(r->buf);
}

int main(int argc, char **argv)
{
	struct crypto_opts o;
	struct arun r;
	uint64_t s;
	int ret;

	ret = crypto_parse_args(&cli, argc, argv, &o, NULL);
	if (ret)
		return ret;
	r = (struct arun){ .o = &o, .tfm = -1, .out.verified = -1 };
	r.name = o.driver[0] ? o.driver : o.alg->alg_name;
	r.region = o.size + o.alg->tag;
	r.buf_len = o.qd * r.region;
	r.buf = crypto_alloc_buf(r.buf_len);
	r.slots = calloc(o.qd, sizeof(*r.slots));
	for (s = 0; r.slots && s < o.qd; s++)
		r.slots[s].op = -1;
	if (!r.buf || !r.slots)
		ret = crypto_fail(&r.out, ENOMEM, "no memory for %" PRIu64 " bytes", r.buf_len);
	else
		ret = run(&r);
	if (emit(&r, -ret))
		ret = ret ? ret : -EIO;
	cleanup(&r);
	return crypto_exit_code(&r.out, ret);
}
