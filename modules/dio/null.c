// SPDX-License-Identifier: GPL-2.0
/*
 * Method "null": walks the blocks of the request like a real method, with
 * the same block loop, timed window and accounting (dio.h,
 * kdio_dio_blocks()), but no call in the window and no data moved.
 * Its figures are the cost of the ioctl, the loop and ktime_get_ns() itself,
 * which the harness subtracts from, or sets beside, the real methods (as
 * fio's null engine does). The file is opened all the same; KDIO_F_VERIFY
 * has nothing to check. The test-only delay_us (main.c) applies here
 * too, in place of the call.
 */
#include <linux/fcntl.h>

#include "dio.h"

/* No hooks: the core's block loop and timed window, with no call in it. */
static const struct kdio_dio_block_ops dio_null_blocks;

static int dio_null_run(struct kdio_dio_ctx *ctx)
{
	return kdio_dio_blocks(ctx, &dio_null_blocks, NULL);
}

const struct kdio_dio_ops kdio_dio_null = {
	.open_flags	= O_DIRECT,
	.run		= dio_null_run,
};
