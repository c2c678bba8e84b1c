/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kdio storage paths: device names, ioctl numbers and request structs shared
 * by kdio_dio.ko (/dev/kdio_dio, /dev/kdio_kbuf) and the userspace tools. No logic here.
 */
#ifndef _KDIO_UAPI_DIO_H
#define _KDIO_UAPI_DIO_H

#include "kdio/common.h"

/* Bumped on any change of a struct or ioctl in this file. */
#define KDIO_DIO_ABI_VERSION	3

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
 * 2^(e - 1) ns: the bin's key in fio's json+ "bins". dio/clat.c goes
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
 * methods sharing theirs. This list is the one place a method is named:
 * X(value, ops, name) gives its enum kdio_dio_method value KDIO_DIO_<value>
 * (the values count from 0 in this order, which is the ABI: append only),
 * its ops in the module (kdio_dio_<ops>), and the name kdio-dio -m takes,
 * that it prints and that the harness measures as dio.<name>.
 */
#define KDIO_DIO_METHODS(X)						\
	X(NULL,		null,		"null")		/* walk the blocks, no I/O: overhead */ \
	X(VMMAP,	vmmap,		"vmmap")	/* vm_mmap()ed user buffer, vfs_iter_* */ \
	X(BVEC,		bvec,		"bvec")		/* kernel pages, bvec iter, ->write_iter */ \
	X(BVEC_ASYNC,	bvec_async,	"bvec-async")	/* the same with ki_complete, queued */ \
	X(BUFFERED,	buffered,	"buffered")	/* no O_DIRECT: kernel_write + fsync */ \
	X(KVEC_KMALLOC,	kvec_kmalloc,	"kvec-kmalloc")	/* kernel_write/read, O_DIRECT, kmalloc */ \
	X(KVEC_VMALLOC,	kvec_vmalloc,	"kvec-vmalloc")	/* the same on vmalloc memory */

#define KDIO_DIO_METHOD_ENUM(value, ops, name)	KDIO_DIO_##value,

enum kdio_dio_method {
	KDIO_DIO_METHODS(KDIO_DIO_METHOD_ENUM)
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
 * pattern (common/pattern.c) for seed.
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
	__u32 abi_version;	/* KDIO_DIO_ABI_VERSION, else -EPROTO */
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
	__u32 abi_version;	/* KDIO_DIO_ABI_VERSION, else -EPROTO */
	__u32 struct_size;	/* sizeof(struct kdio_kbuf_req), else -EPROTO */
	__u64 size;		/* bytes */
	__u32 mode;		/* enum kdio_kbuf_mode */
	__u32 reserved;		/* must be 0 */
};

#define KDIO_IOC_DIO_RUN	_IOWR(KDIO_IOC_MAGIC, 1, struct kdio_dio_req)
#define KDIO_IOC_KBUF_SETUP	_IOW(KDIO_IOC_MAGIC, 2, struct kdio_kbuf_req)

#endif /* _KDIO_UAPI_DIO_H */
