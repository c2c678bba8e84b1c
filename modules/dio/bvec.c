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
#include <linux/uio.h>

#include "dio.h"
#include "bvec_pages.h"
#include "common/compat.h"

/* The block's pages, and the iov_iter and kiocb of the call being made. */
struct dio_bvec_state {
	struct kdio_bvec_buf b;
	struct iov_iter iter;
	struct kiocb kiocb;
};

static void dio_bvec_fill(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_bvec_state *st = buf;

	kdio_bvec_buf_fill(&st->b, off, ctx->req->seed);
}

/* The iov_iter over the whole block, a sync kiocb, freeze protection. */
static void dio_bvec_prep(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	bool write = ctx->req->op == KDIO_OP_WRITE;
	struct dio_bvec_state *st = buf;

	kdio_bvec_buf_iter(&st->b, &st->iter, write ? ITER_SOURCE : ITER_DEST);
	init_sync_kiocb(&st->kiocb, ctx->file);
	st->kiocb.ki_pos = off;
	if (write) {
		st->kiocb.ki_flags |= IOCB_WRITE;
		file_start_write(ctx->file);
	}
}

/* The timed call: ->write_iter/->read_iter over the whole block. */
static ssize_t dio_bvec_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_bvec_state *st = buf;

	if (ctx->req->op == KDIO_OP_WRITE)
		return kdio_call_write_iter(ctx->file, &st->kiocb, &st->iter);
	return kdio_call_read_iter(ctx->file, &st->kiocb, &st->iter);
}

static void dio_bvec_finish(struct kdio_dio_ctx *ctx, void *buf)
{
	if (ctx->req->op == KDIO_OP_WRITE)
		file_end_write(ctx->file);
}

static void dio_bvec_verify(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	struct dio_bvec_state *st = buf;

	kdio_bvec_buf_verify(ctx, &st->b, off);
}

static const struct kdio_dio_block_ops dio_bvec_blocks = {
	.fill	= dio_bvec_fill,
	.prep	= dio_bvec_prep,
	.io	= dio_bvec_io,
	.finish	= dio_bvec_finish,
	.verify	= dio_bvec_verify,
};

static int dio_bvec_run(struct kdio_dio_ctx *ctx)
{
	struct dio_bvec_state st;
	int ret;

	ret = kdio_bvec_buf_alloc(&st.b, ctx->req->block_size);
	if (ret)
		return ret;
	ret = kdio_dio_blocks(ctx, &dio_bvec_blocks, &st);
	kdio_bvec_buf_free(&st.b);
	return ret;
}

const struct kdio_dio_ops kdio_dio_bvec = {
	.open_flags	= O_DIRECT,
	.run		= dio_bvec_run,
};
