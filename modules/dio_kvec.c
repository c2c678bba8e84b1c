// SPDX-License-Identifier: GPL-2.0
/*
 * Methods "kvec-kmalloc" and "kvec-vmalloc": kernel_write()/kernel_read()
 * on the O_DIRECT file, from a kmalloc()ed or vmalloc()ed block. This is
 * what most people try first once set_fs() is gone, and it is recorded as
 * a result, not avoided.
 *
 * kernel_write()/kernel_read() describe the buffer with an ITER_KVEC
 * iov_iter. Direct I/O must hand the block layer pages, and on 6.1 the
 * helper that gets them (iov_iter_get_pages*(), via
 * bio_iov_iter_get_pages()) handles user, bvec, pipe and xarray iterators
 * but not kvec ones: it returns -EFAULT, and the call fails with -EFAULT
 * before any I/O. Kernels whose direct-I/O path extracts pages from any
 * iterator (iov_iter_extract_pages()) accept it, so the outcome is the
 * kernel's, and the run reports whichever it is: -EFAULT ends the run as
 * any failed call does, with the counters copied back.
 *
 * kmalloc() cannot give more than KMALLOC_MAX_SIZE in one piece (4 MiB on
 * x86-64): larger blocks are refused with -EINVAL before the file is
 * opened (max_block below), not left to fail as -ENOMEM.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dio.h"
#include "kdio_pattern.h"

/*
 * One timed call at file offset off: the path under test, with the
 * test-only delay (dio_main.c) inside the window.
 */
static int dio_kvec_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
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

static int dio_kvec_blocks(struct kdio_dio_ctx *ctx, void *buf)
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
		ret = dio_kvec_io(ctx, buf, off);
		if (ret)
			break;
		if (req->flags & KDIO_F_VERIFY)
			kdio_dio_verify(ctx, buf, req->block_size, off);
	}
	return ret;
}

static int dio_kvec_kmalloc_run(struct kdio_dio_ctx *ctx)
{
	void *buf;
	int ret;

	buf = kmalloc(ctx->req->block_size, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	ret = dio_kvec_blocks(ctx, buf);
	kfree(buf);
	return ret;
}

static int dio_kvec_vmalloc_run(struct kdio_dio_ctx *ctx)
{
	void *buf;
	int ret;

	buf = vmalloc(ctx->req->block_size);
	if (!buf)
		return -ENOMEM;
	ret = dio_kvec_blocks(ctx, buf);
	vfree(buf);
	return ret;
}

const struct kdio_dio_ops kdio_dio_kvec_kmalloc = {
	.name		= "kvec-kmalloc",
	.open_flags	= O_DIRECT,
	.max_block	= KMALLOC_MAX_SIZE,
	.run		= dio_kvec_kmalloc_run,
};

const struct kdio_dio_ops kdio_dio_kvec_vmalloc = {
	.name		= "kvec-vmalloc",
	.open_flags	= O_DIRECT,
	.run		= dio_kvec_vmalloc_run,
};
