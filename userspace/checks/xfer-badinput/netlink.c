// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: the netlink channel: SEND requests broken and
 * valid, and a full receive queue, whose drops must all be counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rows.h"
#include "../../xfer/genl.h"

/* The errno of the kernel's answer to a SEND, or 0 after a DONE. */
static int nl_answer(int sock, uint64_t *msgs)
{
	static uint64_t rx[(KDIO_XFER_NETLINK_MSG_MAX + 4096) / 8];
	struct pollfd p = { .fd = sock, .events = POLLIN };

	for (*msgs = 0; poll(&p, 1, 2000) > 0;) {
		ssize_t n = recv(sock, rx, sizeof(rx), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)rx;

		if (n < 0 && errno == ENOBUFS)
			continue;	/* the queue overran: the kernel counts it */
		if (n < 0)
			return errno;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_ERROR)
				return -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (g->cmd == KDIO_XFER_CMD_DONE)
				return 0;
			(*msgs)++;
		}
	}
	return ETIMEDOUT;
}

/*
 * SEND: without a session, with the wrong size, a count above what is
 * left, no count; valid.
 */
static int r_netlink(const struct check *c, struct badinput_outcome *o)
{
	uint64_t count = FEW, size = SMALL, msgs = 0;
	int sfd = c->variant ? session(KDIO_XFER_NETLINK, SMALL, FEW, 0, NULL) : 0;
	uint16_t family;
	int sock = -1, err;

	if (sfd < 0)
		return -sfd;
	err = -xfer_genl_open(&sock, &family);
	size += c->variant == 1 ? 8 : 0;
	count = c->variant == 2 ? FEW + 1 : c->variant == 3 ? 0 : count;
	if (!err)
		err = -xfer_genl_send(sock, family, count, size);
	if (!err)
		err = nl_answer(sock, &msgs);
	if (!err && msgs != FEW)
		badinput_say(o, BADINPUT_FAIL, "%llu messages before DONE; want %llu",
			     (unsigned long long)msgs, FEW);
	if (sock >= 0)
		close(sock);
	if (sfd > 0)
		close(sfd);
	return err;
}

/*
 * Nobody reads while the kernel sends to a small receive queue: it must
 * drop what does not fit and count every drop. Messages delivered plus
 * drops must be all of them.
 */
static int r_netlink_drops(const struct check *c, struct badinput_outcome *o)
{
	const uint64_t count = 64, size = PAGE;
	int sfd = session(KDIO_XFER_NETLINK, size, count, 0, NULL);
	int sock = -1, rcvbuf = 16384, err;
	struct kdio_xfer_req st;
	uint64_t msgs = 0;
	uint16_t family;

	(void)c;
	if (sfd < 0)
		return -sfd;
	err = -xfer_genl_open(&sock, &family);
	if (!err)
		err = badinput_errno(setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	if (!err)
		err = -xfer_genl_send(sock, family, count, size);
	if (!err)
		nl_answer(sock, &msgs);	/* DONE itself may have been dropped */
	if (!err)
		err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_STATS, &st));
	if (!err && (!st.drops || st.produced != count || msgs + st.drops != count))
		badinput_say(o, BADINPUT_FAIL, "made %llu, %llu received, %llu dropped; want %llu made, some dropped, the sum %llu",
			     (unsigned long long)st.produced, (unsigned long long)msgs,
			     (unsigned long long)st.drops, (unsigned long long)count,
			     (unsigned long long)count);
	if (sock >= 0)
		close(sock);
	close(sfd);
	return err;
}

static const struct check netlink_checks[] = {
	CASE("netlink-send-no-session", r_netlink, ENODEV, 0),
	CASE("netlink-send-msg-size-mismatch", r_netlink, EINVAL, 1),
	CASE("netlink-send-count-above-left", r_netlink, EINVAL, 2),
	CASE("netlink-send-count-missing", r_netlink, EINVAL, 3),
	CASE("netlink-send-valid", r_netlink, 0, 4),
	CASE("netlink-full-queue-drops-counted", r_netlink_drops, 0, 0),
};

const struct badinput_rows netlink_rows = BADINPUT_ROWS(netlink_checks);
