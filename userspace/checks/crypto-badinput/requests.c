// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-crypto-badinput: the base request (CBC, generic, 64 bytes) with
 * one thing wrong, or at a limit, and what the ioctl left behind: a
 * request refused by its checks or for want of a driver must leave the
 * buffer and the out fields untouched, one refused later must report the
 * errno in its error field, a valid one must count its requests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "rows.h"
#include "../../crypto/crypto_common.h"

/* An address in user space that nothing is mapped at. */
static void *hole(void)
{
	void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return (void *)8;
	munmap(p, PAGE);
	return p;
}

/* Two pages, the second unmapped; the first's last 32 bytes. */
static void *straddle(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return (void *)8;
	munmap(p + PAGE, PAGE);
	return p + PAGE - 32;
}

/* A read-only page (leaked: a few per run). */
static void *read_only(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? (void *)8 : p;
}

/* The base-request corruptions, in table order. */
static void c_bogus_arg(struct kdio_crypto_req *r, void **a) { (void)r; *a = hole(); }
static void c_null_arg(struct kdio_crypto_req *r, void **a) { (void)r; *a = NULL; }
static void c_abi(struct kdio_crypto_req *r, void **a) { (void)a; r->abi_version++; }
static void c_size(struct kdio_crypto_req *r, void **a) { (void)a; r->struct_size -= 8; }
static void c_alg(struct kdio_crypto_req *r, void **a) { (void)a; r->alg = KDIO_CRYPTO_NR_ALGS; }
static void c_alg_huge(struct kdio_crypto_req *r, void **a) { (void)a; r->alg = ~0U; }
static void c_path(struct kdio_crypto_req *r, void **a) { (void)a; r->path = KDIO_CRYPTO_NR_PATHS; }
static void c_op(struct kdio_crypto_req *r, void **a) { (void)a; r->op = 2; }
static void c_flags(struct kdio_crypto_req *r, void **a) { (void)a; r->flags = ~KDIO_CRYPTO_F_ALL; }
static void c_driver_unknown(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	snprintf(r->driver, sizeof(r->driver), "kdio_no_such_driver");
}
static void c_driver_unterminated(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	memset(r->driver, 'a', sizeof(r->driver));
}
static void c_driver_other_type(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	r->alg = KDIO_CRYPTO_GCM_AES;	/* and the CBC driver */
}
static void c_driver_other_alg(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	snprintf(r->driver, sizeof(r->driver), "ecb-cipher_null");
}
static void c_key_0(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 0; }
static void c_key_15(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 15; }
static void c_key_20(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 20; }
static void c_key_33(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 33; }
static void c_key_24(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 24; }
static void c_key_32(struct kdio_crypto_req *r, void **a) { (void)a; r->key_len = 32; }
static void c_len_0(struct kdio_crypto_req *r, void **a) { (void)a; r->len = 0; }
static void c_len_15(struct kdio_crypto_req *r, void **a) { (void)a; r->len = 15; }
static void c_len_1000(struct kdio_crypto_req *r, void **a) { (void)a; r->len = 1000; }
static void c_len_above(struct kdio_crypto_req *r, void **a) { (void)a; r->len = KDIO_CRYPTO_MAX_LEN + 16; }
static void c_len_max(struct kdio_crypto_req *r, void **a) { (void)a; r->len = KDIO_CRYPTO_MAX_LEN; }
static void c_gcm(struct kdio_crypto_req *r, uint64_t len)
{
	r->alg = KDIO_CRYPTO_GCM_AES;
	snprintf(r->driver, sizeof(r->driver), "%s", generic_of(KDIO_CRYPTO_GCM_AES));
	r->len = len;
}
static void c_gcm_len_0(struct kdio_crypto_req *r, void **a) { (void)a; c_gcm(r, 0); }
static void c_gcm_len_15(struct kdio_crypto_req *r, void **a) { (void)a; c_gcm(r, 15); }
static void c_gcm_len_above(struct kdio_crypto_req *r, void **a) { (void)a; c_gcm(r, KDIO_CRYPTO_MAX_LEN + 1); }
static void c_data_null(struct kdio_crypto_req *r, void **a) { (void)a; r->data = 0; }
static void c_data_hole(struct kdio_crypto_req *r, void **a) { (void)a; r->data = (uintptr_t)hole(); }
static void c_data_kernel(struct kdio_crypto_req *r, void **a) { (void)a; r->data = 0xffff888000000000ULL; }
static void c_data_straddle(struct kdio_crypto_req *r, void **a) { (void)a; r->data = (uintptr_t)straddle(); }
static void c_data_read_only(struct kdio_crypto_req *r, void **a) { (void)a; r->data = (uintptr_t)read_only(); }
static void c_regions_beyond(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	r->data = (uintptr_t)straddle() - (PAGE - 32);	/* one page, then a hole */
	r->len = 1024;
	r->queue_depth = 8;
	r->count = 8;
}
static void c_bounce(struct kdio_crypto_req *r) { r->path = KDIO_CRYPTO_BOUNCE; }
static void c_data_null_b(struct kdio_crypto_req *r, void **a) { c_data_null(r, a); c_bounce(r); }
static void c_data_hole_b(struct kdio_crypto_req *r, void **a) { c_data_hole(r, a); c_bounce(r); }
static void c_data_straddle_b(struct kdio_crypto_req *r, void **a) { c_data_straddle(r, a); c_bounce(r); }
static void c_data_read_only_b(struct kdio_crypto_req *r, void **a) { c_data_read_only(r, a); c_bounce(r); }
static void c_regions_beyond_b(struct kdio_crypto_req *r, void **a) { c_regions_beyond(r, a); c_bounce(r); }
static void c_qd_0(struct kdio_crypto_req *r, void **a) { (void)a; r->queue_depth = 0; }
static void c_qd_65(struct kdio_crypto_req *r, void **a) { (void)a; r->queue_depth = KDIO_CRYPTO_MAX_QD + 1; }
static void c_qd_64(struct kdio_crypto_req *r, void **a)
{
	(void)a;
	r->queue_depth = KDIO_CRYPTO_MAX_QD;
	r->count = 3 * KDIO_CRYPTO_MAX_QD;
}
static void c_count_0(struct kdio_crypto_req *r, void **a) { (void)a; r->count = 0; }
static void c_decrypt(struct kdio_crypto_req *r, void **a) { (void)a; r->op = KDIO_CRYPTO_DECRYPT; }
static void c_any_driver(struct kdio_crypto_req *r, void **a) { (void)a; r->driver[0] = '\0'; }

/* The marks an untouched request keeps in its out fields. */
static void mark_out(struct kdio_crypto_req *req)
{
	snprintf(req->driver_used, sizeof(req->driver_used), "untouched");
	req->bytes = req->elapsed_ns = req->requests = ~0ULL;
	req->error = 1;
}

/*
 * What the ioctl left behind, against what c promises; detail if wrong.
 * sent: the request as it was sent, whose in fields must come back as they were.
 */
static void check_after(const struct check *c, const struct kdio_crypto_req *req,
			const struct kdio_crypto_req *sent, int got, struct badinput_outcome *out)
{
	if (memcmp(req, sent, offsetof(struct kdio_crypto_req, driver_used))) {
		badinput_say(out, BADINPUT_FAIL, "the ioctl changed in fields");
	} else if (got && c->early) {
		if (strcmp(req->driver_used, "untouched") || req->requests != ~0ULL ||
		    req->error != 1)
			badinput_say(out, BADINPUT_FAIL, "a refused request had its out fields written");
		else if (!crypto_test_data_intact(crypto_buf, BUF_LEN))
			badinput_say(out, BADINPUT_FAIL, "a refused request changed the data");
	} else if (got && got == c->bi.expect && req->error != -got) {
		badinput_say(out, BADINPUT_FAIL, "error field %d, not -%s", req->error,
			     errno_name(got));
	} else if (!got && (req->requests != req->count || req->bytes != req->count * req->len ||
			    !req->driver_used[0] || req->error)) {
		badinput_say(out, BADINPUT_FAIL, "%llu requests, %llu bytes, driver \"%s\", error %d after a valid run of %llu",
			     (unsigned long long)req->requests, (unsigned long long)req->bytes,
			     req->driver_used, req->error, (unsigned long long)req->count);
	}
}

/* Run base check c: the base request, corrupted. */
int run_base(const struct check *c, struct badinput_outcome *out)
{
	struct kdio_crypto_req req, sent;
	void *arg = &req;
	int got;

	crypto_test_data(crypto_buf, BUF_LEN);
	base_req(&req, KDIO_CRYPTO_CBC_AES, generic_of(KDIO_CRYPTO_CBC_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, crypto_buf);
	c->corrupt(&req, &arg);
	mark_out(&req);
	sent = req;
	got = do_run(arg);
	if (arg == &req)
		check_after(c, &req, &sent, got, out);
	return got;
}

#define EARLY(n, fn, e)	{ .bi = { n, e }, .corrupt = fn, .early = true }
#define LATE(n, fn, e)	{ .bi = { n, e }, .corrupt = fn }
#define GCM(n, fn, e)	{ .bi = { n, e }, .corrupt = fn, .gcm = true }

static const struct check request_checks[] = {
	EARLY("arg-bogus-pointer", c_bogus_arg, EFAULT),
	EARLY("arg-null-pointer", c_null_arg, EFAULT),
	EARLY("wrong-abi", c_abi, EPROTO),
	EARLY("wrong-struct-size", c_size, EPROTO),
	EARLY("alg-unknown", c_alg, EINVAL),
	EARLY("alg-huge", c_alg_huge, EINVAL),
	EARLY("path-unknown", c_path, EINVAL),
	EARLY("op-unknown", c_op, EINVAL),
	EARLY("flags-unknown", c_flags, EINVAL),
	EARLY("driver-unknown", c_driver_unknown, ENOENT),
	EARLY("driver-unterminated", c_driver_unterminated, ENAMETOOLONG),
	EARLY("driver-of-another-type", c_driver_other_type, EINVAL),
	LATE("driver-of-another-alg", c_driver_other_alg, EINVAL),
	LATE("driver-empty-valid", c_any_driver, 0),
	EARLY("key-len-0", c_key_0, EINVAL),
	EARLY("key-len-15", c_key_15, EINVAL),
	EARLY("key-len-20", c_key_20, EINVAL),
	EARLY("key-len-33", c_key_33, EINVAL),
	LATE("key-len-24-valid", c_key_24, 0),
	LATE("key-len-32-valid", c_key_32, 0),
	EARLY("len-0", c_len_0, EINVAL),
	EARLY("len-15", c_len_15, EINVAL),
	EARLY("len-1000-unaligned", c_len_1000, EINVAL),
	EARLY("len-above-max", c_len_above, EINVAL),
	LATE("len-max-valid", c_len_max, 0),
	EARLY("gcm-len-0", c_gcm_len_0, EINVAL),
	EARLY("gcm-len-above-max", c_gcm_len_above, EINVAL),
	GCM("gcm-len-15-valid", c_gcm_len_15, 0),
	LATE("data-null-zerocopy", c_data_null, EFAULT),
	LATE("data-null-bounce", c_data_null_b, EFAULT),
	LATE("data-unmapped-zerocopy", c_data_hole, EFAULT),
	LATE("data-unmapped-bounce", c_data_hole_b, EFAULT),
	EARLY("data-kernel-address", c_data_kernel, EFAULT),
	LATE("data-half-unmapped-zerocopy", c_data_straddle, EFAULT),
	LATE("data-half-unmapped-bounce", c_data_straddle_b, EFAULT),
	LATE("data-read-only-zerocopy", c_data_read_only, EFAULT),
	LATE("data-read-only-bounce", c_data_read_only_b, EFAULT),
	LATE("regions-beyond-buffer-zerocopy", c_regions_beyond, EFAULT),
	LATE("regions-beyond-buffer-bounce", c_regions_beyond_b, EFAULT),
	EARLY("qd-0", c_qd_0, EINVAL),
	EARLY("qd-65", c_qd_65, EINVAL),
	LATE("qd-64-valid", c_qd_64, 0),
	EARLY("count-0", c_count_0, EINVAL),
	LATE("decrypt-valid", c_decrypt, 0),
};

const struct badinput_rows request_rows = BADINPUT_ROWS(request_checks);
