// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-dio: the checks of the target before the first ioctl (preflight()):
 * that it exists, its type, its file system, that it opens as the module
 * will open it (for the op; O_DIRECT but for the buffered method), its
 * O_DIRECT alignment, and that the I/O ends inside it. Each refusal is one
 * message that names the input, says what is wrong and what to do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common.h"
#include "kdio/dio.h"
#include "preflight.h"

/*
 * Where struct statx keeps stx_dio_offset_align. Headers older than the
 * field (Linux 6.1) have spare space there, which the kernel fills.
 */
#define STX_DIO_OFFSET_ALIGN_AT	0x9c
#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN		0x2000U
#else
_Static_assert(offsetof(struct statx, stx_dio_offset_align) ==
	       STX_DIO_OFFSET_ALIGN_AT, "struct statx layout");
#endif

static uint32_t stx_dio_offset_align(const struct statx *stx)
{
	uint32_t v;

	memcpy(&v, (const char *)stx + STX_DIO_OFFSET_ALIGN_AT, sizeof(v));
	return v;
}

/*
 * A block device's logical block size, for kernels whose statx does not
 * report STATX_DIOALIGN for block devices; 0 or -errno.
 */
static int blkdev_align(int fd, struct dio_align *a)
{
	int ssz = 0;

	if (ioctl(fd, BLKSSZGET, &ssz))
		return -errno;
	if (ssz <= 0)
		return -EINVAL;
	a->align = (uint32_t)ssz;
	a->source = "ioctl BLKSSZGET: the logical block size, as statx gave no STATX_DIOALIGN";
	return 0;
}

/* statx of the target; 0 or -errno with msg saying what to do. */
static int stat_target(const struct dio_opts *o, struct statx *stx,
		       char *msg, size_t len)
{
	const char *path = o->path;
	int err;

	if (!statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_SIZE | STATX_DIOALIGN, stx))
		return 0;
	err = errno;
	if (err == ENOENT)
		return msg_fail(msg, len, err, "%s: no such file; create it first (kdio-verify -w -f %s -s %" PRIu64 ")",
				path, path, o->offset + o->size);
	if (err == ENOTDIR)
		return msg_fail(msg, len, err, "%s: a part of the path before the last is not a directory; check the path",
				path);
	if (err == EACCES)
		return msg_fail(msg, len, err, "%s: a directory on the path may not be searched; run as root, or give a path you may reach",
				path);
	if (err == ELOOP)
		return msg_fail(msg, len, err, "%s: too many symbolic links (a loop?); give the file's real path",
				path);
	return msg_fail(msg, len, err, "%s: %s; check the path", path, strerror(err));
}

/* Only a regular file or a block device can do direct I/O; 0 or -errno with msg. */
static int check_type(const struct dio_opts *o, const struct statx *stx,
		      char *msg, size_t len)
{
	mode_t mode = stx->stx_mode;
	char what[64];

	if (S_ISREG(mode) || S_ISBLK(mode))
		return 0;
	if (S_ISDIR(mode))
		return msg_fail(msg, len, EISDIR, "%s is a directory; give a file in it (kdio-verify -w -f %s/FILE -s SIZE makes one) or a block device",
				o->path, o->path);
	if (S_ISCHR(mode))
		snprintf(what, sizeof(what), "a character device (%u:%u)",
			 stx->stx_rdev_major, stx->stx_rdev_minor);
	else
		snprintf(what, sizeof(what), "%s", S_ISFIFO(mode) ? "a FIFO (named pipe)" :
			 S_ISSOCK(mode) ? "a socket" : "not a regular file");
	return msg_fail(msg, len, EINVAL, "%s is %s, which cannot do direct I/O; give a regular file or a block device",
			o->path, what);
}

/* File systems a message names, and the pseudo ones among them. */
static const struct {
	long type;
	const char *name;
	bool pseudo;	/* the kernel's state, not stored data */
} fs_types[] = {
	{ PROC_SUPER_MAGIC, "proc", true }, { SYSFS_MAGIC, "sysfs", true },
	{ DEBUGFS_MAGIC, "debugfs", true }, { TRACEFS_MAGIC, "tracefs", true },
	{ SECURITYFS_MAGIC, "securityfs", true }, { CGROUP2_SUPER_MAGIC, "cgroup2", true },
	{ CGROUP_SUPER_MAGIC, "cgroup", true }, { BPF_FS_MAGIC, "bpf", true },
	{ EFIVARFS_MAGIC, "efivarfs", true }, { TMPFS_MAGIC, "tmpfs", false },
	{ RAMFS_MAGIC, "ramfs", false }, { V9FS_MAGIC, "9p", false },
	{ OVERLAYFS_SUPER_MAGIC, "overlay", false }, { FUSE_SUPER_MAGIC, "fuse", false },
};

/* The entry of fs_types for type, or -1. */
static int fs_type(long type)
{
	size_t i;

	for (i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++)
		if (fs_types[i].type == type)
			return (int)i;
	return -1;
}

/* The name of the file system of path, into buf. */
static const char *fs_name(const char *path, char *buf, size_t len)
{
	struct statfs sf;
	int i;

	if (statfs(path, &sf))
		return "unknown";
	i = fs_type((long)sf.f_type);
	if (i >= 0)
		return fs_types[i].name;
	snprintf(buf, len, "type 0x%lx", (long)sf.f_type);
	return buf;
}

/*
 * A file of proc, sysfs and the like is the kernel's own state: no
 * storage to measure, and writing it could change the system. 0, or
 * -EINVAL with msg.
 */
static int check_fs(const struct dio_opts *o, char *msg, size_t len)
{
	struct statfs sf;
	int i;

	if (statfs(o->path, &sf))
		return 0;	/* the open says what is wrong */
	i = fs_type((long)sf.f_type);
	if (i < 0 || !fs_types[i].pseudo)
		return 0;
	return msg_fail(msg, len, EINVAL, "%s is on %s, which holds the kernel's own state, not stored data (writing it could change the system); give a file on a disk file system, or a block device",
			o->path, fs_types[i].name);
}

/* Why the open the module will do failed, as msg; -err. */
static int open_error(const struct dio_opts *o, bool direct, int err, char *msg, size_t len)
{
	const char *path = o->path, *op = op_names[o->op];
	char buf[32];

	if (err == EINVAL && direct)
		return msg_fail(msg, len, err, "%s: its file system (%s) does not support O_DIRECT (open with O_DIRECT fails with EINVAL); use a file on one that does (ext4, xfs, btrfs) or a block device, or -m buffered",
				path, fs_name(path, buf, sizeof(buf)));
	if (err == EROFS)
		return msg_fail(msg, len, err, "%s is on a read-only file system; give a file on a writable one, or -o read",
				path);
	if (err == EACCES || err == EPERM)
		return msg_fail(msg, len, err, "%s: no permission to open it for %s; run as root, or give a file you may %s",
				path, op, op);
	if (err == ETXTBSY)
		return msg_fail(msg, len, err, "%s is a program that is running, which may not be written; give another file",
				path);
	return msg_fail(msg, len, err, "%s: opening it for %s failed: %s; check the file",
			path, op, strerror(err));
}

/*
 * Open the target as the module will (for the op, with O_DIRECT but for
 * -m buffered); the fd, or -errno with msg.
 */
static int open_target(const struct dio_opts *o, char *msg, size_t len)
{
	bool direct = o->method != KDIO_DIO_BUFFERED;
	int flags = (o->op == KDIO_OP_WRITE ? O_WRONLY : O_RDONLY) |
		    (direct ? O_DIRECT : 0) | O_CLOEXEC;
	int fd = open(o->path, flags);

	return fd >= 0 ? fd : open_error(o, direct, errno, msg, len);
}

/* The target's size in *size: the file's, or the device's; 0 or -errno with msg. */
static int target_size(const struct dio_opts *o, int fd, const struct statx *stx,
		       uint64_t *size, char *msg, size_t len)
{
	*size = stx->stx_size;
	if (S_ISBLK(stx->stx_mode) && ioctl(fd, BLKGETSIZE64, size))
		return msg_fail(msg, len, errno, "%s: cannot read the device's size (BLKGETSIZE64): %s; check the device",
				o->path, strerror(errno));
	return 0;
}

/* A read must end inside the target, a write inside a device; 0 or -errno with msg. */
static int check_extent(const struct dio_opts *o, const struct statx *stx, uint64_t size,
			char *msg, size_t len)
{
	uint64_t end = o->offset + o->size;	/* no overflow: check_range() */
	const char *off = o->offset_arg ? o->offset_arg : "0";
	bool blk = S_ISBLK(stx->stx_mode);

	if (end <= size || (!blk && o->op == KDIO_OP_WRITE))
		return 0;
	if (!blk)
		return msg_fail(msg, len, ENODATA, "%s holds %" PRIu64 " bytes, less than the %" PRIu64 " this read needs (-O %s + -s %s); write them first (kdio-verify -w -f %s -O %" PRIu64 " -s %" PRIu64 "), or lower -O or -s",
				o->path, size, end, off, o->size_arg, o->path, o->offset, o->size);
	return msg_fail(msg, len, o->op == KDIO_OP_READ ? ENODATA : ENOSPC,
			"%s is a device of %" PRIu64 " bytes: a %s of -s %s at -O %s goes past its end; lower -O or -s so that they add up to at most %" PRIu64,
			o->path, size, op_names[o->op], o->size_arg, off, size);
}

/*
 * The O_DIRECT alignment of a block device: statx if it reports one,
 * else the logical block size, else the kdio minimum, saying which.
 */
static void find_blkdev_align(int fd, const struct statx *stx, struct dio_align *a)
{
	if ((stx->stx_mask & STATX_DIOALIGN) && stx_dio_offset_align(stx)) {
		a->align = stx_dio_offset_align(stx);
		a->source = "statx(STATX_DIOALIGN)";
	} else if (blkdev_align(fd, a)) {
		a->align = KDIO_MIN_ALIGN;
		a->source = "the kdio minimum: neither statx nor BLKSSZGET gave an alignment";
	}
}

/*
 * The O_DIRECT alignment of a regular file. Only a filesystem that answers
 * STATX_DIOALIGN with 0 is known not to support O_DIRECT; one that does not
 * answer gets the kdio minimum, and the kernel has the last word.
 */
static int find_file_align(const struct dio_opts *o, const struct statx *stx,
			   struct dio_align *a, char *msg, size_t len)
{
	if (!(stx->stx_mask & STATX_DIOALIGN)) {
		a->align = KDIO_MIN_ALIGN;
		a->source = "the kdio minimum: statx gave no STATX_DIOALIGN";
		return 0;
	}
	a->align = stx_dio_offset_align(stx);
	a->source = "statx(STATX_DIOALIGN)";
	if (a->align)
		return 0;
	snprintf(msg, len, "%s: the filesystem reports no O_DIRECT support (statx(STATX_DIOALIGN) gives offset alignment 0); use a file on a filesystem with O_DIRECT, or -m buffered",
		 o->path);
	return -EINVAL;
}

/*
 * BS and OFFSET suit the target's O_DIRECT alignment (found into a); the
 * buffered method has none, but the kdio ABI's minimum. 0 or -errno.
 */
static int check_alignment(const struct dio_opts *o, int fd, const struct statx *stx,
			   struct dio_align *a, char *msg, size_t len)
{
	uint32_t align = KDIO_MIN_ALIGN;
	const char *what = NULL, *source = "the kdio ABI minimum, KDIO_MIN_ALIGN";
	uint64_t val = 0;

	if (o->method != KDIO_DIO_BUFFERED) {
		if (S_ISBLK(stx->stx_mode))
			find_blkdev_align(fd, stx, a);
		else if (find_file_align(o, stx, a, msg, len))
			return -EINVAL;
		align = a->align;
		source = a->source;
	}
	if (o->block_size % align) {
		what = "block size";
		val = o->block_size;
	} else if (o->offset % align) {
		what = "offset";
		val = o->offset;
	}
	if (!what)
		return 0;
	return msg_fail(msg, len, EINVAL, "%s %" PRIu64 " is not a multiple of %" PRIu32 ", the alignment for %s (from %s); use a multiple of %" PRIu32,
			what, val, align, o->path, source, align);
}

int preflight(const struct dio_opts *o, struct dio_align *a, char *msg, size_t len)
{
	struct statx stx;
	uint64_t size;
	int fd, ret;

	*a = (struct dio_align){ 0 };
	ret = stat_target(o, &stx, msg, len);
	if (!ret)
		ret = check_type(o, &stx, msg, len);
	if (!ret)
		ret = check_fs(o, msg, len);
	if (ret)
		return ret;
	fd = open_target(o, msg, len);
	if (fd < 0)
		return fd;
	ret = target_size(o, fd, &stx, &size, msg, len);
	if (!ret)
		ret = check_alignment(o, fd, &stx, a, msg, len);
	if (!ret)
		ret = check_extent(o, &stx, size, msg, len);
	close(fd);
	return ret;
}
