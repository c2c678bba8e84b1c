// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: feed the kdio_xfer channels a table of broken
 * requests and misuses and check that each gets exactly the errno
 * kdio/xfer.h promises, with valid uses beside them that must succeed
 * and deliver whole messages, so that the checker is seen to tell success
 * from failure. One KTAP result per check, like kdio-badinput; exit 0 only
 * if all are ok. Needs root and kdio_xfer.ko loaded; no other kdio_xfer
 * consumer may run meanwhile (sessions are one per channel).
 *
 * The last check asks the kernel to unload kdio_xfer while this tool
 * holds /dev/kdio_xfer open, which must be refused (EAGAIN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "xfer-badinput/rows.h"
#include "../xfer/msg.h"

const char *xfer_device = KDIO_XFER_DEVICE;

/* The table: the rows of each group, in this order (rows.h). */
static const struct badinput_rows *const groups[] = {
	&request_rows, &session_rows, &device_rows, &proc_sysfs_rows,
	&netlink_rows, &relay_rows, &module_rows,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kdio-xfer-badinput [-D DEVICE] [-W CHECK]\n"
		"  -D DEVICE  default " KDIO_XFER_DEVICE "\n"
		"  -W CHECK   test only: expect a wrong errno for CHECK, to prove\n"
		"             a wrong outcome fails the check\n");
}

void base_req(struct kdio_xfer_req *req, __u32 channel, uint64_t msg_size,
	      uint64_t count, uint64_t ring)
{
	*req = (struct kdio_xfer_req){
		.abi_version	= KDIO_XFER_ABI_VERSION,
		.struct_size	= sizeof(*req),
		.channel	= channel,
		.msg_size	= msg_size,
		.count		= count,
		.seed		= 3,
		.ring_bytes	= ring,
	};
}

/* An address no process has mapped, hidden from the compiler's checks. */
void *bogus_ptr(void)
{
	static volatile uintptr_t addr = 8;

	return (void *)addr;
}

/* The device with a session as asked; fd, or -errno. */
int session(__u32 channel, uint64_t msg_size, uint64_t count, uint64_t ring,
	    struct kdio_xfer_req *out)
{
	struct kdio_xfer_req req;
	int fd = open(xfer_device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	base_req(&req, channel, msg_size, count, ring);
	if (!ioctl(fd, KDIO_IOC_XFER_SETUP, &req)) {
		if (out)
			*out = req;
		return fd;
	}
	err = errno;
	close(fd);
	return -err;
}

/* A message must be whole and number seq; else o says so. */
void expect_msg(const void *msg, uint64_t size, uint64_t seq, struct badinput_outcome *o)
{
	const struct kdio_xfer_msg *hdr = msg;

	if (o->detail[0])
		return;
	if (!xfer_msg_ok(msg, size))
		badinput_say(o, BADINPUT_FAIL, "message %" PRIu64 " fails its check", seq);
	else if (hdr->seq != seq)
		badinput_say(o, BADINPUT_FAIL, "message seq %" PRIu64 " where %" PRIu64 " was due",
			     (uint64_t)hdr->seq, seq);
}

/* The errno of an mmap() of fd, unmapped at once if it works. */
int map_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	void *map = mmap(NULL, len, prot, flags, fd, off);

	if (map == MAP_FAILED)
		return errno;
	munmap(map, len);
	return 0;
}

/* Run call check c on a fresh session of its channel; the errno seen. */
static int run_call(const struct check *c)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err;

	if (fd < 0)
		return -fd;
	err = c->call(fd);
	close(fd);
	return err;
}

/* Open a proc or sysfs file of the module; fd or -errno. */
int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int run_check(const struct badinput_check *b, void *ctx, struct badinput_outcome *o)
{
	const struct check *c = BADINPUT_ENTRY(b, struct check);

	(void)ctx;
	if (c->run)
		return c->run(c, o);
	return c->call ? run_call(c) : run_setup(c);
}

static const struct badinput_tool tool = {
	.name = "kdio-xfer-badinput", .detail_kind = BADINPUT_FAIL, .run = run_check,
};

int main(int argc, char **argv)
{
	int ret;

	ret = badinput_device_opts(argc, argv, &xfer_device, usage);
	if (ret >= 0)
		return ret;
	if (access(xfer_device, F_OK)) {
		int err = errno;
		char msg[MSG_MAX];

		snprintf(msg, sizeof(msg), "%s: %s; load kdio_xfer.ko and run as root",
			 xfer_device, strerror(err));
		badinput_emit_failure(&tool, "open-device", err, msg);
		return EXIT_ERROR;
	}
	return badinput_run_groups(&tool, groups, sizeof(groups) / sizeof(groups[0]),
				   sizeof(struct check), NULL);
}
