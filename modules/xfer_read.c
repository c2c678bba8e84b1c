// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "read": read() on /dev/kdio_xfer returns the next message,
 * stamped into the session's kernel copy and moved with copy_to_user().
 * One message per call, the simplest channel there is: the baseline the
 * others are set beside. After count messages read() returns 0.
 */
#include <linux/uaccess.h>

#include "xfer.h"

static ssize_t xfer_read_msg(struct kdio_xfer_session *s, char __user *buf,
			     size_t len)
{
	ssize_t ret;

	if (len < s->msg_size)
		return -EINVAL;
	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	if (kdio_xfer_next(s)) {
		ret = s->msg_size;
		if (copy_to_user(buf, s->msg, s->msg_size))
			ret = -EFAULT;
		else
			s->produced++;
	}
	mutex_unlock(&s->lock);
	return ret;
}

const struct kdio_xfer_ops kdio_xfer_read = {
	.name		= "read",
	.max_msg	= KDIO_XFER_MSG_MAX,
	.read		= xfer_read_msg,
};
