/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kdio user/kernel ABI: device names, ioctl numbers and request structs
 * shared by the kdio modules and the userspace tools. No logic here.
 */
#ifndef _KDIO_UAPI_H
#define _KDIO_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on any change of a struct or ioctl below. */
#define KDIO_ABI_VERSION	3

#define KDIO_DIO_DEVICE		"/dev/kdio_dio"
#define KDIO_KBUF_DEVICE	"/dev/kdio_kbuf"
#define KDIO_PATH_MAX		256
/* Largest block a single I/O call may move (64 MiB). */
#define KDIO_MAX_BLOCK		(64ULL << 20)
/* Block size and file offset must be multiples of this (O_DIRECT floor). */
#define KDIO_MIN_ALIGN		512ULL
/* Most requests one run may keep in flight (queue_depth). */
#define KDIO_MAX_QD		256
/*
 * Largest total_bytes of a KDIO_DIO_BVEC_ASYNC run (256 MiB). That method
 * holds the whole run in kernel pages, filled before its first request,
 * so that the timed pipeline submits from ready buffers as fio does; this
 * bounds the memory one request can pin.
 */
#define KDIO_ASYNC_MAX_TOTAL	(256ULL << 20)

/*
 * Per-call latency histogram, fio's clat histogram (its stat.h,
 * FIO_IO_U_PLAT_*): KDIO_CLAT_GROUPS groups of KDIO_CLAT_VAL bins,
 * log-linear, so that a bin is at most 1/KDIO_CLAT_VAL of its value wide.
 *
 * A latency of v ns whose most significant bit is m (m = 0 for v = 0)
 * goes into bin v when m <= KDIO_CLAT_BITS (v < 2 * KDIO_CLAT_VAL), else
 * into bin (m - KDIO_CLAT_BITS + 1) * KDIO_CLAT_VAL +
 * ((v >> (m - KDIO_CLAT_BITS)) & (KDIO_CLAT_VAL - 1)), at most the last
 * one, KDIO_CLAT_NR_BINS - 1, which takes every v from
 * 2^33 + 63 * 2^27 ns (about 17 s) on. Bin i below 2 * KDIO_CLAT_VAL
 * stands for i ns; above, with e = i / KDIO_CLAT_VAL - 1, for the middle
 * of its range, 2^(e + KDIO_CLAT_BITS) + (i % KDIO_CLAT_VAL) * 2^e +
 * 2^(e - 1) ns: the bin's key in fio's json+ "bins". kdio_clat.c goes
 * both ways.
 */
#define KDIO_CLAT_BITS		6
#define KDIO_CLAT_VAL		(1U << KDIO_CLAT_BITS)
#define KDIO_CLAT_GROUPS	29
#define KDIO_CLAT_NR_BINS	(KDIO_CLAT_GROUPS * KDIO_CLAT_VAL)	/* 1856 */

/*
 * The latencies of one run's I/O calls: each call, from just before it is
 * made to just after it returns (KDIO_DIO_BVEC_ASYNC: each request, from
 * its submission to its completion), a failed one included, so samples
 * equals calls. All out: whatever comes in is overwritten.
 */
struct kdio_clat {
	__u64 samples;		/* latencies counted in bins */
	__u64 min_ns;		/* shortest; 0 if no sample */
	__u64 max_ns;		/* longest; 0 if no sample */
	__u64 sum_ns;		/* of all: mean = sum_ns / samples */
	__u64 bins[KDIO_CLAT_NR_BINS];
};

/*
 * How the kernel moves the data; one kernel source file each, the two kvec
 * methods sharing theirs.
 */
enum kdio_dio_method {
	KDIO_DIO_NULL		= 0,	/* walk the blocks, no I/O: overhead */
	KDIO_DIO_VMMAP		= 1,	/* vm_mmap()ed user buffer, vfs_iter_* */
	KDIO_DIO_BVEC		= 2,	/* kernel pages, bvec iter, ->write_iter */
	KDIO_DIO_BVEC_ASYNC	= 3,	/* the same with ki_complete, queued */
	KDIO_DIO_BUFFERED	= 4,	/* no O_DIRECT: kernel_write + fsync */
	KDIO_DIO_KVEC_KMALLOC	= 5,	/* kernel_write/read, O_DIRECT, kmalloc */
	KDIO_DIO_KVEC_VMALLOC	= 6,	/* the same on vmalloc memory */
	KDIO_DIO_NR_METHODS
};

enum kdio_dio_op {
	KDIO_OP_WRITE	= 0,
	KDIO_OP_READ	= 1,
};

/* Request flags. Unknown bits are rejected with -EINVAL. */
#define KDIO_F_VERIFY	(1U << 0)	/* read: check every block against the pattern */
#define KDIO_F_ALL	(KDIO_F_VERIFY)

/*
 * One run of one method: total_bytes moved in block_size calls, starting at
 * offset of the file at path, which the module opens itself, with O_DIRECT
 * for every method but KDIO_DIO_BUFFERED. Written data follow the kdio
 * pattern (kdio_pattern.c) for seed.
 *
 * The path is resolved in the caller's context and is never created: a
 * missing file is -ENOENT, a directory -EISDIR, anything but a regular file
 * or a block device -EINVAL; other lookup failures are open(2)'s (-ENOTDIR,
 * -ELOOP, -EACCES). Needs CAP_SYS_ADMIN, else -EPERM.
 *
 * The ioctl returns 0 or -errno. A request that fails validation (-EFAULT,
 * -EPROTO, -EINVAL, -ENAMETOOLONG, -EPERM, -ENOTTY), or that the kernel
 * has no memory to copy in (-ENOMEM), leaves user memory untouched. From
 * the path lookup on, the out fields, clat included, are copied back
 * whatever the outcome, and error equals the ioctl's return. A short read
 * stops the run with -ENODATA, a short write with -ENOSPC, a fatal signal
 * with -EINTR, and a method that cannot allocate its pages ends it with
 * -ENOMEM before any I/O (KDIO_DIO_BVEC_ASYNC needs total_bytes of them).
 * Where the kernel cannot do what a method asks (the kvec methods on a
 * kernel whose direct-I/O path cannot take kernel pages) the run ends with
 * that errno, -EFAULT, like any other failed I/O call. A write past the
 * filesystem's largest file size fails as write(2) does, with -EFBIG.
 */
struct kdio_dio_req {
	/* in */
	__u32 abi_version;	/* KDIO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_dio_req), else -EPROTO */
	__u32 method;		/* enum kdio_dio_method, else -EINVAL */
	__u32 op;		/* enum kdio_dio_op, else -EINVAL */
	__u64 block_size;	/* KDIO_MIN_ALIGN multiple, <= KDIO_MAX_BLOCK;
				 * KDIO_DIO_KVEC_KMALLOC: <= the kernel's
				 * KMALLOC_MAX_SIZE (4 MiB on x86-64) */
	__u64 total_bytes;	/* > 0, multiple of block_size;
				 * KDIO_DIO_BVEC_ASYNC: <=
				 * KDIO_ASYNC_MAX_TOTAL */
	__u64 offset;		/* KDIO_MIN_ALIGN multiple; offset +
				 * total_bytes <= 2^63 - 1 */
	__u64 seed;		/* pattern seed */
	__u32 flags;		/* KDIO_F_* */
	__u32 queue_depth;	/* requests in flight; 0 means 1; above 1
				 * only for KDIO_DIO_BVEC_ASYNC; at most
				 * KDIO_MAX_QD; else -EINVAL */
	char path[KDIO_PATH_MAX];	/* NUL-terminated, else -ENAMETOOLONG */
	/* out */
	__u64 bytes_done;	/* bytes moved, a short last call included */
	__u64 elapsed_ns;	/* synchronous methods: time spent inside
				 * the I/O calls only (the buffered write's
				 * final fsync included); KDIO_DIO_BVEC_ASYNC:
				 * busy time, the time during which at least
				 * one request was outstanding (at queue
				 * depth 1 the sum of the request times,
				 * above it about the wall time of the run).
				 * Pattern fill and verify are always
				 * outside it. See the method's source for
				 * the details */
	__u64 calls;		/* I/O calls made (async: requests completed) */
	__u64 bad_blocks;	/* verified blocks that differ from the pattern */
	__u64 first_bad_offset;	/* lowest file offset of a bad block; valid
				 * only if bad_blocks > 0 */
	__s32 error;		/* -errno the run ended with, 0 if none */
	__u32 reserved1;
	struct kdio_clat clat;	/* the latency of every I/O call */
};

/* How /dev/kdio_kbuf maps its buffer into the caller. */
enum kdio_kbuf_mode {
	KDIO_KBUF_PFN	= 0,	/* remap_pfn_range(): VM_PFNMAP, like /dev/mem */
	KDIO_KBUF_PAGES	= 1,	/* vm_insert_pages(): ordinary struct pages */
};

/*
 * KDIO_IOC_KBUF_SETUP on an open /dev/kdio_kbuf (root only, mode 0600):
 * allocate size bytes of zeroed kernel pages for this open file, to be
 * mapped with mmap(MAP_SHARED, length size, offset 0) as mode says. Once
 * per open file (again: -EBUSY); the pages are freed when the file is
 * released, which the mapping delays until it is unmapped.
 *
 * Errors: -EFAULT (bad pointer), -EPROTO (abi_version or struct_size),
 * -EINVAL (size 0, not a page multiple or above KDIO_MAX_BLOCK; unknown
 * mode; reserved set), -EBUSY, -ENOMEM; other ioctls -ENOTTY. mmap gives
 * -EINVAL before the setup, without MAP_SHARED, at a nonzero offset or for
 * another length. Unlike /dev/kdio_dio, no capability is checked: the
 * device node's mode is the gate, and the pages hold nothing but zeros.
 */
struct kdio_kbuf_req {
	__u32 abi_version;	/* KDIO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_kbuf_req), else -EPROTO */
	__u64 size;		/* bytes */
	__u32 mode;		/* enum kdio_kbuf_mode */
	__u32 reserved;		/* must be 0 */
};

#define KDIO_IOC_MAGIC		0xD1
#define KDIO_IOC_DIO_RUN	_IOWR(KDIO_IOC_MAGIC, 1, struct kdio_dio_req)
#define KDIO_IOC_KBUF_SETUP	_IOW(KDIO_IOC_MAGIC, 2, struct kdio_kbuf_req)

/*
 * kdio_xfer: kernel<->user channels (kdio_xfer.ko, xfer_*.c).
 *
 * The kernel makes messages and a tool consumes them, or the reverse for
 * KDIO_XFER_WRITE. A message is msg_size bytes: a struct kdio_xfer_msg,
 * then the payload, which is the kdio pattern (kdio_pattern.h) for the
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

/* How the messages move; one kernel source file each (xfer_<name>.c). */
enum kdio_xfer_channel {
	KDIO_XFER_READ		= 0,	/* read() on /dev/kdio_xfer */
	KDIO_XFER_WRITE		= 1,	/* write() on it: the tool produces */
	KDIO_XFER_IOCTL		= 2,	/* KDIO_IOC_XFER_FETCH */
	KDIO_XFER_MMAP		= 3,	/* mapped ring, KDIO_IOC_XFER_RING_FILL */
	KDIO_XFER_PROC_SEQ	= 4,	/* KDIO_XFER_PROC_SEQ_FILE, seq_file */
	KDIO_XFER_PROC_READ	= 5,	/* KDIO_XFER_PROC_READ_FILE, .proc_read */
	KDIO_XFER_SYSFS		= 6,	/* KDIO_XFER_SYSFS_FILE, bin attribute */
	KDIO_XFER_NETLINK	= 7,	/* generic netlink KDIO_XFER_GENL_NAME */
	KDIO_XFER_RELAY		= 8,	/* relay, KDIO_XFER_RELAY_DIR/cpuN */
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
	__u32 abi_version;	/* KDIO_ABI_VERSION, else -EPROTO */
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

/*
 * kdio_crypto: the kernel crypto API on user data (kdio_crypto.ko,
 * crypto_*.c), one data path per source file.
 *
 * KDIO_IOC_CRYPTO_RUN on /dev/kdio_crypto (mode 0600) runs count requests
 * of len bytes each through the driver named, in place on the caller's
 * buffer: after an encryption it holds the ciphertext, after a decryption
 * the plaintext. The buffer is made of regions of len + tag bytes, tag
 * being KDIO_CRYPTO_GCM_TAG for KDIO_CRYPTO_GCM_AES and 0 for CBC; with
 * queue_depth qd it holds qd of them back to back (qd * (len + tag)
 * bytes), and request i works on region i % qd, once request i - qd on
 * it has completed, whatever the path: each request in flight has its
 * own region, and after the run region r has been through as many
 * requests as there are i < count with i % qd == r, in order. Every
 * request uses the same key, iv and (GCM) associated data, so one region
 * through k encryptions holds E^k of its plaintext, and k decryptions
 * take it back (CBC only: see GCM below).
 *
 * CBC_AES: skcipher "cbc(aes)"; len a multiple of KDIO_CRYPTO_BLOCK; iv
 *   is the 16-byte CBC IV. (An IPsec payload of 1420 bytes is 1424 here,
 *   padded to the block as ESP pads it.)
 * GCM_AES: aead "rfc4106(gcm(aes))", AES-GCM as IPsec ESP uses it: the
 *   key is key_len bytes of AES key, the 4-byte salt is iv[0..3] and the
 *   8-byte explicit IV iv[4..11] (the GCM nonce is iv[0..11]); iv[12..15]
 *   is not used. The associated data are the 8 bytes of an ESP header,
 *   SPI KDIO_CRYPTO_GCM_SPI and sequence number KDIO_CRYPTO_GCM_SEQ, both
 *   big-endian, as in RFC 4106. A region is len bytes of payload (any len)
 *   and then the 16-byte ICV: encryption writes it, decryption checks it
 *   (a mismatch ends the run with -EBADMSG) and leaves it as it was. A
 *   region can thus be decrypted once after an encryption: a GCM decrypt
 *   run must have count <= qd.
 *
 * Paths: ZERO_COPY pins the region's user pages (pin_user_pages_fast,
 * for writing) for each request and builds the request's scatterlist on
 * them, source = destination; they are unpinned when it completes.
 * BOUNCE copies the region into kernel pages of its own (copy_from_user),
 * runs the request there and copies the result back (copy_to_user) once
 * it has completed. queue_depth 1 waits for each request
 * (crypto_wait_req); above it up to qd requests are in flight, each with
 * its own request, IV copy, scatterlist and pages, completed through a
 * callback.
 *
 * driver names the implementation: a driver name (cra_driver_name, e.g.
 * "virtio_crypto_aes_cbc", "cbc-aes-aesni", "cbc(aes-generic)",
 * "rfc4106-gcm-aesni", "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))")
 * or the algorithm's name; empty: the crypto API picks the highest
 * priority one. Unknown to the crypto API: -ENOENT. A name it knows that
 * is not an implementation of the algorithm asked for (of the other
 * algorithm, ecb(aes), an aead for CBC...): -EINVAL.
 *
 * The ioctl returns 0 or -errno. A request that fails validation (-EFAULT,
 * -EPROTO, -EINVAL, -ENAMETOOLONG, -ENOTTY) or names no driver (-ENOENT)
 * leaves user memory untouched. Once the driver is allocated, the out
 * fields are copied back whatever the outcome, and error equals the
 * ioctl's return: -EFAULT when the buffer cannot be pinned, read or
 * written (for BOUNCE only at that request's copy), -EBADMSG (GCM
 * decryption), -ENOMEM, -EINTR after a fatal signal, or the driver's
 * error. The run stops submitting at the first error and waits for every
 * request in flight before it returns, a fatal signal included.
 *
 * elapsed_ns is the wall time from just before the first request's
 * pinning or copy-in to just after the last one's unpinning or copy-back:
 * the path is what is measured. Setting up the driver, the key, the
 * requests and BOUNCE's kernel pages is outside it.
 */
#define KDIO_CRYPTO_DEVICE	"/dev/kdio_crypto"
/* Driver names kdio runs are shorter; a longer driver_used is cut short. */
#define KDIO_CRYPTO_NAME_MAX	64
#define KDIO_CRYPTO_KEY_MAX	32
#define KDIO_CRYPTO_IV_SIZE	16
#define KDIO_CRYPTO_BLOCK	16ULL	/* CBC: len a multiple of it */
#define KDIO_CRYPTO_GCM_TAG	16ULL	/* GCM: ICV bytes after each payload */
#define KDIO_CRYPTO_GCM_SPI	0x6b64696fU	/* "kdio" */
#define KDIO_CRYPTO_GCM_SEQ	1U
#define KDIO_CRYPTO_MAX_LEN	(1ULL << 20)
#define KDIO_CRYPTO_MAX_QD	64

enum kdio_crypto_alg {
	KDIO_CRYPTO_CBC_AES	= 0,	/* cbc(aes) */
	KDIO_CRYPTO_GCM_AES	= 1,	/* rfc4106(gcm(aes)), the ESP case */
	KDIO_CRYPTO_NR_ALGS
};

enum kdio_crypto_path {
	KDIO_CRYPTO_ZERO_COPY	= 0,	/* pinned user pages */
	KDIO_CRYPTO_BOUNCE	= 1,	/* copied through kernel pages */
	KDIO_CRYPTO_NR_PATHS
};

enum kdio_crypto_op {
	KDIO_CRYPTO_ENCRYPT	= 0,
	KDIO_CRYPTO_DECRYPT	= 1,
};

/* No request flags yet: any bit set is -EINVAL. */
#define KDIO_CRYPTO_F_ALL	0U

struct kdio_crypto_req {
	/* in */
	__u32 abi_version;	/* KDIO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_crypto_req), else -EPROTO */
	__u32 alg;		/* enum kdio_crypto_alg, else -EINVAL */
	__u32 path;		/* enum kdio_crypto_path, else -EINVAL */
	__u32 op;		/* enum kdio_crypto_op, else -EINVAL */
	__u32 flags;		/* KDIO_CRYPTO_F_*, else -EINVAL */
	__u32 queue_depth;	/* 1..KDIO_CRYPTO_MAX_QD, else -EINVAL */
	__u32 key_len;		/* 16, 24 or 32, else -EINVAL */
	char driver[KDIO_CRYPTO_NAME_MAX];	/* NUL-terminated, else
						 * -ENAMETOOLONG; "" any */
	__u8 key[KDIO_CRYPTO_KEY_MAX];	/* the first key_len bytes */
	__u8 iv[KDIO_CRYPTO_IV_SIZE];
	__u64 data;		/* user address of the regions (see above) */
	__u64 len;		/* bytes per request: 1..KDIO_CRYPTO_MAX_LEN,
				 * CBC a multiple of KDIO_CRYPTO_BLOCK, else
				 * -EINVAL */
	__u64 count;		/* requests in the run, > 0, else -EINVAL */
	/* out */
	char driver_used[KDIO_CRYPTO_NAME_MAX];	/* cra_driver_name */
	__u64 bytes;		/* len times requests */
	__u64 elapsed_ns;	/* see above */
	__u64 requests;		/* completed without error */
	__s32 error;		/* -errno the run ended with, 0 if none */
	__u32 reserved;		/* 0 */
};

#define KDIO_IOC_CRYPTO_RUN	_IOWR(KDIO_IOC_MAGIC, 0x30, struct kdio_crypto_req)

#endif /* _KDIO_UAPI_H */
