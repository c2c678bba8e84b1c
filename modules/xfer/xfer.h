/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private contract between main.c and the kernel<->user channels of
 * kdio_xfer.ko, one channel per file, each ending in a struct
 * kdio_xfer_ops (KDIO_XFER_CHANNELS in kdio/xfer.h names them).
 * To add a channel: copy read.c, add its X() line to KDIO_XFER_CHANNELS
 * (which declares its ops below and puts them in main.c's table) and its
 * object to Kbuild; user space takes it through a consumer of kdio-xfer
 * (userspace/xfer/consumers.h).
 *
 * main.c owns the sessions: it checks the setup, makes the message
 * template, publishes the session as its channel's active one and ends
 * it. Channels only move messages, made with kdio_xfer_stamp(), which is
 * the same for all of them.
 */
#ifndef _KDIO_XFER_H
#define _KDIO_XFER_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "kdio/xfer.h"

/*
 * One session: a validated setup and its counters. The kref is held by
 * the /dev/kdio_xfer file that made it and by whoever looked it up as
 * the active session of its channel (open proc files, a sysfs read, a
 * netlink SEND) for as long as they use it.
 */
struct kdio_xfer_session {
	struct kref kref;
	struct mutex lock;		/* msg, the counters, priv's state */
	const struct kdio_xfer_ops *ops;
	struct kdio_xfer_req setup;	/* in fields, and out layout fields */
	u64 msg_size;			/* = setup.msg_size, setup.count */
	u64 count;
	u32 corrupt_every;		/* test-only parameter, read at setup */
	void *msg;			/* the kernel copy of a message:
					 * template payload, stamped header */
	u64 static_sum;			/* csum of msg without seq and ts */
	u64 produced;			/* made (WRITE: taken) so far */
	atomic64_t drops;		/* may count with interrupts off */
	u64 bad;
	u64 first_bad;
	bool have_msg;			/* SYSFS: msg holds a message */
	bool closed;			/* its /dev/kdio_xfer file is gone */
	void *priv;			/* the channel's own state */
};

struct kdio_xfer_ops {
	/* Largest msg_size: KDIO_XFER_MSG_MAX or the channel's cap. */
	u64 max_msg;
	/* Takes ring_bytes. */
	bool ring;
	/*
	 * Its figure starts at the first message's stamp, made when the
	 * consumer asks for it: the profiler's window opens there (the ring
	 * channels stamp ahead, and proc_seq's and sysfs's first stamps come
	 * more than once, so theirs have no window).
	 */
	bool marked;
	/* Module load and unload: the channel's files, family, directory. */
	int (*init)(void);
	void (*exit)(void);
	/* Per session, all optional: resources and the out layout fields. */
	int (*setup)(struct kdio_xfer_session *s);
	void (*teardown)(struct kdio_xfer_session *s);
	ssize_t (*read)(struct kdio_xfer_session *s, char __user *buf,
			size_t len);
	ssize_t (*write)(struct kdio_xfer_session *s, const char __user *buf,
			 size_t len);
	/* The one ioctl of the channel, if any, and its handler. */
	unsigned int ioctl_cmd;
	long (*ioctl)(struct kdio_xfer_session *s, void __user *arg);
	int (*mmap)(struct kdio_xfer_session *s, struct vm_area_struct *vma);
};

#define KDIO_XFER_CHANNEL_OPS(value, ops)	\
	extern const struct kdio_xfer_ops kdio_xfer_##ops;
KDIO_XFER_CHANNELS(KDIO_XFER_CHANNEL_OPS)

/* Helpers for the channels, in main.c. */
void kdio_xfer_stamp(const struct kdio_xfer_session *s, void *msg, u64 seq);
/*
 * Stamp message number s->produced into s->msg; false once count are made.
 * The caller holds s->lock and counts the message in s->produced once it
 * is delivered.
 */
bool kdio_xfer_next(struct kdio_xfer_session *s);
/*
 * The next message into a user buffer of len bytes, or a ring channel's
 * fill ioctl around its produce(); both take s->lock themselves.
 */
ssize_t kdio_xfer_copy_next(struct kdio_xfer_session *s, void __user *buf,
			    u64 len);
long kdio_xfer_ring_fill(struct kdio_xfer_session *s, void __user *arg,
			 u64 max_consumed,
			 int (*produce)(struct kdio_xfer_session *s,
					struct kdio_xfer_fill *f));
struct kdio_xfer_session *kdio_xfer_get_active(u32 channel);
void kdio_xfer_put(struct kdio_xfer_session *s);

#endif /* _KDIO_XFER_H */
