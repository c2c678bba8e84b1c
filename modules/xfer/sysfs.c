// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "sysfs": the binary attribute /sys/kernel/kdio_xfer/msg, whose
 * size is the channel's cap, KDIO_XFER_SYSFS_MSG_MAX. A read at offset 0
 * stamps the next message of the channel's active session into its kernel
 * copy (after count of them it returns 0); reads at offsets up to
 * msg_size return the rest of that message, and beyond it 0. kernfs moves
 * at most a page per read() call, through a buffer of its own, so a
 * message above a page takes several calls: pread(fd, buf, msg_size, 0),
 * then at the offset where that one stopped.
 *
 * The attribute has no open file of its own to keep a session in: each
 * read looks the active session up (none: -ENODEV). The message being
 * read is the session's, so two readers at once tear each other's
 * messages (the checksums then fail); one reader at a time.
 */
#include <linux/kobject.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "xfer.h"

static struct kobject *xfer_sysfs_kobj;

/* Start the next message at offset 0; copy from the current one. */
static ssize_t xfer_sysfs_copy(struct kdio_xfer_session *s, char *buf,
			       loff_t off, size_t len)
{
	if (off == 0) {
		s->have_msg = kdio_xfer_next(s);
		if (!s->have_msg)
			return 0;
		s->produced++;
	} else if (!s->have_msg) {
		return -EINVAL;
	}
	if ((u64)off >= s->msg_size)
		return 0;
	len = min_t(u64, len, s->msg_size - off);
	memcpy(buf, (char *)s->msg + off, len);
	return len;
}

static ssize_t xfer_sysfs_read(struct file *file, struct kobject *kobj,
			       struct bin_attribute *attr, char *buf,
			       loff_t off, size_t len)
{
	struct kdio_xfer_session *s;
	ssize_t ret;

	s = kdio_xfer_get_active(KDIO_XFER_SYSFS);
	if (!s)
		return -ENODEV;
	ret = mutex_lock_interruptible(&s->lock);
	if (!ret) {
		ret = xfer_sysfs_copy(s, buf, off, len);
		mutex_unlock(&s->lock);
	}
	kdio_xfer_put(s);
	return ret;
}

static const struct bin_attribute xfer_sysfs_msg = {
	.attr	= { .name = "msg", .mode = 0400 },
	.size	= KDIO_XFER_SYSFS_MSG_MAX,
	.read	= xfer_sysfs_read,
};

static int xfer_sysfs_init(void)
{
	int ret;

	xfer_sysfs_kobj = kobject_create_and_add("kdio_xfer", kernel_kobj);
	if (!xfer_sysfs_kobj)
		return -ENOMEM;
	ret = sysfs_create_bin_file(xfer_sysfs_kobj, &xfer_sysfs_msg);
	if (ret)
		goto out_put_kobj;
	return 0;

out_put_kobj:
	kobject_put(xfer_sysfs_kobj);
	return ret;
}

/* Waits for reads in progress. */
static void xfer_sysfs_exit(void)
{
	sysfs_remove_bin_file(xfer_sysfs_kobj, &xfer_sysfs_msg);
	kobject_put(xfer_sysfs_kobj);
}

const struct kdio_xfer_ops kdio_xfer_sysfs = {
	.max_msg	= KDIO_XFER_SYSFS_MSG_MAX,
	.init		= xfer_sysfs_init,
	.exit		= xfer_sysfs_exit,
};
