// SPDX-License-Identifier: GPL-2.0
/*
 * kdio_dio: in-kernel direct I/O, one method per source file.
 *
 * /dev/kdio_dio takes one ioctl, KDIO_IOC_DIO_RUN (kdio/dio.h): it checks
 * the whole request, opens the file itself with the flags the method asks
 * for (O_DIRECT but for "buffered"), hands it to the method chosen from an
 * ops table, and copies the counters back. Methods only move data and time
 * their I/O calls; statistics live in the harness. The module also carries
 * /dev/kdio_kbuf (kbuf_mmap.c), a kernel buffer that user space maps.
 *
 * The delay_us parameter exists so that tests can prove that a regression
 * gate catches a known slowdown; it is 0 in every real run. Set, it makes
 * every method busy-wait that many microseconds per I/O call, inside the
 * call's timed window (bvec-async: at each submission, inside its busy
 * time). It is 0644, so it can be changed between runs through
 * /sys/module/kdio_dio/parameters/delay_us; a request reads it once, when
 * it starts. Values above 100000 (0.1 s per call) are refused with -EINVAL,
 * at load time and at runtime alike, rather than clamped, so that a test
 * never measures another delay than the one it set.
 *
 * The work_loops parameter is delay_us's counterpart for counted runs
 * (QEMU icount, where the guest clock counts instructions): it adds a
 * fixed amount of work, that many iterations of an empty loop, to every
 * I/O call inside its timed window, so that a test can raise a path's
 * instruction cost by a known small share (about 1 %) and prove that the
 * counted gate flags it. 0 in every real run; 0..KDIO_DIO_WORK_MAX,
 * anything else is refused with -EINVAL; 0644, read once per request.
 *
 * The panic_after_calls parameter exists so that the harness can prove
 * that a guest kernel panic in the middle of a suite marks the run failed
 * and keeps every record measured before it; it is 0 (off) in every real
 * run. Set to N, the N-th I/O call made by any method (null's stand-in
 * calls included) since the module was loaded, counted with an atomic
 * whatever the parameter was then, ends in panic() once it is accounted.
 * It is 0644; set at runtime below the count already reached, the next
 * call panics.
 *
 * The drop_writes parameter exists so that the harness can prove that its
 * data check sees a lost write; it is 0 (off) in every real run. Set to 1,
 * every write call of every method (kmap's writes are user space's own)
 * moves no data and reports the whole block written, its time accounted as
 * usual. Only 0 and 1 are taken (-EINVAL otherwise); 0644, read once per
 * request.
 *
 * The drop_marks parameter exists so that the harness can prove that its
 * profile checks see a missing marker (kdio/marker.h): 1 skips every
 * window's start marker, 2 every end marker. 0 (off) in every real run;
 * 0 to 2 taken, 0644, read once per request. The markers are outside the
 * timed window, so no setting changes a counted figure.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/namei.h>
#include <linux/nospec.h>
#include <linux/panic.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dio.h"
#include "clat.h"
#include "common/compat.h"
#include "common/param.h"
#include "common/pattern.h"

#define KDIO_DIO_METHOD_ROW(value, ops, name)	\
	[KDIO_DIO_##value] = &kdio_dio_##ops,
#define KDIO_DIO_METHOD_NAME(value, ops, name)	\
	[KDIO_DIO_##value] = name,

/* The methods' ops and names, by enum kdio_dio_method (kdio/dio.h). */
static const struct kdio_dio_ops *const kdio_dio_methods[] = {
	KDIO_DIO_METHODS(KDIO_DIO_METHOD_ROW)
};

static const char *const kdio_dio_method_names[] = {
	KDIO_DIO_METHODS(KDIO_DIO_METHOD_NAME)
};

/* Largest delay_us taken, and the chunk it is busy-waited in. */
#define KDIO_DIO_DELAY_MAX_US	100000U
#define KDIO_DIO_DELAY_CHUNK_US	1000U

KDIO_UINT_PARAM_RANGE(delay_us, 0, KDIO_DIO_DELAY_MAX_US,
		      "test only: busy-wait this many microseconds per I/O call, inside the timed window (0-100000, default 0)");

/* Largest work_loops taken: about 0.1 s of TCG per call. */
#define KDIO_DIO_WORK_MAX	10000000U

KDIO_UINT_PARAM_RANGE(work_loops, 0, KDIO_DIO_WORK_MAX,
		      "test only: iterations of an empty loop added to every I/O call, inside the timed window, for counted-mode gate proofs (0-10000000, default 0)");

KDIO_UINT_PARAM_RANGE(drop_writes, 0, 1,
		      "test only: 1 makes every write call report success and move no data, so that the harness can prove its data check sees a lost write (0-1, default 0)");

KDIO_UINT_PARAM_RANGE(drop_marks, 0, 2,
		      "test only: 1 skips the profiler's window start markers, 2 its end markers, so that the harness can prove its profile checks see a missing marker (0-2, default 0)");

static unsigned long panic_after_calls;
module_param(panic_after_calls, ulong, 0644);
MODULE_PARM_DESC(panic_after_calls,
		 "test only: panic() at the N-th I/O call since load, so that the harness can prove a guest panic mid-suite fails the run and keeps the records before it (0 = off, default)");

/* I/O calls made by every method since load, for panic_after_calls. */
static atomic_long_t kdio_dio_calls_made = ATOMIC_LONG_INIT(0);

/*
 * Count one I/O call; the test-only panic_after_calls (see the head
 * comment) panics here, in process context, once it is reached.
 */
static void kdio_dio_count_call(void)
{
	unsigned long made = atomic_long_inc_return(&kdio_dio_calls_made);
	unsigned long limit = READ_ONCE(panic_after_calls);

	if (limit && made >= limit)
		panic("kdio_dio: panic_after_calls reached (test-only)");
}

/*
 * Called by the methods before each block: lets the scheduler in and stops
 * the run if the caller is being killed.
 */
int kdio_dio_checkpoint(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

/*
 * The test-only work of the work_loops parameter: loops iterations whose
 * body the compiler must keep (an empty asm with a memory clobber), so
 * each costs the same few instructions on every call and every boot.
 */
static void kdio_dio_spin(unsigned int loops)
{
	unsigned int i;

	for (i = 0; i < loops; i++)
		asm volatile("" : : : "memory");
}

/*
 * Called by every method inside the timed window of each I/O call: the
 * test-only slowdowns of the delay_us and work_loops parameters, as read
 * when the request started. A busy wait rather than a sleep, so that each
 * call gets the same delay, free of timer slack (usleep_range() may take
 * up to twice the time asked); in chunks of at most a millisecond, letting
 * the scheduler in between them. Process context, no spinlock held.
 */
void kdio_dio_inject_delay(const struct kdio_dio_ctx *ctx)
{
	unsigned int left = ctx->delay_us;

	kdio_dio_spin(ctx->work_loops);

	while (left) {
		unsigned int chunk = min(left, KDIO_DIO_DELAY_CHUNK_US);

		udelay(chunk);
		left -= chunk;
		if (left)
			cond_resched();
	}
}

/*
 * Whether this call of a write request is to be dropped (the test-only
 * drop_writes, as read when the request started): the caller then skips
 * the I/O call and accounts the whole block as written.
 */
bool kdio_dio_drop_write(const struct kdio_dio_ctx *ctx)
{
	return ctx->drop_writes && ctx->req->op == KDIO_OP_WRITE;
}

/*
 * Tally one I/O call that asked for want bytes and returned done (bytes
 * or -errno), its latency clat_ns into the run's histogram (a failed call
 * too, so that the histogram holds every call). A short read ends the run
 * with -ENODATA (end of file), a short write with -ENOSPC; the bytes moved
 * still count. The histogram is the request's own copy: no lock.
 */
static int kdio_dio_tally(struct kdio_dio_ctx *ctx, ssize_t done, size_t want,
			  u64 clat_ns)
{
	struct kdio_dio_req *req = ctx->req;

	kdio_dio_count_call();
	req->calls++;
	kdio_clat_add(&req->clat, clat_ns);
	if (done < 0)
		return done;
	req->bytes_done += done;
	if ((size_t)done < want)
		return req->op == KDIO_OP_READ ? -ENODATA : -ENOSPC;
	return 0;
}

/* A synchronous call: its elapsed_ns is its time and its latency. */
int kdio_dio_account(struct kdio_dio_ctx *ctx, ssize_t done, size_t want,
		     u64 elapsed_ns)
{
	ctx->req->elapsed_ns += elapsed_ns;
	return kdio_dio_tally(ctx, done, want, elapsed_ns);
}

/*
 * An asynchronous request, clat_ns from its submission to its completion;
 * its time goes into elapsed_ns as busy time (kdio_dio_add_elapsed()).
 */
int kdio_dio_account_request(struct kdio_dio_ctx *ctx, ssize_t done,
			     size_t want, u64 clat_ns)
{
	return kdio_dio_tally(ctx, done, want, clat_ns);
}

/* Time spent outside any one call, or not per call (async, fsync). */
void kdio_dio_add_elapsed(struct kdio_dio_ctx *ctx, u64 elapsed_ns)
{
	ctx->req->elapsed_ns += elapsed_ns;
}

/*
 * Count the block at file_offset as bad. Blocks may be checked out of
 * order (async completions), so the lowest offset is kept.
 */
void kdio_dio_bad_block(struct kdio_dio_ctx *ctx, u64 file_offset)
{
	struct kdio_dio_req *req = ctx->req;

	if (!req->bad_blocks || file_offset < req->first_bad_offset)
		req->first_bad_offset = file_offset;
	req->bad_blocks++;
}

/* Check one block read at file_offset, in one buffer, against the pattern. */
void kdio_dio_verify(struct kdio_dio_ctx *ctx, const void *buf, size_t len,
		     u64 file_offset)
{
	if (kdio_pattern_check(buf, len, file_offset, ctx->req->seed))
		kdio_dio_bad_block(ctx, file_offset);
}

static void kdio_dio_kernel_fill(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	kdio_pattern_fill(buf, ctx->req->block_size, off, ctx->req->seed);
}

/* One kernel_write()/kernel_read() of the block at file offset off. */
static ssize_t kdio_dio_kernel_io(struct kdio_dio_ctx *ctx, void *buf, u64 off)
{
	loff_t pos = off;

	if (ctx->req->op == KDIO_OP_WRITE)
		return kernel_write(ctx->file, buf, ctx->req->block_size, &pos);
	return kernel_read(ctx->file, buf, ctx->req->block_size, &pos);
}

static void kdio_dio_kernel_verify(struct kdio_dio_ctx *ctx, void *buf,
				   u64 off)
{
	kdio_dio_verify(ctx, buf, ctx->req->block_size, off);
}

static const struct kdio_dio_block_ops kdio_dio_kernel_ops = {
	.fill	= kdio_dio_kernel_fill,
	.io	= kdio_dio_kernel_io,
	.verify	= kdio_dio_kernel_verify,
};

int kdio_dio_kernel_blocks(struct kdio_dio_ctx *ctx, void *buf)
{
	return kdio_dio_blocks(ctx, &kdio_dio_kernel_ops, buf);
}

/* The header fields: who sent it and which method and op it asks for. */
static int kdio_dio_check_kind(const struct kdio_dio_req *req)
{
	if (req->abi_version != KDIO_DIO_ABI_VERSION ||
	    req->struct_size != sizeof(*req))
		return -EPROTO;
	if (req->method >= ARRAY_SIZE(kdio_dio_methods))
		return -EINVAL;
	if (req->op != KDIO_OP_WRITE && req->op != KDIO_OP_READ)
		return -EINVAL;
	if (req->flags & ~KDIO_F_ALL)
		return -EINVAL;
	if ((req->flags & KDIO_F_VERIFY) && req->op != KDIO_OP_READ)
		return -EINVAL;
	return 0;
}

/* Block size, length and offset: O_DIRECT-aligned and within loff_t. */
static int kdio_dio_check_range(const struct kdio_dio_req *req)
{
	u64 rem;

	if (!req->block_size || req->block_size > KDIO_MAX_BLOCK ||
	    !IS_ALIGNED(req->block_size, KDIO_MIN_ALIGN))
		return -EINVAL;
	if (!req->total_bytes)
		return -EINVAL;
	div64_u64_rem(req->total_bytes, req->block_size, &rem);
	if (rem)
		return -EINVAL;
	if (!IS_ALIGNED(req->offset, KDIO_MIN_ALIGN))
		return -EINVAL;
	if (req->total_bytes > (u64)LLONG_MAX ||
	    req->offset > (u64)LLONG_MAX - req->total_bytes)
		return -EINVAL;
	return 0;
}

/* The ops of req->method, once kdio_dio_check_kind() has passed it. */
static const struct kdio_dio_ops *
kdio_dio_method(const struct kdio_dio_req *req)
{
	return kdio_dio_methods[array_index_nospec(req->method,
						   ARRAY_SIZE(kdio_dio_methods))];
}

/* What the chosen method can take: queue depth, block and total size. */
static int kdio_dio_check_method(const struct kdio_dio_req *req)
{
	const struct kdio_dio_ops *method = kdio_dio_method(req);

	if (req->queue_depth > KDIO_MAX_QD)
		return -EINVAL;
	if (req->queue_depth > 1 && !method->queued)
		return -EINVAL;
	if (method->max_block && req->block_size > method->max_block)
		return -EINVAL;
	if (method->max_total && req->total_bytes > method->max_total)
		return -EINVAL;
	return 0;
}

/* Everything the request says, checked before any work is done. */
static int kdio_dio_validate(const struct kdio_dio_req *req)
{
	int ret;

	ret = kdio_dio_check_kind(req);
	if (ret)
		return ret;
	ret = kdio_dio_check_range(req);
	if (ret)
		return ret;
	ret = kdio_dio_check_method(req);
	if (ret)
		return ret;
	if (strnlen(req->path, KDIO_PATH_MAX) == KDIO_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Only regular files and block devices; a directory is -EISDIR. */
static int kdio_dio_check_type(umode_t mode)
{
	if (S_ISDIR(mode))
		return -EISDIR;
	if (!S_ISREG(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return 0;
}

/*
 * Open req->path for the op with the method's flags, never creating it. An
 * empty path is -ENOENT as for open(2): in-kernel lookups would take it for
 * the current directory. The type is checked before the open, since opening
 * a FIFO or a character device can block or have side effects, and again on
 * the open file, in case the path changed in between.
 */
static struct file *kdio_dio_open(const struct kdio_dio_req *req,
				  const struct kdio_dio_ops *method)
{
	int flags = (req->op == KDIO_OP_WRITE ? O_WRONLY : O_RDONLY) |
		    method->open_flags | O_LARGEFILE;
	struct file *file;
	struct path path;
	int ret;

	if (!req->path[0])
		return ERR_PTR(-ENOENT);
	ret = kern_path(req->path, LOOKUP_FOLLOW, &path);
	if (ret)
		return ERR_PTR(ret);
	ret = kdio_dio_check_type(d_inode(path.dentry)->i_mode);
	path_put(&path);
	if (ret)
		return ERR_PTR(ret);

	file = filp_open(req->path, flags, 0);
	if (IS_ERR(file))
		return file;
	ret = kdio_dio_check_type(file_inode(file)->i_mode);
	if (ret) {
		filp_close(file, NULL);
		return ERR_PTR(ret);
	}
	return file;
}

/* Open the file, run the method on it, close it. */
static int kdio_dio_execute(struct kdio_dio_req *req)
{
	const struct kdio_dio_ops *method = kdio_dio_method(req);
	struct kdio_dio_ctx ctx = {
		.req		= req,
		.queue_depth	= max(req->queue_depth, 1U),
		.delay_us	= READ_ONCE(delay_us),
		.work_loops	= READ_ONCE(work_loops),
		.drop_writes	= READ_ONCE(drop_writes),
		.drop_marks	= READ_ONCE(drop_marks),
	};
	int ret;

	ctx.file = kdio_dio_open(req, method);
	if (IS_ERR(ctx.file))
		return PTR_ERR(ctx.file);

	ret = method->run(&ctx);
	pr_debug("%s op %u bs %llu qd %u delay %u us: %d after %llu bytes\n",
		 kdio_dio_method_names[array_index_nospec(req->method,
							  KDIO_DIO_NR_METHODS)],
		 req->op, req->block_size, ctx.queue_depth, ctx.delay_us, ret,
		 req->bytes_done);
	filp_close(ctx.file, NULL);
	return ret;
}

/* Whatever came in the out fields is overwritten before the run. */
static void kdio_dio_reset_out(struct kdio_dio_req *req)
{
	req->bytes_done = 0;
	req->elapsed_ns = 0;
	req->calls = 0;
	req->bad_blocks = 0;
	req->first_bad_offset = 0;
	req->reserved1 = 0;
	kdio_clat_reset(&req->clat);
}

/*
 * KDIO_IOC_DIO_RUN. An invalid request returns before anything is written
 * back; from the open on, the out fields go back whatever the outcome.
 * The request, histogram and all (about 15 KiB), is too big for the stack:
 * it is copied in before validation and freed after the copy back.
 */
static long kdio_dio_run_ioctl(struct kdio_dio_req __user *ureq)
{
	struct kdio_dio_req *req;
	int ret;

	req = memdup_user(ureq, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = kdio_dio_validate(req);
	if (ret)
		goto out_free_req;

	kdio_dio_reset_out(req);
	ret = kdio_dio_execute(req);
	req->error = ret;

	if (copy_to_user(ureq, req, sizeof(*req)))
		ret = -EFAULT;
out_free_req:
	kfree(req);
	return ret;
}

static long kdio_dio_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	if (cmd != KDIO_IOC_DIO_RUN)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return kdio_dio_run_ioctl((struct kdio_dio_req __user *)arg);
}

static const struct file_operations kdio_dio_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kdio_dio_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice kdio_dio_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kdio_dio",
	.fops	= &kdio_dio_fops,
	.mode	= 0600,
};

static int __init kdio_dio_init(void)
{
	int ret;

	BUILD_BUG_ON(ARRAY_SIZE(kdio_dio_methods) != KDIO_DIO_NR_METHODS);
	BUILD_BUG_ON(ARRAY_SIZE(kdio_dio_method_names) != KDIO_DIO_NR_METHODS);
	BUILD_BUG_ON(sizeof(struct kdio_dio_req) % 8);
	BUILD_BUG_ON(sizeof(struct kdio_dio_req) >= (1U << _IOC_SIZEBITS));
	BUILD_BUG_ON(sizeof(struct kdio_kbuf_req) % 8);

	ret = misc_register(&kdio_dio_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", kdio_dio_misc.name, ret);
		return ret;
	}
	ret = misc_register(&kdio_kbuf_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", kdio_kbuf_misc.name, ret);
		goto out_deregister_dio;
	}
	return 0;

out_deregister_dio:
	misc_deregister(&kdio_dio_misc);
	return ret;
}

static void __exit kdio_dio_exit(void)
{
	misc_deregister(&kdio_kbuf_misc);
	misc_deregister(&kdio_dio_misc);
}

module_init(kdio_dio_init);
module_exit(kdio_dio_exit);

MODULE_DESCRIPTION("kdio: in-kernel direct I/O methods, mappable kernel buffer");
MODULE_LICENSE("GPL");
