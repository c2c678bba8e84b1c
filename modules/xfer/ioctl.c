// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "ioctl": KDIO_IOC_XFER_FETCH { buf, len } copies the next
 * message to buf with copy_to_user() and returns msg_size, or 0 after
 * count messages. The same copy as "read", behind the ioctl path: the
 * difference between the two is the cost of that path.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>

#include "xfer.h"

static long xfer_ioctl_fetch(struct kdio_xfer_session *s, void __user *arg)
{
	struct kdio_xfer_fetch f;

	if (copy_from_user(&f, arg, sizeof(f)))
		return -EFAULT;
	return kdio_xfer_copy_next(s, u64_to_user_ptr(f.buf), f.len);
}

const struct kdio_xfer_ops kdio_xfer_ioctl = {
	.marked		= true,
	.max_msg	= KDIO_XFER_MSG_MAX,
	.ioctl_cmd	= KDIO_IOC_XFER_FETCH,
	.ioctl		= xfer_ioctl_fetch,
};
