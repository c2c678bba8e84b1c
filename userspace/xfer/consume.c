// SPDX-License-Identifier: GPL-2.0
/*
 * What every kdio-xfer consumer does with a message it was given (check
 * it, count it, keep its latency), and the calls they share.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "consumers.h"
#include "msg.h"

/* One message seen at now: check it, count it, keep its latency. */
void take(struct xrun *r, const void *msg, uint64_t now)
{
	const struct kdio_xfer_msg *hdr = msg;

	r->received++;
	if (!xfer_msg_ok(msg, r->o->msg_size)) {
		r->bad++;
		r->next_seq++;	/* taken for the one expected */
		return;
	}
	if (hdr->seq < r->next_seq) {
		r->bad++;	/* again, or out of order */
		return;
	}
	r->gaps += hdr->seq - r->next_seq;
	r->next_seq = hdr->seq + 1;
	if (!r->nlat)
		r->first_ts = hdr->ts_ns;
	r->lat[r->nlat++] = now - hdr->ts_ns;
	r->last_ns = now;
	if (r->next_seq >= r->o->count)
		r->last_ns = now_ns();	/* the last one is checked */
}

/* Open one of the module's files for reading; fd or -errno with msg. */
int open_file(struct xrun *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(r, errno, "%s: %s", path, strerror(errno));
	return fd;
}

/* The module's counters now. */
int get_stats(struct xrun *r, struct kdio_xfer_req *st)
{
	if (ioctl(r->fd, KDIO_IOC_XFER_STATS, st))
		return fail(r, errno, "ioctl KDIO_IOC_XFER_STATS: %s", strerror(errno));
	return 0;
}
