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
#include <linux/ktime.h>
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

/*
 * One timed vfs_iter_*() call over the whole mapping at file offset off;
 * the test-only delay (main.c) is inside the window.
 */
static int dio_vmmap_io(struct kdio_dio_ctx *ctx, struct dio_vmmap_bufs *b,
			u64 off)
{
	bool write = ctx->req->op == KDIO_OP_WRITE;
	struct iov_iter iter;
	loff_t pos = off;
	ssize_t done;
	u64 t0;

	iov_iter_ubuf(&iter, write ? ITER_SOURCE : ITER_DEST, b->ubuf, b->len);
	t0 = ktime_get_ns();
	kdio_dio_inject_delay(ctx);
	if (kdio_dio_drop_write(ctx))
		done = b->len;
	else if (write)
		done = kdio_vfs_iter_write(ctx->file, &iter, &pos);
	else
		done = vfs_iter_read(ctx->file, &iter, &pos, 0);
	return kdio_dio_account(ctx, done, b->len, ktime_get_ns() - t0);
}

/* One block at file offset off: fill the pattern, I/O, verify (untimed). */
static int dio_vmmap_block(struct kdio_dio_ctx *ctx, struct dio_vmmap_bufs *b,
			   u64 off)
{
	const struct kdio_dio_req *req = ctx->req;
	int ret;

	if (req->op == KDIO_OP_WRITE) {
		kdio_pattern_fill(b->alias, b->len, off, req->seed);
		flush_kernel_vmap_range(b->alias, b->len);
	}
	ret = dio_vmmap_io(ctx, b, off);
	if (ret)
		return ret;
	if (req->flags & KDIO_F_VERIFY) {
		invalidate_kernel_vmap_range(b->alias, b->len);
		kdio_dio_verify(ctx, b->alias, b->len, off);
	}
	return 0;
}

static int dio_vmmap_run(struct kdio_dio_ctx *ctx)
{
	const struct kdio_dio_req *req = ctx->req;
	struct dio_vmmap_bufs b;
	u64 pos;
	int ret;

	ret = dio_vmmap_setup(&b, req);
	if (ret)
		return ret;
	for (pos = 0; pos < req->total_bytes; pos += req->block_size) {
		ret = kdio_dio_checkpoint();
		if (ret)
			break;
		ret = dio_vmmap_block(ctx, &b, req->offset + pos);
		if (ret)
			break;
	}
	dio_vmmap_teardown(&b);
	return ret;
}

const struct kdio_dio_ops kdio_dio_vmmap = {
	.open_flags	= O_DIRECT,
	.run		= dio_vmmap_run,
};
