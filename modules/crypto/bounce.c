// SPDX-License-Identifier: GPL-2.0
/*
 * Path "bounce": the region is copied into kernel pages, the request runs
 * there, and the result is copied back, as a driver that cannot DMA from
 * user memory does.
 *
 * Each slot has its own whole pages from the page allocator, enough for a
 * region, allocated with the slot outside the timed run (a driver keeps
 * its bounce buffers), and its scatterlist is built on them once. Each
 * request copies the whole region in with copy_from_user() (GCM: payload
 * and ICV) and, once it has completed without error, copies it back with
 * copy_to_user(); both copies are inside the timed run. A failed request
 * leaves the caller's region as it was. A region that cannot be read
 * fails at the copy-in, one that cannot be written at the copy-back, both
 * with -EFAULT.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "crypto.h"

static int kdio_crypto_bounce_setup(struct kdio_crypto_run *run,
				    struct kdio_crypto_slot *slot)
{
	unsigned int nr = DIV_ROUND_UP(run->region, PAGE_SIZE);

	while (slot->nr_pages < nr) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			return -ENOMEM;
		slot->pages[slot->nr_pages++] = page;
	}
	kdio_crypto_sg_pages(run, slot, slot->pages, nr, 0, run->region);
	return 0;
}

static void kdio_crypto_bounce_teardown(struct kdio_crypto_run *run,
					struct kdio_crypto_slot *slot)
{
	while (slot->nr_pages)
		__free_page(slot->pages[--slot->nr_pages]);
}

static int kdio_crypto_bounce_prepare(struct kdio_crypto_run *run,
				      struct kdio_crypto_slot *slot)
{
	const char __user *src = slot->udata;
	u64 left = run->region;
	unsigned int i;

	for (i = 0; left; i++) {
		size_t n = min_t(u64, PAGE_SIZE, left);

		if (copy_from_user(page_address(slot->pages[i]), src, n))
			return -EFAULT;
		src += n;
		left -= n;
	}
	return 0;
}

static int kdio_crypto_bounce_finish(struct kdio_crypto_run *run,
				     struct kdio_crypto_slot *slot, bool ok)
{
	char __user *dst = slot->udata;
	u64 left = ok ? run->region : 0;
	unsigned int i;

	for (i = 0; left; i++) {
		size_t n = min_t(u64, PAGE_SIZE, left);

		if (copy_to_user(dst, page_address(slot->pages[i]), n))
			return -EFAULT;
		dst += n;
		left -= n;
	}
	return 0;
}

const struct kdio_crypto_path_ops kdio_crypto_bounce = {
	.name		= "bounce",
	.setup		= kdio_crypto_bounce_setup,
	.teardown	= kdio_crypto_bounce_teardown,
	.prepare	= kdio_crypto_bounce_prepare,
	.finish		= kdio_crypto_bounce_finish,
};
