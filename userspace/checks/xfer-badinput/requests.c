// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: broken setup requests (KDIO_IOC_XFER_SETUP), the
 * usual request with one thing wrong or a channel's limits, each on a
 * fresh file, with the valid ones at the limits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rows.h"

/* The corruptions of a setup request, in table order. */
static void c_bogus_ptr(struct kdio_xfer_req *r, void **a) { (void)r; *a = bogus_ptr(); }
static void c_null_ptr(struct kdio_xfer_req *r, void **a) { (void)r; *a = NULL; }
static void c_abi(struct kdio_xfer_req *r, void **a) { (void)a; r->abi_version++; }
static void c_struct_size(struct kdio_xfer_req *r, void **a) { (void)a; r->struct_size -= 8; }
static void c_reserved(struct kdio_xfer_req *r, void **a) { (void)a; r->reserved = 1; }

/* Run setup check c on a fresh file; returns the errno seen. */
int run_setup(const struct check *c)
{
	struct kdio_xfer_req req;
	void *arg = &req;
	int fd, err;

	fd = open(xfer_device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	base_req(&req, c->channel, c->msg_size, c->count, c->ring);
	if (c->corrupt)
		c->corrupt(&req, &arg);
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_SETUP, arg));
	close(fd);
	return err;
}

/* A setup request as base_req() makes it: channel, message size, count, ring. */
#define REQ(n, ch, size, cnt, r, e) \
	{ .bi = { n, e }, .channel = ch, .msg_size = size, .count = cnt, .ring = r }
/* The usual request (read, SMALL, FEW), broken by fn. */
#define SETUP(n, fn, e) \
	{ .bi = { n, e }, .corrupt = fn, .channel = KDIO_XFER_READ, .msg_size = SMALL, .count = FEW }

static const struct check request_checks[] = {
	SETUP("setup-bogus-pointer", c_bogus_ptr, EFAULT),
	SETUP("setup-null-pointer", c_null_ptr, EFAULT),
	SETUP("setup-wrong-abi", c_abi, EPROTO),
	SETUP("setup-wrong-struct-size", c_struct_size, EPROTO),
	SETUP("setup-reserved-set", c_reserved, EINVAL),
	REQ("setup-unknown-channel", KDIO_XFER_NR_CHANNELS, SMALL, FEW, 0, EINVAL),
	REQ("setup-channel-huge", ~0U, SMALL, FEW, 0, EINVAL),
	REQ("setup-msg-size-zero", KDIO_XFER_READ, 0, FEW, 0, EINVAL),
	REQ("setup-msg-size-below-header", KDIO_XFER_READ, 24, FEW, 0, EINVAL),
	REQ("setup-msg-size-header-only", KDIO_XFER_READ, 32, FEW, 0, EINVAL),
	REQ("setup-msg-size-unaligned", KDIO_XFER_READ, 100, FEW, 0, EINVAL),
	REQ("setup-msg-size-above-max", KDIO_XFER_READ, KDIO_XFER_MSG_MAX + 8, FEW, 0, EINVAL),
	REQ("setup-msg-size-huge", KDIO_XFER_READ, 1ULL << 62, FEW, 0, EINVAL),
	REQ("setup-msg-size-max-valid", KDIO_XFER_READ, KDIO_XFER_MSG_MAX, FEW, 0, 0),
	REQ("setup-msg-size-min-valid", KDIO_XFER_READ, KDIO_XFER_MSG_MIN, FEW, 0, 0),
	REQ("setup-sysfs-above-cap", KDIO_XFER_SYSFS, KDIO_XFER_SYSFS_MSG_MAX + 8, FEW, 0, EINVAL),
	REQ("setup-sysfs-cap-valid", KDIO_XFER_SYSFS, KDIO_XFER_SYSFS_MSG_MAX, FEW, 0, 0),
	REQ("setup-netlink-above-cap", KDIO_XFER_NETLINK, 65536, FEW, 0, EINVAL),
	REQ("setup-netlink-cap-valid", KDIO_XFER_NETLINK, KDIO_XFER_NETLINK_MSG_MAX, FEW, 0, 0),
	REQ("setup-count-zero", KDIO_XFER_READ, SMALL, 0, 0, EINVAL),
	REQ("setup-ring-bytes-on-read", KDIO_XFER_READ, SMALL, FEW, PAGE, EINVAL),
	REQ("setup-ring-unaligned", KDIO_XFER_MMAP, SMALL, FEW, PAGE + 512, EINVAL),
	REQ("setup-ring-above-max", KDIO_XFER_MMAP, SMALL, FEW, KDIO_XFER_RING_MAX + PAGE, EINVAL),
	REQ("setup-ring-below-msg", KDIO_XFER_MMAP, 2 * PAGE, FEW, PAGE, EINVAL),
	REQ("setup-relay-one-subbuf", KDIO_XFER_RELAY, KDIO_XFER_MSG_MAX, FEW,
	    2 * KDIO_XFER_MSG_MAX, EINVAL),
};

const struct badinput_rows request_rows = BADINPUT_ROWS(request_checks);
