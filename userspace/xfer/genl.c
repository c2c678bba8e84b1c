// SPDX-License-Identifier: GPL-2.0
/* Generic netlink for the kdio_xfer tools (see xfer_genl.h). */
#define _GNU_SOURCE
#include "genl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kdio/xfer.h"

/* A request with a few small attributes. */
struct genl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[64];
};

static void req_init(struct genl_req *q, uint16_t type, uint8_t cmd,
		     uint8_t version)
{
	memset(q, 0, sizeof(*q));
	q->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	q->n.nlmsg_type = type;
	q->n.nlmsg_flags = NLM_F_REQUEST;
	q->g.cmd = cmd;
	q->g.version = version;
}

static void req_put(struct genl_req *q, uint16_t type, const void *data,
		    uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)q + NLMSG_ALIGN(q->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int req_send(int sock, const struct genl_req *q)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(sock, q, q->n.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

const struct nlattr *xfer_genl_find(const struct nlmsghdr *n, uint16_t type)
{
	const char *p = (const char *)NLMSG_DATA(n) + GENL_HDRLEN;
	int len = (int)n->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
		len -= NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

/* Ask the controller for the family's id. */
static int resolve(int sock, uint16_t *family)
{
	union { struct nlmsghdr n; char buf[4096]; } rx;
	const struct nlattr *a;
	struct genl_req q;
	ssize_t n;
	int ret;

	req_init(&q, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	req_put(&q, CTRL_ATTR_FAMILY_NAME, KDIO_XFER_GENL_NAME,
		sizeof(KDIO_XFER_GENL_NAME));
	ret = req_send(sock, &q);
	if (ret)
		return ret;
	n = recv(sock, &rx, sizeof(rx), 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(&rx.n, (size_t)n))
		return -EPROTO;
	if (rx.n.nlmsg_type == NLMSG_ERROR) {
		int err = ((const struct nlmsgerr *)NLMSG_DATA(&rx.n))->error;

		return err ? err : -EPROTO;
	}
	a = xfer_genl_find(&rx.n, CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -EPROTO;
	memcpy(family, (const char *)a + NLA_HDRLEN, sizeof(*family));
	return 0;
}

int xfer_genl_open(int *sock, uint16_t *family)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	*sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (*sock < 0)
		return -errno;
	if (bind(*sock, (struct sockaddr *)&me, sizeof(me)))
		return -errno;
	return resolve(*sock, family);
}

int xfer_genl_send(int sock, uint16_t family, uint64_t count,
		   uint64_t msg_size)
{
	struct genl_req q;

	req_init(&q, family, KDIO_XFER_CMD_SEND, KDIO_XFER_GENL_VERSION);
	if (count)
		req_put(&q, KDIO_XFER_A_COUNT, &count, sizeof(count));
	if (msg_size)
		req_put(&q, KDIO_XFER_A_MSG_SIZE, &msg_size, sizeof(msg_size));
	return req_send(sock, &q);
}
