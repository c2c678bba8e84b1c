// SPDX-License-Identifier: GPL-2.0
/*
 * The kdio-xfer consumers of relay: the buffer of the session's CPU read
 * with read() (relay leaves the padding out) or mapped, its sub-buffers
 * handed back through the next fill.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "consumers.h"
#include "msg.h"

/* relay: stay on the CPU we are on, whose buffer the module will fill. */
static int prepare_relay(struct xrun *r)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return fail(r, errno, "sched_getcpu: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return fail(r, errno, "sched_setaffinity to CPU %d: %s", cpu, strerror(errno));
	return 0;
}

/* KDIO_IOC_XFER_RELAY_FILL, releasing consumed sub-buffers (mmap). */
static int relay_fill(struct xrun *r, uint64_t consumed, struct kdio_xfer_fill *f)
{
	memset(f, 0, sizeof(*f));
	f->consumed = consumed;
	if (ioctl(r->fd, KDIO_IOC_XFER_RELAY_FILL, f))
		return fail(r, errno, "ioctl KDIO_IOC_XFER_RELAY_FILL: %s", strerror(errno));
	return 0;
}

/* Where read() of a relay file is in its stream of sub-buffers. */
struct relay_stream {
	uint64_t subbuf_size;
	uint64_t per_subbuf;		/* messages in a sub-buffer */
	uint64_t index;			/* of the sub-buffer being read */
	uint64_t off;			/* bytes of it taken, padding excluded */
	uint64_t have;			/* bytes of a split message in part */
	struct kdio_xfer_relay_subbuf hdr;
	char *part;			/* a message split between two reads */
};

#define RELAY_HDR	((uint64_t)sizeof(struct kdio_xfer_relay_subbuf))

/* Header bytes: the sub-buffer's number must be the next one. */
static int relay_take_header(struct xrun *r, struct relay_stream *st,
			     const char **p, size_t *len)
{
	size_t n = RELAY_HDR - st->off < *len ? RELAY_HDR - st->off : *len;

	memcpy((char *)&st->hdr + st->off, *p, n);
	st->off += n;
	*p += n;
	*len -= n;
	if (st->off == RELAY_HDR && st->hdr.index != st->index)
		return fail(r, EIO, "relay: sub-buffer %" PRIu64 " where %" PRIu64 " was due",
			    (uint64_t)st->hdr.index, st->index);
	return 0;
}

/* Message bytes: whole in place, or put together across two reads. */
static void relay_take_msg(struct xrun *r, struct relay_stream *st,
			   const char **p, size_t *len, uint64_t now)
{
	uint64_t size = r->o->msg_size;
	size_t n;

	if (!st->have && *len >= size) {
		take(r, *p, now);
		n = size;
	} else {
		n = size - st->have < *len ? size - st->have : *len;
		memcpy(st->part + st->have, *p, n);
		st->have += n;
		if (st->have == size) {
			take(r, st->part, now);
			st->have = 0;
		}
	}
	*p += n;
	*len -= n;
	if (st->have)
		return;
	st->off += size;
	if (st->off == RELAY_HDR + st->per_subbuf * size) {
		st->off = 0;
		st->index++;
	}
}

/* A chunk read() returned: relay left out the padding, so it is all data. */
static int relay_take_chunk(struct xrun *r, struct relay_stream *st,
			    const char *p, size_t len, uint64_t now)
{
	int ret = 0;

	while (len && !ret) {
		if (st->off < RELAY_HDR)
			ret = relay_take_header(r, st, &p, &len);
		else
			relay_take_msg(r, st, &p, &len, now);
	}
	return ret;
}

/* read() whatever is there, fill when nothing is; two idle rounds: stuck. */
static int relay_read_loop(struct xrun *r, int fd, struct relay_stream *st, char *chunk)
{
	struct kdio_xfer_fill f;
	int idle = 0, ret = 0;

	while (r->next_seq < r->o->count && !ret) {
		ssize_t n = read(fd, chunk, st->subbuf_size);

		if (n < 0)
			return fail(r, errno, "read() of the relay file: %s", strerror(errno));
		if (n > 0) {
			idle = 0;
			ret = relay_take_chunk(r, st, chunk, (size_t)n, now_ns());
			continue;
		}
		if (idle++ > 1)
			return fail(r, EIO, "relay: no data and no room after %" PRIu64 " messages",
				    r->next_seq);
		ret = relay_fill(r, 0, &f);
	}
	return ret;
}

/* The relay file of the session's CPU; fd or -errno with msg. */
static int open_relay(struct xrun *r)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/cpu%u", KDIO_XFER_RELAY_DIR, r->req.cpu);
	return open_file(r, path);
}

static int run_relay_read(struct xrun *r)
{
	struct relay_stream st = {
		.subbuf_size = r->req.slot_size,
		.per_subbuf = (r->req.slot_size - RELAY_HDR) / r->o->msg_size,
	};
	char *chunk = malloc(st.subbuf_size);
	int fd, ret;

	st.part = malloc(r->o->msg_size);
	if (!chunk || !st.part) {
		ret = fail(r, ENOMEM, "no memory for the relay read buffers");
	} else {
		fd = open_relay(r);
		ret = fd < 0 ? fd : relay_read_loop(r, fd, &st, chunk);
		if (fd >= 0)
			close(fd);
	}
	free(st.part);
	free(chunk);
	return ret;
}

/* A relay mapping and what of it has been taken and handed back. */
struct relay_map {
	const char *map;
	uint64_t subbuf_size, n_subbufs, per_subbuf;
	uint64_t taken;			/* messages */
	uint64_t released;		/* sub-buffers handed back */
};

/*
 * Sub-buffers read whole that the producer has left (it wrote a message
 * past them, and with it their padding): check their headers and count
 * them for the next fill to release.
 */
static int relay_release(struct xrun *r, struct relay_map *m, uint64_t total,
			 uint64_t *consumed)
{
	uint64_t pad = m->subbuf_size - RELAY_HDR - m->per_subbuf * r->o->msg_size;

	while (m->released < m->taken / m->per_subbuf &&
	       total > (m->released + 1) * m->per_subbuf) {
		const struct kdio_xfer_relay_subbuf *h = (const void *)
			(m->map + (m->released % m->n_subbufs) * m->subbuf_size);

		if (h->index != m->released || h->padding != pad)
			return fail(r, EIO, "relay: sub-buffer %" PRIu64 " has index %" PRIu64 " and padding %" PRIu64 ", not %" PRIu64,
				    m->released, (uint64_t)h->index, (uint64_t)h->padding, pad);
		m->released++;
		(*consumed)++;
	}
	return 0;
}

/* Fill, take the new messages in place, hand back finished sub-buffers. */
static int relay_map_loop(struct xrun *r, struct relay_map *m)
{
	uint64_t consumed = 0, size = r->o->msg_size;
	struct kdio_xfer_fill f;
	int ret;

	while (m->taken < r->o->count) {
		uint64_t now;

		ret = relay_fill(r, consumed, &f);
		if (ret)
			return ret;
		now = now_ns();
		consumed = 0;
		if (f.total == m->taken)
			return fail(r, EIO, "relay: the fill made no message after %" PRIu64, m->taken);
		for (; m->taken < f.total; m->taken++) {
			uint64_t sub = m->taken / m->per_subbuf;

			take(r, m->map + (sub % m->n_subbufs) * m->subbuf_size + RELAY_HDR +
				(m->taken % m->per_subbuf) * size, now);
		}
		ret = relay_release(r, m, f.total, &consumed);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_relay_mmap(struct xrun *r)
{
	struct relay_map m = {
		.subbuf_size = r->req.slot_size,
		.n_subbufs = r->req.slots,
		.per_subbuf = (r->req.slot_size - RELAY_HDR) / r->o->msg_size,
	};
	size_t len = r->req.map_size;
	void *map;
	int fd, ret;

	fd = open_relay(r);
	if (fd < 0)
		return fd;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = fail(r, errno, "mmap of the relay file: %s", strerror(errno));
	} else {
		m.map = map;
		ret = relay_map_loop(r, &m);
		munmap(map, len);
	}
	close(fd);
	return ret;
}


const struct consumer xfer_consumer_relay_read = {
	.channel	= KDIO_XFER_RELAY,
	.lossy		= true,
	.ring		= true,
	.prepare	= prepare_relay,
	.run		= run_relay_read,
};

const struct consumer xfer_consumer_relay_mmap = {
	.channel	= KDIO_XFER_RELAY,
	.lossy		= true,
	.ring		= true,
	.prepare	= prepare_relay,
	.run		= run_relay_mmap,
};
