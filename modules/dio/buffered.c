// SPDX-License-Identifier: GPL-2.0
/*
 * Method "buffered": the file opened without O_DIRECT, through the page
 * cache, with the two workarounds that usually stand in for direct I/O.
 *
 * Writes: kernel_write() of each block from a kvmalloc()ed buffer (the
 * copy into the page cache is what is timed), then one vfs_fsync() at the
 * end, whose time is added to elapsed_ns: the data are only as durable as
 * O_DIRECT's once written back, and that is the cost to compare. It is not
 * a call; calls counts the blocks. A run that fails is not synced.
 *
 * Reads: first, untimed, the range is written back and its clean pages
 * dropped from the file's page cache (filemap_write_and_wait_range() +
 * invalidate_mapping_pages()): the scoped form of
 * "echo 1 > /proc/sys/vm/drop_caches", so that the timed kernel_read()
 * calls go to the device, readahead and all. Pages someone has mapped or
 * locked are left, as drop_caches leaves them.
 *
 * kernel_write() takes freeze protection itself, as write(2) does. The
 * blocks go through kdio_dio_kernel_blocks() (main.c), as the kvec
 * methods' do.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "dio.h"

/* Write back, then drop, the cached pages of the range a read will cover. */
static int dio_buffered_drop_cache(struct kdio_dio_ctx *ctx)
{
	const struct kdio_dio_req *req = ctx->req;
	struct address_space *mapping = ctx->file->f_mapping;
	u64 last = req->offset + req->total_bytes - 1;
	int ret;

	ret = filemap_write_and_wait_range(mapping, req->offset, last);
	if (ret)
		return ret;
	invalidate_mapping_pages(mapping, req->offset >> PAGE_SHIFT,
				 last >> PAGE_SHIFT);
	return 0;
}

/* The durability the writes lack until now; timed, not a call. */
static int dio_buffered_sync(struct kdio_dio_ctx *ctx)
{
	u64 t0 = ktime_get_ns();
	int ret;

	ret = vfs_fsync(ctx->file, 0);
	kdio_dio_add_elapsed(ctx, ktime_get_ns() - t0);
	return ret;
}

static int dio_buffered_run(struct kdio_dio_ctx *ctx)
{
	bool write = ctx->req->op == KDIO_OP_WRITE;
	void *buf;
	int ret;

	buf = kvmalloc(ctx->req->block_size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = write ? 0 : dio_buffered_drop_cache(ctx);
	if (!ret)
		ret = kdio_dio_kernel_blocks(ctx, buf);
	if (!ret && write)
		ret = dio_buffered_sync(ctx);
	kvfree(buf);
	return ret;
}

const struct kdio_dio_ops kdio_dio_buffered = {
	.open_flags	= 0,
	.run		= dio_buffered_run,
};
