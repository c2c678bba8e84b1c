/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private contract between main.c and the direct-I/O methods, one
 * method per file, each ending in a struct kdio_dio_ops (KDIO_DIO_METHODS
 * in kdio/dio.h names the methods; this is their ops).
 * To add a method: copy null.c, add its X() line to KDIO_DIO_METHODS
 * (which declares its ops below and puts them in main.c's table), and
 * its object to Kbuild.
 * Its ops say how the file is opened and what requests it takes; main.c
 * turns away the rest before the method runs.
 */
#ifndef _KDIO_DIO_H
#define _KDIO_DIO_H

#include <linux/fs.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/types.h>

#include "kdio/dio.h"
#include "kdio/marker.h"

/*
 * One validated request being run. main.c opens file and owns it;
 * the method fills req's out fields, through the helpers below.
 */
struct kdio_dio_ctx {
	struct kdio_dio_req *req;
	struct file *file;
	unsigned int queue_depth;	/* req->queue_depth, 0 made 1 */
	unsigned int delay_us;		/* module parameter, read once */
	unsigned int work_loops;	/* module parameter, read once */
	bool drop_writes;		/* module parameter, read once */
	unsigned int drop_marks;	/* module parameter, read once */
};

struct kdio_dio_ops {
	/* Flags the file is opened with besides the access mode (O_DIRECT). */
	int open_flags;
	/* Takes queue_depth > 1. */
	bool queued;
	/* Largest block_size, if below KDIO_MAX_BLOCK; 0: KDIO_MAX_BLOCK. */
	u64 max_block;
	/* Largest total_bytes; 0: no limit of its own. */
	u64 max_total;
	/* Move req->total_bytes; return 0 or the -errno that ended the run. */
	int (*run)(struct kdio_dio_ctx *ctx);
};

/*
 * One block of a synchronous method's buffer buf at file offset off, as
 * kdio_dio_blocks() runs it: fill (writes: the pattern), prep (what the
 * call needs besides the call: an iov_iter, a kiocb, freeze protection),
 * the timed io (the bytes it moved, or -errno), finish (what prep took,
 * given back), verify (KDIO_F_VERIFY reads). Only io is timed. Any hook
 * may be NULL; a NULL io is the null method's: no call, the block counts
 * as moved.
 */
struct kdio_dio_block_ops {
	void (*fill)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
	void (*prep)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
	ssize_t (*io)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
	void (*finish)(struct kdio_dio_ctx *ctx, void *buf);
	void (*verify)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
};

#define KDIO_DIO_METHOD_OPS(value, ops, name)	\
	extern const struct kdio_dio_ops kdio_dio_##ops;
KDIO_DIO_METHODS(KDIO_DIO_METHOD_OPS)

/* /dev/kdio_kbuf (kbuf_mmap.c), registered with /dev/kdio_dio. */
extern struct miscdevice kdio_kbuf_misc;

/* Helpers for the methods, in main.c. */
int kdio_dio_checkpoint(void);
void kdio_dio_inject_delay(const struct kdio_dio_ctx *ctx);
bool kdio_dio_drop_write(const struct kdio_dio_ctx *ctx);
int kdio_dio_account(struct kdio_dio_ctx *ctx, ssize_t done, size_t want,
		     u64 elapsed_ns);
int kdio_dio_account_request(struct kdio_dio_ctx *ctx, ssize_t done,
			     size_t want, u64 clat_ns);
void kdio_dio_add_elapsed(struct kdio_dio_ctx *ctx, u64 elapsed_ns);
void kdio_dio_bad_block(struct kdio_dio_ctx *ctx, u64 file_offset);
void kdio_dio_verify(struct kdio_dio_ctx *ctx, const void *buf, size_t len,
		     u64 file_offset);
/*
 * The blocks of a request in one kernel buffer of block_size bytes,
 * moved with kernel_write()/kernel_read(): kdio_dio_blocks() with
 * main.c's ops.
 */
int kdio_dio_kernel_blocks(struct kdio_dio_ctx *ctx, void *buf);

/*
 * The timed call, the one window every synchronous method's figures come
 * from, as fio's td_io_queue() owns the timing of every engine: the clock,
 * the test-only delay_us and work_loops, drop_writes, the call, and the
 * accounting of its bytes and latency. A block is block_size bytes. The
 * profiler's markers (kdio/marker.h) bracket the window outside its
 * clock reads, so they are not in what counted mode counts; interrupts
 * are off from each marker to its clock read, so that an interrupt is
 * never in the profiler's region and not in the window (a timer tick
 * there puts a whole tick's instructions into one sample's excess, past
 * the profile check's bound for a 1 MiB read): one pending then is taken
 * inside the window, where both count it.
 * The window holds the irq restore after t0 and the save before t1
 * (about 6 instructions, the same in every call).
 *
 * Inlined, with kdio_dio_blocks(), into each method where its ops are a
 * constant, so that the hooks are direct calls: the window holds the
 * method's call and nothing of the core's making (an indirect call would
 * add a retpoline to every figure counted mode counts).
 */
static __always_inline int
kdio_dio_timed(struct kdio_dio_ctx *ctx, const struct kdio_dio_block_ops *ops,
	       void *buf, u64 off)
{
	size_t len = ctx->req->block_size;
	unsigned long flags;
	ssize_t done;
	u64 t0, t1;

	if (ops->prep)
		ops->prep(ctx, buf, off);
	local_irq_save(flags);
	if (ctx->drop_marks != 1)
		KDIO_MARK(KDIO_MARK_START);
	t0 = ktime_get_ns();
	local_irq_restore(flags);
	kdio_dio_inject_delay(ctx);
	if (!ops->io || kdio_dio_drop_write(ctx))
		done = len;
	else
		done = ops->io(ctx, buf, off);
	local_irq_save(flags);
	t1 = ktime_get_ns();
	if (ctx->drop_marks != 2)
		KDIO_MARK(KDIO_MARK_END);
	local_irq_restore(flags);
	if (ops->finish)
		ops->finish(ctx, buf);
	return kdio_dio_account(ctx, done, len, t1 - t0);
}

/*
 * The block loop of the synchronous methods: for every block of the
 * request, stop if the caller is being killed, fill buf with the pattern
 * (write), move it with one timed call, check it (read with
 * KDIO_F_VERIFY). Returns 0 or the -errno that ended the run.
 */
static __always_inline int
kdio_dio_blocks(struct kdio_dio_ctx *ctx, const struct kdio_dio_block_ops *ops,
		void *buf)
{
	const struct kdio_dio_req *req = ctx->req;
	u64 pos, off;
	int ret = 0;

	for (pos = 0; pos < req->total_bytes; pos += req->block_size) {
		off = req->offset + pos;
		ret = kdio_dio_checkpoint();
		if (ret)
			break;
		if (ops->fill && req->op == KDIO_OP_WRITE)
			ops->fill(ctx, buf, off);
		ret = kdio_dio_timed(ctx, ops, buf, off);
		if (ret)
			break;
		if (ops->verify && (req->flags & KDIO_F_VERIFY))
			ops->verify(ctx, buf, off);
	}
	return ret;
}

#endif /* _KDIO_DIO_H */
