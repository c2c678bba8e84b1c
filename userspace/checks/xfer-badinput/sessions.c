// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: the rules of a session, whatever its channel: one
 * per file and one consumer per channel, none before setup, no other
 * channel's calls; and the module's own: no unprivileged open, no unload
 * while a file is open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rows.h"

/* The calls on a session, in table order. */
static int s_unknown_ioctl(int fd)
{
	return badinput_errno(ioctl(fd, _IOW(KDIO_IOC_MAGIC, 0x2f, struct kdio_xfer_req), NULL));
}

static int s_setup_again(int fd)
{
	struct kdio_xfer_req req;

	base_req(&req, KDIO_XFER_WRITE, SMALL, FEW, 0);	/* even another channel */
	return badinput_errno(ioctl(fd, KDIO_IOC_XFER_SETUP, &req));
}

static int r_two_consumers(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int fd2;

	(void)o;
	if (fd < 0)
		return -fd;
	fd2 = session(c->channel, SMALL, FEW, 0, NULL);
	close(fd);
	if (fd2 >= 0)
		close(fd2);
	return fd2 < 0 ? -fd2 : 0;
}

/* Free again once the first consumer's file is closed. */
static int r_free_after_close(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);

	(void)o;
	if (fd < 0)
		return -fd;
	close(fd);
	fd = session(c->channel, SMALL, FEW, 0, NULL);
	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

static int r_two_channels(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(KDIO_XFER_READ, SMALL, FEW, 0, NULL);
	int fd2;

	(void)c; (void)o;
	if (fd < 0)
		return -fd;
	fd2 = session(KDIO_XFER_WRITE, SMALL, FEW, 0, NULL);
	close(fd);
	if (fd2 < 0)
		return -fd2;
	close(fd2);
	return 0;
}

/* Each use of a file without a session: read, write, fetch, stats, mmap. */
static int r_before_setup(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fetch f = { 0 };
	struct kdio_xfer_req st;
	char buf[SMALL];
	int fd = open(xfer_device, O_RDWR | O_CLOEXEC);
	int err = 0;

	(void)o;
	if (fd < 0)
		return errno;
	switch (c->variant) {
	case 0: err = badinput_errno(read(fd, buf, sizeof(buf))); break;
	case 1: err = badinput_errno(write(fd, buf, sizeof(buf))); break;
	case 2: err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, &f)); break;
	case 3: err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_STATS, &st)); break;
	case 4:
		err = map_errno(fd, PAGE * 2, PROT_READ, MAP_SHARED, 0);
		break;
	}
	close(fd);
	return err;
}

/* Another channel's call on a session of c->channel. */
static int r_wrong_channel(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fetch f = { 0 };
	struct kdio_xfer_fill fill = { 0 };
	char buf[SMALL] = { 0 };
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err = 0;

	(void)o;
	if (fd < 0)
		return -fd;
	if (c->channel == KDIO_XFER_WRITE) {
		err = badinput_errno(read(fd, buf, sizeof(buf)));
	} else {
		int errs[4];

		errs[0] = badinput_errno(write(fd, buf, sizeof(buf)));
		errs[1] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, &f));
		errs[2] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &fill));
		errs[3] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RELAY_FILL, &fill));
		err = map_errno(fd, PAGE * 2, PROT_READ, MAP_SHARED, 0);
		for (int i = 0; i < 4; i++)
			if (errs[i] != err)
				badinput_say(o, BADINPUT_FAIL, "call %d of write, fetch, ring fill, relay fill gave %s, mmap %s",
					     i, errno_name(errs[i]), errno_name(err));
	}
	close(fd);
	return err;
}

static int r_unprivileged(const struct check *c, struct badinput_outcome *o)
{
	(void)c;
	return badinput_unprivileged_open(xfer_device, o);
}

/* delete_module() while this file is open: refused, the module stays. */
static int r_unload_in_use(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err = fd < 0 ? -fd : badinput_unload_in_use("kdio_xfer", o);

	if (fd >= 0)
		close(fd);
	return err;
}

static const struct check session_checks[] = {
	CALL("unknown-ioctl", s_unknown_ioctl, ENOTTY, KDIO_XFER_READ),
	CALL("setup-twice-same-fd", s_setup_again, EBUSY, KDIO_XFER_READ),
	RUN("two-consumers-at-once-read", r_two_consumers, EBUSY, KDIO_XFER_READ),
	RUN("two-consumers-at-once-proc-seq", r_two_consumers, EBUSY, KDIO_XFER_PROC_SEQ),
	RUN("two-consumers-at-once-netlink", r_two_consumers, EBUSY, KDIO_XFER_NETLINK),
	RUN("channel-free-after-close", r_free_after_close, 0, KDIO_XFER_READ),
	CASE("two-channels-at-once-valid", r_two_channels, 0, 0),
	CASE("read-before-setup", r_before_setup, EINVAL, 0),
	CASE("write-before-setup", r_before_setup, EINVAL, 1),
	CASE("fetch-before-setup", r_before_setup, EINVAL, 2),
	CASE("stats-before-setup", r_before_setup, EINVAL, 3),
	CASE("mmap-before-setup", r_before_setup, EINVAL, 4),
	RUN("read-session-other-calls", r_wrong_channel, EINVAL, KDIO_XFER_READ),
	RUN("write-session-read", r_wrong_channel, EINVAL, KDIO_XFER_WRITE),
};

static const struct check module_checks[] = {
	CASE("unprivileged-open", r_unprivileged, EACCES, 0),
	RUN("unload-while-open", r_unload_in_use, EAGAIN, KDIO_XFER_READ),
};

const struct badinput_rows session_rows = BADINPUT_ROWS(session_checks);
const struct badinput_rows module_rows = BADINPUT_ROWS(module_checks);
