// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel pages in a bio_vec array (see kdio_bvec.h). The pages are
 * allocated one at a time, as a block driver's request would bring them:
 * nothing asks them to be contiguous, and a 64 MiB block needs no
 * high-order allocation. They are filled and checked through
 * kmap_local_page(), which is what highmem would need and costs nothing
 * elsewhere.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kdio_bvec.h"
#include "kdio_pattern.h"

/*
 * Large queue depths times large blocks can ask for more than the guest
 * has: fail with -ENOMEM rather than wake the OOM killer or warn.
 */
#define KDIO_BVEC_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

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

		bv->bv_page = alloc_page(KDIO_BVEC_GFP);
		if (!bv->bv_page)
			goto out_free_pages;
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

void kdio_bvec_buf_iter(const struct kdio_bvec_buf *b, struct iov_iter *iter,
			unsigned int direction)
{
	iov_iter_bvec(iter, direction, b->bvec, b->nr, b->len);
}

void kdio_bvec_buf_fill(const struct kdio_bvec_buf *b, u64 file_offset,
			u64 seed)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++) {
		const struct bio_vec *bv = &b->bvec[i];
		u8 *addr = kmap_local_page(bv->bv_page);

		kdio_pattern_fill(addr + bv->bv_offset, bv->bv_len,
				  file_offset + (u64)i * PAGE_SIZE, seed);
		kunmap_local(addr);
	}
}

/* A block is bad once, however many of its pages differ. */
void kdio_bvec_buf_verify(struct kdio_dio_ctx *ctx,
			  const struct kdio_bvec_buf *b, u64 file_offset)
{
	u64 bad = 0;
	unsigned int i;

	for (i = 0; i < b->nr && !bad; i++) {
		const struct bio_vec *bv = &b->bvec[i];
		const u8 *addr = kmap_local_page(bv->bv_page);

		bad = kdio_pattern_check(addr + bv->bv_offset, bv->bv_len,
					 file_offset + (u64)i * PAGE_SIZE,
					 ctx->req->seed);
		kunmap_local(addr);
	}
	if (bad)
		kdio_dio_bad_block(ctx, file_offset);
}
