/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kdio kernel<->user channels: device names, ioctl numbers and request structs shared
 * by kdio_xfer.ko and the userspace tools. No logic here.
 */
#ifndef _KDIO_UAPI_XFER_H
#define _KDIO_UAPI_XFER_H

#include "kdio/common.h"

/* Bumped on any change of a struct or ioctl in this file. */
#define KDIO_XFER_ABI_VERSION	1

/*
 * kdio_xfer: kernel<->user channels (kdio_xfer.ko, modules/xfer/).
 *
 * The kernel makes messages and a tool consumes them, or the reverse for
 * KDIO_XFER_WRITE. A message is msg_size bytes: a struct kdio_xfer_msg,
 * then the payload, which is the kdio pattern (modules/common/pattern.h) for the
 * session's seed at payload offset 0 with its first 8 bytes replaced by
 * seq. csum is the sum, modulo 2^64, of the msg_size / 8 native-endian
 * 64-bit words of the message with the csum word taken as 0. ts_ns is
 * ktime_get_ns() (CLOCK_MONOTONIC, as clock_gettime() gives user space)
 * when the message was made; for KDIO_XFER_WRITE, the tool's clock.
 */
struct kdio_xfer_msg {
	__u64 seq;		/* 0, 1, 2 ... within the session */
	__u64 ts_ns;
	__u32 len;		/* msg_size */
	__u32 flags;		/* 0 */
	__u64 csum;
};

/*
 * How the messages move; one kernel source file each. X(value, ops) gives
 * a channel its enum kdio_xfer_channel value KDIO_XFER_<value> (counted
 * from 0 in this order, which is the ABI: append only) and its ops in the
 * module (kdio_xfer_<ops>, which names it in the kernel's messages). The
 * names user space measures them by are the consumers' (KDIO_XFER_CONSUMERS
 * in userspace/xfer/consumers.h: relay has two).
 */
#define KDIO_XFER_CHANNELS(X)						\
	X(READ,		read)		/* read() on /dev/kdio_xfer */	\
	X(WRITE,	write)		/* write() on it: the tool produces */ \
	X(IOCTL,	ioctl)		/* KDIO_IOC_XFER_FETCH */	\
	X(MMAP,		mmap)		/* mapped ring, KDIO_IOC_XFER_RING_FILL */ \
	X(PROC_SEQ,	proc_seq)	/* KDIO_XFER_PROC_SEQ_FILE, seq_file */ \
	X(PROC_READ,	proc_read)	/* KDIO_XFER_PROC_READ_FILE, .proc_read */ \
	X(SYSFS,	sysfs)		/* KDIO_XFER_SYSFS_FILE, bin attribute */ \
	X(NETLINK,	netlink)	/* generic netlink KDIO_XFER_GENL_NAME */ \
	X(RELAY,	relay)		/* relay, KDIO_XFER_RELAY_DIR/cpuN */

#define KDIO_XFER_CHANNEL_ENUM(value, ops)	KDIO_XFER_##value,

enum kdio_xfer_channel {
	KDIO_XFER_CHANNELS(KDIO_XFER_CHANNEL_ENUM)
	KDIO_XFER_NR_CHANNELS
};

#define KDIO_XFER_DEVICE		"/dev/kdio_xfer"
#define KDIO_XFER_PROC_SEQ_FILE		"/proc/kdio_xfer_seq"
#define KDIO_XFER_PROC_READ_FILE	"/proc/kdio_xfer_read"
#define KDIO_XFER_SYSFS_FILE		"/sys/kernel/kdio_xfer/msg"
#define KDIO_XFER_RELAY_DIR		"/sys/kernel/debug/kdio_xfer"

/*
 * msg_size: a multiple of KDIO_XFER_MSG_ALIGN from KDIO_XFER_MSG_MIN (the
 * header and the payload's seq word) to the channel's cap:
 * KDIO_XFER_MSG_MAX, except KDIO_XFER_SYSFS (a read() of a sysfs file
 * moves at most a page; 16 calls a message at the cap) and
 * KDIO_XFER_NETLINK (one attribute: its length is 16 bits).
 */
#define KDIO_XFER_MSG_MIN		40ULL
#define KDIO_XFER_MSG_ALIGN		8ULL
#define KDIO_XFER_MSG_MAX		(1ULL << 20)
#define KDIO_XFER_SYSFS_MSG_MAX		(64ULL << 10)
#define KDIO_XFER_NETLINK_MSG_MAX	65528ULL
/*
 * ring_bytes (KDIO_XFER_MMAP, KDIO_XFER_RELAY only; 0 for the default):
 * a page multiple up to KDIO_XFER_RING_MAX. mmap: the ring, at least one
 * message. relay: the buffer of each CPU, at least two sub-buffers.
 */
#define KDIO_XFER_RING_DEFAULT		(4ULL << 20)
#define KDIO_XFER_RING_MAX		(64ULL << 20)

/*
 * KDIO_IOC_XFER_SETUP on an open /dev/kdio_xfer (mode 0600) starts a
 * session, once per open file (again: -EBUSY), and at most one session
 * per channel at a time (another open file's: -EBUSY). Closing the file
 * ends it. Errors: -EFAULT (bad pointer), -EPROTO (abi_version or
 * struct_size), -EINVAL (reserved set, unknown channel, msg_size or
 * ring_bytes outside the limits above, count 0), -EBUSY, -ENOMEM; relay
 * without debugfs: -ENODEV.
 *
 * Per channel, after the setup:
 * READ: read() returns the next message, or 0 after count; a buffer
 *   shorter than msg_size is -EINVAL.
 * WRITE: write() takes exactly msg_size bytes (else -EINVAL), one message
 *   made as above by the tool, seq counting from 0; after count, -ENOSPC.
 *   The module checks len, seq, the payload's seq word and csum, and
 *   counts a message that fails in bad (the write still succeeds).
 * IOCTL: KDIO_IOC_XFER_FETCH copies the next message to buf and returns
 *   msg_size, or 0 after count; len < msg_size: -EINVAL.
 * MMAP: mmap(MAP_SHARED, length map_size, offset 0) maps a control page
 *   (struct kdio_xfer_ring) and slots ring slots of msg_size bytes; the
 *   message seq is in slot seq % slots. KDIO_IOC_XFER_RING_FILL makes
 *   as many messages as there are free slots, in place. mmap before the
 *   setup, of another length, at an offset or without MAP_SHARED: -EINVAL.
 * PROC_SEQ, PROC_READ, SYSFS: the files serve the session of their
 *   channel (opening a proc file without one: -ENODEV; it keeps serving
 *   that session while open). The proc files are a stream of the count
 *   messages, message k at file offset k * msg_size; reopening starts
 *   over. PROC_READ: each read() returns one message and needs an offset
 *   that is a multiple of msg_size and a buffer of msg_size, else -EINVAL.
 *   SYSFS: a read at offset 0 makes the next message (0 after count),
 *   reads at offsets 1..msg_size-1 return the rest of it (before any
 *   offset-0 read: -EINVAL); one reader at a time.
 * NETLINK: KDIO_XFER_CMD_SEND (see below) streams the messages.
 * RELAY: the session's relay channel is KDIO_XFER_RELAY_DIR/cpuN, N = cpu
 *   below: the CPU the setup ran on. KDIO_IOC_XFER_RELAY_FILL writes
 *   messages with relay_write() into that CPU's buffer until the next one
 *   would need a sub-buffer the consumer has not released, so the caller
 *   must stay on that CPU (sched_setaffinity(); elsewhere: -EINVAL). Each
 *   sub-buffer starts with a struct kdio_xfer_relay_subbuf, then whole
 *   messages; relay's padding fills the rest. read() of cpuN returns them
 *   without the padding; with relay's mmap (length map_size), the
 *   consumer releases sub-buffers through the next fill's consumed.
 *   A message relay refuses because the buffer is full is counted in
 *   drops by the sub-buffer callback.
 * Other ioctls: -ENOTTY; a channel's ioctl, read, write or mmap on
 * another channel's session, or KDIO_IOC_XFER_STATS or any of them before
 * the setup: -EINVAL.
 */
struct kdio_xfer_req {
	/* in */
	__u32 abi_version;	/* KDIO_XFER_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_xfer_req), else -EPROTO */
	__u32 channel;		/* enum kdio_xfer_channel */
	__u32 reserved;		/* 0 */
	__u64 msg_size;		/* bytes per message, header included */
	__u64 count;		/* messages in the session, > 0 */
	__u64 seed;		/* payload pattern seed */
	__u64 ring_bytes;	/* KDIO_XFER_MMAP, KDIO_XFER_RELAY; else 0 */
	/* out: set by the setup, counters also by KDIO_IOC_XFER_STATS */
	__u64 produced;		/* messages made (WRITE: taken) */
	__u64 drops;		/* made but not delivered (NETLINK, RELAY) */
	__u64 bad;		/* WRITE: messages that failed the check */
	__u64 first_bad;	/* WRITE: index of the first; valid if bad */
	__u64 map_size;		/* MMAP: bytes to map; RELAY: per CPU */
	__u64 slots;		/* MMAP: ring slots; RELAY: sub-buffers */
	__u64 slot_size;	/* MMAP: msg_size; RELAY: sub-buffer bytes */
	__u32 cpu;		/* RELAY: the CPU of the session's buffer */
	__u32 reserved2;	/* 0 */
};

/* KDIO_IOC_XFER_FETCH: where to put the next message. */
struct kdio_xfer_fetch {
	__u64 buf;		/* user address */
	__u64 len;		/* bytes there, at least msg_size */
};

/* KDIO_IOC_XFER_RING_FILL and KDIO_IOC_XFER_RELAY_FILL. */
struct kdio_xfer_fill {
	__u64 consumed;		/* in, RELAY mmap: sub-buffers read since
				 * the last fill, else 0 */
	__u64 produced;		/* out: messages made by this call */
	__u64 total;		/* out: made in the session so far */
	__u64 drops;		/* out: dropped in the session so far */
};

/*
 * The control page of the KDIO_XFER_MMAP mapping. The kernel advances
 * producer (store-release, after writing the slots); the tool reads the
 * slots below it, then advances consumer (store-release). A consumer
 * value the kernel cannot make sense of makes the next fill -EINVAL.
 */
struct kdio_xfer_ring {
	__u64 producer;		/* messages made, never wraps */
	__u64 pad0[7];		/* one cache line each */
	__u64 consumer;		/* messages done with */
	__u64 pad1[7];
	__u64 slots;		/* as in the setup */
	__u64 slot_size;
	__u64 data_offset;	/* of slot 0 from the mapping: one page */
};

/*
 * Start of every relay sub-buffer. padding (bytes unused at its end) is
 * written when the producer moves to the next sub-buffer; until then 0.
 */
struct kdio_xfer_relay_subbuf {
	__u64 index;		/* sub-buffer number in the session */
	__u64 padding;
};

/*
 * Generic netlink family KDIO_XFER_GENL_NAME (CAP_NET_ADMIN). SEND, with
 * COUNT and MSG_SIZE, needs a KDIO_XFER_NETLINK session (none: -ENODEV);
 * MSG_SIZE must be its msg_size and COUNT at most the messages it has
 * left (else -EINVAL). The kernel then unicasts COUNT MSG replies to the
 * sender's port, each carrying one message in a MSG attribute, and one
 * DONE carrying PRODUCED and DROPS of this SEND. A reply that finds the
 * receive queue full is retried, with short sleeps, for up to
 * KDIO_XFER_NETLINK_WAIT_MS; then it is dropped and counted, and later
 * ones are not waited for until one gets through. The handler runs in the
 * sender's thread, so the replies must be read by another thread.
 */
#define KDIO_XFER_GENL_NAME		"kdio_xfer"
#define KDIO_XFER_GENL_VERSION		1
#define KDIO_XFER_NETLINK_WAIT_MS	20

enum kdio_xfer_genl_cmd {
	KDIO_XFER_CMD_UNSPEC,
	KDIO_XFER_CMD_SEND,
	KDIO_XFER_CMD_MSG,
	KDIO_XFER_CMD_DONE,
	__KDIO_XFER_CMD_MAX
};

enum kdio_xfer_genl_attr {
	KDIO_XFER_A_UNSPEC,
	KDIO_XFER_A_COUNT,	/* u64 */
	KDIO_XFER_A_MSG_SIZE,	/* u64 */
	KDIO_XFER_A_MSG,	/* binary: one message */
	KDIO_XFER_A_PRODUCED,	/* u64 */
	KDIO_XFER_A_DROPS,	/* u64 */
	KDIO_XFER_A_PAD,
	__KDIO_XFER_A_MAX
};
#define KDIO_XFER_A_MAX			(__KDIO_XFER_A_MAX - 1)

#define KDIO_IOC_XFER_SETUP	_IOWR(KDIO_IOC_MAGIC, 0x20, struct kdio_xfer_req)
#define KDIO_IOC_XFER_STATS	_IOR(KDIO_IOC_MAGIC, 0x21, struct kdio_xfer_req)
#define KDIO_IOC_XFER_FETCH	_IOW(KDIO_IOC_MAGIC, 0x22, struct kdio_xfer_fetch)
#define KDIO_IOC_XFER_RING_FILL	_IOWR(KDIO_IOC_MAGIC, 0x23, struct kdio_xfer_fill)
#define KDIO_IOC_XFER_RELAY_FILL _IOWR(KDIO_IOC_MAGIC, 0x24, struct kdio_xfer_fill)

#endif /* _KDIO_UAPI_XFER_H */
