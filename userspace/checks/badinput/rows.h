/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdio-badinput's parts (kdio-badinput.c says what it checks): the
 * options, the scratch files and the run of the table in kdio-badinput.c,
 * and its rows, one file per interface, each ending in the struct
 * badinput_rows of its rows: dio.c (KDIO_IOC_DIO_RUN on /dev/kdio_dio),
 * kbuf.c (/dev/kdio_kbuf), refusals.c (kdio-dio's refusals, run as a
 * tool). The table is their rows in the order of kdio-badinput.c's groups.
 */
#ifndef KDIO_BADINPUT_ROWS_H
#define KDIO_BADINPUT_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../badinput.h"
#include "common.h"
#include "kdio/dio.h"

#define SMALL_SIZE	8192ULL		/* the small file: 2 base blocks */
#define SMALL_SEED	1ULL
#define VALID_SIZE	(64ULL << 10)	/* the round-trip file */

struct scratch {
	const char *dir;
	char small[KDIO_PATH_MAX];
	char valid[KDIO_PATH_MAX];
	char fifo[KDIO_PATH_MAX];
	char missing[KDIO_PATH_MAX];
	char fill[KDIO_PATH_MAX];
};

struct env {
	int fd;
	const char *device;
	const char *kbuf_device;
	const char *rofile;		/* -R, or NULL */
	const char *nodio;		/* -N, or NULL */
	bool refusals_only;		/* -t */
	char dio_tool[KDIO_PATH_MAX];	/* -T, or the kdio-dio beside this tool */
	struct scratch s;
	/* the scratch directory's block device and its size, else why not */
	char bdev[KDIO_PATH_MAX], bdev_end[24], bdev_why[MSG_MAX];
};

struct probe;		/* dio.c */
struct kbuf_probe;	/* kbuf.c */

struct check {
	struct badinput_check bi;
	/* Break the valid base request (dio probe) ... */
	void (*corrupt)(struct probe *p);
	/* ... or the valid kbuf probe ... */
	void (*kbuf)(struct kbuf_probe *p);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(struct env *e, const struct check *c, struct badinput_outcome *o);
	/* For run_refusal: what kdio-dio must refuse, and how. */
	const struct badinput_refusal *refusal;
	/* For run: the method, queue depth and seed, or kbuf mode. */
	__u32 method, qd, mode;
	uint64_t seed;
};

/*
 * The groups, in table order: the dio requests, the kbuf ones, the dio
 * write that fills the scratch file system, kdio-dio's refusals (the
 * last: -t runs them alone).
 */
extern const struct badinput_rows dio_rows, kbuf_rows, dio_fill_rows, refusal_rows;

/* ioctl with a time limit; returns its errno, 0 on success (kdio-badinput.c). */
int timed_ioctl(int fd, unsigned long cmd, void *arg);

/* Run a row with corrupt (dio.c), with kbuf (kbuf.c); the errno seen. */
int run_probe(const struct check *c, struct env *e);
int run_kbuf_probe(const struct check *c, struct env *e);

/* What the refusal rows need found in e (refusals.c): the kdio-dio to run, the block device. */
void find_dio_tool(struct env *e);
void find_scratch_bdev(struct env *e);

#endif /* KDIO_BADINPUT_ROWS_H */
