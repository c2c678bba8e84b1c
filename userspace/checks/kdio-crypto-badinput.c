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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common.h"
#include "crypto-badinput/rows.h"
#include "../crypto/crypto_common.h"

const char *crypto_device = KDIO_CRYPTO_DEVICE;
uint8_t *crypto_buf;			/* BUF_LEN, the usual data */
static bool gcm_missing;		/* the generic GCM driver is not there */

/* The table: the rows of each group, in this order (rows.h). */
static const struct badinput_rows *const groups[] = { &request_rows, &run_rows };

static void usage(FILE *out)
{
	fprintf(out, "usage: kdio-crypto-badinput [-D DEVICE] [-W CHECK]\n"
		"  -D DEVICE  default " KDIO_CRYPTO_DEVICE "\n"
		"  -W CHECK   test only: expect a wrong errno for CHECK, to prove\n"
		"             a wrong outcome fails the check\n");
}

const char *generic_of(__u32 alg)
{
	return crypto_alg_find(alg == KDIO_CRYPTO_GCM_AES ? "gcm" : "cbc")->generic;
}

void base_req(struct kdio_crypto_req *req, __u32 alg, const char *driver,
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

/* ioctl cmd with arg on a fresh file; the errno. */
int do_ioctl(unsigned long cmd, void *arg)
{
	int fd = open(crypto_device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return errno;
	err = badinput_errno(ioctl(fd, cmd, arg));
	close(fd);
	return err;
}

/* KDIO_IOC_CRYPTO_RUN with arg (a request, or not) on a fresh file; the errno. */
int do_run(void *arg)
{
	return do_ioctl(KDIO_IOC_CRYPTO_RUN, arg);
}

/* Whether the generic GCM driver is there (its modules loaded). */
static bool have_generic_gcm(void)
{
	struct kdio_crypto_req req;

	base_req(&req, KDIO_CRYPTO_GCM_AES, generic_of(KDIO_CRYPTO_GCM_AES),
		 KDIO_CRYPTO_ZERO_COPY, 1, 16, 1, crypto_buf);
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

	ret = badinput_device_opts(argc, argv, &crypto_device, usage);
	if (ret >= 0)
		return ret;
	crypto_buf = crypto_alloc_buf(BUF_LEN);
	if (!crypto_buf || access(crypto_device, F_OK)) {
		int err = crypto_buf ? errno : ENOMEM;
		char msg[MSG_MAX];

		snprintf(msg, sizeof(msg), "%s: %s; load kdio_crypto.ko and run as root",
			 crypto_device, crypto_buf ? strerror(err) : "no memory");
		badinput_emit_failure(&tool, "open-device", err, msg);
		return EXIT_ERROR;
	}
	gcm_missing = !have_generic_gcm();
	ret = badinput_run_groups(&tool, groups, sizeof(groups) / sizeof(groups[0]),
				  sizeof(struct check), NULL);
	free(crypto_buf);
	return ret;
}
