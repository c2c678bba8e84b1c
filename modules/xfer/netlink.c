// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "netlink": the generic netlink family "kdio_xfer". A SEND
 * request (COUNT, MSG_SIZE) continues the channel's active session: its
 * handler stamps each message into the session's kernel copy, puts it in
 * a new skb as a MSG attribute (the copy) and unicasts it to the sender's
 * port with genlmsg_unicast(); a DONE reply with PRODUCED and DROPS ends
 * the answer.
 *
 * Drop policy: the kernel never blocks on a full receive queue (the
 * unicast is MSG_DONTWAIT) and a message it cannot deliver is never lost
 * silently. When the queue is full it sleeps 20-50 us and tries again
 * (with a new skb: a failed unicast frees the old one), for up to
 * KDIO_XFER_NETLINK_WAIT_MS; then the message is dropped and counted, its
 * seq is not reused (the reader sees a gap the size of the drops), and
 * the following messages get one try each until one goes through, so
 * that a reader that is gone costs no more than one wait. Any other
 * failure (the port is gone: -ECONNREFUSED) ends the SEND with it.
 *
 * The handler runs in the sending thread and holds the session's lock
 * for the whole SEND, which the session's end does not wait for: a closed
 * session, or a fatal signal, stops it between two messages. The family
 * has parallel_ops, so a long SEND keeps no other family waiting.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <net/genetlink.h>

#include "xfer.h"

/* Sleep between tries of a message that finds the queue full. */
#define XFER_NL_SLEEP_MIN_US	20
#define XFER_NL_SLEEP_MAX_US	50

static struct genl_family xfer_nl_family;

/* What one SEND did, for its DONE. */
struct xfer_nl_send {
	struct genl_info *info;
	u64 sent;
	u64 drops;
	bool wait;			/* queue full: wait for room */
};

/* A MSG reply holding the message in s->msg; NULL if out of memory. */
static struct sk_buff *xfer_nl_msg(const struct kdio_xfer_session *s,
				   const struct genl_info *info)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size(s->msg_size), GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, info->snd_seq, &xfer_nl_family, 0,
			  KDIO_XFER_CMD_MSG);
	if (!hdr || nla_put(skb, KDIO_XFER_A_MSG, s->msg_size, s->msg)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/* The DONE reply; NULL if out of memory. */
static struct sk_buff *xfer_nl_done(const struct xfer_nl_send *st)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(2 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, st->info->snd_seq, &xfer_nl_family, 0,
			  KDIO_XFER_CMD_DONE);
	if (!hdr ||
	    nla_put_u64_64bit(skb, KDIO_XFER_A_PRODUCED, st->sent + st->drops,
			      KDIO_XFER_A_PAD) ||
	    nla_put_u64_64bit(skb, KDIO_XFER_A_DROPS, st->drops,
			      KDIO_XFER_A_PAD)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/*
 * Unicast a reply built by build (MSG if s, else DONE) to the sender;
 * while the queue is full, and st->wait, try again for up to
 * KDIO_XFER_NETLINK_WAIT_MS. 0, -ENOBUFS if the queue stayed full, or
 * the -errno that stops the SEND.
 */
static int xfer_nl_deliver(const struct kdio_xfer_session *s,
			   struct xfer_nl_send *st)
{
	u64 deadline = ktime_get_ns() + KDIO_XFER_NETLINK_WAIT_MS * NSEC_PER_MSEC;
	struct genl_info *info = st->info;
	struct sk_buff *skb;
	int ret;

	for (;;) {
		skb = s ? xfer_nl_msg(s, info) : xfer_nl_done(st);
		if (!skb)
			return -ENOMEM;
		ret = genlmsg_unicast(genl_info_net(info), skb, info->snd_portid);
		if (ret != -EAGAIN && ret != -ENOBUFS)
			return ret;
		if (!st->wait || ktime_get_ns() > deadline)
			return -ENOBUFS;
		if (fatal_signal_pending(current))
			return -EINTR;
		usleep_range(XFER_NL_SLEEP_MIN_US, XFER_NL_SLEEP_MAX_US);
	}
}

/* Make and deliver count messages; 0 or the -errno that stopped them. */
static int xfer_nl_stream(struct kdio_xfer_session *s, struct xfer_nl_send *st,
			  u64 count)
{
	int ret;

	while (count--) {
		if (READ_ONCE(s->closed))
			return -ENODEV;
		if (fatal_signal_pending(current))
			return -EINTR;
		kdio_xfer_next(s);
		ret = xfer_nl_deliver(s, st);
		if (ret && ret != -ENOBUFS)
			return ret;
		s->produced++;
		st->wait = !ret;
		if (ret) {
			st->drops++;
			atomic64_inc(&s->drops);
		} else {
			st->sent++;
		}
		cond_resched();
	}
	return 0;
}

/* SEND's attributes against the session; 0 or -EINVAL with a message. */
static int xfer_nl_check(const struct kdio_xfer_session *s,
			 struct genl_info *info, u64 *count)
{
	u64 msg_size;

	if (GENL_REQ_ATTR_CHECK(info, KDIO_XFER_A_COUNT) ||
	    GENL_REQ_ATTR_CHECK(info, KDIO_XFER_A_MSG_SIZE))
		return -EINVAL;
	*count = nla_get_u64(info->attrs[KDIO_XFER_A_COUNT]);
	msg_size = nla_get_u64(info->attrs[KDIO_XFER_A_MSG_SIZE]);
	if (msg_size != s->msg_size) {
		GENL_SET_ERR_MSG(info, "MSG_SIZE differs from the session's msg_size");
		return -EINVAL;
	}
	if (!*count || *count > s->count - s->produced) {
		GENL_SET_ERR_MSG(info, "COUNT is 0 or more than the session has left");
		return -EINVAL;
	}
	return 0;
}

static int xfer_nl_send_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct xfer_nl_send st = { .info = info, .wait = true };
	struct kdio_xfer_session *s;
	u64 count;
	int ret;

	s = kdio_xfer_get_active(KDIO_XFER_NETLINK);
	if (!s) {
		GENL_SET_ERR_MSG(info, "no netlink session: set one up on " KDIO_XFER_DEVICE);
		return -ENODEV;
	}
	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		goto out_put;
	ret = xfer_nl_check(s, info, &count);
	if (!ret)
		ret = xfer_nl_stream(s, &st, count);
	mutex_unlock(&s->lock);
	if (!ret) {
		st.wait = true;
		ret = xfer_nl_deliver(NULL, &st);
	}
out_put:
	kdio_xfer_put(s);
	return ret;
}

static const struct nla_policy xfer_nl_policy[KDIO_XFER_A_MAX + 1] = {
	[KDIO_XFER_A_COUNT]	= { .type = NLA_U64 },
	[KDIO_XFER_A_MSG_SIZE]	= { .type = NLA_U64 },
};

static const struct genl_small_ops xfer_nl_ops[] = {
	{
		.cmd	= KDIO_XFER_CMD_SEND,
		.flags	= GENL_ADMIN_PERM,
		.doit	= xfer_nl_send_doit,
	},
};

static struct genl_family xfer_nl_family = {
	.name		= KDIO_XFER_GENL_NAME,
	.version	= KDIO_XFER_GENL_VERSION,
	.maxattr	= KDIO_XFER_A_MAX,
	.policy		= xfer_nl_policy,
	.module		= THIS_MODULE,
	.parallel_ops	= true,
	.small_ops	= xfer_nl_ops,
	.n_small_ops	= ARRAY_SIZE(xfer_nl_ops),
};

static int xfer_nl_init(void)
{
	return genl_register_family(&xfer_nl_family);
}

/* Waits for handlers in progress. */
static void xfer_nl_exit(void)
{
	genl_unregister_family(&xfer_nl_family);
}

const struct kdio_xfer_ops kdio_xfer_netlink = {
	.max_msg	= KDIO_XFER_NETLINK_MSG_MAX,
	.init		= xfer_nl_init,
	.exit		= xfer_nl_exit,
};
