// SPDX-License-Identifier: GPL-2.0
/* The kdio-xfer consumer of the mapped ring: messages read in place. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "consumers.h"
#include "msg.h"

/* The ring: fill, take what the fill made in place, hand the slots back. */
static int ring_consume(struct xrun *r, struct kdio_xfer_ring *ctrl, char *data)
{
	uint64_t size = r->o->msg_size, cons = 0;

	while (cons < r->o->count) {
		struct kdio_xfer_fill f = { 0 };
		uint64_t prod, now;

		if (ioctl(r->fd, KDIO_IOC_XFER_RING_FILL, &f))
			return fail(r, errno, "ioctl KDIO_IOC_XFER_RING_FILL: %s", strerror(errno));
		now = now_ns();
		prod = __atomic_load_n(&ctrl->producer, __ATOMIC_ACQUIRE);
		if (prod == cons)
			return fail(r, EIO, "the ring fill made no message after %" PRIu64, cons);
		for (; cons < prod; cons++)
			take(r, data + (cons % r->req.slots) * size, now);
		__atomic_store_n(&ctrl->consumer, cons, __ATOMIC_RELEASE);
	}
	return 0;
}

static int run_mmap(struct xrun *r)
{
	size_t len = r->req.map_size;
	struct kdio_xfer_ring *ctrl;
	void *map;
	int ret;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (map == MAP_FAILED)
		return fail(r, errno, "mmap of %zu bytes of %s: %s", len, r->o->device,
			    strerror(errno));
	ctrl = map;
	if (ctrl->slots != r->req.slots || ctrl->slot_size != r->o->msg_size ||
	    ctrl->data_offset >= len)
		ret = fail(r, EPROTO, "the ring's control page disagrees with the setup");
	else
		ret = ring_consume(r, ctrl, (char *)map + ctrl->data_offset);
	munmap(map, len);
	return ret;
}


const struct consumer xfer_consumer_mmap = {
	.channel	= KDIO_XFER_MMAP,
	.ring		= true,
	.run		= run_mmap,
};
