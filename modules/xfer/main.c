// SPDX-License-Identifier: GPL-2.0
/*
 * kdio_xfer: kernel<->user channels, one channel per source file.
 *
 * /dev/kdio_xfer makes sessions: KDIO_IOC_XFER_SETUP (kdio/xfer.h) checks
 * the request, builds the message template and lets the chosen channel
 * set up what it needs; the session then belongs to the open file and is
 * the active one of its channel, which the channels whose endpoints are
 * not this file (proc, sysfs, netlink) look up. Closing the file ends
 * the session; whoever still holds a reference finishes with it.
 *
 * Every channel makes its messages with kdio_xfer_stamp(): the payload is
 * the kdio pattern, made once at setup, and a message only gets its
 * header and its seq word written, the checksum being updated from the
 * sum of the static part, never by reading the payload again.
 *
 * The corrupt_every parameter exists so that the harness can prove that
 * its channel integrity check sees a corrupt message; it is 0 (off) in
 * every real run. Set to N, every N-th message a session stamps (seq
 * N-1, 2N-1, ...) leaves with one byte of its checksum flipped, which the
 * consumer must count as bad. 0..KDIO_XFER_CORRUPT_MAX (-EINVAL beyond);
 * 0644, read once per session, at setup. Messages the kernel consumes
 * (the write channel) are not stamped here and so never corrupted.
 *
 * Locking: kdio_xfer_lock guards the table of active sessions and the
 * setup and end of sessions; s->lock guards a session's message and
 * counters. kdio_xfer_lock is never taken under s->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "common/param.h"
#include "common/pattern.h"
#include "kdio/marker.h"
#include "xfer.h"

#define KDIO_XFER_CHANNEL_ROW(value, ops)	\
	[KDIO_XFER_##value] = &kdio_xfer_##ops,
#define KDIO_XFER_CHANNEL_NAME(value, ops)	\
	[KDIO_XFER_##value] = #ops,

/* The channels' ops and names, by enum kdio_xfer_channel (kdio/xfer.h). */
static const struct kdio_xfer_ops *const kdio_xfer_channels[] = {
	KDIO_XFER_CHANNELS(KDIO_XFER_CHANNEL_ROW)
};

static const char *const kdio_xfer_channel_names[] = {
	KDIO_XFER_CHANNELS(KDIO_XFER_CHANNEL_NAME)
};

/* Largest corrupt_every taken; far above any session's count. */
#define KDIO_XFER_CORRUPT_MAX	1000000000U

KDIO_UINT_PARAM_RANGE(corrupt_every, 0, KDIO_XFER_CORRUPT_MAX,
		      "test only: flip one checksum byte of every N-th message stamped, so that the harness can prove its integrity check sees it (0 = off, default)");

static DEFINE_MUTEX(kdio_xfer_lock);
static struct kdio_xfer_session *kdio_xfer_active[KDIO_XFER_NR_CHANNELS];

/*
 * Write the header and the payload's seq word of message seq into msg,
 * whose payload already holds the template. The checksum follows from
 * the static sum: seq counts twice (header and payload), ts_ns once.
 */
void kdio_xfer_stamp(const struct kdio_xfer_session *s, void *msg, u64 seq)
{
	struct kdio_xfer_msg *hdr = msg;
	u64 *seq_word = (u64 *)(hdr + 1);
	u64 ts;

	/*
	 * The profiler's window (kdio/marker.h) opens before the first
	 * message's stamp, where the figure starts, and kdio-xfer closes it
	 * once the last message is checked.
	 */
	if (!seq && s->ops->marked)
		KDIO_MARK(KDIO_MARK_START);
	ts = ktime_get_ns();

	hdr->seq = seq;
	hdr->ts_ns = ts;
	hdr->len = s->msg_size;
	hdr->flags = 0;
	*seq_word = seq;
	hdr->csum = s->static_sum + 2 * seq + ts;
	if (s->corrupt_every) {
		u32 rem;

		div_u64_rem(seq + 1, s->corrupt_every, &rem);
		if (!rem)
			hdr->csum ^= 0xff;
	}
}

bool kdio_xfer_next(struct kdio_xfer_session *s)
{
	if (s->produced >= s->count)
		return false;
	kdio_xfer_stamp(s, s->msg, s->produced);
	return true;
}

/*
 * The next message copied to buf, which has room for len bytes: returns
 * msg_size, 0 once count are made, -EINVAL if len is below msg_size,
 * -EFAULT if the copy fails (the message is then not counted), or the
 * -EINTR of waiting for s->lock.
 */
ssize_t kdio_xfer_copy_next(struct kdio_xfer_session *s, void __user *buf,
			    u64 len)
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

/*
 * The fill ioctl of the ring channels: reads the struct kdio_xfer_fill at
 * arg, refuses a consumed count above max_consumed with -EINVAL, has
 * produce() take it and make messages under s->lock (setting produced
 * and drops), and copies it back with the total made unless produce()
 * failed.
 */
long kdio_xfer_ring_fill(struct kdio_xfer_session *s, void __user *arg,
			 u64 max_consumed,
			 int (*produce)(struct kdio_xfer_session *s,
					struct kdio_xfer_fill *f))
{
	struct kdio_xfer_fill f;
	long ret;

	if (copy_from_user(&f, arg, sizeof(f)))
		return -EFAULT;
	if (f.consumed > max_consumed)
		return -EINVAL;
	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	ret = produce(s, &f);
	f.total = s->produced;
	mutex_unlock(&s->lock);
	if (ret)
		return ret;
	if (copy_to_user(arg, &f, sizeof(f)))
		return -EFAULT;
	return 0;
}

/* The active session of channel, with a reference; NULL if none. */
struct kdio_xfer_session *kdio_xfer_get_active(u32 channel)
{
	struct kdio_xfer_session *s;

	mutex_lock(&kdio_xfer_lock);
	s = kdio_xfer_active[channel];
	if (s)
		kref_get(&s->kref);
	mutex_unlock(&kdio_xfer_lock);
	return s;
}

static void kdio_xfer_free(struct kdio_xfer_session *s)
{
	kvfree(s->msg);
	mutex_destroy(&s->lock);
	kfree(s);
}

static void kdio_xfer_release_session(struct kref *kref)
{
	struct kdio_xfer_session *s =
		container_of(kref, struct kdio_xfer_session, kref);

	if (s->ops->teardown)
		s->ops->teardown(s);
	kdio_xfer_free(s);
}

void kdio_xfer_put(struct kdio_xfer_session *s)
{
	kref_put(&s->kref, kdio_xfer_release_session);
}

/*
 * The template: a header holding len, the pattern as payload, and the sum
 * of all its words but seq, ts_ns and csum (the payload's seq word is
 * zeroed for the sum, and overwritten by every stamp anyway).
 */
static int kdio_xfer_make_template(struct kdio_xfer_session *s)
{
	struct kdio_xfer_msg *hdr;
	const u64 *word;
	size_t i;

	s->msg = kvzalloc(s->msg_size, GFP_KERNEL);
	if (!s->msg)
		return -ENOMEM;
	hdr = s->msg;
	hdr->len = s->msg_size;
	kdio_pattern_fill(hdr + 1, s->msg_size - sizeof(*hdr), 0,
			  s->setup.seed);
	*(u64 *)(hdr + 1) = 0;
	word = s->msg;
	for (i = 0; i < s->msg_size / sizeof(u64); i++)
		s->static_sum += word[i];
	return 0;
}

/* The ops of a channel that kdio_xfer_check() has passed. */
static const struct kdio_xfer_ops *kdio_xfer_ops_of(u32 channel)
{
	return kdio_xfer_channels[array_index_nospec(channel,
						     KDIO_XFER_NR_CHANNELS)];
}

/* Everything the in fields say, before anything is allocated. */
static int kdio_xfer_check(const struct kdio_xfer_req *req)
{
	const struct kdio_xfer_ops *ops;

	if (req->abi_version != KDIO_XFER_ABI_VERSION ||
	    req->struct_size != sizeof(*req))
		return -EPROTO;
	if (req->reserved || req->channel >= KDIO_XFER_NR_CHANNELS)
		return -EINVAL;
	ops = kdio_xfer_ops_of(req->channel);
	if (req->msg_size < KDIO_XFER_MSG_MIN || req->msg_size > ops->max_msg ||
	    !IS_ALIGNED(req->msg_size, KDIO_XFER_MSG_ALIGN))
		return -EINVAL;
	if (!req->count)
		return -EINVAL;
	if (!ops->ring)
		return req->ring_bytes ? -EINVAL : 0;
	if (req->ring_bytes > KDIO_XFER_RING_MAX ||
	    !PAGE_ALIGNED(req->ring_bytes))
		return -EINVAL;
	return 0;
}

/* A session for a checked request, not yet set up by its channel. */
static struct kdio_xfer_session *
kdio_xfer_alloc(const struct kdio_xfer_req *req)
{
	struct kdio_xfer_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	kref_init(&s->kref);
	mutex_init(&s->lock);
	atomic64_set(&s->drops, 0);
	s->ops = kdio_xfer_ops_of(req->channel);
	s->setup = (struct kdio_xfer_req){	/* the in fields; out zeroed */
		.abi_version	= req->abi_version,
		.struct_size	= req->struct_size,
		.channel	= req->channel,
		.msg_size	= req->msg_size,
		.count		= req->count,
		.seed		= req->seed,
		.ring_bytes	= req->ring_bytes,
	};
	s->msg_size = req->msg_size;
	s->count = req->count;
	s->corrupt_every = READ_ONCE(corrupt_every);
	if (kdio_xfer_make_template(s)) {
		kdio_xfer_free(s);
		return NULL;
	}
	return s;
}

/*
 * Claim the channel for s and make it file's session: -EBUSY if file
 * has one or the channel is taken. The channel sets up under the lock,
 * so that a second setup cannot meet half-made resources (relay files).
 */
static int kdio_xfer_install(struct file *file, struct kdio_xfer_session *s)
{
	u32 channel = s->setup.channel;
	int ret = 0;

	mutex_lock(&kdio_xfer_lock);
	if (file->private_data || kdio_xfer_active[channel])
		ret = -EBUSY;
	else if (s->ops->setup)
		ret = s->ops->setup(s);
	if (!ret) {
		kdio_xfer_active[channel] = s;
		smp_store_release(&file->private_data, s);
	}
	mutex_unlock(&kdio_xfer_lock);
	return ret;
}

/* KDIO_IOC_XFER_SETUP: check, allocate, install, report the layout. */
static long kdio_xfer_setup(struct file *file,
			    struct kdio_xfer_req __user *ureq)
{
	struct kdio_xfer_session *s;
	struct kdio_xfer_req req;
	int ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	ret = kdio_xfer_check(&req);
	if (ret)
		return ret;
	if (READ_ONCE(file->private_data))
		return -EBUSY;	/* cheap early answer; checked again below */

	s = kdio_xfer_alloc(&req);
	if (!s)
		return -ENOMEM;
	ret = kdio_xfer_install(file, s);
	if (ret) {
		kdio_xfer_free(s);
		return ret;
	}
	pr_debug("%s session: %llu x %llu bytes\n",
		 kdio_xfer_channel_names[array_index_nospec(s->setup.channel,
							    KDIO_XFER_NR_CHANNELS)],
		 s->count, s->msg_size);
	if (copy_to_user(ureq, &s->setup, sizeof(s->setup)))
		return -EFAULT;
	return 0;
}

/* KDIO_IOC_XFER_STATS: the setup with the counters as they are now. */
static long kdio_xfer_stats(struct kdio_xfer_session *s,
			    struct kdio_xfer_req __user *ureq)
{
	struct kdio_xfer_req out;
	int ret;

	ret = mutex_lock_interruptible(&s->lock);
	if (ret)
		return ret;
	out = s->setup;
	out.produced = s->produced;
	out.drops = atomic64_read(&s->drops);
	out.bad = s->bad;
	out.first_bad = s->first_bad;
	mutex_unlock(&s->lock);
	if (copy_to_user(ureq, &out, sizeof(out)))
		return -EFAULT;
	return 0;
}

/* The file's session once set up, else NULL. */
static struct kdio_xfer_session *kdio_xfer_session_of(struct file *file)
{
	return smp_load_acquire(&file->private_data);
}

static long kdio_xfer_fop_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct kdio_xfer_session *s = kdio_xfer_session_of(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KDIO_IOC_XFER_SETUP:
		return kdio_xfer_setup(file, uarg);
	case KDIO_IOC_XFER_STATS:
		return s ? kdio_xfer_stats(s, uarg) : -EINVAL;
	case KDIO_IOC_XFER_FETCH:
	case KDIO_IOC_XFER_RING_FILL:
	case KDIO_IOC_XFER_RELAY_FILL:
		if (!s || cmd != s->ops->ioctl_cmd)
			return -EINVAL;
		return s->ops->ioctl(s, uarg);
	default:
		return -ENOTTY;
	}
}

static ssize_t kdio_xfer_fop_read(struct file *file, char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct kdio_xfer_session *s = kdio_xfer_session_of(file);

	if (!s || !s->ops->read)
		return -EINVAL;
	return s->ops->read(s, buf, len);
}

static ssize_t kdio_xfer_fop_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *ppos)
{
	struct kdio_xfer_session *s = kdio_xfer_session_of(file);

	if (!s || !s->ops->write)
		return -EINVAL;
	return s->ops->write(s, buf, len);
}

static int kdio_xfer_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kdio_xfer_session *s = kdio_xfer_session_of(file);

	if (!s || !s->ops->mmap)
		return -EINVAL;
	return s->ops->mmap(s, vma);
}

static int kdio_xfer_fop_open(struct inode *inode, struct file *file)
{
	file->private_data = NULL;	/* was the miscdevice */
	return nonseekable_open(inode, file);
}

/*
 * Last reference to the file (no mapping is left): the channel is free
 * again; the session goes when its last user lets go of it.
 */
static int kdio_xfer_fop_release(struct inode *inode, struct file *file)
{
	struct kdio_xfer_session *s = file->private_data;

	if (!s)
		return 0;
	mutex_lock(&kdio_xfer_lock);
	if (kdio_xfer_active[s->setup.channel] == s)
		kdio_xfer_active[s->setup.channel] = NULL;
	WRITE_ONCE(s->closed, true);
	mutex_unlock(&kdio_xfer_lock);
	kdio_xfer_put(s);
	return 0;
}

static const struct file_operations kdio_xfer_fops = {
	.owner		= THIS_MODULE,
	.open		= kdio_xfer_fop_open,
	.release	= kdio_xfer_fop_release,
	.read		= kdio_xfer_fop_read,
	.write		= kdio_xfer_fop_write,
	.mmap		= kdio_xfer_fop_mmap,
	.unlocked_ioctl	= kdio_xfer_fop_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice kdio_xfer_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kdio_xfer",
	.fops	= &kdio_xfer_fops,
	.mode	= 0600,
};

/* Unload the first nr channels' endpoints, last first. */
static void kdio_xfer_exit_channels(unsigned int nr)
{
	while (nr--)
		if (kdio_xfer_channels[nr]->exit)
			kdio_xfer_channels[nr]->exit();
}

static int __init kdio_xfer_init(void)
{
	unsigned int i;
	int ret;

	BUILD_BUG_ON(ARRAY_SIZE(kdio_xfer_channels) != KDIO_XFER_NR_CHANNELS);
	BUILD_BUG_ON(ARRAY_SIZE(kdio_xfer_channel_names) != KDIO_XFER_NR_CHANNELS);
	BUILD_BUG_ON(sizeof(struct kdio_xfer_msg) != 32);
	BUILD_BUG_ON(KDIO_XFER_MSG_MIN != sizeof(struct kdio_xfer_msg) + 8);
	BUILD_BUG_ON(sizeof(struct kdio_xfer_req) % 8);

	for (i = 0; i < KDIO_XFER_NR_CHANNELS; i++) {
		if (!kdio_xfer_channels[i]->init)
			continue;
		ret = kdio_xfer_channels[i]->init();
		if (ret) {
			pr_err("cannot set up channel %s: %d\n",
			       kdio_xfer_channel_names[i], ret);
			goto out_exit_channels;
		}
	}
	ret = misc_register(&kdio_xfer_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", kdio_xfer_misc.name, ret);
		goto out_exit_channels;
	}
	return 0;

out_exit_channels:
	kdio_xfer_exit_channels(i);
	return ret;
}

/* No /dev/kdio_xfer file is open (.owner), so no session is active. */
static void __exit kdio_xfer_exit(void)
{
	misc_deregister(&kdio_xfer_misc);
	kdio_xfer_exit_channels(KDIO_XFER_NR_CHANNELS);
}

module_init(kdio_xfer_init);
module_exit(kdio_xfer_exit);

MODULE_DESCRIPTION("kdio: kernel<->user message channels");
MODULE_LICENSE("GPL");
