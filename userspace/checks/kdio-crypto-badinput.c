// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-crypto-badinput: feed KDIO_IOC_CRYPTO_RUN a table of broken
 * requests and check that each gets exactly the errno kdio/crypto.h
 * promises, with valid runs beside them, round trips through every
 * driver and path included, so that the checker is seen to tell success
 * from failure. One KTAP result per check, like kdio-badinput; exit 0
 * only if every check that ran is ok.
 *
 * A check that needs a driver the kernel does not have (virtio-crypto
 * without the device, AES-NI without the CPU flag, generic GCM without
 * its modules) is reported as "ok N NAME # SKIP reason", and does not
 * fail the run.
 *
 * Besides the errno, every check looks at what the ioctl left behind: a
 * request refused by its checks or for want of a driver must leave the
 * buffer and the out fields untouched; one refused later must report
 * the errno in its error field; a valid one must count its requests.
 * Needs root and kdio_crypto.ko loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "badinput.h"
#include "common.h"
#include "../crypto/crypto_common.h"
#include "jsonl.h"
#include "kdio/crypto.h"

#define PAGE		4096ULL
#define BUF_LEN		(2ULL << 20)
#define KILL_AFTER_MS	300
#define DIE_WITHIN_MS	10000

static const char *device = KDIO_CRYPTO_DEVICE;
static uint8_t *buf;			/* BUF_LEN, the usual data */
static bool gcm_missing;		/* the generic GCM driver is not there */

struct check {
	struct badinput_check bi;
	/* Break the valid base request (CBC, generic, 64 bytes) ... */
	void (*corrupt)(struct kdio_crypto_req *req, void **arg);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(const struct check *c, struct badinput_outcome *out);
	bool early;			/* refused before any driver runs */
	bool gcm;			/* needs the generic GCM driver */
	int variant;
	__u32 alg, path, qd;		/* round trips */
	const char *driver;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kdio-crypto-badinput [-D DEVICE] [-W CHECK]\n"
		"  -D DEVICE  default " KDIO_CRYPTO_DEVICE "\n"
		"  -W CHECK   test only: expect a wrong errno for CHECK, to prove\n"
		"             a wrong outcome fails the check\n");
}

static const char *generic_of(__u32 alg)
{
	return crypto_alg_find(alg == KDIO_CRYPTO_GCM_AES ? "gcm" : "cbc")->generic;
}

static void base_req(struct kdio_crypto_req *req, __u32 alg, const char *driver,
		     __u32 path, __u32 qd, uint64_t len, uint64_t count, void *data)
{
	*req = (struct kdio_crypto_req){
		.abi_version	= KDIO_CRYPTO_ABI_VERSION,
		.struct_size	= sizeof(*req),
		.alg		= alg,
		.path		= path,
		.queue_depth	= qd,
		.key_len	= 16,
		.data		= (uintptr_t)data,
		.len		= len,
		.count		= count,
	};
	snprintf(req->driver, sizeof(req->driver), "%s", driver);
	crypto_test_key(req->key, sizeof(req->key));
	crypto_test_iv(req->iv);
}

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

/* ioctl cmd with arg on a fresh file; the errno. */
static int do_ioctl(unsigned long cmd, void *arg)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return errno;
	err = badinput_errno(ioctl(fd, cmd, arg));
	close(fd);
	return err;
}

/* KDIO_IOC_CRYPTO_RUN with arg (a request, or not) on a fresh file; the errno. */
static int do_run(void *arg)
{
	return do_ioctl(KDIO_IOC_CRYPTO_RUN, arg);
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
static void c_flags(struct kdio_crypto_req *r, void **a) { (void)a; r->flags = 1; }
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
		else if (!crypto_test_data_intact(buf, BUF_LEN))
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
static int run_base(const struct check *c, struct badinput_outcome *out)
{
	struct kdio_crypto_req req, sent;
	void *arg = &req;
	int got;

	crypto_test_data(buf, BUF_LEN);
	base_req(&req, KDIO_CRYPTO_CBC_AES, generic_of(KDIO_CRYPTO_CBC_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, buf);
	c->corrupt(&req, &arg);
	mark_out(&req);
	sent = req;
	got = do_run(arg);
	if (arg == &req)
		check_after(c, &req, &sent, got, out);
	return got;
}

static int r_unknown_ioctl(const struct check *c, struct badinput_outcome *out)
{
	struct kdio_crypto_req req;

	(void)c; (void)out;
	return do_ioctl(_IOWR(KDIO_IOC_MAGIC, 0x3f, struct kdio_crypto_req), &req);
}

/*
 * GCM decryption that must fail its ICV check: a flipped ICV bit
 * (variant 0), or a region decrypted twice (variant 1).
 */
static int r_gcm_bad_icv(const struct check *c, struct badinput_outcome *out)
{
	struct kdio_crypto_req req;
	int got;

	crypto_test_data(buf, BUF_LEN);
	base_req(&req, KDIO_CRYPTO_GCM_AES, generic_of(KDIO_CRYPTO_GCM_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, buf);
	got = do_run(&req);
	if (got) {
		badinput_say(out, BADINPUT_FAIL, "the encryption failed: %s", strerror(got));
		return got;
	}
	if (c->variant == 0)
		buf[64 + 3] ^= 0x10;
	req.op = KDIO_CRYPTO_DECRYPT;
	req.count = c->variant == 0 ? 1 : 2;
	got = do_run(&req);
	if (got == EBADMSG && req.requests != (c->variant == 0 ? 0 : 1))
		badinput_say(out, BADINPUT_FAIL, "%llu requests before the bad ICV",
			     (unsigned long long)req.requests);
	return got;
}

/* One run of a round trip; the errno, with out->detail if it failed. */
static int trip_run(const struct check *c, __u32 op, const char *driver, __u32 path,
		    uint8_t *data, uint64_t count, uint64_t len, struct badinput_outcome *out)
{
	struct kdio_crypto_req req;
	int got;

	base_req(&req, c->alg, driver, path, c->qd, len, count, data);
	req.op = op;
	req.key_len = 32;
	got = do_run(&req);
	if (got == ENOENT && !strcmp(driver, c->driver))
		badinput_say(out, BADINPUT_SKIP, "%s", crypto_driver_hint(driver));
	else if (got)
		badinput_say(out, BADINPUT_FAIL, "%s with %s: %s",
			     op ? "decryption" : "encryption", driver, strerror(got));
	else if (req.requests != count)
		badinput_say(out, BADINPUT_FAIL, "%s with %s: %llu requests of %llu",
			     op ? "decryption" : "encryption", driver,
			     (unsigned long long)req.requests, (unsigned long long)count);
	return got;
}

/* The first byte where got and want differ, as detail; whether none. */
static bool same(const uint8_t *got, const uint8_t *want, uint64_t len, const char *what,
		 struct badinput_outcome *out)
{
	for (uint64_t i = 0; i < len; i++)
		if (got[i] != want[i]) {
			badinput_say(out, BADINPUT_FAIL, "%s differs at byte %" PRIu64, what, i);
			return false;
		}
	return true;
}

/*
 * A round trip through c->driver on c->path at c->qd with a 256-bit key:
 * encrypting (CBC: each region twice, GCM once) must give what the
 * generic driver gives on the zero-copy path at the same depth, and
 * decrypting must give the pattern back. CBC takes 1424 bytes (the
 * 1420-byte payload padded), GCM 1420: regions straddle pages.
 */
static int r_round_trip(const struct check *c, struct badinput_outcome *out)
{
	bool gcm = c->alg == KDIO_CRYPTO_GCM_AES;
	uint64_t len = gcm ? 1420 : 1424, count = gcm ? c->qd : 2 * c->qd;
	uint64_t bytes = c->qd * (len + (gcm ? KDIO_CRYPTO_GCM_TAG : 0));
	uint8_t *want = crypto_alloc_buf(bytes);
	int got;

	if (!want)
		return ENOMEM;
	crypto_test_data(buf, bytes);
	got = trip_run(c, KDIO_CRYPTO_ENCRYPT, c->driver, c->path, buf, count, len, out);
	if (!got) {
		crypto_test_data(want, bytes);
		got = trip_run(c, KDIO_CRYPTO_ENCRYPT, generic_of(c->alg),
			       KDIO_CRYPTO_ZERO_COPY, want, count, len, out);
	}
	if (!got && same(buf, want, bytes, "the ciphertext, from the generic driver's,", out))
		got = trip_run(c, KDIO_CRYPTO_DECRYPT, c->driver, c->path, buf, count, len, out);
	crypto_test_data(want, bytes);
	for (uint64_t i = 0; !got && !out->detail[0] && i < c->qd; i++) {
		uint64_t at = i * (bytes / c->qd);	/* GCM: the ICV stays */

		if (memcmp(buf + at, want + at, len))
			badinput_say(out, BADINPUT_FAIL,
				     "decryption did not give region %" PRIu64 "'s plaintext back", i);
	}
	free(want);
	return got;
}

/* The first driver of list the kernel has, by a one-request run; or NULL. */
static const char *first_available(const char *const *list)
{
	struct kdio_crypto_req req;

	for (; *list; list++) {
		base_req(&req, KDIO_CRYPTO_CBC_AES, *list, KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, buf);
		if (do_run(&req) != ENOENT)
			return *list;
	}
	return NULL;
}

/* Whether pid ended within ms; its status in *status. */
static bool reaped_within(pid_t pid, int ms, int *status)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (; ms > 0; ms -= 10) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/*
 * SIGKILL a child in the middle of a long run at depth 8 on the
 * asynchronous device if there is one: it must die promptly (the module
 * waits for what is in flight, then returns), and the device must work
 * afterwards.
 */
static int r_fatal_signal(const struct check *c, struct badinput_outcome *out)
{
	static const char *const drivers[] = {
		"virtio_crypto_aes_cbc", "cbc-aes-aesni", "cbc(aes-generic)", NULL
	};
	const char *drv = first_available(drivers);
	struct kdio_crypto_req req;
	int status, got;
	pid_t pid;

	(void)c;
	if (!drv)
		return ENOENT;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		base_req(&req, KDIO_CRYPTO_CBC_AES, drv, KDIO_CRYPTO_ZERO_COPY, 8, 65536,
			 ~0ULL >> 1, buf);
		_exit(do_run(&req));
	}
	usleep(KILL_AFTER_MS * 1000);
	kill(pid, SIGKILL);
	if (!reaped_within(pid, DIE_WITHIN_MS, &status)) {
		badinput_say(out, BADINPUT_FAIL, "the child running %s was not gone %d ms after SIGKILL",
			     drv, DIE_WITHIN_MS);
		return 0;
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		badinput_say(out, BADINPUT_FAIL, "the child running %s ended with status %#x before SIGKILL",
			     drv, status);
	base_req(&req, KDIO_CRYPTO_CBC_AES, drv, KDIO_CRYPTO_ZERO_COPY, 8, 4096, 64, buf);
	got = do_run(&req);
	if (got && !out->detail[0])
		badinput_say(out, BADINPUT_FAIL, "a run on %s after the kill failed: %s",
			     drv, strerror(got));
	return 0;
}

static int r_unprivileged(const struct check *c, struct badinput_outcome *out)
{
	(void)c;
	return badinput_unprivileged_open(device, out);
}

/* delete_module() while the device is open: refused, the module stays. */
static int r_unload_in_use(const struct check *c, struct badinput_outcome *out)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err;

	(void)c;
	if (fd < 0)
		return errno;
	err = badinput_unload_in_use("kdio_crypto", out);
	close(fd);
	return err;
}

#define EARLY(n, fn, e)	{ .bi = { n, e }, .corrupt = fn, .early = true }
#define LATE(n, fn, e)	{ .bi = { n, e }, .corrupt = fn }
#define GCM(n, fn, e)	{ .bi = { n, e }, .corrupt = fn, .gcm = true }
#define RUN(n, fn, e, v) { .bi = { n, e }, .run = fn, .variant = v }
#define TRIP(n, a, d, p, q) { .bi = { "round-trip-" n, 0 }, .run = r_round_trip, .alg = a, \
			      .driver = d, .path = p, .qd = q, \
			      .gcm = (a) == KDIO_CRYPTO_GCM_AES }
/* The four round trips of driver d for alg a: each path at depth 1 and 8. */
#define TRIPS(n, a, d) \
	TRIP(n "-zerocopy-qd1", a, d, KDIO_CRYPTO_ZERO_COPY, 1), \
	TRIP(n "-zerocopy-qd8", a, d, KDIO_CRYPTO_ZERO_COPY, 8), \
	TRIP(n "-bounce-qd1", a, d, KDIO_CRYPTO_BOUNCE, 1), \
	TRIP(n "-bounce-qd8", a, d, KDIO_CRYPTO_BOUNCE, 8)

static const struct check checks[] = {
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
	RUN("unknown-ioctl", r_unknown_ioctl, ENOTTY, 0),
	{ .bi = { "gcm-decrypt-bad-icv", EBADMSG }, .run = r_gcm_bad_icv, .gcm = true },
	{ .bi = { "gcm-decrypt-twice", EBADMSG }, .run = r_gcm_bad_icv, .gcm = true,
	  .variant = 1 },
	TRIPS("cbc-virtio", KDIO_CRYPTO_CBC_AES, "virtio_crypto_aes_cbc"),
	TRIPS("cbc-aesni", KDIO_CRYPTO_CBC_AES, "cbc-aes-aesni"),
	TRIPS("cbc-generic", KDIO_CRYPTO_CBC_AES, "cbc(aes-generic)"),
	TRIPS("gcm-aesni", KDIO_CRYPTO_GCM_AES, "rfc4106-gcm-aesni"),
	TRIPS("gcm-generic", KDIO_CRYPTO_GCM_AES,
	      "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))"),
	RUN("fatal-signal-during-qd8-run", r_fatal_signal, 0, 0),
	RUN("unprivileged-open", r_unprivileged, EACCES, 0),
	RUN("unload-while-open", r_unload_in_use, EAGAIN, 0),
};

/* Whether the generic GCM driver is there (its modules loaded). */
static bool have_generic_gcm(void)
{
	struct kdio_crypto_req req;

	base_req(&req, KDIO_CRYPTO_GCM_AES, generic_of(KDIO_CRYPTO_GCM_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 16, 1, buf);
	return do_run(&req) != ENOENT;
}

/* Run check b, or skip it for want of the generic GCM driver. */
static int run_check(const struct badinput_check *b, void *ctx, struct badinput_outcome *o)
{
	const struct check *c = BADINPUT_ENTRY(b, struct check);

	(void)ctx;
	if (c->gcm && gcm_missing) {
		badinput_say(o, BADINPUT_SKIP, "%s", crypto_driver_hint("gcm"));
		return 0;
	}
	return c->run ? c->run(c, o) : run_base(c, o);
}

static const struct badinput_tool tool = {
	.name = "kdio-crypto-badinput", .detail_kind = BADINPUT_FAIL,
	.run = run_check,
};

int main(int argc, char **argv)
{
	int ret;

	ret = badinput_device_opts(argc, argv, &device, usage);
	if (ret >= 0)
		return ret;
	buf = crypto_alloc_buf(BUF_LEN);
	if (!buf || access(device, F_OK)) {
		int err = buf ? errno : ENOMEM;
		char msg[MSG_MAX];

		snprintf(msg, sizeof(msg), "%s: %s; load kdio_crypto.ko and run as root",
			 device, buf ? strerror(err) : "no memory");
		badinput_emit_failure(&tool, "open-device", err, msg);
		return EXIT_ERROR;
	}
	gcm_missing = !have_generic_gcm();
	ret = BADINPUT_RUN(&tool, checks, NULL);
	free(buf);
	return ret;
}
