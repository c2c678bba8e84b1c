// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-crypto-badinput: whole runs. Round trips through every driver and
 * path, whose ciphertext must be the generic driver's and whose
 * decryption must give the data back; GCM decryptions that must fail
 * their ICV check; a SIGKILL in the middle of a long run; and the
 * module's own misuses (an unknown ioctl, an unprivileged open, an
 * unload while the device is open).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rows.h"
#include "../../crypto/crypto_common.h"

#define KILL_AFTER_MS	300
#define DIE_WITHIN_MS	10000

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

	crypto_test_data(crypto_buf, BUF_LEN);
	base_req(&req, KDIO_CRYPTO_GCM_AES, generic_of(KDIO_CRYPTO_GCM_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, crypto_buf);
	got = do_run(&req);
	if (got) {
		badinput_say(out, BADINPUT_FAIL, "the encryption failed: %s", strerror(got));
		return got;
	}
	if (c->variant == 0)
		crypto_buf[64 + 3] ^= 0x10;
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
	crypto_test_data(crypto_buf, bytes);
	got = trip_run(c, KDIO_CRYPTO_ENCRYPT, c->driver, c->path, crypto_buf, count, len, out);
	if (!got) {
		crypto_test_data(want, bytes);
		got = trip_run(c, KDIO_CRYPTO_ENCRYPT, generic_of(c->alg),
			       KDIO_CRYPTO_ZERO_COPY, want, count, len, out);
	}
	if (!got && same(crypto_buf, want, bytes, "the ciphertext, from the generic driver's,", out))
		got = trip_run(c, KDIO_CRYPTO_DECRYPT, c->driver, c->path, crypto_buf, count, len, out);
	crypto_test_data(want, bytes);
	for (uint64_t i = 0; !got && !out->detail[0] && i < c->qd; i++) {
		uint64_t at = i * (bytes / c->qd);	/* GCM: the ICV stays */

		if (memcmp(crypto_buf + at, want + at, len))
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
		base_req(&req, KDIO_CRYPTO_CBC_AES, *list, KDIO_CRYPTO_ZERO_COPY, 1, 64, 1, crypto_buf);
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
			 ~0ULL >> 1, crypto_buf);
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
	base_req(&req, KDIO_CRYPTO_CBC_AES, drv, KDIO_CRYPTO_ZERO_COPY, 8, 4096, 64, crypto_buf);
	got = do_run(&req);
	if (got && !out->detail[0])
		badinput_say(out, BADINPUT_FAIL, "a run on %s after the kill failed: %s",
			     drv, strerror(got));
	return 0;
}

static int r_unprivileged(const struct check *c, struct badinput_outcome *out)
{
	(void)c;
	return badinput_unprivileged_open(crypto_device, out);
}

/* delete_module() while the device is open: refused, the module stays. */
static int r_unload_in_use(const struct check *c, struct badinput_outcome *out)
{
	int fd = open(crypto_device, O_RDWR | O_CLOEXEC);
	int err;

	(void)c;
	if (fd < 0)
		return errno;
	err = badinput_unload_in_use("kdio_crypto", out);
	close(fd);
	return err;
}

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

static const struct check run_checks[] = {
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

const struct badinput_rows run_rows = BADINPUT_ROWS(run_checks);
