// SPDX-License-Identifier: GPL-2.0
/*
 * The kdio-xfer consumers of one message per system call: read() and
 * write() of the device, KDIO_IOC_XFER_FETCH, and the files of their
 * own (the two proc files, the sysfs attribute).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "consumers.h"
#include "kdio/marker.h"
#include "msg.h"

/*
 * read(), or with from_start pread() from offset 0, until len bytes or the
 * end; bytes read or -errno.
 */
static ssize_t read_whole(int fd, void *buf, size_t len, bool from_start)
{
	size_t done = 0;

	while (done < len) {
		char *at = (char *)buf + done;
		ssize_t n = from_start ? pread(fd, at, len - done, (off_t)done) :
					 read(fd, at, len - done);

		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Take messages from a source that gives one per call: get returns
 * msg_size, 0 at the end or -errno.
 */
static int take_each(struct xrun *r, const char *what,
		     ssize_t (*get)(struct xrun *r, int fd), int fd)
{
	while (r->next_seq < r->o->count) {
		ssize_t n = get(r, fd);

		if (n < 0)
			return fail(r, (int)-n, "%s: %s", what, strerror((int)-n));
		if (!n)
			break;
		if ((uint64_t)n != r->o->msg_size)
			return fail(r, EIO, "%s gave %zd bytes, not one message of %" PRIu64,
				    what, n, r->o->msg_size);
		take(r, r->buf, now_ns());
	}
	return 0;
}

static ssize_t get_read(struct xrun *r, int fd)
{
	ssize_t n = read(fd, r->buf, r->o->msg_size);

	return n < 0 ? -errno : n;
}

static ssize_t get_fetch(struct xrun *r, int fd)
{
	struct kdio_xfer_fetch f = {
		.buf = (uintptr_t)r->buf,
		.len = r->o->msg_size,
	};
	int n = ioctl(fd, KDIO_IOC_XFER_FETCH, &f);

	return n < 0 ? -errno : n;
}

static ssize_t get_whole(struct xrun *r, int fd)
{
	return read_whole(fd, r->buf, r->o->msg_size, false);
}

/* A sysfs message: pread()s from offset 0 until it is whole. */
static ssize_t get_sysfs(struct xrun *r, int fd)
{
	return read_whole(fd, r->buf, r->o->msg_size, true);
}

static int run_read(struct xrun *r)
{
	return take_each(r, "read() of " KDIO_XFER_DEVICE, get_read, r->fd);
}

static int run_ioctl(struct xrun *r)
{
	return take_each(r, "ioctl KDIO_IOC_XFER_FETCH", get_fetch, r->fd);
}

/* A channel read through a file of its own, with get. */
static int run_file(struct xrun *r, const char *path,
		    ssize_t (*get)(struct xrun *r, int fd))
{
	int fd = open_file(r, path);
	int ret;

	if (fd < 0)
		return fd;
	ret = take_each(r, path, get, fd);
	close(fd);
	return ret;
}

static int run_proc_seq(struct xrun *r)
{
	return run_file(r, KDIO_XFER_PROC_SEQ_FILE, get_whole);
}

static int run_proc_read(struct xrun *r)
{
	return run_file(r, KDIO_XFER_PROC_READ_FILE, get_read);
}

static int run_sysfs(struct xrun *r)
{
	return run_file(r, KDIO_XFER_SYSFS_FILE, get_sysfs);
}

/*
 * The tool produces: each message stamped just before its write(); the
 * module's verdict comes back through KDIO_IOC_XFER_STATS.
 */
static int run_write(struct xrun *r)
{
	uint64_t sum = xfer_msg_template(r->buf, r->o->msg_size, r->o->seed);
	struct kdio_xfer_req st;
	uint64_t seq;
	int ret;

	KDIO_MARK(KDIO_MARK_START);	/* the profiler's window: the figure's first stamp on */
	r->marked = true;
	for (seq = 0; seq < r->o->count; seq++) {
		uint64_t ts = now_ns();
		ssize_t n;

		xfer_msg_stamp(r->buf, seq, ts, sum);
		n = write(r->fd, r->buf, r->o->msg_size);
		if (n < 0)
			return fail(r, errno, "write() of message %" PRIu64 ": %s",
				    seq, strerror(errno));
		r->last_ns = now_ns();
		if (!seq)
			r->first_ts = ts;
		r->lat[r->nlat++] = r->last_ns - ts;
		r->received++;
	}
	r->next_seq = seq;
	ret = get_stats(r, &st);
	if (ret)
		return ret;
	r->bad = st.bad;
	if (st.bad)
		snprintf(r->msg, sizeof(r->msg), "the module found %" PRIu64 " bad message(s), the first number %" PRIu64,
			 (uint64_t)st.bad, (uint64_t)st.first_bad);
	if (st.produced != r->o->count)
		return fail(r, EIO, "the module took %" PRIu64 " messages of %" PRIu64,
			    (uint64_t)st.produced, r->o->count);
	return 0;
}


const struct consumer xfer_consumer_read = {
	.marked		= true,
	.channel	= KDIO_XFER_READ,
	.run		= run_read,
};

const struct consumer xfer_consumer_write = {
	.marked		= true,
	.channel	= KDIO_XFER_WRITE,
	.run		= run_write,
};

const struct consumer xfer_consumer_ioctl = {
	.marked		= true,
	.channel	= KDIO_XFER_IOCTL,
	.run		= run_ioctl,
};

const struct consumer xfer_consumer_proc_seq = {
	.channel	= KDIO_XFER_PROC_SEQ,
	.run		= run_proc_seq,
};

const struct consumer xfer_consumer_proc_read = {
	.marked		= true,
	.channel	= KDIO_XFER_PROC_READ,
	.run		= run_proc_read,
};

const struct consumer xfer_consumer_sysfs = {
	.channel	= KDIO_XFER_SYSFS,
	.run		= run_sysfs,
};
