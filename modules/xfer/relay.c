// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "relay": a relay channel per session, its per-CPU buffers in
 * debugfs as kdio_xfer/cpu0..N, in no-overwrite mode. Each buffer is
 * ring_bytes cut into sub-buffers of at least ring_bytes / 8 and at least
 * a message (page multiples); each sub-buffer starts with a struct
 * kdio_xfer_relay_subbuf, reserved by the sub-buffer callback, which also
 * writes the padding of the sub-buffer it leaves, as relay's
 * documentation suggests, so that an mmap reader can find it.
 *
 * KDIO_IOC_XFER_RELAY_FILL stamps messages into the session's kernel copy
 * and relay_write()s them, which copies them into the buffer of the CPU
 * it runs on. The session's CPU is the one its setup ran on; the tool
 * pins itself there, and a fill from another CPU is refused (-EINVAL),
 * since its messages would land in a buffer the tool does not read. A
 * fill stops before a message that would need a sub-buffer the reader has
 * not released, so the producer waits for the reader, as the other
 * channels do; a read() reader releases sub-buffers by reading them, an
 * mmap reader by passing their number in the next fill's consumed. If
 * relay nevertheless finds no free sub-buffer, the callback refuses the
 * switch (relay then discards the message) and counts a drop: none is
 * lost silently.
 *
 * relay keeps the buffers until the last reader closes its file, so a
 * reader may outlive the session (and the module): relay's files have
 * relay's own file operations, and the callbacks run only from the
 * session's own calls (relay_open(), relay_write(), relay_close()). The
 * files are made with debugfs_create_file_unsafe(), as debugfs's
 * protecting proxy has no mmap: an open file holds its buffer itself.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/relay.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include "xfer.h"

#define XFER_RELAY_DIR		"kdio_xfer"
#define XFER_RELAY_BASE		"cpu"
/* Sub-buffers a buffer is cut into when messages are small. */
#define XFER_RELAY_SUBBUFS	8
/* Messages written between two chances for the scheduler. */
#define XFER_RELAY_BATCH	256

static struct dentry *xfer_relay_dir;

/*
 * relay switches sub-buffers: write the padding of the one it leaves,
 * refuse (and count a drop) if the next one has not been consumed, else
 * start it with its header.
 */
static int xfer_relay_subbuf_start(struct rchan_buf *buf, void *subbuf,
				   void *prev_subbuf, size_t prev_padding)
{
	struct kdio_xfer_session *s = buf->chan->private_data;
	struct kdio_xfer_relay_subbuf *hdr = subbuf;

	if (prev_subbuf)
		((struct kdio_xfer_relay_subbuf *)prev_subbuf)->padding =
			prev_padding;
	if (relay_buf_full(buf)) {
		atomic64_inc(&s->drops);
		return 0;
	}
	hdr->index = buf->subbufs_produced;
	hdr->padding = 0;
	subbuf_start_reserve(buf, sizeof(*hdr));
	return 1;
}

static struct dentry *xfer_relay_create_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	struct dentry *dentry;

	dentry = debugfs_create_file_unsafe(filename, mode, parent, buf,
					    &relay_file_operations);
	return IS_ERR(dentry) ? NULL : dentry;
}

static int xfer_relay_remove_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks xfer_relay_callbacks = {
	.subbuf_start		= xfer_relay_subbuf_start,
	.create_buf_file	= xfer_relay_create_file,
	.remove_buf_file	= xfer_relay_remove_file,
};

static int xfer_relay_setup(struct kdio_xfer_session *s)
{
	u64 ring = s->setup.ring_bytes ?: KDIO_XFER_RING_DEFAULT;
	u64 min_size = s->msg_size + sizeof(struct kdio_xfer_relay_subbuf);
	u64 size = PAGE_ALIGN(max(min_size, ring / XFER_RELAY_SUBBUFS));
	u64 n = div64_u64(ring, size);
	struct rchan *chan;

	if (IS_ERR_OR_NULL(xfer_relay_dir))
		return -ENODEV;
	if (n < 2)
		return -EINVAL;
	s->setup.cpu = raw_smp_processor_id();
	chan = relay_open(XFER_RELAY_BASE, xfer_relay_dir, size, n,
			  &xfer_relay_callbacks, s);
	if (!chan)
		return -ENOMEM;
	s->priv = chan;
	s->setup.ring_bytes = ring;
	s->setup.map_size = chan->alloc_size;
	s->setup.slots = n;
	s->setup.slot_size = size;
	return 0;
}

static void xfer_relay_teardown(struct kdio_xfer_session *s)
{
	relay_close(s->priv);
}

/*
 * A message of len bytes would need a new sub-buffer, and relay would find
 * it still unconsumed. subbufs_consumed may be raised meanwhile by a
 * reader on another CPU; reading it early only stops a fill early.
 */
static bool xfer_relay_full(const struct rchan_buf *buf, size_t len)
{
	size_t size = buf->chan->subbuf_size;
	size_t ready = buf->subbufs_produced - READ_ONCE(buf->subbufs_consumed);

	if (buf->offset + len <= size)
		return false;
	if (buf->offset <= size)	/* the switch will produce this one */
		ready++;
	return ready >= buf->chan->n_subbufs;
}

/* Write the next message: 1, 0 if the buffer is full, or -EINVAL. */
static int xfer_relay_write_one(struct kdio_xfer_session *s,
				struct rchan *chan)
{
	int ret = 1;

	preempt_disable();
	if (smp_processor_id() != s->setup.cpu) {
		ret = -EINVAL;
	} else if (xfer_relay_full(*this_cpu_ptr(chan->buf), s->msg_size)) {
		ret = 0;
	} else {
		kdio_xfer_next(s);
		relay_write(chan, s->msg, s->msg_size);
	}
	preempt_enable();
	return ret;
}

/* Write messages until count or a full buffer; *made is how many. */
static int xfer_relay_produce(struct kdio_xfer_session *s, u64 *made)
{
	int ret = 0;
	u64 n = 0;

	while (s->produced < s->count) {
		ret = xfer_relay_write_one(s, s->priv);
		if (ret <= 0)
			break;
		s->produced++;
		if (!(++n % XFER_RELAY_BATCH))
			cond_resched();
	}
	*made = n;
	return ret < 0 ? ret : 0;
}

/* Under s->lock: the sub-buffers read since the last fill, then more. */
static int xfer_relay_fill_locked(struct kdio_xfer_session *s,
				  struct kdio_xfer_fill *f)
{
	int ret;

	if (f->consumed)
		relay_subbufs_consumed(s->priv, s->setup.cpu, f->consumed);
	ret = xfer_relay_produce(s, &f->produced);
	f->drops = atomic64_read(&s->drops);
	return ret;
}

/* At most every sub-buffer can have been read since the last fill. */
static long xfer_relay_fill(struct kdio_xfer_session *s, void __user *arg)
{
	return kdio_xfer_ring_fill(s, arg, s->setup.slots,
				   xfer_relay_fill_locked);
}

/* Without debugfs the module still loads; relay sessions get -ENODEV. */
static int xfer_relay_init(void)
{
	xfer_relay_dir = debugfs_create_dir(XFER_RELAY_DIR, NULL);
	return 0;
}

/* No session is left: relay_close() has removed the channel files. */
static void xfer_relay_exit(void)
{
	debugfs_remove(xfer_relay_dir);
}

const struct kdio_xfer_ops kdio_xfer_relay = {
	.max_msg	= KDIO_XFER_MSG_MAX,
	.ring		= true,
	.init		= xfer_relay_init,
	.exit		= xfer_relay_exit,
	.setup		= xfer_relay_setup,
	.teardown	= xfer_relay_teardown,
	.ioctl_cmd	= KDIO_IOC_XFER_RELAY_FILL,
	.ioctl		= xfer_relay_fill,
};
