// SPDX-License-Identifier: GPL-2.0
/* kdio-fuzz: /dev/kdio_xfer, its ioctls, read, write, mmap, and its channels' files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static const int xfer_ioctl_errs[] = {
	EFAULT, EPROTO, EINVAL, EBUSY, ENOMEM, ENODEV, ENOTTY, 0
};
/* The channels' read and write, and pread(2) on a stream. */
static const int xfer_rw_errs[] = { EINVAL, EFAULT, ENOSPC, ESPIPE, 0 };
/*
 * proc, sysfs, relay files: no session (relay: no file), offset, buffer;
 * pread(2) on relay's, which cannot seek.
 */
static const int xfer_file_errs[] = { ENODEV, ENOENT, EINVAL, EFAULT, ESPIPE, 0 };

static const uint64_t xfer_channels[] = {
	KDIO_XFER_READ, KDIO_XFER_WRITE, KDIO_XFER_IOCTL, KDIO_XFER_MMAP,
	KDIO_XFER_PROC_SEQ, KDIO_XFER_PROC_READ, KDIO_XFER_SYSFS,
	KDIO_XFER_NETLINK, KDIO_XFER_RELAY,
};
static const uint64_t xfer_sizes[] = {
	KDIO_XFER_MSG_MIN, 48, 64, 4096, KDIO_XFER_NETLINK_MSG_MAX,
	KDIO_XFER_SYSFS_MSG_MAX, KDIO_XFER_MSG_MAX,
};
static const uint64_t xfer_counts[] = { 1, 4, 64, 1000 };
static const uint64_t xfer_rings[] = {
	0, 4096, 65536, 1ULL << 20, KDIO_XFER_RING_DEFAULT,
};
static const unsigned long xfer_cmds[] = {
	KDIO_IOC_XFER_SETUP, KDIO_IOC_XFER_STATS, KDIO_IOC_XFER_FETCH,
	KDIO_IOC_XFER_RING_FILL, KDIO_IOC_XFER_RELAY_FILL,
};

static uint64_t xfer_cap(uint32_t channel)
{
	if (channel == KDIO_XFER_SYSFS)
		return KDIO_XFER_SYSFS_MSG_MAX;
	if (channel == KDIO_XFER_NETLINK)
		return KDIO_XFER_NETLINK_MSG_MAX;
	return KDIO_XFER_MSG_MAX;
}

/* Whether the uAPI's rules let a session be set up. */
static bool xfer_valid(const struct kdio_xfer_req *r, size_t page)
{
	bool ring = r->channel == KDIO_XFER_MMAP || r->channel == KDIO_XFER_RELAY;

	if (r->abi_version != KDIO_XFER_ABI_VERSION || r->struct_size != sizeof(*r) ||
	    r->reserved || r->channel >= KDIO_XFER_NR_CHANNELS || !r->count)
		return false;
	if (r->msg_size < KDIO_XFER_MSG_MIN || r->msg_size > xfer_cap(r->channel) ||
	    r->msg_size % KDIO_XFER_MSG_ALIGN)
		return false;
	if (!ring)
		return !r->ring_bytes;
	return r->ring_bytes <= KDIO_XFER_RING_MAX && !(r->ring_bytes % page);
}

/* A setup request; one that would allocate too much is made invalid. */
static void xfer_build(struct fuzz *f, struct kdio_xfer_req *r)
{
	bool ring;

	rng_fill(f, r, sizeof(*r));	/* out fields: ignored */
	r->abi_version = usually(f, KDIO_XFER_ABI_VERSION);
	r->struct_size = usually(f, sizeof(*r));
	r->channel = FUZZ(f, xfer_channels);
	r->reserved = usually(f, 0);
	r->msg_size = FUZZ(f, xfer_sizes);
	r->count = FUZZ(f, xfer_counts);
	ring = r->channel == KDIO_XFER_MMAP || r->channel == KDIO_XFER_RELAY;
	r->ring_bytes = ring || chance(f, f->wild) ? FUZZ(f, xfer_rings) : 0;
	if (xfer_valid(r, f->page) && r->ring_bytes > FUZZ_MAX_ALLOC)
		r->ring_bytes++;
}

/* Ask the kernel (STATS) whether sl's file has a session, and its layout. */
static void xfer_learn(struct fuzz *f, struct slot *sl)
{
	struct kdio_xfer_req *st = (struct kdio_xfer_req *)f->arena;

	sl->set_up = !call_ioctl(f, sl->fd, KDIO_IOC_XFER_STATS, st, xfer_ioctl_errs);
	if (sl->set_up)
		sl->req = *st;
}

static void op_xfer_setup(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	struct kdio_xfer_req req;

	if (!sl)
		return;
	xfer_build(f, &req);
	send_ioctl(f, sl->fd, KDIO_IOC_XFER_SETUP, &req, sizeof(req), xfer_ioctl_errs, NULL);
	xfer_learn(f, sl);
}

/* The session's message size, or a usual one without a session. */
static uint64_t xfer_msg(const struct slot *sl)
{
	return sl->set_up ? sl->req.msg_size : 64;
}

/* A length for a read, write or fetch of sl's session. */
static uint64_t xfer_len(struct fuzz *f, const struct slot *sl)
{
	uint64_t m = xfer_msg(sl);
	uint64_t lens[] = { m, m, m, 2 * m, f->page };

	return FUZZ(f, lens);
}

static void op_xfer_stats(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	unsigned long cmd;

	if (!sl)
		return;
	cmd = maybe_near(f, KDIO_IOC_XFER_STATS);
	call_ioctl(f, sl->fd, cmd, buffer(f), xfer_ioctl_errs);
}

/* FETCH into a buffer of the arena, NULL or bogus: never the tool's own. */
static void op_xfer_fetch(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	struct kdio_xfer_fetch fe;

	if (!sl)
		return;
	fe.buf = (uintptr_t)buffer(f);
	fe.len = xfer_len(f, sl);
	send_ioctl(f, sl->fd, KDIO_IOC_XFER_FETCH, &fe, sizeof(fe), xfer_ioctl_errs, NULL);
}

/*
 * On a mapped ring of sl's session: mostly consume all that is made, so
 * that fills go on; else write a consumer the kernel must refuse (ahead
 * of producer, more than a ring behind) or any value at all.
 */
static void xfer_consume(struct fuzz *f, const struct slot *sl)
{
	const struct map *m = f->iface->maps;
	volatile struct kdio_xfer_ring *ring;
	uint64_t values[5];
	size_t i;

	for (i = 0; i < MAPS; i++, m++) {
		if (!m->addr || m->slot != sl - f->iface->slots || m->gen != sl->gen ||
		    m->prot != (PROT_READ | PROT_WRITE) || m->len < f->page)
			continue;
		ring = m->addr;
		values[0] = values[1] = ring->producer;
		values[2] = values[0] + 1;
		values[3] = values[0] - sl->req.slots - 1;
		values[4] = 0;
		ring->consumer = FUZZ(f, values);
		return;
	}
}

static void op_xfer_ring_fill(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	uint64_t consumed[] = { 0, 0, 1 };
	struct kdio_xfer_fill fill;

	if (!sl)
		return;
	if (sl->set_up && sl->req.channel == KDIO_XFER_MMAP)
		xfer_consume(f, sl);
	rng_fill(f, &fill, sizeof(fill));
	fill.consumed = FUZZ(f, consumed);
	send_ioctl(f, sl->fd, KDIO_IOC_XFER_RING_FILL, &fill, sizeof(fill), xfer_ioctl_errs, NULL);
}

/* RELAY_FILL, now and then from another CPU than the session's. */
static void op_xfer_relay_fill(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	struct kdio_xfer_fill fill;
	uint64_t consumed[5];
	unsigned long cmd;
	void *arg;

	if (!sl)
		return;
	consumed[0] = consumed[1] = 0;
	consumed[2] = 1;
	consumed[3] = sl->set_up ? sl->req.slots : 2;
	consumed[4] = consumed[3] + 1;
	rng_fill(f, &fill, sizeof(fill));
	fill.consumed = FUZZ(f, consumed);
	cmd = maybe_near(f, KDIO_IOC_XFER_RELAY_FILL);
	arg = place(f, &fill, sizeof(fill));
	if (chance(f, f->wild))
		pin(f, (int)rng_below(&f->rng, (uint64_t)f->ncpus));
	call_ioctl(f, sl->fd, cmd, arg, xfer_ioctl_errs);
	pin(f, 0);
}

/* A slot for a read or write, a length for its session and a buffer; or NULL. */
static struct slot *xfer_rw_slot(struct fuzz *f, size_t *len, void **buf)
{
	struct slot *sl = slot_open(f);

	if (sl) {
		*len = xfer_len(f, sl);
		*buf = buffer(f);
	}
	return sl;
}

/* read(), or pread() at an offset (a stream: ESPIPE). */
static void op_xfer_read(struct fuzz *f)
{
	size_t len;
	void *buf;
	struct slot *sl = xfer_rw_slot(f, &len, &buf);

	if (!sl)
		return;
	if (chance(f, f->wild / 2))
		call_read(f, sl->fd, buf, len, true, (off_t)boundary(f), xfer_rw_errs);
	else
		call_read(f, sl->fd, buf, len, false, 0, xfer_rw_errs);
}

/* write() of random bytes: the WRITE channel counts them bad. */
static void op_xfer_write(struct fuzz *f)
{
	size_t len;
	void *buf;
	struct slot *sl = xfer_rw_slot(f, &len, &buf);

	if (!sl)
		return;
	if (buf == f->arena)
		rng_fill(f, buf, len < f->page ? len : f->page);
	call_write(f, sl->fd, buf, len, xfer_rw_errs);
}

static void op_xfer_map(struct fuzz *f)
{
	struct slot *sl = slot_open(f);

	if (sl)
		map_slot(f, sl, sl->set_up && sl->req.map_size ? sl->req.map_size : 2 * f->page);
}

/*
 * The files of the channels whose endpoint is not /dev/kdio_xfer: open
 * one (no session: ENODEV; relay without one: no file), read it once or
 * a few times at offsets around the messages, close it.
 */
static void op_xfer_files(struct fuzz *f)
{
	uint64_t offs[] = { 0, 0, 40, 64, 128, f->page };
	uint64_t lens[] = { 40, 64, 4096, 65536, 1ULL << 20 };
	char relay[64];
	const char *path;
	int fd, n;

	snprintf(relay, sizeof(relay), KDIO_XFER_RELAY_DIR "/cpu%d",
		 f->cpus[rng_below(&f->rng, (uint64_t)f->ncpus)]);
	switch (rng_below(&f->rng, 4)) {
	case 0: path = KDIO_XFER_PROC_SEQ_FILE; break;
	case 1: path = KDIO_XFER_PROC_READ_FILE; break;
	case 2: path = KDIO_XFER_SYSFS_FILE; break;
	default: path = relay; break;
	}
	fd = call_open(f, path, O_RDONLY, xfer_file_errs);
	for (n = 1 + (int)rng_below(&f->rng, 3); fd >= 0 && n; n--)
		call_read(f, fd, buffer(f), FUZZ(f, lens), chance(f, 70), (off_t)FUZZ(f, offs),
			  xfer_file_errs);
	if (fd >= 0)
		close(fd);
}

static const struct op xfer_fuzz_ops[] = {
	{ "close", op_close, 1 },
	{ "setup", op_xfer_setup, 4 },
	{ "stats", op_xfer_stats, 1 },
	{ "fetch", op_xfer_fetch, 2 },
	{ "ring-fill", op_xfer_ring_fill, 2 },
	{ "relay-fill", op_xfer_relay_fill, 2 },
	{ "read", op_xfer_read, 2 },
	{ "write", op_xfer_write, 2 },
	{ "mmap", op_xfer_map, 2 },
	{ "munmap", op_unmap, 1 },
	{ "files", op_xfer_files, 2 },
};

const struct fuzz_device fuzz_xfer = FUZZ_DEVICE(xfer_fuzz_ops, xfer_cmds);
