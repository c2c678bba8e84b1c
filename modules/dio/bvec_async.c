// SPDX-License-Identifier: GPL-2.0
/*
 * Method "bvec-async": the "bvec" method with completions, as the loop
 * driver really runs (lo_rw_aio() with ki_complete set): up to queue_depth
 * requests, each a slot with its own iov_iter and kiocb, are kept in flight
 * on the file's ->write_iter/->read_iter.
 *
 * It measures the I/O pipeline, not the pattern: like fio submitting from
 * static buffers, the whole run lives in kernel pages (one kdio_bvec_buf of
 * total_bytes, hence KDIO_ASYNC_MAX_TOTAL), allocated, and for a write
 * filled with the pattern of every block, before the first submission. A
 * request then only builds its iov_iter over its block's range of those
 * pages and its kiocb. A verified read marks each block that came back
 * whole, and those blocks are checked against the pattern once the last
 * request has been reaped, outside the timed pipeline.
 *
 * A call that returns -EIOCBQUEUED is in flight and ki_complete will report
 * it, possibly in interrupt context and possibly before the call returns;
 * any other return means it completed synchronously and ki_complete will
 * not be called, so the submitter records that result itself, the same
 * way. The completion only stores the result, queues the slot on the done
 * list and wakes the submitter, all under run->lock; accounting and reuse
 * of the slot happen in the submitter's process context. Because the
 * completion drops run->lock as its last access, a slot seen on the done
 * list under that lock is no longer touched by it.
 *
 * On an error or a fatal signal nothing more is submitted, and every
 * request in flight is waited for (uninterruptibly: block I/O always
 * completes) before any page, bio_vec or kiocb is freed. The run's state,
 * wait queue included, lives on the submitter's stack for that reason.
 *
 * Freeze protection: aio and io_uring take it at submission and hand it
 * over to the completion (__sb_writers_release()/__sb_writers_acquired()),
 * which releases it in another context. We do not: a write run takes it
 * once with file_start_write() before its first submission and drops it
 * after its last completion has been reaped, both in the submitting task,
 * so it is held by one task for the run like a long write(2), with no
 * hand-over for lockdep to be told about. Completions need none of their
 * own: while the run holds it, a freeze cannot get past its first stage,
 * so no request completes on a frozen filesystem; a freeze that starts
 * meanwhile waits for the run to end, and new runs wait for the thaw.
 *
 * Timing: elapsed_ns is busy time, the time during which at least one
 * request was outstanding. Each slot records when it was submitted and,
 * in ki_complete (or on return, for a synchronous completion), when it
 * completed. In process context, the submission that takes the count of
 * outstanding requests from 0 to 1 opens a busy interval at its own
 * timestamp; the reaping that brings the count back to 0 closes it at the
 * latest completion timestamp among the requests it covered, which is
 * when the last of them really completed, however late it was reaped.
 * elapsed_ns is the sum of these intervals. At queue depth 1 that is the
 * sum of the per-request times; at higher depths the pipeline hardly
 * drains, and it is the wall time of the run's submissions and reaping.
 * Pattern fill and verification are outside it at every depth, as they
 * happen before and after the pipeline. A request completed but not yet
 * reaped still counts as outstanding, so a submitter too slow to keep the
 * device busy is charged for it, as the wall time of an io_uring or libaio
 * run would be. The test-only delay_us (main.c) is spent at each
 * submission, after its timestamp, so it is busy time too; above queue
 * depth 1 it overlaps the requests in flight. calls counts completed
 * requests. Each one's latency in the histogram (req->clat) is from its
 * submission timestamp, before the ->write_iter/->read_iter call, to its
 * completion timestamp, not to its reaping: the whole request, which an
 * asynchronous fio engine reports as lat_ns (its clat_ns starts once the
 * submission call has returned; with a synchronous engine the two agree).
 */
#include <linux/bitmap.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "dio.h"
#include "bvec_pages.h"
#include "common/compat.h"

/* Bytes of pattern filled between two checkpoints before the run. */
#define DIO_ASYNC_FILL_CHUNK	(1UL << 20)

struct dio_async_run;

struct dio_async_slot {
	struct kiocb kiocb;
	struct iov_iter iter;
	struct dio_async_run *run;
	struct list_head node;	/* on idle or done; none in flight */
	u64 block;		/* index of the block in the run */
	long res;		/* bytes or -errno, once on done */
	u64 t_submit;		/* ktime of the submission */
	u64 t_done;		/* ktime of the completion */
};

struct dio_async_run {
	struct kdio_dio_ctx *ctx;
	struct kdio_bvec_buf buf;	/* the whole run, block after block */
	unsigned long *read_whole;	/* verified read: blocks read whole */
	struct dio_async_slot *slots;
	unsigned int nr_slots;
	spinlock_t lock;		/* done */
	wait_queue_head_t wait;		/* woken with a slot put on done */
	struct list_head done;		/* completed, not yet reaped */
	struct list_head idle;		/* submitter only, like the rest */
	unsigned int in_flight;		/* submitted, not yet reaped */
	u64 blocks;			/* in the run */
	u64 next;			/* index of the next block to submit */
	/* While in_flight > 0: start of the busy interval, latest t_done. */
	u64 busy_start, busy_end;
	int error;			/* the first error ends submission */
};

/* ki_complete: any context. Record, queue, wake; nothing else. */
static void dio_async_complete(struct kiocb *kiocb, long res)
{
	struct dio_async_slot *slot =
		container_of(kiocb, struct dio_async_slot, kiocb);
	struct dio_async_run *run = slot->run;
	u64 now = ktime_get_ns();
	unsigned long flags;

	spin_lock_irqsave(&run->lock, flags);
	slot->res = res;
	slot->t_done = now;
	list_add_tail(&slot->node, &run->done);
	wake_up(&run->wait);
	spin_unlock_irqrestore(&run->lock, flags);
}

static void dio_async_free(struct dio_async_run *run)
{
	kfree(run->slots);
	bitmap_free(run->read_whole);
	kdio_bvec_buf_free(&run->buf);
}

/*
 * Pages for the whole run (total_bytes <= KDIO_ASYNC_MAX_TOTAL, checked by
 * main.c), a bitmap of blocks read whole for a verified read, and one
 * slot per request that can be in flight, never more than blocks.
 */
static int dio_async_alloc(struct dio_async_run *run)
{
	const struct kdio_dio_req *req = run->ctx->req;
	unsigned int i;
	int ret;

	run->blocks = div64_u64(req->total_bytes, req->block_size);
	ret = kdio_bvec_buf_alloc(&run->buf, req->total_bytes);
	if (ret)
		return ret;
	if (req->flags & KDIO_F_VERIFY) {
		run->read_whole = bitmap_zalloc((unsigned int)run->blocks,
						GFP_KERNEL | __GFP_NOWARN);
		if (!run->read_whole)
			goto out_free_buf;
	}
	run->nr_slots = (unsigned int)min_t(u64, run->ctx->queue_depth,
					    run->blocks);
	run->slots = kcalloc(run->nr_slots, sizeof(*run->slots),
			     GFP_KERNEL | __GFP_NOWARN);
	if (!run->slots)
		goto out_free_bitmap;
	for (i = 0; i < run->nr_slots; i++) {
		run->slots[i].run = run;
		list_add_tail(&run->slots[i].node, &run->idle);
	}
	return 0;

out_free_bitmap:
	bitmap_free(run->read_whole);
out_free_buf:
	kdio_bvec_buf_free(&run->buf);
	return -ENOMEM;
}

/* Before the pipeline: the pattern of every block of a write run. */
static int dio_async_fill(struct dio_async_run *run)
{
	const struct kdio_dio_req *req = run->ctx->req;
	size_t pos, n;

	for (pos = 0; pos < run->buf.len; pos += n) {
		int ret = kdio_dio_checkpoint();

		if (ret)
			return ret;
		n = min_t(size_t, run->buf.len - pos, DIO_ASYNC_FILL_CHUNK);
		kdio_bvec_buf_fill_range(&run->buf, pos, n, req->offset + pos,
					 req->seed);
	}
	return 0;
}

/* After the pipeline: check every block read whole against the pattern. */
static int dio_async_verify(struct dio_async_run *run)
{
	struct kdio_dio_ctx *ctx = run->ctx;
	u64 bs = ctx->req->block_size;
	unsigned long block;

	for_each_set_bit(block, run->read_whole, run->blocks) {
		int ret = kdio_dio_checkpoint();

		if (ret)
			return ret;
		kdio_bvec_buf_verify_range(ctx, &run->buf, block * bs, bs,
					   ctx->req->offset + block * bs);
	}
	return 0;
}

/* Whether another block will be submitted. */
static bool dio_async_more(const struct dio_async_run *run)
{
	return !run->error && run->next < run->blocks;
}

/*
 * Count slot as outstanding from now; the first one opens a busy interval.
 * The profiler's window (kdio/marker.h) is the busy interval: it opens
 * before the clock read that starts it, and closes when the reaping that
 * ends it is done, after the last completion's clock read, so it holds
 * the interval and the reaping's tail.
 */
static void dio_async_busy_begin(struct dio_async_run *run,
				 struct dio_async_slot *slot)
{
	unsigned long flags;

	local_irq_save(flags);	/* no interrupt between marker and clock (dio.h) */
	if (!run->in_flight && run->ctx->drop_marks != 1)
		KDIO_MARK(KDIO_MARK_START);
	slot->t_submit = ktime_get_ns();
	local_irq_restore(flags);
	if (!run->in_flight++) {
		run->busy_start = slot->t_submit;
		run->busy_end = slot->t_submit;
	}
}

/* Count slot, reaped, as done; the last one closes the busy interval. */
static void dio_async_busy_end(struct dio_async_run *run,
			       struct dio_async_slot *slot)
{
	run->busy_end = max(run->busy_end, slot->t_done);
	if (!--run->in_flight) {
		if (run->ctx->drop_marks != 2)
			KDIO_MARK(KDIO_MARK_END);
		kdio_dio_add_elapsed(run->ctx, run->busy_end - run->busy_start);
	}
}

/*
 * Put the next block in flight on a slot taken off the idle list: an
 * iov_iter over its pages and a kiocb, nothing more.
 */
static void dio_async_submit(struct dio_async_run *run,
			     struct dio_async_slot *slot)
{
	const struct kdio_dio_req *req = run->ctx->req;
	bool write = req->op == KDIO_OP_WRITE;
	struct file *file = run->ctx->file;
	u64 pos = run->next * req->block_size;
	ssize_t ret;

	slot->block = run->next++;
	kdio_bvec_buf_iter_range(&run->buf, &slot->iter,
				 write ? ITER_SOURCE : ITER_DEST, pos,
				 req->block_size);
	init_sync_kiocb(&slot->kiocb, file);
	slot->kiocb.ki_pos = req->offset + pos;
	slot->kiocb.ki_complete = dio_async_complete;
	if (write)
		slot->kiocb.ki_flags |= IOCB_WRITE;
	dio_async_busy_begin(run, slot);
	kdio_dio_inject_delay(run->ctx);
	if (kdio_dio_drop_write(run->ctx))
		ret = req->block_size;
	else if (write)
		ret = kdio_call_write_iter(file, &slot->kiocb, &slot->iter);
	else
		ret = kdio_call_read_iter(file, &slot->kiocb, &slot->iter);
	if (ret != -EIOCBQUEUED)
		dio_async_complete(&slot->kiocb, ret);
}

/*
 * Account one reaped request, its latency from submission to completion
 * into the histogram, mark a block read whole for the check after the
 * run, and give the slot back. Its time is in the busy intervals.
 */
static void dio_async_finish(struct dio_async_run *run,
			     struct dio_async_slot *slot)
{
	int ret;

	dio_async_busy_end(run, slot);
	ret = kdio_dio_account_request(run->ctx, slot->res,
				       run->ctx->req->block_size,
				       slot->t_done - slot->t_submit);
	if (ret && !run->error)
		run->error = ret;
	if (!ret && run->read_whole)
		__set_bit(slot->block, run->read_whole);
	list_add(&slot->node, &run->idle);
}

/* Take the first slot off a list the submitter owns; NULL if empty. */
static struct dio_async_slot *dio_async_pop(struct list_head *list)
{
	struct dio_async_slot *slot;

	slot = list_first_entry_or_null(list, struct dio_async_slot, node);
	if (slot)
		list_del_init(&slot->node);
	return slot;
}

/* Sleep until at least one request has completed, then account them. */
static void dio_async_reap(struct dio_async_run *run)
{
	struct dio_async_slot *slot;
	LIST_HEAD(done);

	spin_lock_irq(&run->lock);
	wait_event_lock_irq(run->wait, !list_empty(&run->done), run->lock);
	list_splice_init(&run->done, &done);
	spin_unlock_irq(&run->lock);

	while ((slot = dio_async_pop(&done)))
		dio_async_finish(run, slot);
}

/* Keep the slots busy until every block is done or the run must stop. */
static void dio_async_loop(struct dio_async_run *run)
{
	struct dio_async_slot *slot;
	int ret;

	for (;;) {
		while (dio_async_more(run) && !list_empty(&run->idle)) {
			ret = kdio_dio_checkpoint();
			if (ret) {
				run->error = ret;
				break;
			}
			slot = dio_async_pop(&run->idle);
			dio_async_submit(run, slot);
		}
		if (!run->in_flight)
			break;
		dio_async_reap(run);
	}
}

/* Run the pipeline, holding freeze protection for a write (see above). */
static void dio_async_pipeline(struct dio_async_run *run)
{
	bool write = run->ctx->req->op == KDIO_OP_WRITE;

	if (write)
		file_start_write(run->ctx->file);
	dio_async_loop(run);
	if (write)
		file_end_write(run->ctx->file);
}

static int dio_bvec_async_run(struct kdio_dio_ctx *ctx)
{
	struct dio_async_run run = { .ctx = ctx };
	int ret;

	spin_lock_init(&run.lock);
	init_waitqueue_head(&run.wait);
	INIT_LIST_HEAD(&run.done);
	INIT_LIST_HEAD(&run.idle);
	ret = dio_async_alloc(&run);
	if (ret)
		return ret;

	if (ctx->req->op == KDIO_OP_WRITE)
		ret = dio_async_fill(&run);
	if (!ret) {
		dio_async_pipeline(&run);
		ret = run.error;
	}
	/* Blocks read whole are checked even if another one failed. */
	if (run.read_whole) {
		int verify_ret = dio_async_verify(&run);

		ret = ret ?: verify_ret;
	}

	dio_async_free(&run);
	return ret;
}

const struct kdio_dio_ops kdio_dio_bvec_async = {
	.open_flags	= O_DIRECT,
	.queued		= true,
	.max_total	= KDIO_ASYNC_MAX_TOTAL,
	.run		= dio_bvec_async_run,
};
