// SPDX-License-Identifier: GPL-2.0
/*
 * Path "zerocopy": the request's scatterlist is built straight on the
 * caller's pages, as a driver that DMAs from and to user memory does.
 *
 * For each request the region's pages are pinned with
 * pin_user_pages_fast(FOLL_WRITE), since the result is written in place:
 * the list is both source and destination. Once the request has
 * completed, they are unpinned and marked dirty. Pinning per request is
 * the cost this path pays instead of a copy, so it is inside the timed
 * run. A region the caller has not mapped, or has mapped read-only,
 * cannot be pinned: -EFAULT, before anything is submitted for it.
 *
 * Regions are not page-aligned in general (64-byte requests at queue
 * depth 8 share a page): each request pins every page its bytes touch,
 * and a page shared by several requests in flight is pinned once by
 * each. They write disjoint bytes of it.
 */
#include <linux/mm.h>

#include "crypto.h"

static int kdio_crypto_zc_prepare(struct kdio_crypto_run *run,
				  struct kdio_crypto_slot *slot)
{
	unsigned long start = (unsigned long)slot->udata;
	unsigned int offset = offset_in_page(start);
	int nr = DIV_ROUND_UP(offset + run->region, PAGE_SIZE);
	int got;

	got = pin_user_pages_fast(start & PAGE_MASK, nr, FOLL_WRITE,
				  slot->pages);
	if (got < 0)
		return got;
	if (got < nr) {		/* a hole or a read-only page in the region */
		unpin_user_pages(slot->pages, got);
		return -EFAULT;
	}
	slot->nr_pages = nr;
	kdio_crypto_sg_pages(run, slot, slot->pages, nr, offset, run->region);
	return 0;
}

/* Dirty whatever the outcome: a failed request may have written some. */
static int kdio_crypto_zc_finish(struct kdio_crypto_run *run,
				 struct kdio_crypto_slot *slot, bool ok)
{
	unpin_user_pages_dirty_lock(slot->pages, slot->nr_pages, true);
	slot->nr_pages = 0;
	return 0;
}

const struct kdio_crypto_path_ops kdio_crypto_zerocopy = {
	.name		= "zerocopy",
	.prepare	= kdio_crypto_zc_prepare,
	.finish		= kdio_crypto_zc_finish,
};
