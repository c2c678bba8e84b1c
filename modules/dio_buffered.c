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
 * kernel_write() takes freeze protection itself, as write(2) does.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "dio.h"
#include "kdio_pattern.h"

/*
 * One timed kernel_write()/kernel_read() of the buffer at file offset off;
 * the test-only delay (dio_main.c) is inside the window.
 */
static int dio_buffered_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	size_t len = ctx->req->block_size;
	loff_t pos = off;
	ssize_t done;
	u64 t0;

	t0 = ktime_get_ns();
	kdio_dio_inject_delay(ctx);
	if (ctx->req->op == KDIO_OP_WRITE)
		done = kernel_write(ctx->file, buf, len, &pos);
	else
		done = kernel_read(ctx->file, buf, len, &pos);
	return kdio_dio_account(ctx, done, len, ktime_get_ns() - t0);
}

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

/* Every block: fill (write) or check (read) around the timed call. */
static int dio_buffered_blocks(struct kdio_dio_ctx *ctx, void *buf)
{
	const struct kdio_dio_req *req = ctx->req;
	u64 pos, off;
	int ret = 0;

	for (pos = 0; pos < req->total_bytes; pos += req->block_size) {
		off = req->offset + pos;
		ret = kdio_dio_checkpoint();
		if (ret)
			break;
		if (req->op == KDIO_OP_WRITE)
			kdio_pattern_fill(buf, req->block_size, off, req->seed);
		ret = dio_buffered_io(ctx, buf, off);
		if (ret)
			break;
		if (req->flags & KDIO_F_VERIFY)
			kdio_dio_verify(ctx, buf, req->block_size, off);
	}
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
		ret = dio_buffered_blocks(ctx, buf);
	if (!ret && write)
		ret = dio_buffered_sync(ctx);
	kvfree(buf);
	return ret;
}

const struct kdio_dio_ops kdio_dio_buffered = {
	.name		= "buffered",
	.open_flags	= 0,
	.run		= dio_buffered_run,
};
