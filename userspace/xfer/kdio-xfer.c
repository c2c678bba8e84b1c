// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer: consume COUNT messages of MSG_SIZE bytes from one kdio_xfer
 * channel (or, with -c write, produce them), check every one and print
 * one JSON line: throughput, latency percentiles, gaps, bad messages and
 * drops.
 *
 * Every message is checked whole: its checksum summed over all its bytes,
 * its len, its seq against the next one expected (a higher one is a gap
 * of the messages in between, a lower one is bad). Its latency is the
 * time it was seen by the tool (CLOCK_MONOTONIC, read once per system
 * call that delivered it, so a batch shares one time) minus its ts_ns;
 * for -c write, the return of write() minus the time the tool stamped
 * it. elapsed_ns runs from the first message's ts_ns to the time the
 * last one had been checked (or, if it was dropped, seen).
 *
 * Exit 1 on any error, gap, bad message or drop; for netlink and relay,
 * drops are a measured result (the kernel dropped a message it could not
 * deliver and said so): they are reported, and gaps that equal them are
 * not corruption.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "kdio/xfer.h"
#include "genl.h"
#include "msg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* A consumer that sees nothing for this long gives up. */
#define WAIT_MS		10000
/* Most messages in one run: their latencies are kept in memory. */
#define MAX_COUNT	(1ULL << 26)
#define MODE_LIST	"read|write|ioctl|mmap|proc-seq|proc-read|sysfs|netlink|relay-read|relay-mmap"

struct xfer_opts {
	const struct mode *mode;
	const char *device;
	uint64_t msg_size, count, seed, ring_bytes;
};

/* One run: the setup, the consumer's state and what it found. */
struct xrun {
	const struct xfer_opts *o;
	int fd;				/* the device */
	struct kdio_xfer_req req;	/* as the setup returned it */
	void *buf;			/* one message, 8-aligned */
	uint64_t next_seq;		/* the seq expected next */
	uint64_t received, gaps, bad, drops;
	uint64_t first_ts, last_ns;	/* first made, last seen or checked */
	uint64_t *lat;			/* one per good message */
	uint64_t nlat;
	int nl_sock;			/* netlink */
	uint16_t nl_family;
	char msg[MSG_MAX];
};

struct mode {
	const char *name;
	__u32 channel;
	bool lossy;			/* drops are a result, not an error */
	bool ring;			/* takes -r */
	int (*prepare)(struct xrun *r);	/* before the setup; optional */
	int (*run)(struct xrun *r);
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-xfer -c CHANNEL -s MSG_SIZE -n COUNT [-S SEED] [-r RING_BYTES] [-D DEVICE]\n"
		"  -c CHANNEL  " MODE_LIST "\n"
		"  -s SIZE     bytes per message, header included (k/m suffixes; multiple of 8, at\n"
		"              least 40; at most 1m, sysfs 64k, netlink 65528)\n"
		"  -n COUNT    messages (at most %llu)\n"
		"  -S SEED     payload pattern seed (default 0)\n"
		"  -r BYTES    mmap: the ring; relay-*: each CPU's buffer (page multiple, at most\n"
		"              64m; default 4m); netlink: the socket's receive buffer (default 4m)\n"
		"  -D DEVICE   default " KDIO_XFER_DEVICE "\n",
		MAX_COUNT);
}

static const struct tool tool = {
	.name		= "kdio-xfer",
	.numbers	= "4096, 64k, 1m",
	.usage		= usage,
	.abi		= KDIO_XFER_ABI_VERSION,
};

/* Set r->msg and return -err. */
#define fail(r, err, ...) msg_fail((r)->msg, sizeof((r)->msg), (err), __VA_ARGS__)

/* One message seen at now: check it, count it, keep its latency. */
static void take(struct xrun *r, const void *msg, uint64_t now)
{
	const struct kdio_xfer_msg *hdr = msg;

	r->received++;
	if (!xfer_msg_ok(msg, r->o->msg_size)) {
		r->bad++;
		r->next_seq++;	/* taken for the one expected */
		return;
	}
	if (hdr->seq < r->next_seq) {
		r->bad++;	/* again, or out of order */
		return;
	}
	r->gaps += hdr->seq - r->next_seq;
	r->next_seq = hdr->seq + 1;
	if (!r->nlat)
		r->first_ts = hdr->ts_ns;
	r->lat[r->nlat++] = now - hdr->ts_ns;
	r->last_ns = now;
	if (r->next_seq >= r->o->count)
		r->last_ns = xfer_now_ns();	/* the last one is checked */
}

/*
 * read(), or with from_start pread() from offset 0, until len bytes or the
 * end; bytes read or -errno.
 */
static ssize_t read_whole(int fd, void *buf, size_t len, bool from_start)
{
	size_t done = 0;

	while (done < len) {
		char *at = (char *)buf + done;
		ssize_t n = from_start ? pread(fd, at, len - done, (off_t)done) :
					 read(fd, at, len - done);

		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Take messages from a source that gives one per call: get returns
 * msg_size, 0 at the end or -errno.
 */
static int take_each(struct xrun *r, const char *what,
		     ssize_t (*get)(struct xrun *r, int fd), int fd)
{
	while (r->next_seq < r->o->count) {
		ssize_t n = get(r, fd);

		if (n < 0)
			return fail(r, (int)-n, "%s: %s", what, strerror((int)-n));
		if (!n)
			break;
		if ((uint64_t)n != r->o->msg_size)
			return fail(r, EIO, "%s gave %zd bytes, not one message of %" PRIu64,
				    what, n, r->o->msg_size);
		take(r, r->buf, xfer_now_ns());
	}
	return 0;
}

static ssize_t get_read(struct xrun *r, int fd)
{
	ssize_t n = read(fd, r->buf, r->o->msg_size);

	return n < 0 ? -errno : n;
}

static ssize_t get_fetch(struct xrun *r, int fd)
{
	struct kdio_xfer_fetch f = {
		.buf = (uintptr_t)r->buf,
		.len = r->o->msg_size,
	};
	int n = ioctl(fd, KDIO_IOC_XFER_FETCH, &f);

	return n < 0 ? -errno : n;
}

static ssize_t get_whole(struct xrun *r, int fd)
{
	return read_whole(fd, r->buf, r->o->msg_size, false);
}

/* A sysfs message: pread()s from offset 0 until it is whole. */
static ssize_t get_sysfs(struct xrun *r, int fd)
{
	return read_whole(fd, r->buf, r->o->msg_size, true);
}

static int run_read(struct xrun *r)
{
	return take_each(r, "read() of " KDIO_XFER_DEVICE, get_read, r->fd);
}

static int run_ioctl(struct xrun *r)
{
	return take_each(r, "ioctl KDIO_IOC_XFER_FETCH", get_fetch, r->fd);
}

/* Open one of the module's files for reading; fd or -errno with msg. */
static int open_file(struct xrun *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(r, errno, "%s: %s", path, strerror(errno));
	return fd;
}

/* A channel read through a file of its own, with get. */
static int run_file(struct xrun *r, const char *path,
		    ssize_t (*get)(struct xrun *r, int fd))
{
	int fd = open_file(r, path);
	int ret;

	if (fd < 0)
		return fd;
	ret = take_each(r, path, get, fd);
	close(fd);
	return ret;
}

static int run_proc_seq(struct xrun *r)
{
	return run_file(r, KDIO_XFER_PROC_SEQ_FILE, get_whole);
}

static int run_proc_read(struct xrun *r)
{
	return run_file(r, KDIO_XFER_PROC_READ_FILE, get_read);
}

static int run_sysfs(struct xrun *r)
{
	return run_file(r, KDIO_XFER_SYSFS_FILE, get_sysfs);
}

/* The module's counters now. */
static int get_stats(struct xrun *r, struct kdio_xfer_req *st)
{
	if (ioctl(r->fd, KDIO_IOC_XFER_STATS, st))
		return fail(r, errno, "ioctl KDIO_IOC_XFER_STATS: %s", strerror(errno));
	return 0;
}

/*
 * The tool produces: each message stamped just before its write(); the
 * module's verdict comes back through KDIO_IOC_XFER_STATS.
 */
static int run_write(struct xrun *r)
{
	uint64_t sum = xfer_msg_template(r->buf, r->o->msg_size, r->o->seed);
	struct kdio_xfer_req st;
	uint64_t seq;
	int ret;

	for (seq = 0; seq < r->o->count; seq++) {
		uint64_t ts = xfer_now_ns();
		ssize_t n;

		xfer_msg_stamp(r->buf, seq, ts, sum);
		n = write(r->fd, r->buf, r->o->msg_size);
		if (n < 0)
			return fail(r, errno, "write() of message %" PRIu64 ": %s",
				    seq, strerror(errno));
		r->last_ns = xfer_now_ns();
		if (!seq)
			r->first_ts = ts;
		r->lat[r->nlat++] = r->last_ns - ts;
		r->received++;
	}
	r->next_seq = seq;
	ret = get_stats(r, &st);
	if (ret)
		return ret;
	r->bad = st.bad;
	if (st.bad)
		snprintf(r->msg, sizeof(r->msg), "the module found %" PRIu64 " bad message(s), the first number %" PRIu64,
			 (uint64_t)st.bad, (uint64_t)st.first_bad);
	if (st.produced != r->o->count)
		return fail(r, EIO, "the module took %" PRIu64 " messages of %" PRIu64,
			    (uint64_t)st.produced, r->o->count);
	return 0;
}

/* The ring: fill, take what the fill made in place, hand the slots back. */
static int ring_consume(struct xrun *r, struct kdio_xfer_ring *ctrl, char *data)
{
	uint64_t size = r->o->msg_size, cons = 0;

	while (cons < r->o->count) {
		struct kdio_xfer_fill f = { 0 };
		uint64_t prod, now;

		if (ioctl(r->fd, KDIO_IOC_XFER_RING_FILL, &f))
			return fail(r, errno, "ioctl KDIO_IOC_XFER_RING_FILL: %s", strerror(errno));
		now = xfer_now_ns();
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

/*
 * The socket: receive buffer -r bytes (SO_RCVBUFFORCE, as root), and no
 * ENOBUFS error on overrun, since the module counts its drops itself.
 */
static int prepare_netlink(struct xrun *r)
{
	int rcvbuf = (int)r->o->ring_bytes, one = 1;
	int ret = xfer_genl_open(&r->nl_sock, &r->nl_family);

	if (ret == -ENOENT)
		return fail(r, ENOENT, "no generic netlink family " KDIO_XFER_GENL_NAME "; load kdio_xfer.ko");
	if (ret)
		return fail(r, -ret, "generic netlink: %s", strerror(-ret));
	if (setsockopt(r->nl_sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(r->nl_sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		return fail(r, errno, "netlink SO_RCVBUF: %s", strerror(errno));
	if (setsockopt(r->nl_sock, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)))
		return fail(r, errno, "netlink NETLINK_NO_ENOBUFS: %s", strerror(errno));
	return 0;
}

/* The SEND request; the kernel answers it in this thread, so its own. */
static void *nl_sender(void *arg)
{
	struct xrun *r = arg;

	return (void *)(intptr_t)xfer_genl_send(r->nl_sock, r->nl_family,
						r->o->count, r->o->msg_size);
}

/* One reply: a message, DONE (*done), or the error that refused SEND. */
static int nl_handle(struct xrun *r, const struct nlmsghdr *n, uint64_t now,
		     bool *done)
{
	const struct genlmsghdr *g = NLMSG_DATA(n);
	const struct nlattr *a;

	if (n->nlmsg_type == NLMSG_ERROR) {
		int err = -((const struct nlmsgerr *)NLMSG_DATA(n))->error;

		*done = err != 0;
		if (err)
			return fail(r, err, "the module refused SEND: %s", strerror(err));
		return 0;
	}
	if (n->nlmsg_type != r->nl_family)
		return 0;
	if (g->cmd == KDIO_XFER_CMD_DONE) {
		*done = true;
		return 0;
	}
	a = g->cmd == KDIO_XFER_CMD_MSG ? xfer_genl_find(n, KDIO_XFER_A_MSG) : NULL;
	if (!a || (uint64_t)a->nla_len - NLA_HDRLEN != r->o->msg_size) {
		r->received++;
		r->bad++;
		return 0;
	}
	take(r, (const char *)a + NLA_HDRLEN, now);
	return 0;
}

/* Read replies until DONE, an error, or WAIT_MS of silence. */
static int nl_receive(struct xrun *r, char *rx, size_t cap)
{
	struct pollfd p = { .fd = r->nl_sock, .events = POLLIN };
	bool done = false;
	int ret = 0;

	while (!done && !ret) {
		struct nlmsghdr *n = (struct nlmsghdr *)rx;
		ssize_t len;

		if (poll(&p, 1, WAIT_MS) == 0)
			return fail(r, ETIMEDOUT, "netlink: no reply for %d ms after %" PRIu64 " messages",
				    WAIT_MS, r->received);
		len = recv(r->nl_sock, rx, cap, MSG_TRUNC);
		if (len < 0 && errno == ENOBUFS)
			continue;	/* counted by the module */
		if (len < 0)
			return fail(r, errno, "netlink recv: %s", strerror(errno));
		if ((size_t)len > cap)
			return fail(r, EMSGSIZE, "netlink: a %zd-byte reply", len);
		for (; NLMSG_OK(n, (size_t)len) && !ret; n = NLMSG_NEXT(n, len))
			ret = nl_handle(r, n, xfer_now_ns(), &done);
	}
	return ret;
}

static int run_netlink(struct xrun *r)
{
	size_t cap = NLMSG_SPACE(GENL_HDRLEN + NLA_HDRLEN + r->o->msg_size) + 4096;
	pthread_t sender;
	void *rx, *sent;
	int ret;

	rx = aligned_alloc(8, cap);
	if (!rx)
		return fail(r, ENOMEM, "no memory for a %zu-byte receive buffer", cap);
	ret = pthread_create(&sender, NULL, nl_sender, r);
	if (ret) {
		free(rx);
		return fail(r, ret, "pthread_create: %s", strerror(ret));
	}
	ret = nl_receive(r, rx, cap);
	pthread_join(sender, &sent);
	if (!ret && (intptr_t)sent)
		ret = fail(r, (int)-(intptr_t)sent, "netlink SEND: %s", strerror((int)-(intptr_t)sent));
	free(rx);
	return ret;
}

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
			ret = relay_take_chunk(r, st, chunk, (size_t)n, xfer_now_ns());
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
		now = xfer_now_ns();
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

static const struct mode modes[] = {
	{ "read",	KDIO_XFER_READ,		false, false, NULL, run_read },
	{ "write",	KDIO_XFER_WRITE,	false, false, NULL, run_write },
	{ "ioctl",	KDIO_XFER_IOCTL,	false, false, NULL, run_ioctl },
	{ "mmap",	KDIO_XFER_MMAP,		false, true,  NULL, run_mmap },
	{ "proc-seq",	KDIO_XFER_PROC_SEQ,	false, false, NULL, run_proc_seq },
	{ "proc-read",	KDIO_XFER_PROC_READ,	false, false, NULL, run_proc_read },
	{ "sysfs",	KDIO_XFER_SYSFS,	false, false, NULL, run_sysfs },
	{ "netlink",	KDIO_XFER_NETLINK,	true,  false, prepare_netlink, run_netlink },
	{ "relay-read",	KDIO_XFER_RELAY,	true,  true,  prepare_relay, run_relay_read },
	{ "relay-mmap",	KDIO_XFER_RELAY,	true,  true,  prepare_relay, run_relay_mmap },
};

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct xfer_opts *o, bool ring_given)
{
	const char *why = NULL;

	if (!o->mode)
		why = "-c must be one of " MODE_LIST;
	else if (!o->msg_size || !o->count)
		why = "-s and -n are required and non-zero";
	else if (o->count > MAX_COUNT)
		why = "-n COUNT is above the limit (see -h)";
	else if (ring_given && !o->mode->ring && o->mode->channel != KDIO_XFER_NETLINK)
		why = "-r applies to mmap, relay-read, relay-mmap and netlink only";
	else if (o->mode->channel == KDIO_XFER_NETLINK &&
		 (!o->ring_bytes || o->ring_bytes > INT32_MAX / 2))
		why = "-r for netlink must be 1 byte to 1g";
	return why ? usage_error(&tool, why) : 0;
}

static int parse_args(int argc, char **argv, struct xfer_opts *o)
{
	const char *bad = NULL;
	bool ring_given = false;
	int c, ret;

	*o = (struct xfer_opts){ .device = KDIO_XFER_DEVICE };
	while ((c = getopt(argc, argv, "c:s:n:S:r:D:h")) != -1) {
		switch (c) {
		case 'c':
			o->mode = find_mode(optarg);
			if (!o->mode)
				return check_opts(o, false);
			break;
		case 's': opt_size(&bad, optarg, &o->msg_size); break;
		case 'n': opt_size(&bad, optarg, &o->count); break;
		case 'S': opt_u64(&bad, optarg, &o->seed); break;
		case 'r': opt_size(&bad, optarg, &o->ring_bytes); ring_given = true; break;
		case 'D': o->device = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, bad, argv + optind);
	if (ret)
		return ret;
	if (o->mode && o->mode->channel == KDIO_XFER_NETLINK && !ring_given)
		o->ring_bytes = KDIO_XFER_RING_DEFAULT;
	return check_opts(o, ring_given);
}

/* What a refused setup means, in words. */
static int describe_setup(struct xrun *r, int err)
{
	const struct xfer_opts *o = r->o;

	switch (err) {
	case EBUSY:
		return fail(r, err, "channel %s is in use by another consumer (one session per channel); wait for it to end",
			    o->mode->name);
	case EINVAL:
		return fail(r, err, "the module refused msg_size %" PRIu64 ", count %" PRIu64 " or ring_bytes %" PRIu64 " for %s: msg_size must be a multiple of 8 from 40 to 1m (sysfs 64k, netlink 65528), ring_bytes a page multiple up to 64m holding a message (relay: two sub-buffers)",
			    o->msg_size, o->count, o->mode->ring ? o->ring_bytes : 0, o->mode->name);
	case EPROTO:
	case ENOTTY:
		return fail(r, err, "%s does not speak this tool's kdio ABI %d; load kdio_xfer.ko built from the same tree",
			    o->device, KDIO_XFER_ABI_VERSION);
	default:
		return fail(r, err, "KDIO_IOC_XFER_SETUP: %s", strerror(err));
	}
}

static int setup(struct xrun *r)
{
	const struct xfer_opts *o = r->o;

	r->req = (struct kdio_xfer_req){
		.abi_version	= KDIO_XFER_ABI_VERSION,
		.struct_size	= sizeof(r->req),
		.channel	= o->mode->channel,
		.msg_size	= o->msg_size,
		.count		= o->count,
		.seed		= o->seed,
		.ring_bytes	= o->mode->ring ? o->ring_bytes : 0,
	};
	if (ioctl(r->fd, KDIO_IOC_XFER_SETUP, &r->req))
		return describe_setup(r, errno);
	return 0;
}

/*
 * After the run: the module's drops, and whether the stream was whole.
 * Where drops are a result, missing last messages are gaps like others.
 */
static int finish(struct xrun *r)
{
	struct kdio_xfer_req st;
	int ret = get_stats(r, &st);

	if (ret)
		return ret;
	r->drops = st.drops;
	if (r->next_seq < r->o->count && r->o->mode->lossy) {
		r->gaps += r->o->count - r->next_seq;	/* the last ones dropped */
		r->next_seq = r->o->count;
	}
	if (r->next_seq < r->o->count)
		return fail(r, ENODATA, "the channel ended after %" PRIu64 " of %" PRIu64 " messages",
			    r->next_seq, r->o->count);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of the sorted latencies. */
static uint64_t percentile(const struct xrun *r, unsigned int p)
{
	uint64_t rank = (r->nlat * p + 99) / 100;

	return r->lat[rank ? rank - 1 : 0];
}

static void emit_rates(struct jsonl *j, const struct xrun *r)
{
	uint64_t elapsed = r->nlat ? r->last_ns - r->first_ts : 0;
	uint64_t bytes = r->received * r->o->msg_size;

	jsonl_u64(j, "received", r->received);
	jsonl_u64(j, "bytes", bytes);
	if (!elapsed) {
		jsonl_null(j, "elapsed_ns");
		jsonl_null(j, "msgs_per_s");
		jsonl_null(j, "bytes_per_s");
		return;
	}
	jsonl_u64(j, "elapsed_ns", elapsed);
	jsonl_u64(j, "msgs_per_s", (uint64_t)((double)r->received * 1e9 / (double)elapsed));
	jsonl_u64(j, "bytes_per_s", (uint64_t)((double)bytes * 1e9 / (double)elapsed));
}

static void emit_latency(struct jsonl *j, struct xrun *r)
{
	if (!r->nlat) {
		jsonl_null(j, "lat_p50_ns");
		jsonl_null(j, "lat_p99_ns");
		jsonl_null(j, "lat_max_ns");
		return;
	}
	qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u64);
	jsonl_u64(j, "lat_p50_ns", percentile(r, 50));
	jsonl_u64(j, "lat_p99_ns", percentile(r, 99));
	jsonl_u64(j, "lat_max_ns", r->lat[r->nlat - 1]);
}

static int emit(struct xrun *r, int err)
{
	const struct xfer_opts *o = r->o;
	struct jsonl j;

	json_record_begin(&j, &tool);
	jsonl_str(&j, "channel", o->mode->name);
	jsonl_u64(&j, "msg_size", o->msg_size);
	jsonl_u64(&j, "count", o->count);
	jsonl_u64(&j, "seed", o->seed);
	if (o->mode->ring)
		jsonl_u64(&j, "ring_bytes", r->req.ring_bytes ? r->req.ring_bytes : o->ring_bytes);
	else if (o->mode->channel == KDIO_XFER_NETLINK)
		jsonl_u64(&j, "rcvbuf_bytes", o->ring_bytes);
	emit_rates(&j, r);
	emit_latency(&j, r);
	jsonl_u64(&j, "gaps", r->gaps);
	jsonl_u64(&j, "bad", r->bad);
	jsonl_u64(&j, "drops", r->drops);
	return json_record_end(&j, err, r->msg);
}

/* Whether what the run found is a failure. */
static bool failed(const struct xrun *r, int err)
{
	if (err || r->bad)
		return true;
	if (r->o->mode->lossy)
		return r->gaps != r->drops;
	return r->gaps || r->drops;
}

/* Open the device, set up a session, run the mode; 0 or -errno. */
static int run(struct xrun *r)
{
	const struct mode *m = r->o->mode;
	int ret;

	r->fd = open(r->o->device, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return fail(r, errno, "%s: %s; load kdio_xfer.ko and run as root",
			    r->o->device, strerror(errno));
	ret = m->prepare ? m->prepare(r) : 0;
	if (!ret)
		ret = setup(r);
	if (!ret)
		ret = m->run(r);
	if (!ret)
		ret = finish(r);
	return ret;
}

int main(int argc, char **argv)
{
	struct xfer_opts o;
	struct xrun r;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	r = (struct xrun){ .o = &o, .fd = -1, .nl_sock = -1 };
	r.lat = malloc(o.count * sizeof(*r.lat));
	r.buf = aligned_alloc(64, (o.msg_size + 63) & ~63ULL);
	if (!r.lat || !r.buf)
		ret = fail(&r, ENOMEM, "no memory for %" PRIu64 " latencies and a message", o.count);
	else
		ret = run(&r);
	if (ret && !r.msg[0])
		fail(&r, -ret, "%s", strerror(-ret));
	if (!ret && r.drops && !r.msg[0])
		snprintf(r.msg, sizeof(r.msg), "%" PRIu64 " message(s) dropped by the kernel: the consumer did not keep up",
			 r.drops);
	ret = emit(&r, -ret) || failed(&r, -ret);
	if (r.nl_sock >= 0)
		close(r.nl_sock);
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	free(r.lat);
	return ret ? EXIT_ERROR : EXIT_OK;
}
