/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The consumers of kdio-xfer, one per way user space takes a kdio_xfer
 * channel's messages, each ending in a struct consumer (as the module's
 * channels end in their ops), and what they share with the main file:
 * the run and its helpers.
 *
 * KDIO_XFER_CONSUMERS is the one place a measured channel is named:
 * X(ops, name) gives it its ops (xfer_consumer_<ops>) and the name that
 * -c takes, that the tool prints and that the harness measures as
 * xfer.<name>, in the harness's order. To add one: write its run() in
 * one of the consume_*.c files (or a new one, named in the Makefile),
 * end it with its struct consumer, and add its X() line here.
 */
#ifndef KDIO_XFER_CONSUMERS_H
#define KDIO_XFER_CONSUMERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "kdio/xfer.h"

#define KDIO_XFER_CONSUMERS(X)						\
	X(read,		"read")		/* read() of the device */	\
	X(write,	"write")	/* write() to it: the tool makes them */ \
	X(ioctl,	"ioctl")	/* KDIO_IOC_XFER_FETCH */	\
	X(mmap,		"mmap")		/* the mapped ring, read in place */ \
	X(proc_seq,	"proc-seq")	/* the seq_file proc file */	\
	X(proc_read,	"proc-read")	/* the .proc_read proc file */	\
	X(sysfs,	"sysfs")	/* the binary sysfs attribute */ \
	X(netlink,	"netlink")	/* generic netlink replies */	\
	X(relay_read,	"relay-read")	/* read() of the relay file */	\
	X(relay_mmap,	"relay-mmap")	/* the relay file mapped */

/* A consumer that sees nothing for this long gives up. */
#define WAIT_MS		10000

struct xfer_opts {
	const char *name;		/* of the consumer, as -c gave it */
	const struct consumer *mode;
	const char *device;
	uint64_t msg_size, count, seed, ring_bytes;
};

/* One run: the setup, the consumer's state and what it found. */
struct xrun {
	const struct xfer_opts *o;
	int fd;				/* the device */
	struct kdio_xfer_req req;	/* as the setup returned it */
	void *buf;			/* one message, 8-aligned */
	uint64_t next_seq;		/* the seq expected next */
	uint64_t received, gaps, bad, drops;
	uint64_t first_ts, last_ns;	/* first made, last seen or checked */
	uint64_t *lat;			/* one per good message */
	uint64_t nlat;
	bool marked;			/* the tool opened the profiler's window */
	int nl_sock;			/* netlink */
	uint16_t nl_family;
	char msg[MSG_MAX];
};

struct consumer {
	__u32 channel;			/* enum kdio_xfer_channel */
	bool lossy;			/* drops are a result, not an error */
	bool ring;			/* takes -r */
	bool marked;			/* its figure has a profiler window (the
					 * module's xfer_ops.marked, or -c write) */
	int (*prepare)(struct xrun *r);	/* before the setup; optional */
	int (*run)(struct xrun *r);	/* 0 or -errno with r->msg */
};

#define KDIO_XFER_CONSUMER_OPS(ops, name)	\
	extern const struct consumer xfer_consumer_##ops;
KDIO_XFER_CONSUMERS(KDIO_XFER_CONSUMER_OPS)

/* Set r->msg and return -err. */
#define fail(r, err, ...) msg_fail((r)->msg, sizeof((r)->msg), (err), __VA_ARGS__)


/* Helpers for the consumers, in consume.c. */
void take(struct xrun *r, const void *msg, uint64_t now);
int open_file(struct xrun *r, const char *path);
int get_stats(struct xrun *r, struct kdio_xfer_req *st);

#endif /* KDIO_XFER_CONSUMERS_H */
