// SPDX-License-Identifier: GPL-2.0
/*
 * The kdio-xfer consumer of generic netlink: one thread sends SEND, which
 * the kernel answers in that thread, while this one reads the replies.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "consumers.h"
#include "msg.h"
#include "genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/*
 * The socket: receive buffer -r bytes (SO_RCVBUFFORCE, as root), and no
 * ENOBUFS error on overrun, since the module counts its drops itself.
 */
static int prepare_netlink(struct xrun *r)
{
	int rcvbuf = (int)r->o->ring_bytes, one = 1;
	int ret = xfer_genl_open(&r->nl_sock, &r->nl_family);

	if (ret == -ENOENT)
		return fail(r, ENOENT, "no generic netlink family " KDIO_XFER_GENL_NAME "; load kdio_xfer.ko");
	if (ret)
		return fail(r, -ret, "generic netlink: %s", strerror(-ret));
	if (setsockopt(r->nl_sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(r->nl_sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		return fail(r, errno, "netlink SO_RCVBUF: %s", strerror(errno));
	if (setsockopt(r->nl_sock, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)))
		return fail(r, errno, "netlink NETLINK_NO_ENOBUFS: %s", strerror(errno));
	return 0;
}

/* The SEND request; the kernel answers it in this thread, so its own. */
static void *nl_sender(void *arg)
{
	struct xrun *r = arg;

	return (void *)(intptr_t)xfer_genl_send(r->nl_sock, r->nl_family,
						r->o->count, r->o->msg_size);
}

/* One reply: a message, DONE (*done), or the error that refused SEND. */
static int nl_handle(struct xrun *r, const struct nlmsghdr *n, uint64_t now,
		     bool *done)
{
	const struct genlmsghdr *g = NLMSG_DATA(n);
	const struct nlattr *a;

	if (n->nlmsg_type == NLMSG_ERROR) {
		int err = -((const struct nlmsgerr *)NLMSG_DATA(n))->error;

		*done = err != 0;
		if (err)
			return fail(r, err, "the module refused SEND: %s", strerror(err));
		return 0;
	}
	if (n->nlmsg_type != r->nl_family)
		return 0;
	if (g->cmd == KDIO_XFER_CMD_DONE) {
		*done = true;
		return 0;
	}
	a = g->cmd == KDIO_XFER_CMD_MSG ? xfer_genl_find(n, KDIO_XFER_A_MSG) : NULL;
	if (!a || (uint64_t)a->nla_len - NLA_HDRLEN != r->o->msg_size) {
		r->received++;
		r->bad++;
		return 0;
	}
	take(r, (const char *)a + NLA_HDRLEN, now);
	return 0;
}

/* Read replies until DONE, an error, or WAIT_MS of silence. */
static int nl_receive(struct xrun *r, char *rx, size_t cap)
{
	struct pollfd p = { .fd = r->nl_sock, .events = POLLIN };
	bool done = false;
	int ret = 0;

	while (!done && !ret) {
		struct nlmsghdr *n = (struct nlmsghdr *)rx;
		ssize_t len;

		if (poll(&p, 1, WAIT_MS) == 0)
			return fail(r, ETIMEDOUT, "netlink: no reply for %d ms after %" PRIu64 " messages",
				    WAIT_MS, r->received);
		len = recv(r->nl_sock, rx, cap, MSG_TRUNC);
		if (len < 0 && errno == ENOBUFS)
			continue;	/* counted by the module */
		if (len < 0)
			return fail(r, errno, "netlink recv: %s", strerror(errno));
		if ((size_t)len > cap)
			return fail(r, EMSGSIZE, "netlink: a %zd-byte reply", len);
		for (; NLMSG_OK(n, (size_t)len) && !ret; n = NLMSG_NEXT(n, len))
			ret = nl_handle(r, n, now_ns(), &done);
	}
	return ret;
}

static int run_netlink(struct xrun *r)
{
	size_t cap = NLMSG_SPACE(GENL_HDRLEN + NLA_HDRLEN + r->o->msg_size) + 4096;
	pthread_t sender;
	void *rx, *sent;
	int ret;

	rx = aligned_alloc(8, cap);
	if (!rx)
		return fail(r, ENOMEM, "no memory for a %zu-byte receive buffer", cap);
	ret = pthread_create(&sender, NULL, nl_sender, r);
	if (ret) {
		free(rx);
		return fail(r, ret, "pthread_create: %s", strerror(ret));
	}
	ret = nl_receive(r, rx, cap);
	pthread_join(sender, &sent);
	if (!ret && (intptr_t)sent)
		ret = fail(r, (int)-(intptr_t)sent, "netlink SEND: %s", strerror((int)-(intptr_t)sent));
	free(rx);
	return ret;
}


const struct consumer xfer_consumer_netlink = {
	.channel	= KDIO_XFER_NETLINK,
	.lossy		= true,
	.prepare	= prepare_netlink,
	.run		= run_netlink,
};
