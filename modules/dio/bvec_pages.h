/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel pages described by a bio_vec array, the way the loop driver hands
 * a request's pages to its backing file: one block for the "bvec" method,
 * the whole run for "bvec-async", whose requests each take a range of it
 * (bvec_pages.c). No logic here.
 */
#ifndef _KDIO_BVEC_H
#define _KDIO_BVEC_H

#include <linux/bvec.h>
#include <linux/types.h>
#include <linux/uio.h>

#include "dio.h"

struct kdio_bvec_buf {
	struct bio_vec *bvec;	/* one page each; the last may be partial */
	unsigned int nr;	/* entries of bvec */
	size_t len;		/* bytes described */
};

/* Pages and bio_vecs for len bytes; 0 or -ENOMEM, with nothing to free. */
int kdio_bvec_buf_alloc(struct kdio_bvec_buf *b, size_t len);
void kdio_bvec_buf_free(struct kdio_bvec_buf *b);

/*
 * An iov_iter over the whole buffer, or over its bytes [pos, pos + len),
 * ITER_SOURCE or ITER_DEST.
 */
void kdio_bvec_buf_iter(const struct kdio_bvec_buf *b, struct iov_iter *iter,
			unsigned int direction);
void kdio_bvec_buf_iter_range(const struct kdio_bvec_buf *b,
			      struct iov_iter *iter, unsigned int direction,
			      size_t pos, size_t len);

/*
 * Fill with, or check against, the pattern found at file_offset: the whole
 * buffer, or its bytes [pos, pos + len). A check counts one bad block, at
 * file_offset, if any byte differs.
 */
void kdio_bvec_buf_fill(const struct kdio_bvec_buf *b, u64 file_offset,
			u64 seed);
void kdio_bvec_buf_fill_range(const struct kdio_bvec_buf *b, size_t pos,
			      size_t len, u64 file_offset, u64 seed);
void kdio_bvec_buf_verify(struct kdio_dio_ctx *ctx,
			  const struct kdio_bvec_buf *b, u64 file_offset);
void kdio_bvec_buf_verify_range(struct kdio_dio_ctx *ctx,
				const struct kdio_bvec_buf *b, size_t pos,
				size_t len, u64 file_offset);

#endif /* _KDIO_BVEC_H */
