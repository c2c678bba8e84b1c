/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdio-xfer-badinput's parts (kdio-xfer-badinput.c says what it checks):
 * the options, the helpers every row uses and the run of the table in
 * kdio-xfer-badinput.c, and its rows, one file per group, each ending in
 * the struct badinput_rows of its rows: requests.c (broken setup
 * requests), sessions.c (the rules of a session, whatever its channel,
 * and the module's own), device.c (the channels of /dev/kdio_xfer: read,
 * write, ioctl, mmap), proc_sysfs.c (the proc and sysfs channels),
 * netlink.c, relay.c. The table is their rows in the order of
 * kdio-xfer-badinput.c's groups.
 */
#ifndef KDIO_XFER_BADINPUT_ROWS_H
#define KDIO_XFER_BADINPUT_ROWS_H

#include <stdint.h>
#include <sys/types.h>

#include "../badinput.h"
#include "kdio/xfer.h"

#define SMALL		64ULL		/* the usual message */
#define FEW		4ULL		/* the usual count */
#define PAGE		4096ULL

struct check {
	struct badinput_check bi;
	/*
	 * Ask for a session of channel, msg_size, count and ring, the
	 * request broken by corrupt if it is set ...
	 */
	void (*corrupt)(struct kdio_xfer_req *req, void **arg);
	uint64_t msg_size, count, ring;
	/* ... or make one call on a fresh session of channel ... */
	int (*call)(int fd);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(const struct check *c, struct badinput_outcome *o);
	__u32 channel;			/* the channel it uses */
	int variant;			/* for run: which of its cases */
};

#define CALL(n, fn, e, ch) { .bi = { n, e }, .call = fn, .channel = ch }
#define RUN(n, fn, e, ch) { .bi = { n, e }, .run = fn, .channel = ch }
#define CASE(n, fn, e, v) { .bi = { n, e }, .run = fn, .variant = v }

/* The groups, in table order; the module's rows last (unload-while-open). */
extern const struct badinput_rows request_rows, session_rows, device_rows, proc_sysfs_rows,
	netlink_rows, relay_rows, module_rows;

/* The device (-D), and the helpers every group uses (kdio-xfer-badinput.c). */
extern const char *xfer_device;
void base_req(struct kdio_xfer_req *req, __u32 channel, uint64_t msg_size,
	      uint64_t count, uint64_t ring);
void *bogus_ptr(void);
int session(__u32 channel, uint64_t msg_size, uint64_t count, uint64_t ring,
	    struct kdio_xfer_req *out);
void expect_msg(const void *msg, uint64_t size, uint64_t seq, struct badinput_outcome *o);
int map_errno(int fd, size_t len, int prot, int flags, off_t off);
int open_ro(const char *path);

/* Run a setup row (requests.c); the errno seen. */
int run_setup(const struct check *c);

#endif /* KDIO_XFER_BADINPUT_ROWS_H */
