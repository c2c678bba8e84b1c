// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: the channels of /dev/kdio_xfer itself: read(),
 * write(), the FETCH ioctl and the mmap ring, their misuses and their
 * valid uses, whose messages must come whole and in order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rows.h"
#include "../../xfer/msg.h"

/* The calls on a session, in table order. */
static int s_read_short(int fd)
{
	char buf[SMALL];

	return badinput_errno(read(fd, buf, SMALL - 8));
}

static int s_read_bogus(int fd) { return badinput_errno(read(fd, bogus_ptr(), SMALL)); }

static int s_read_offset(int fd)
{
	char buf[SMALL];

	return badinput_errno(pread(fd, buf, SMALL, SMALL));
}

static int s_write_length(int fd)
{
	char buf[SMALL * 2] = { 0 };

	return badinput_errno(write(fd, buf, sizeof(buf)));
}

static int s_write_bogus(int fd) { return badinput_errno(write(fd, bogus_ptr(), SMALL)); }

/* FEW whole messages in order, then the end: read() 0 or FETCH 0. */
static int r_count_then_end(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL] __attribute__((aligned(8)));
	struct kdio_xfer_fetch f = { .buf = (uintptr_t)buf, .len = SMALL };
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	uint64_t i;
	long n = 0;

	if (fd < 0)
		return -fd;
	for (i = 0; i <= FEW; i++) {
		n = c->channel == KDIO_XFER_READ ? read(fd, buf, SMALL) :
		    ioctl(fd, KDIO_IOC_XFER_FETCH, &f);
		if (n < 0 || (i < FEW && n != (long)SMALL))
			break;
		if (i < FEW)
			expect_msg(buf, SMALL, i, o);
	}
	close(fd);
	if (n < 0)
		return errno;
	if (!o->detail[0] && (i <= FEW || n))
		badinput_say(o, BADINPUT_FAIL, "call %" PRIu64 " returned %ld; want %llu messages, then 0",
			     i, n, FEW);
	return 0;
}

/*
 * Messages 0..3 with 1 corrupted and 2 numbered wrong; then one too
 * many (ENOSPC). The module must count 2 bad, the first number 1.
 */
static int r_write_checks(const struct check *c, struct badinput_outcome *o)
{
	uint64_t buf[SMALL / 8], sum = xfer_msg_template(buf, SMALL, 3);
	struct kdio_xfer_req st;
	int fd = session(KDIO_XFER_WRITE, SMALL, FEW, 0, NULL);
	int err = 0;
	uint64_t i;

	(void)c;
	if (fd < 0)
		return -fd;
	for (i = 0; i <= FEW && !err; i++) {
		xfer_msg_stamp(buf, i == 2 ? 7 : i, now_ns(), sum);
		if (i == 1)
			buf[SMALL / 8 - 1] ^= 1;
		err = badinput_errno(write(fd, buf, SMALL));
		if (i == 1)
			buf[SMALL / 8 - 1] ^= 1;
		if (i < FEW && err)
			badinput_say(o, BADINPUT_FAIL, "write %" PRIu64 " failed: %s", i, strerror(err));
	}
	if (!ioctl(fd, KDIO_IOC_XFER_STATS, &st) && !o->detail[0] &&
	    (st.bad != 2 || st.first_bad != 1 || st.produced != FEW))
		badinput_say(o, BADINPUT_FAIL, "the module took %llu, counted %llu bad, first %llu; want %llu, 2, 1",
			     (unsigned long long)st.produced, (unsigned long long)st.bad,
			     (unsigned long long)st.first_bad, FEW);
	close(fd);
	return err;
}

/* FETCH with a short buffer, a bogus buffer, a bogus argument. */
static int r_fetch(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL];
	struct kdio_xfer_fetch f = { .buf = (uintptr_t)buf, .len = SMALL };
	int fd = session(KDIO_XFER_IOCTL, SMALL, FEW, 0, NULL);
	void *arg = &f;
	int err;

	(void)o;
	if (fd < 0)
		return -fd;
	if (c->variant == 0)
		f.len = SMALL - 8;
	else if (c->variant == 1)
		f.buf = (uintptr_t)bogus_ptr();	/* bogus buffer */
	else
		arg = bogus_ptr();	/* bogus argument */
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, arg));
	close(fd);
	return err;
}

/*
 * A mapping of a one-page ring of SMALL messages: whole, short, long, at
 * an offset, private.
 */
static int r_mmap(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_req req;
	int fd = session(KDIO_XFER_MMAP, SMALL, FEW, PAGE, &req);
	size_t map_len = req.map_size;
	int flags = MAP_SHARED, err;
	off_t off = 0;

	(void)o;
	if (fd < 0)
		return -fd;
	switch (c->variant) {
	case 1: map_len -= PAGE; break;
	case 2: map_len += PAGE; break;
	case 3: off = PAGE; break;
	case 4: flags = MAP_PRIVATE; break;
	}
	err = map_errno(fd, map_len, PROT_READ | PROT_WRITE, flags, off);
	close(fd);
	return err;
}

/*
 * Fill and find FEW whole messages; then a consumer index past producer;
 * or consumed, the relay-only in field, set.
 */
static int r_ring(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	int fd = session(KDIO_XFER_MMAP, SMALL, FEW, PAGE, &req);
	struct kdio_xfer_ring *ctrl;
	int err;
	uint64_t i;

	if (fd < 0)
		return -fd;
	ctrl = mmap(NULL, req.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctrl == MAP_FAILED) {
		err = errno;
		close(fd);
		return err;
	}
	f.consumed = c->variant == 2;
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &f));
	if (!err && c->variant == 0) {
		for (i = 0; i < FEW; i++)
			expect_msg((char *)ctrl + ctrl->data_offset + i * SMALL, SMALL, i, o);
		if (f.produced != FEW || ctrl->producer != FEW)
			badinput_say(o, BADINPUT_FAIL, "fill made %llu; want %llu", (unsigned long long)f.produced, FEW);
	} else if (!err) {
		ctrl->consumer = ctrl->producer + 1;
		err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &f));
	}
	munmap(ctrl, req.map_size);
	close(fd);
	return err;
}

static const struct check device_checks[] = {
	CALL("read-short-buffer", s_read_short, EINVAL, KDIO_XFER_READ),
	CALL("read-bogus-buffer", s_read_bogus, EFAULT, KDIO_XFER_READ),
	CALL("read-at-offset", s_read_offset, ESPIPE, KDIO_XFER_READ),
	RUN("read-count-then-eof-valid", r_count_then_end, 0, KDIO_XFER_READ),
	CALL("write-wrong-length", s_write_length, EINVAL, KDIO_XFER_WRITE),
	CALL("write-bogus-buffer", s_write_bogus, EFAULT, KDIO_XFER_WRITE),
	CASE("write-bad-messages-counted-then-full", r_write_checks, ENOSPC, 0),
	CASE("fetch-short-buffer", r_fetch, EINVAL, 0),
	CASE("fetch-bogus-buffer", r_fetch, EFAULT, 1),
	CASE("fetch-bogus-argument", r_fetch, EFAULT, 2),
	RUN("fetch-count-then-end-valid", r_count_then_end, 0, KDIO_XFER_IOCTL),
	CASE("mmap-valid", r_mmap, 0, 0),
	CASE("mmap-short", r_mmap, EINVAL, 1),
	CASE("mmap-long", r_mmap, EINVAL, 2),
	CASE("mmap-offset", r_mmap, EINVAL, 3),
	CASE("mmap-private", r_mmap, EINVAL, 4),
	CASE("ring-fill-valid", r_ring, 0, 0),
	CASE("ring-fill-consumer-ahead", r_ring, EINVAL, 1),
	CASE("ring-fill-consumed-set", r_ring, EINVAL, 2),
};

const struct badinput_rows device_rows = BADINPUT_ROWS(device_checks);
