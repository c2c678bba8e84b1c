// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "write": the other direction. The tool makes the messages and
 * write()s them to /dev/kdio_xfer, one per call of exactly msg_size
 * bytes; the module copies each with copy_from_user() into the session's
 * kernel buffer and checks it there: len, seq (the next expected one, in
 * the header and in the payload's seq word) and the checksum, summed over
 * the whole message. A message that fails is counted in bad, and the
 * first one's index kept, but still taken: the counts come back through
 * KDIO_IOC_XFER_STATS. After count messages write() fails with -ENOSPC.
 */
#include <linux/uaccess.h>

#include "xfer.h"

/* The message in s->msg is message number seq, whole. */
static bool xfer_write_check(const struct kdio_xfer_session *s, u64 seq)
{
	const struct kdio_xfer_msg *hdr = s->msg;
	const u64 *word = s->msg;
	u64 sum = 0;
	size_t i;

	for (i = 0; i < s->msg_size / sizeof(u64); i++)
		sum += word[i];
	sum -= hdr->csum;
	return hdr->seq == seq && *(const u64 *)(hdr + 1) == seq &&
	       hdr->len == s->msg_size && !hdr->flags && sum == hdr->csum;
}

static ssize_t xfer_write_msg(struct kdio_xfer_session *s,
			      const char __user *buf, size_t len)
{
	ssize_t ret;

	if (len != s->msg_size)
		return -EINVAL;
	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	if (s->produced >= s->count) {
		ret = -ENOSPC;
	} else if (copy_from_user(s->msg, buf, len)) {
		ret = -EFAULT;
	} else {
		if (!xfer_write_check(s, s->produced) && !s->bad++)
			s->first_bad = s->produced;
		s->produced++;
		ret = len;
	}
	mutex_unlock(&s->lock);
	return ret;
}

const struct kdio_xfer_ops kdio_xfer_write = {
	.max_msg	= KDIO_XFER_MSG_MAX,
	.write		= xfer_write_msg,
};
