// SPDX-License-Identifier: GPL-2.0
/*
 * Channel "mmap": a zero-copy ring. The tool maps (MAP_SHARED, offset 0)
 * a control page (struct kdio_xfer_ring) and ring_bytes of slots, one
 * message of msg_size each, message seq in slot seq % slots. Every slot
 * holds the payload template from the setup on, so a message is made by
 * stamping its header and seq word in place: no copy at all.
 *
 * KDIO_IOC_XFER_RING_FILL makes as many messages as there are free slots
 * (slots - (producer - consumer), and no more than count), publishes them
 * by advancing producer and returns; the tool reads them in place, checks
 * them, advances consumer and fills again when it has caught up, so one
 * system call is spread over a batch of messages.
 *
 * The area is vmalloc_user() memory: zeroed, contiguous for the kernel,
 * and made of ordinary pages, which vm_insert_pages() maps into the tool.
 * A mapping holds the file and so the session; the pages also hold a
 * reference of their own for each mapping of them.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "common/compat.h"
#include "xfer.h"

/* Messages stamped between two chances for the scheduler. */
#define XFER_MMAP_BATCH	1024

struct xfer_ring {
	void *area;			/* control page, then the slots */
	struct kdio_xfer_ring *ctrl;
	char *data;
	struct page **pages;		/* of area, for vm_insert_pages() */
	unsigned long nr_pages;
	u64 slots;
	u64 next_slot;			/* where message produced goes */
};

static void xfer_mmap_free(struct xfer_ring *r)
{
	kvfree(r->pages);
	vfree(r->area);
	kfree(r);
}

/* The pages of area, which vmalloc_user() made page by page. */
static int xfer_mmap_pages(struct xfer_ring *r)
{
	unsigned long i;

	r->pages = kvmalloc_array(r->nr_pages, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		return -ENOMEM;
	for (i = 0; i < r->nr_pages; i++)
		r->pages[i] = vmalloc_to_page(r->area + i * PAGE_SIZE);
	return 0;
}

/* Every slot gets the template; the control page says the layout. */
static void xfer_mmap_lay_out(struct kdio_xfer_session *s, struct xfer_ring *r)
{
	u64 i;

	r->ctrl = r->area;
	r->data = (char *)r->area + PAGE_SIZE;
	for (i = 0; i < r->slots; i++)
		memcpy(r->data + i * s->msg_size, s->msg, s->msg_size);
	r->ctrl->slots = r->slots;
	r->ctrl->slot_size = s->msg_size;
	r->ctrl->data_offset = PAGE_SIZE;
}

static int xfer_mmap_setup(struct kdio_xfer_session *s)
{
	u64 ring = s->setup.ring_bytes ?: KDIO_XFER_RING_DEFAULT;
	struct xfer_ring *r;

	if (ring < s->msg_size)
		return -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->nr_pages = (PAGE_SIZE + ring) >> PAGE_SHIFT;
	r->slots = div64_u64(ring, s->msg_size);
	r->area = vmalloc_user(r->nr_pages << PAGE_SHIFT);
	if (!r->area || xfer_mmap_pages(r)) {
		xfer_mmap_free(r);
		return -ENOMEM;
	}
	xfer_mmap_lay_out(s, r);
	s->setup.ring_bytes = ring;
	s->setup.map_size = r->nr_pages << PAGE_SHIFT;
	s->setup.slots = r->slots;
	s->setup.slot_size = s->msg_size;
	s->priv = r;
	return 0;
}

static void xfer_mmap_teardown(struct kdio_xfer_session *s)
{
	xfer_mmap_free(s->priv);
}

/* The whole area, shared, at offset 0; it may neither grow nor be dumped. */
static int xfer_mmap_map(struct kdio_xfer_session *s,
			 struct vm_area_struct *vma)
{
	struct xfer_ring *r = s->priv;
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long num = r->nr_pages;

	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff ||
	    len != r->nr_pages << PAGE_SHIFT)
		return -EINVAL;
	kdio_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return vm_insert_pages(vma, vma->vm_start, r->pages, &num);
}

/*
 * Stamp the free slots in place and publish them; *made is how many.
 * consumer comes from user space: one that is ahead of producer or more
 * than a ring behind it is refused rather than trusted.
 */
static int xfer_mmap_produce(struct kdio_xfer_session *s, struct xfer_ring *r,
			     u64 *made)
{
	u64 cons = smp_load_acquire(&r->ctrl->consumer);
	u64 prod = s->produced;
	u64 i, n;

	if (cons > prod || prod - cons > r->slots)
		return -EINVAL;
	n = min(r->slots - (prod - cons), s->count - prod);
	for (i = 0; i < n; i++) {
		kdio_xfer_stamp(s, r->data + r->next_slot * s->msg_size,
				prod + i);
		if (++r->next_slot == r->slots)
			r->next_slot = 0;
		if (!((i + 1) % XFER_MMAP_BATCH))
			cond_resched();
	}
	s->produced = prod + n;
	smp_store_release(&r->ctrl->producer, s->produced);
	*made = n;
	return 0;
}

/* Under s->lock: nothing to take back (consumed is 0), no drops. */
static int xfer_mmap_fill_locked(struct kdio_xfer_session *s,
				 struct kdio_xfer_fill *f)
{
	int ret;

	ret = xfer_mmap_produce(s, s->priv, &f->produced);
	f->drops = 0;
	return ret;
}

/* The consumer's position is in the ring's control page, never passed. */
static long xfer_mmap_fill(struct kdio_xfer_session *s, void __user *arg)
{
	return kdio_xfer_ring_fill(s, arg, 0, xfer_mmap_fill_locked);
}

const struct kdio_xfer_ops kdio_xfer_mmap = {
	.max_msg	= KDIO_XFER_MSG_MAX,
	.ring		= true,
	.setup		= xfer_mmap_setup,
	.teardown	= xfer_mmap_teardown,
	.mmap		= xfer_mmap_map,
	.ioctl_cmd	= KDIO_IOC_XFER_RING_FILL,
	.ioctl		= xfer_mmap_fill,
};
