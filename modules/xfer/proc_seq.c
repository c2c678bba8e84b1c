// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "proc-seq": /proc/kdio_xfer_seq, a seq_file whose records are
 * the messages of the channel's active session, message k at file offset
 * k * msg_size, count of them, then the end of the file.
 *
 * Each show() stamps message k and emits it with seq_write(); seq_file
 * copies it on to the reader from its own buffer. The record is a
 * function of its position, not of a counter, because seq_file shows a
 * record again when its buffer was too small for it (the buffer doubles
 * from one page until a record fits: 2 MiB for 1 MiB messages) or after
 * a seek, and a counter would then skip messages.
 *
 * The file takes a reference to the session when it is opened (none
 * active: -ENODEV) and serves that session until it is closed.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "xfer.h"

#define XFER_PROC_SEQ_NAME	"kdio_xfer_seq"

struct xfer_seq_iter {
	struct kdio_xfer_session *s;
	u64 index;			/* of the message to show */
};

static void *xfer_seq_start(struct seq_file *m, loff_t *pos)
{
	struct xfer_seq_iter *it = m->private;

	if (*pos < 0 || (u64)*pos >= it->s->count)
		return NULL;
	it->index = *pos;
	return it;
}

static void *xfer_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return xfer_seq_start(m, pos);
}

static void xfer_seq_stop(struct seq_file *m, void *v)
{
}

static int xfer_seq_show(struct seq_file *m, void *v)
{
	struct xfer_seq_iter *it = v;
	struct kdio_xfer_session *s = it->s;
	int ret;

	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	kdio_xfer_stamp(s, s->msg, it->index);
	seq_write(m, s->msg, s->msg_size);
	if (!seq_has_overflowed(m))
		s->produced++;
	mutex_unlock(&s->lock);
	return 0;
}

static const struct seq_operations xfer_seq_ops = {
	.start	= xfer_seq_start,
	.next	= xfer_seq_next,
	.stop	= xfer_seq_stop,
	.show	= xfer_seq_show,
};

static int xfer_seq_open(struct inode *inode, struct file *file)
{
	struct kdio_xfer_session *s;
	struct xfer_seq_iter *it;

	s = kdio_xfer_get_active(KDIO_XFER_PROC_SEQ);
	if (!s)
		return -ENODEV;
	it = __seq_open_private(file, &xfer_seq_ops, sizeof(*it));
	if (!it) {
		kdio_xfer_put(s);
		return -ENOMEM;
	}
	it->s = s;
	return 0;
}

static int xfer_seq_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;
	struct xfer_seq_iter *it = m->private;

	kdio_xfer_put(it->s);
	return seq_release_private(inode, file);
}

static const struct proc_ops xfer_seq_proc_ops = {
	.proc_open	= xfer_seq_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= xfer_seq_release,
};

static int xfer_proc_seq_init(void)
{
	if (!proc_create(XFER_PROC_SEQ_NAME, 0400, NULL, &xfer_seq_proc_ops))
		return -ENOMEM;
	return 0;
}

/* Waits for readers in the file's methods; open files are released. */
static void xfer_proc_seq_exit(void)
{
	remove_proc_entry(XFER_PROC_SEQ_NAME, NULL);
}

const struct kdio_xfer_ops kdio_xfer_proc_seq = {
	.max_msg	= KDIO_XFER_MSG_MAX,
	.init		= xfer_proc_seq_init,
	.exit		= xfer_proc_seq_exit,
};
