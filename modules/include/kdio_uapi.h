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
#define KDIO_ABI_VERSION	1

#define KDIO_DIO_DEVICE		"/dev/kdio_dio"
#define KDIO_PATH_MAX		256
/* Largest block a single I/O call may move (64 MiB). */
#define KDIO_MAX_BLOCK		(64ULL << 20)
/* Block size and file offset must be multiples of this (O_DIRECT floor). */
#define KDIO_MIN_ALIGN		512ULL

/* How the kernel moves the data; one kernel source file each. */
enum kdio_dio_method {
	KDIO_DIO_NULL	= 0,	/* loop over the blocks, no I/O: harness overhead */
	KDIO_DIO_VMMAP	= 1,	/* vm_mmap()ed user buffer, ubuf iter, vfs_iter_* */
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
 * offset of the file at path, which the module opens itself with O_DIRECT.
 * Written data follow the kdio pattern (kdio_pattern.c) for seed.
 *
 * The path is resolved in the caller's context and is never created: a
 * missing file is -ENOENT, a directory -EISDIR, anything but a regular file
 * or a block device -EINVAL. Needs CAP_SYS_ADMIN, else -EPERM.
 *
 * The ioctl returns 0 or -errno. A request that fails validation (-EFAULT,
 * -EPROTO, -EINVAL, -ENAMETOOLONG, -EPERM, -ENOTTY) leaves user memory
 * untouched. From the path lookup on, the out fields are copied back whatever
 * the outcome, and error equals the ioctl's return. A short read stops the
 * run with -ENODATA, a short write with -ENOSPC, a fatal signal with -EINTR.
 */
struct kdio_dio_req {
	/* in */
	__u32 abi_version;	/* KDIO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_dio_req), else -EPROTO */
	__u32 method;		/* enum kdio_dio_method, else -EINVAL */
	__u32 op;		/* enum kdio_dio_op, else -EINVAL */
	__u64 block_size;	/* KDIO_MIN_ALIGN multiple, <= KDIO_MAX_BLOCK */
	__u64 total_bytes;	/* > 0, multiple of block_size */
	__u64 offset;		/* KDIO_MIN_ALIGN multiple; offset +
				 * total_bytes <= 2^63 - 1 */
	__u64 seed;		/* pattern seed */
	__u32 flags;		/* KDIO_F_* */
	__u32 reserved0;	/* must be 0 */
	char path[KDIO_PATH_MAX];	/* NUL-terminated, else -ENAMETOOLONG */
	/* out */
	__u64 bytes_done;	/* bytes moved, a short last call included */
	__u64 elapsed_ns;	/* time spent inside the I/O calls only */
	__u64 calls;		/* I/O calls made */
	__u64 bad_blocks;	/* verified blocks that differ from the pattern */
	__u64 first_bad_offset;	/* file offset of the first bad block; valid
				 * only if bad_blocks > 0 */
	__s32 error;		/* -errno the run ended with, 0 if none */
	__u32 reserved1;
};

#define KDIO_IOC_MAGIC		0xD1
#define KDIO_IOC_DIO_RUN	_IOWR(KDIO_IOC_MAGIC, 1, struct kdio_dio_req)

#endif /* _KDIO_UAPI_H */
