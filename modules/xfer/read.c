// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "read": read() on /dev/kdio_xfer returns the next message,
 * stamped into the session's kernel copy and moved with copy_to_user().
 * One message per call, the simplest channel there is: the baseline the
 * others are set beside. After count messages read() returns 0.
 */
#include "xfer.h"

static ssize_t xfer_read_msg(struct kdio_xfer_session *s, char __user *buf,
			     size_t len)
{
	return kdio_xfer_copy_next(s, buf, len);
}

const struct kdio_xfer_ops kdio_xfer_read = {
	.marked		= true,
	.max_msg	= KDIO_XFER_MSG_MAX,
	.read		= xfer_read_msg,
};
