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
#include <linux/miscdevice.h>
#include <linux/types.h>

#include "kdio/dio.h"

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
 * One block of a synchronous method's buffer buf at file offset off:
 * filled with the pattern before a write, moved with one timed call (0 or
 * the -errno of kdio_dio_account()), checked after a KDIO_F_VERIFY read.
 * kdio_dio_blocks() runs them over the whole request.
 */
struct kdio_dio_block_ops {
	void (*fill)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
	int (*io)(struct kdio_dio_ctx *ctx, void *buf, u64 off);
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
int kdio_dio_blocks(struct kdio_dio_ctx *ctx,
		    const struct kdio_dio_block_ops *ops, void *buf);
/*
 * Blocks in one kernel buffer of block_size bytes, moved with
 * kernel_write()/kernel_read().
 */
extern const struct kdio_dio_block_ops kdio_dio_kernel_blocks;

#endif /* _KDIO_DIO_H */
