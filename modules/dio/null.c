// SPDX-License-Identifier: GPL-2.0
/*
 * Method "null": walks the blocks of the request like a real method, with
 * the same checkpoint, timing and accounting per block, but moves no data.
 * Its figures are the cost of the ioctl, the loop and ktime_get_ns() itself,
 * which the harness subtracts from, or sets beside, the real methods (as
 * fio's null engine does). The file is opened all the same; KDIO_F_VERIFY
 * has nothing to check. The test-only delay_us (main.c) applies here
 * too, in place of the call.
 */
#include <linux/fcntl.h>
#include <linux/ktime.h>

#include "dio.h"

static int dio_null_run(struct kdio_dio_ctx *ctx)
{
	const struct kdio_dio_req *req = ctx->req;
	u64 pos, t0;
	int ret = 0;

	for (pos = 0; pos < req->total_bytes; pos += req->block_size) {
		ret = kdio_dio_checkpoint();
		if (ret)
			break;
		t0 = ktime_get_ns();
		/* the I/O call would be here */
		kdio_dio_inject_delay(ctx);
		ret = kdio_dio_account(ctx, req->block_size, req->block_size,
				       ktime_get_ns() - t0);
		if (ret)
			break;
	}
	return ret;
}

const struct kdio_dio_ops kdio_dio_null = {
	.open_flags	= O_DIRECT,
	.run		= dio_null_run,
};
