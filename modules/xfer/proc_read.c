// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "proc-read": /proc/kdio_xfer_read with a plain .proc_read,
 * no seq_file: each read() stamps the message at the file offset
 * (message k at k * msg_size) into the session's kernel copy and moves it
 * with copy_to_user(), one message per call, like "read" behind procfs.
 * The offset must be a multiple of msg_size and the buffer at least
 * msg_size long (else -EINVAL); from count * msg_size on, read() gives 0.
 *
 * The file takes a reference to the channel's active session when it is
 * opened (none: -ENODEV) and serves that session until it is closed.
 */
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

#include "xfer.h"

#define XFER_PROC_READ_NAME	"kdio_xfer_read"

static ssize_t xfer_proc_read_msg(struct file *file, char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct kdio_xfer_session *s = file->private_data;
	u64 index, rem;
	ssize_t ret;

	if (*ppos < 0 || len < s->msg_size)
		return -EINVAL;
	index = div64_u64_rem(*ppos, s->msg_size, &rem);
	if (rem)
		return -EINVAL;
	if (index >= s->count)
		return 0;
	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	kdio_xfer_stamp(s, s->msg, index);
	ret = s->msg_size;
	if (copy_to_user(buf, s->msg, s->msg_size)) {
		ret = -EFAULT;
	} else {
		s->produced++;
		*ppos += s->msg_size;
	}
	mutex_unlock(&s->lock);
	return ret;
}

static int xfer_proc_read_open(struct inode *inode, struct file *file)
{
	struct kdio_xfer_session *s;

	s = kdio_xfer_get_active(KDIO_XFER_PROC_READ);
	if (!s)
		return -ENODEV;
	file->private_data = s;
	return 0;
}

static int xfer_proc_read_release(struct inode *inode, struct file *file)
{
	kdio_xfer_put(file->private_data);
	return 0;
}

static const struct proc_ops xfer_proc_read_ops = {
	.proc_open	= xfer_proc_read_open,
	.proc_read	= xfer_proc_read_msg,
	.proc_lseek	= default_llseek,
	.proc_release	= xfer_proc_read_release,
};

static int xfer_proc_read_init(void)
{
	if (!proc_create(XFER_PROC_READ_NAME, 0400, NULL, &xfer_proc_read_ops))
		return -ENOMEM;
	return 0;
}

/* Waits for readers in the file's methods; open files are released. */
static void xfer_proc_read_exit(void)
{
	remove_proc_entry(XFER_PROC_READ_NAME, NULL);
}

const struct kdio_xfer_ops kdio_xfer_proc_read = {
	.marked		= true,
	.max_msg	= KDIO_XFER_MSG_MAX,
	.init		= xfer_proc_read_init,
	.exit		= xfer_proc_read_exit,
};
