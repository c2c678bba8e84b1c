// SPDX-License-Identifier: GPL-2.0
/*
 * Methods "kvec-kmalloc" and "kvec-vmalloc": kernel_write()/kernel_read()
 * on the O_DIRECT file, from a kmalloc()ed or vmalloc()ed block. This is
 * what most people try first once set_fs() is gone, and it is recorded as
 * a result, not avoided.
 *
 * The blocks go through kdio_dio_kernel_blocks() (main.c), as the
 * "buffered" method's do. kernel_write()/kernel_read() describe the
 * buffer with an ITER_KVEC iov_iter. Direct I/O must hand the block
 * layer pages, and on 6.1 the helper that gets them
 * (iov_iter_get_pages*(), via bio_iov_iter_get_pages()) handles user,
 * bvec, pipe and xarray iterators but not kvec ones: it returns -EFAULT,
 * and the call fails with -EFAULT before any I/O. Kernels whose
 * direct-I/O path extracts pages from any iterator
 * (iov_iter_extract_pages()) accept it, so the outcome is the kernel's,
 * and the run reports whichever it is: -EFAULT ends the run as any failed
 * call does, with the counters copied back.
 *
 * kmalloc() cannot give more than KMALLOC_MAX_SIZE in one piece (4 MiB on
 * x86-64): larger blocks are refused with -EINVAL before the file is
 * opened (max_block below), not left to fail as -ENOMEM.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dio.h"

static int dio_kvec_kmalloc_run(struct kdio_dio_ctx *ctx)
{
	void *buf;
	int ret;

	buf = kmalloc(ctx->req->block_size, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	ret = kdio_dio_kernel_blocks(ctx, buf);
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
	ret = kdio_dio_kernel_blocks(ctx, buf);
	vfree(buf);
	return ret;
}

const struct kdio_dio_ops kdio_dio_kvec_kmalloc = {
	.open_flags	= O_DIRECT,
	.max_block	= KMALLOC_MAX_SIZE,
	.run		= dio_kvec_kmalloc_run,
};

const struct kdio_dio_ops kdio_dio_kvec_vmalloc = {
	.open_flags	= O_DIRECT,
	.run		= dio_kvec_vmalloc_run,
};
