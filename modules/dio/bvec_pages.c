// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel pages in a bio_vec array (see bvec_pages.h). The pages are
 * allocated one at a time, as a block driver's request would bring them:
 * nothing asks them to be contiguous, and a 64 MiB block or a 256 MiB
 * bvec-async run needs no high-order allocation. They are filled and
 * checked through kmap_local_page(), which is what highmem would need and
 * costs nothing elsewhere.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "bvec_pages.h"
#include "common/pattern.h"

/*
 * A large block, or a whole bvec-async run, can ask for more than the
 * guest has: fail with -ENOMEM rather than wake the OOM killer or warn.
 */
#define KDIO_BVEC_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * Zeroed pages: a read that moved nothing into a page must not pass for one
 * that read the pattern, which a freed page may still hold.
 */
int kdio_bvec_buf_alloc(struct kdio_bvec_buf *b, size_t len)
{
	unsigned int i, nr = DIV_ROUND_UP(len, PAGE_SIZE);

	b->bvec = kvcalloc(nr, sizeof(*b->bvec), KDIO_BVEC_GFP);
	if (!b->bvec)
		return -ENOMEM;
	b->nr = nr;
	b->len = len;
	for (i = 0; i < b->nr; i++) {
		struct bio_vec *bv = &b->bvec[i];

		bv->bv_page = alloc_page(KDIO_BVEC_GFP | __GFP_ZERO);
		if (!bv->bv_page)
			goto out_free_pages;
		cond_resched();
		bv->bv_len = min_t(size_t, len - (size_t)i * PAGE_SIZE, PAGE_SIZE);
		bv->bv_offset = 0;
	}
	return 0;

out_free_pages:
	kdio_bvec_buf_free(b);
	return -ENOMEM;
}

/* Also undoes a partial kdio_bvec_buf_alloc(): entries not reached are 0. */
void kdio_bvec_buf_free(struct kdio_bvec_buf *b)
{
	unsigned int i;

	for (i = 0; i < b->nr && b->bvec[i].bv_page; i++)
		__free_page(b->bvec[i].bv_page);
	kvfree(b->bvec);
	b->bvec = NULL;
	b->nr = 0;
}

/*
 * The byte at pos is in page pos / PAGE_SIZE, at pos % PAGE_SIZE: every
 * page but the last is whole and starts at offset 0.
 */
void kdio_bvec_buf_iter_range(const struct kdio_bvec_buf *b,
			      struct iov_iter *iter, unsigned int direction,
			      size_t pos, size_t len)
{
	size_t in_page = offset_in_page(pos);

	iov_iter_bvec(iter, direction, b->bvec + (pos >> PAGE_SHIFT),
		      DIV_ROUND_UP(in_page + len, PAGE_SIZE), in_page + len);
	if (in_page)
		iov_iter_advance(iter, in_page);
}

void kdio_bvec_buf_iter(const struct kdio_bvec_buf *b, struct iov_iter *iter,
			unsigned int direction)
{
	kdio_bvec_buf_iter_range(b, iter, direction, 0, b->len);
}

/* Bytes of [pos, end) that lie in the page holding pos. */
static size_t kdio_bvec_piece(const struct kdio_bvec_buf *b, size_t pos,
			      size_t end)
{
	const struct bio_vec *bv = &b->bvec[pos >> PAGE_SHIFT];

	return min_t(size_t, end - pos, bv->bv_len - offset_in_page(pos));
}

void kdio_bvec_buf_fill_range(const struct kdio_bvec_buf *b, size_t pos,
			      size_t len, u64 file_offset, u64 seed)
{
	size_t end = pos + len, n;

	for (; pos < end; pos += n, file_offset += n) {
		const struct bio_vec *bv = &b->bvec[pos >> PAGE_SHIFT];
		u8 *addr = kmap_local_page(bv->bv_page);

		n = kdio_bvec_piece(b, pos, end);
		kdio_pattern_fill(addr + bv->bv_offset + offset_in_page(pos), n,
				  file_offset, seed);
		kunmap_local(addr);
	}
}

void kdio_bvec_buf_fill(const struct kdio_bvec_buf *b, u64 file_offset,
			u64 seed)
{
	kdio_bvec_buf_fill_range(b, 0, b->len, file_offset, seed);
}

/* A block is bad once, however many of its pages differ. */
void kdio_bvec_buf_verify_range(struct kdio_dio_ctx *ctx,
				const struct kdio_bvec_buf *b, size_t pos,
				size_t len, u64 file_offset)
{
	size_t end = pos + len, n;
	u64 off = file_offset;
	u64 bad = 0;

	for (; pos < end && !bad; pos += n, off += n) {
		const struct bio_vec *bv = &b->bvec[pos >> PAGE_SHIFT];
		const u8 *addr = kmap_local_page(bv->bv_page);

		n = kdio_bvec_piece(b, pos, end);
		bad = kdio_pattern_check(addr + bv->bv_offset + offset_in_page(pos),
					 n, off, ctx->req->seed);
		kunmap_local(addr);
	}
	if (bad)
		kdio_dio_bad_block(ctx, file_offset);
}

void kdio_bvec_buf_verify(struct kdio_dio_ctx *ctx,
			  const struct kdio_bvec_buf *b, u64 file_offset)
{
	kdio_bvec_buf_verify_range(ctx, b, 0, b->len, file_offset);
}
