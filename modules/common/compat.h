/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, kept to a few inline wrappers.
 *
 * kdio builds on 6.1 and later. It uses iov_iter_ubuf() (6.0+) and
 * ITER_SOURCE/ITER_DEST (6.1+), which exist on every supported kernel,
 * instead of import_single_range(), gone in 6.12; and it calls
 * f_op->read_iter/write_iter directly, as the call_{read,write}_iter()
 * helpers are gone in 6.12 too. Freeze protection around vfs_iter_write()
 * is the caller's job before 6.8 and vfs_iter_write()'s own since. VMA
 * flags are set with vm_flags_set() since 6.3, by hand before.
 */
#ifndef _KDIO_COMPAT_H
#define _KDIO_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "kdio needs Linux 6.1 or later (iov_iter_ubuf, ITER_SOURCE/ITER_DEST)"
#endif

static inline ssize_t kdio_call_read_iter(struct file *file,
					  struct kiocb *kiocb,
					  struct iov_iter *iter)
{
	return file->f_op->read_iter(kiocb, iter);
}

static inline ssize_t kdio_call_write_iter(struct file *file,
					   struct kiocb *kiocb,
					   struct iov_iter *iter)
{
	return file->f_op->write_iter(kiocb, iter);
}

/* vfs_iter_write() holding freeze protection exactly once. */
static inline ssize_t kdio_vfs_iter_write(struct file *file,
					  struct iov_iter *iter, loff_t *ppos)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	ssize_t ret;

	file_start_write(file);
	ret = vfs_iter_write(file, iter, ppos, 0);
	file_end_write(file);
	return ret;
#else
	return vfs_iter_write(file, iter, ppos, 0);
#endif
}

/* Set flags on a VMA being set up by an mmap handler. */
static inline void kdio_vm_flags_set(struct vm_area_struct *vma,
				     unsigned long flags)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	vma->vm_flags |= flags;
#else
	vm_flags_set(vma, flags);
#endif
}

#endif /* _KDIO_COMPAT_H */
