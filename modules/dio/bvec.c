// SPDX-License-Identifier: GPL-2.0
/*
 * Method "bvec": direct I/O from kernel pages, the way the loop driver
 * (drivers/block/loop.c, lo_rw_aio()) and the NVMe target's file backend
 * (io-cmd-file.c) do it. The block lives in pages allocated one by one and
 * described by a bio_vec array (bvec_pages.c); an ITER_BVEC iov_iter over it
 * goes straight to the file's ->write_iter/->read_iter with a synchronous
 * kiocb (init_sync_kiocb(): IOCB_DIRECT comes from the O_DIRECT file).
 * Direct I/O takes ITER_BVEC pages as they are, so there is no user mapping
 * and no copy; this is what replaced the set_fs() recipes.
 *
 * Freeze protection: lo_rw_aio() takes none around its call; write(2)
 * (vfs_write()) takes it with file_start_write(). We take it as write(2)
 * does, around each write call, so that freezing the filesystem waits for
 * our write instead of racing it; it is a no-op on block devices. Calling
 * ->write_iter directly bypasses vfs_iter_write(), so this is our job on
 * every kernel (6.8+ vfs_iter_write() would take it itself). It is taken
 * and dropped in the same task, outside the timed window.
 *
 * Per block: writes fill the pattern first, reads with KDIO_F_VERIFY check
 * it after; only the ->write_iter/->read_iter call is timed.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/uio.h>

#include "dio.h"
#include "bvec_pages.h"
#include "common/compat.h"

/*
 * One timed call over the whole block, buf the struct kdio_bvec_buf, at
 * file offset off; the test-only delay (main.c) is inside the window.
 */
static int dio_bvec_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	bool write = ctx->req->op == KDIO_OP_WRITE;
	struct kdio_bvec_buf *b = buf;
	struct file *file = ctx->file;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t done;
	u64 t0, t1;

	kdio_bvec_buf_iter(b, &iter, write ? ITER_SOURCE : ITER_DEST);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = off;
	if (write) {
		kiocb.ki_flags |= IOCB_WRITE;
		file_start_write(file);
	}
	t0 = ktime_get_ns();
	kdio_dio_inject_delay(ctx);
	if (kdio_dio_drop_write(ctx))
		done = b->len;
	else if (write)
		done = kdio_call_write_iter(file, &kiocb, &iter);
	else
		done = kdio_call_read_iter(file, &kiocb, &iter);
	t1 = ktime_get_ns();
	if (write)
		file_end_write(file);
	return kdio_dio_account(ctx, done, b->len, t1 - t0);
}

static void dio_bvec_fill(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	kdio_bvec_buf_fill(buf, off, ctx->req->seed);
}

static void dio_bvec_verify(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	kdio_bvec_buf_verify(ctx, buf, off);
}

static const struct kdio_dio_block_ops dio_bvec_blocks = {
	.fill	= dio_bvec_fill,
	.io	= dio_bvec_io,
	.verify	= dio_bvec_verify,
};

static int dio_bvec_run(struct kdio_dio_ctx *ctx)
{
	struct kdio_bvec_buf b;
	int ret;

	ret = kdio_bvec_buf_alloc(&b, ctx->req->block_size);
	if (ret)
		return ret;
	ret = kdio_dio_blocks(ctx, &dio_bvec_blocks, &b);
	kdio_bvec_buf_free(&b);
	return ret;
}

const struct kdio_dio_ops kdio_dio_bvec = {
	.open_flags	= O_DIRECT,
	.run		= dio_bvec_run,
};
