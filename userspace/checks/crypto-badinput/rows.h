/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdio-crypto-badinput's parts (kdio-crypto-badinput.c says what it
 * checks): the options, the request and the calls every row uses and the
 * run of the table in kdio-crypto-badinput.c, and its rows in two groups,
 * each file ending in the struct badinput_rows of its rows: requests.c
 * (the base request with one thing wrong, and what the ioctl left
 * behind), runs.c (round trips through every driver and path, a bad ICV,
 * a fatal signal, the module's own misuses).
 */
#ifndef KDIO_CRYPTO_BADINPUT_ROWS_H
#define KDIO_CRYPTO_BADINPUT_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "../badinput.h"
#include "kdio/crypto.h"

#define PAGE		4096ULL
#define BUF_LEN		(2ULL << 20)

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

/* The groups, in table order. */
extern const struct badinput_rows request_rows, run_rows;

/* The device (-D) and the usual data, BUF_LEN (kdio-crypto-badinput.c). */
extern const char *crypto_device;
extern uint8_t *crypto_buf;

/* The request and the calls every group uses (kdio-crypto-badinput.c). */
const char *generic_of(__u32 alg);
void base_req(struct kdio_crypto_req *req, __u32 alg, const char *driver,
	      __u32 path, __u32 qd, uint64_t len, uint64_t count, void *data);
int do_ioctl(unsigned long cmd, void *arg);
int do_run(void *arg);

/* Run a row with corrupt (requests.c); the errno seen. */
int run_base(const struct check *c, struct badinput_outcome *out);

#endif /* KDIO_CRYPTO_BADINPUT_ROWS_H */
