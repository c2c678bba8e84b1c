// SPDX-License-Identifier: GPL-2.0
/*
 * Method "vmmap": direct I/O from a user buffer that the module maps into
 * the calling process itself.
 *
 * The 2.6-era recipe for file I/O from a module was do_mmap_pgoff() of an
 * anonymous buffer in current->mm (or plain kernel memory), then
 * set_fs(KERNEL_DS) so that the uaccess checks accept kernel addresses, and
 * vfs_write()/vfs_read() on a file opened with O_DIRECT. It no longer
 * compiles: vfs_write()/vfs_read() are not exported since 4.14, and set_fs()
 * is gone on x86 since 5.10 (and everywhere since 5.18). The modern form
 * kept here: vm_mmap() an anonymous buffer into the caller's mm, describe
 * it with a ubuf iov_iter, and call the exported vfs_iter_write() (under
 * freeze protection, as write(2) is) or vfs_iter_read(). The data really
 * cross a user mapping, so direct I/O pins its pages as it would for a
 * read(2)/write(2) from that process.
 *
 * The buffer starts on a PMD (2 MiB) boundary inside a mapping one PMD
 * larger than its length rounded up to a PMD, so that transparent huge
 * pages can back it whatever its size and wherever vm_mmap() puts the
 * mapping (6.1 does not align anonymous mappings; 6.12 aligns only those
 * whose length is a multiple of 2 MiB): direct I/O then pins one huge page
 * per 2 MiB, not every 4 KiB page. Whether THP is used stays the system's
 * choice (/sys/kernel/mm/transparent_hugepage/enabled). The buffer is
 * faulted in when it is set up, so that the first-touch page faults (and
 * the zeroing of fresh anonymous pages) are not paid by the first timed
 * call: a read into untouched pages would fault them in from
 * get_user_pages() inside the timed window.
 *
 * Per block: writes fill the pattern into the mapping's own pages and
 * reads with KDIO_F_VERIFY check them there, through a kernel alias of the
 * buffer (its pages pinned once at setup and vmap()ed), so no block is
 * copied across the user boundary outside the timed window: under TCG a
 * copy_to_user() of a 1 MiB block cost far more than the I/O it staged.
 * Only the vfs_iter_*() call is timed; the I/O itself still goes through
 * the user mapping, whose pages direct I/O pins as for read(2)/write(2).
 */
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "dio.h"
#include "common/compat.h"
#include "common/pattern.h"

struct dio_vmmap_bufs {
	unsigned long map;	/* the vm_mmap()ed range in current->mm */
	size_t map_len;
	void __user *ubuf;	/* the buffer: PMD-aligned, inside it */
	struct page **pages;	/* its pages, pinned, when the pattern is used */
	unsigned long nr_pages;
	void *alias;		/* their vmap(): the buffer seen by the kernel */
	size_t len;
	struct iov_iter iter;	/* over ubuf, for the block being moved */
};

/*
 * Map the user buffer and fault it in; when the pattern is written or
 * checked, pin its pages and map them into the kernel too. Process context
 * only: the mapping goes into the mm of the task that issued the ioctl.
 */
static int dio_vmmap_setup(struct dio_vmmap_bufs *b,
			   const struct kdio_dio_req *req)
{
	bool need_alias = req->op == KDIO_OP_WRITE ||
			  (req->flags & KDIO_F_VERIFY);
	unsigned long addr;
	long pinned;
	int ret;

	if (!current->mm)
		return -EINVAL;
	b->len = req->block_size;
	b->map_len = ALIGN(b->len, PMD_SIZE) + PMD_SIZE;
	addr = vm_mmap(NULL, 0, b->map_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	b->map = addr;
	b->ubuf = (void __user *)ALIGN(addr, PMD_SIZE);
	b->pages = NULL;
	b->alias = NULL;
	b->nr_pages = DIV_ROUND_UP(b->len, PAGE_SIZE);
	if (fault_in_writeable(b->ubuf, b->len)) {
		ret = -EFAULT;
		goto out_unmap;
	}
	if (!need_alias)
		return 0;

	b->pages = kvcalloc(b->nr_pages, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	pinned = pin_user_pages_fast((unsigned long)b->ubuf, b->nr_pages,
				     FOLL_WRITE, b->pages);
	if (pinned != b->nr_pages) {
		if (pinned > 0)
			unpin_user_pages(b->pages, pinned);
		ret = pinned < 0 ? (int)pinned : -EFAULT;
		goto out_free;
	}
	b->alias = vmap(b->pages, b->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!b->alias) {
		ret = -ENOMEM;
		goto out_unpin;
	}
	return 0;

out_unpin:
	unpin_user_pages(b->pages, b->nr_pages);
out_free:
	kvfree(b->pages);
out_unmap:
	vm_munmap(b->map, b->map_len);
	return ret;
}

static void dio_vmmap_teardown(struct dio_vmmap_bufs *b)
{
	if (b->alias) {
		vunmap(b->alias);
		unpin_user_pages_dirty_lock(b->pages, b->nr_pages, true);
		kvfree(b->pages);
	}
	vm_munmap(b->map, b->map_len);
}

/* Writes: the pattern, into the mapping's pages through their alias. */
static void dio_vmmap_fill(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_vmmap_bufs *b = buf;

	kdio_pattern_fill(b->alias, b->len, off, ctx->req->seed);
	flush_kernel_vmap_range(b->alias, b->len);
}

static void dio_vmmap_prep(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_vmmap_bufs *b = buf;

	iov_iter_ubuf(&b->iter, ctx->req->op == KDIO_OP_WRITE ?
		      ITER_SOURCE : ITER_DEST, b->ubuf, b->len);
}

/* The timed call: one vfs_iter_*() over the whole mapping. */
static ssize_t dio_vmmap_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_vmmap_bufs *b = buf;
	loff_t pos = off;

	if (ctx->req->op == KDIO_OP_WRITE)
		return kdio_vfs_iter_write(ctx->file, &b->iter, &pos);
	return vfs_iter_read(ctx->file, &b->iter, &pos, 0);
}

static void dio_vmmap_verify(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_vmmap_bufs *b = buf;

	invalidate_kernel_vmap_range(b->alias, b->len);
	kdio_dio_verify(ctx, b->alias, b->len, off);
}

static const struct kdio_dio_block_ops dio_vmmap_blocks = {
	.fill	= dio_vmmap_fill,
	.prep	= dio_vmmap_prep,
	.io	= dio_vmmap_io,
	.verify	= dio_vmmap_verify,
};

static int dio_vmmap_run(struct kdio_dio_ctx *ctx)
{
	struct dio_vmmap_bufs b;
	int ret;

	ret = dio_vmmap_setup(&b, ctx->req);
	if (ret)
		return ret;
	ret = kdio_dio_blocks(ctx, &dio_vmmap_blocks, &b);
	dio_vmmap_teardown(&b);
	return ret;
}

const struct kdio_dio_ops kdio_dio_vmmap = {
	.open_flags	= O_DIRECT,
	.run		= dio_vmmap_run,
};
