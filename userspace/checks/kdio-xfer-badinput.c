// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: feed the kdio_xfer channels a table of broken
 * requests and misuses and check that each gets exactly the errno
 * kdio/xfer.h promises, with valid uses beside them that must succeed
 * and deliver whole messages, so that the checker is seen to tell success
 * from failure. One KTAP result per check, like kdio-badinput; exit 0 only
 * if all are ok. Needs root and kdio_xfer.ko loaded; no other kdio_xfer
 * consumer may run meanwhile (sessions are one per channel).
 *
 * The last check asks the kernel to unload kdio_xfer while this tool
 * holds /dev/kdio_xfer open, which must be refused (EAGAIN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "badinput.h"
#include "common.h"
#include "jsonl.h"
#include "kdio/xfer.h"
#include "../xfer/genl.h"
#include "../xfer/msg.h"

#define SMALL		64ULL		/* the usual message */
#define FEW		4ULL		/* the usual count */
#define PAGE		4096ULL

static const char *device = KDIO_XFER_DEVICE;

struct check {
	struct badinput_check bi;
	/*
	 * Ask for a session of channel, msg_size, count and ring, the
	 * request broken by corrupt if it is set ...
	 */
	void (*corrupt)(struct kdio_xfer_req *req, void **arg);
	uint64_t msg_size, count, ring;
	/* ... or make one call on a fresh session of channel ... */
	int (*call)(int fd);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(const struct check *c, struct badinput_outcome *o);
	__u32 channel;			/* the channel it uses */
	int variant;			/* for run: which of its cases */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kdio-xfer-badinput [-D DEVICE] [-W CHECK]\n"
		"  -D DEVICE  default " KDIO_XFER_DEVICE "\n"
		"  -W CHECK   test only: expect a wrong errno for CHECK, to prove\n"
		"             a wrong outcome fails the check\n");
}

static void base_req(struct kdio_xfer_req *req, __u32 channel, uint64_t msg_size,
		     uint64_t count, uint64_t ring)
{
	*req = (struct kdio_xfer_req){
		.abi_version	= KDIO_XFER_ABI_VERSION,
		.struct_size	= sizeof(*req),
		.channel	= channel,
		.msg_size	= msg_size,
		.count		= count,
		.seed		= 3,
		.ring_bytes	= ring,
	};
}

/* An address no process has mapped, hidden from the compiler's checks. */
static void *bogus_ptr(void)
{
	static volatile uintptr_t addr = 8;

	return (void *)addr;
}

/* The device with a session as asked; fd, or -errno. */
static int session(__u32 channel, uint64_t msg_size, uint64_t count, uint64_t ring,
		   struct kdio_xfer_req *out)
{
	struct kdio_xfer_req req;
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	base_req(&req, channel, msg_size, count, ring);
	if (!ioctl(fd, KDIO_IOC_XFER_SETUP, &req)) {
		if (out)
			*out = req;
		return fd;
	}
	err = errno;
	close(fd);
	return -err;
}

/* A message must be whole and number seq; else o says so. */
static void expect_msg(const void *msg, uint64_t size, uint64_t seq, struct badinput_outcome *o)
{
	const struct kdio_xfer_msg *hdr = msg;

	if (o->detail[0])
		return;
	if (!xfer_msg_ok(msg, size))
		badinput_say(o, BADINPUT_FAIL, "message %" PRIu64 " fails its check", seq);
	else if (hdr->seq != seq)
		badinput_say(o, BADINPUT_FAIL, "message seq %" PRIu64 " where %" PRIu64 " was due",
			     (uint64_t)hdr->seq, seq);
}

/* The errno of an mmap() of fd, unmapped at once if it works. */
static int map_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	void *map = mmap(NULL, len, prot, flags, fd, off);

	if (map == MAP_FAILED)
		return errno;
	munmap(map, len);
	return 0;
}

/* The corruptions of a setup request, in table order. */
static void c_bogus_ptr(struct kdio_xfer_req *r, void **a) { (void)r; *a = bogus_ptr(); }
static void c_null_ptr(struct kdio_xfer_req *r, void **a) { (void)r; *a = NULL; }
static void c_abi(struct kdio_xfer_req *r, void **a) { (void)a; r->abi_version++; }
static void c_struct_size(struct kdio_xfer_req *r, void **a) { (void)a; r->struct_size -= 8; }
static void c_reserved(struct kdio_xfer_req *r, void **a) { (void)a; r->reserved = 1; }

/* Run setup check c on a fresh file; returns the errno seen. */
static int run_setup(const struct check *c)
{
	struct kdio_xfer_req req;
	void *arg = &req;
	int fd, err;

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	base_req(&req, c->channel, c->msg_size, c->count, c->ring);
	if (c->corrupt)
		c->corrupt(&req, &arg);
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_SETUP, arg));
	close(fd);
	return err;
}

/* Run call check c on a fresh session of its channel; the errno seen. */
static int run_call(const struct check *c)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err;

	if (fd < 0)
		return -fd;
	err = c->call(fd);
	close(fd);
	return err;
}

/* The calls on a session, in table order. */
static int s_unknown_ioctl(int fd)
{
	return badinput_errno(ioctl(fd, _IOW(KDIO_IOC_MAGIC, 0x2f, struct kdio_xfer_req), NULL));
}

static int s_setup_again(int fd)
{
	struct kdio_xfer_req req;

	base_req(&req, KDIO_XFER_WRITE, SMALL, FEW, 0);	/* even another channel */
	return badinput_errno(ioctl(fd, KDIO_IOC_XFER_SETUP, &req));
}

static int s_read_short(int fd)
{
	char buf[SMALL];

	return badinput_errno(read(fd, buf, SMALL - 8));
}

static int s_read_bogus(int fd) { return badinput_errno(read(fd, bogus_ptr(), SMALL)); }

static int s_read_offset(int fd)
{
	char buf[SMALL];

	return badinput_errno(pread(fd, buf, SMALL, SMALL));
}

static int s_write_length(int fd)
{
	char buf[SMALL * 2] = { 0 };

	return badinput_errno(write(fd, buf, sizeof(buf)));
}

static int s_write_bogus(int fd) { return badinput_errno(write(fd, bogus_ptr(), SMALL)); }

static int r_two_consumers(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int fd2;

	(void)o;
	if (fd < 0)
		return -fd;
	fd2 = session(c->channel, SMALL, FEW, 0, NULL);
	close(fd);
	if (fd2 >= 0)
		close(fd2);
	return fd2 < 0 ? -fd2 : 0;
}

/* Free again once the first consumer's file is closed. */
static int r_free_after_close(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);

	(void)o;
	if (fd < 0)
		return -fd;
	close(fd);
	fd = session(c->channel, SMALL, FEW, 0, NULL);
	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

static int r_two_channels(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(KDIO_XFER_READ, SMALL, FEW, 0, NULL);
	int fd2;

	(void)c; (void)o;
	if (fd < 0)
		return -fd;
	fd2 = session(KDIO_XFER_WRITE, SMALL, FEW, 0, NULL);
	close(fd);
	if (fd2 < 0)
		return -fd2;
	close(fd2);
	return 0;
}

/* Each use of a file without a session: read, write, fetch, stats, mmap. */
static int r_before_setup(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fetch f = { 0 };
	struct kdio_xfer_req st;
	char buf[SMALL];
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err = 0;

	(void)o;
	if (fd < 0)
		return errno;
	switch (c->variant) {
	case 0: err = badinput_errno(read(fd, buf, sizeof(buf))); break;
	case 1: err = badinput_errno(write(fd, buf, sizeof(buf))); break;
	case 2: err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, &f)); break;
	case 3: err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_STATS, &st)); break;
	case 4:
		err = map_errno(fd, PAGE * 2, PROT_READ, MAP_SHARED, 0);
		break;
	}
	close(fd);
	return err;
}

/* Another channel's call on a session of c->channel. */
static int r_wrong_channel(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fetch f = { 0 };
	struct kdio_xfer_fill fill = { 0 };
	char buf[SMALL] = { 0 };
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err = 0;

	(void)o;
	if (fd < 0)
		return -fd;
	if (c->channel == KDIO_XFER_WRITE) {
		err = badinput_errno(read(fd, buf, sizeof(buf)));
	} else {
		int errs[4];

		errs[0] = badinput_errno(write(fd, buf, sizeof(buf)));
		errs[1] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, &f));
		errs[2] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &fill));
		errs[3] = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RELAY_FILL, &fill));
		err = map_errno(fd, PAGE * 2, PROT_READ, MAP_SHARED, 0);
		for (int i = 0; i < 4; i++)
			if (errs[i] != err)
				badinput_say(o, BADINPUT_FAIL, "call %d of write, fetch, ring fill, relay fill gave %s, mmap %s",
					     i, errno_name(errs[i]), errno_name(err));
	}
	close(fd);
	return err;
}

/* FEW whole messages in order, then the end: read() 0 or FETCH 0. */
static int r_count_then_end(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL] __attribute__((aligned(8)));
	struct kdio_xfer_fetch f = { .buf = (uintptr_t)buf, .len = SMALL };
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	uint64_t i;
	long n = 0;

	if (fd < 0)
		return -fd;
	for (i = 0; i <= FEW; i++) {
		n = c->channel == KDIO_XFER_READ ? read(fd, buf, SMALL) :
		    ioctl(fd, KDIO_IOC_XFER_FETCH, &f);
		if (n < 0 || (i < FEW && n != (long)SMALL))
			break;
		if (i < FEW)
			expect_msg(buf, SMALL, i, o);
	}
	close(fd);
	if (n < 0)
		return errno;
	if (!o->detail[0] && (i <= FEW || n))
		badinput_say(o, BADINPUT_FAIL, "call %" PRIu64 " returned %ld; want %llu messages, then 0",
			     i, n, FEW);
	return 0;
}

/*
 * Messages 0..3 with 1 corrupted and 2 numbered wrong; then one too
 * many (ENOSPC). The module must count 2 bad, the first number 1.
 */
static int r_write_checks(const struct check *c, struct badinput_outcome *o)
{
	uint64_t buf[SMALL / 8], sum = xfer_msg_template(buf, SMALL, 3);
	struct kdio_xfer_req st;
	int fd = session(KDIO_XFER_WRITE, SMALL, FEW, 0, NULL);
	int err = 0;
	uint64_t i;

	(void)c;
	if (fd < 0)
		return -fd;
	for (i = 0; i <= FEW && !err; i++) {
		xfer_msg_stamp(buf, i == 2 ? 7 : i, now_ns(), sum);
		if (i == 1)
			buf[SMALL / 8 - 1] ^= 1;
		err = badinput_errno(write(fd, buf, SMALL));
		if (i == 1)
			buf[SMALL / 8 - 1] ^= 1;
		if (i < FEW && err)
			badinput_say(o, BADINPUT_FAIL, "write %" PRIu64 " failed: %s", i, strerror(err));
	}
	if (!ioctl(fd, KDIO_IOC_XFER_STATS, &st) && !o->detail[0] &&
	    (st.bad != 2 || st.first_bad != 1 || st.produced != FEW))
		badinput_say(o, BADINPUT_FAIL, "the module took %llu, counted %llu bad, first %llu; want %llu, 2, 1",
			     (unsigned long long)st.produced, (unsigned long long)st.bad,
			     (unsigned long long)st.first_bad, FEW);
	close(fd);
	return err;
}

/* FETCH with a short buffer, a bogus buffer, a bogus argument. */
static int r_fetch(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL];
	struct kdio_xfer_fetch f = { .buf = (uintptr_t)buf, .len = SMALL };
	int fd = session(KDIO_XFER_IOCTL, SMALL, FEW, 0, NULL);
	void *arg = &f;
	int err;

	(void)o;
	if (fd < 0)
		return -fd;
	if (c->variant == 0)
		f.len = SMALL - 8;
	else if (c->variant == 1)
		f.buf = (uintptr_t)bogus_ptr();	/* bogus buffer */
	else
		arg = bogus_ptr();	/* bogus argument */
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_FETCH, arg));
	close(fd);
	return err;
}

/*
 * A mapping of a one-page ring of SMALL messages: whole, short, long, at
 * an offset, private.
 */
static int r_mmap(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_req req;
	int fd = session(KDIO_XFER_MMAP, SMALL, FEW, PAGE, &req);
	size_t map_len = req.map_size;
	int flags = MAP_SHARED, err;
	off_t off = 0;

	(void)o;
	if (fd < 0)
		return -fd;
	switch (c->variant) {
	case 1: map_len -= PAGE; break;
	case 2: map_len += PAGE; break;
	case 3: off = PAGE; break;
	case 4: flags = MAP_PRIVATE; break;
	}
	err = map_errno(fd, map_len, PROT_READ | PROT_WRITE, flags, off);
	close(fd);
	return err;
}

/*
 * Fill and find FEW whole messages; then a consumer index past producer;
 * or consumed, the relay-only in field, set.
 */
static int r_ring(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	int fd = session(KDIO_XFER_MMAP, SMALL, FEW, PAGE, &req);
	struct kdio_xfer_ring *ctrl;
	int err;
	uint64_t i;

	if (fd < 0)
		return -fd;
	ctrl = mmap(NULL, req.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ctrl == MAP_FAILED) {
		err = errno;
		close(fd);
		return err;
	}
	f.consumed = c->variant == 2;
	err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &f));
	if (!err && c->variant == 0) {
		for (i = 0; i < FEW; i++)
			expect_msg((char *)ctrl + ctrl->data_offset + i * SMALL, SMALL, i, o);
		if (f.produced != FEW || ctrl->producer != FEW)
			badinput_say(o, BADINPUT_FAIL, "fill made %llu; want %llu", (unsigned long long)f.produced, FEW);
	} else if (!err) {
		ctrl->consumer = ctrl->producer + 1;
		err = badinput_errno(ioctl(fd, KDIO_IOC_XFER_RING_FILL, &f));
	}
	munmap(ctrl, req.map_size);
	close(fd);
	return err;
}

/* Open a proc or sysfs file of the module; fd or -errno. */
static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int r_no_session(const struct check *c, struct badinput_outcome *o)
{
	const char *path = c->channel == KDIO_XFER_PROC_SEQ ? KDIO_XFER_PROC_SEQ_FILE :
			   c->channel == KDIO_XFER_PROC_READ ? KDIO_XFER_PROC_READ_FILE :
			   KDIO_XFER_SYSFS_FILE;
	char buf[SMALL];
	int fd = open_ro(path);
	int err;

	(void)o;
	if (fd < 0)
		return -fd;
	err = badinput_errno(pread(fd, buf, SMALL, 0));	/* sysfs: no open hook */
	close(fd);
	return err;
}

/* proc-read: message 2 whole, a short buffer, an offset inside a message. */
static int r_proc_read(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL] __attribute__((aligned(8)));
	int sfd = session(KDIO_XFER_PROC_READ, SMALL, FEW, 0, NULL);
	int fd, err;

	if (sfd < 0)
		return -sfd;
	fd = open_ro(KDIO_XFER_PROC_READ_FILE);
	if (fd < 0) {
		close(sfd);
		return -fd;
	}
	if (c->variant == 1)
		err = badinput_errno(read(fd, buf, SMALL - 8));
	else if (c->variant == 2)
		err = badinput_errno(pread(fd, buf, SMALL, 100));
	else
		err = badinput_errno(pread(fd, buf, SMALL, 2 * SMALL));
	if (!err && c->variant == 0)
		expect_msg(buf, SMALL, 2, o);
	close(fd);
	close(sfd);
	return err;
}

/* proc-seq read in 24-byte pieces: the stream is still whole messages. */
static int r_proc_seq_pieces(const struct check *c, struct badinput_outcome *o)
{
	uint64_t buf[FEW * SMALL / 8];
	int sfd = session(KDIO_XFER_PROC_SEQ, SMALL, FEW, 0, NULL);
	size_t done = 0;
	ssize_t n = 1;
	int fd, err = 0;
	uint64_t i;

	(void)c;
	if (sfd < 0)
		return -sfd;
	fd = open_ro(KDIO_XFER_PROC_SEQ_FILE);
	while (fd >= 0 && n > 0 && done < sizeof(buf)) {
		n = read(fd, (char *)buf + done, sizeof(buf) - done < 24 ? sizeof(buf) - done : 24);
		done += n > 0 ? (size_t)n : 0;
	}
	err = fd < 0 ? -fd : n < 0 ? errno : 0;
	for (i = 0; !err && i < FEW; i++)
		expect_msg((char *)buf + i * SMALL, SMALL, i, o);
	if (!err && !o->detail[0] && (done != sizeof(buf) || read(fd, buf, 8) != 0))
		badinput_say(o, BADINPUT_FAIL, "read %zu bytes, then not the end; want %zu", done, sizeof(buf));
	if (fd >= 0)
		close(fd);
	close(sfd);
	return err;
}

/* sysfs: a 64 KiB message in pieces, or an offset before any message. */
static int r_sysfs(const struct check *c, struct badinput_outcome *o)
{
	uint64_t size = c->variant ? SMALL : KDIO_XFER_SYSFS_MSG_MAX, off = 0;
	int sfd = session(KDIO_XFER_SYSFS, size, FEW, 0, NULL);
	char *buf = aligned_alloc(8, size);
	ssize_t n = 1;
	int fd, err;

	fd = sfd < 0 ? sfd : open_ro(KDIO_XFER_SYSFS_FILE);
	if (fd < 0 || !buf) {
		err = fd < 0 ? -fd : ENOMEM;
	} else if (c->variant) {
		err = badinput_errno(pread(fd, buf, 8, 8));
	} else {
		while (n > 0 && off < size) {
			n = pread(fd, buf + off, size - off, (off_t)off);
			off += n > 0 ? (uint64_t)n : 0;
		}
		err = n < 0 ? errno : 0;
		if (!err)
			expect_msg(buf, size, 0, o);
	}
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	free(buf);
	return err;
}

/* The errno of the kernel's answer to a SEND, or 0 after a DONE. */
static int nl_answer(int sock, uint64_t *msgs)
{
	static uint64_t rx[(KDIO_XFER_NETLINK_MSG_MAX + 4096) / 8];
	struct pollfd p = { .fd = sock, .events = POLLIN };

	for (*msgs = 0; poll(&p, 1, 2000) > 0;) {
		ssize_t n = recv(sock, rx, sizeof(rx), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)rx;

		if (n < 0 && errno == ENOBUFS)
			continue;	/* the queue overran: the kernel counts it */
		if (n < 0)
			return errno;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_ERROR)
				return -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (g->cmd == KDIO_XFER_CMD_DONE)
				return 0;
			(*msgs)++;
		}
	}
	return ETIMEDOUT;
}

/*
 * SEND: without a session, with the wrong size, a count above what is
 * left, no count; valid.
 */
static int r_netlink(const struct check *c, struct badinput_outcome *o)
{
	uint64_t count = FEW, size = SMALL, msgs = 0;
	int sfd = c->variant ? session(KDIO_XFER_NETLINK, SMALL, FEW, 0, NULL) : 0;
	uint16_t family;
	int sock = -1, err;

	if (sfd < 0)
		return -sfd;
	err = -xfer_genl_open(&sock, &family);
	size += c->variant == 1 ? 8 : 0;
	count = c->variant == 2 ? FEW + 1 : c->variant == 3 ? 0 : count;
	if (!err)
		err = -xfer_genl_send(sock, family, count, size);
	if (!err)
		err = nl_answer(sock, &msgs);
	if (!err && msgs != FEW)
		badinput_say(o, BADINPUT_FAIL, "%llu messages before DONE; want %llu",
			     (unsigned long long)msgs, FEW);
	if (sock >= 0)
		close(sock);
	if (sfd > 0)
		close(sfd);
	return err;
}

/*
 * Nobody reads while the kernel sends to a small receive queue: it must
 * drop what does not fit and count every drop. Messages delivered plus
 * drops must be all of them.
 */
static int r_netlink_drops(const struct check *c, struct badinput_outcome *o)
{
	const uint64_t count = 64, size = PAGE;
	int sfd = session(KDIO_XFER_NETLINK, size, count, 0, NULL);
	int sock = -1, rcvbuf = 16384, err;
	struct kdio_xfer_req st;
	uint64_t msgs = 0;
	uint16_t family;

	(void)c;
	if (sfd < 0)
		return -sfd;
	err = -xfer_genl_open(&sock, &family);
	if (!err)
		err = badinput_errno(setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	if (!err)
		err = -xfer_genl_send(sock, family, count, size);
	if (!err)
		nl_answer(sock, &msgs);	/* DONE itself may have been dropped */
	if (!err)
		err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_STATS, &st));
	if (!err && (!st.drops || st.produced != count || msgs + st.drops != count))
		badinput_say(o, BADINPUT_FAIL, "made %llu, %llu received, %llu dropped; want %llu made, some dropped, the sum %llu",
			     (unsigned long long)st.produced, (unsigned long long)msgs,
			     (unsigned long long)st.drops, (unsigned long long)count,
			     (unsigned long long)count);
	if (sock >= 0)
		close(sock);
	close(sfd);
	return err;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/*
 * relay misuse: a fill from another CPU, consumed above the sub-buffers,
 * an mmap of the wrong size, the file opened after the session.
 */
static int r_relay(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	char path[128];
	int sfd, fd = -1, err = pin(0);

	if (err)
		return err;
	sfd = session(KDIO_XFER_RELAY, SMALL, FEW, 0, &req);
	if (sfd < 0)
		return -sfd;
	snprintf(path, sizeof(path), "%s/cpu%u", KDIO_XFER_RELAY_DIR, req.cpu);
	if (c->variant == 0) {
		err = sysconf(_SC_NPROCESSORS_ONLN) < 2 ? ENODEV : pin(1);
		if (err)
			badinput_say(o, BADINPUT_FAIL, "needs two CPUs");
		else
			err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	} else if (c->variant == 1) {
		f.consumed = req.slots + 1;
		err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	} else if (c->variant == 2) {
		fd = open_ro(path);
		err = fd < 0 ? -fd : map_errno(fd, req.map_size / 2, PROT_READ, MAP_SHARED, 0);
	} else {
		close(sfd);
		sfd = -1;
		fd = open_ro(path);
		err = fd < 0 ? -fd : 0;
	}
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	pin(0);
	return err;
}

/* A reader keeps its relay file after the session ends: read() ends. */
static int r_relay_outlives(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	char path[128], buf[SMALL];
	int sfd, fd, err = pin(0);
	ssize_t n;

	(void)c;
	if (err)
		return err;
	sfd = session(KDIO_XFER_RELAY, SMALL, FEW, 0, &req);
	if (sfd < 0)
		return -sfd;
	snprintf(path, sizeof(path), "%s/cpu%u", KDIO_XFER_RELAY_DIR, req.cpu);
	fd = open_ro(path);
	err = fd < 0 ? -fd : badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	close(sfd);
	if (fd < 0)
		return err;
	while (!err && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (!err && n < 0)
		err = errno;
	if (!err && f.produced != FEW)
		badinput_say(o, BADINPUT_FAIL, "fill made %llu; want %llu", (unsigned long long)f.produced, FEW);
	close(fd);
	return err;
}

static int r_unprivileged(const struct check *c, struct badinput_outcome *o)
{
	(void)c;
	return badinput_unprivileged_open(device, o);
}

/* delete_module() while this file is open: refused, the module stays. */
static int r_unload_in_use(const struct check *c, struct badinput_outcome *o)
{
	int fd = session(c->channel, SMALL, FEW, 0, NULL);
	int err = fd < 0 ? -fd : badinput_unload_in_use("kdio_xfer", o);

	if (fd >= 0)
		close(fd);
	return err;
}

/* A setup request as base_req() makes it: channel, message size, count, ring. */
#define REQ(n, ch, size, cnt, r, e) \
	{ .bi = { n, e }, .channel = ch, .msg_size = size, .count = cnt, .ring = r }
/* The usual request (read, SMALL, FEW), broken by fn. */
#define SETUP(n, fn, e) \
	{ .bi = { n, e }, .corrupt = fn, .channel = KDIO_XFER_READ, .msg_size = SMALL, .count = FEW }
#define CALL(n, fn, e, ch) { .bi = { n, e }, .call = fn, .channel = ch }
#define RUN(n, fn, e, ch) { .bi = { n, e }, .run = fn, .channel = ch }
#define CASE(n, fn, e, v) { .bi = { n, e }, .run = fn, .variant = v }

static const struct check checks[] = {
	SETUP("setup-bogus-pointer", c_bogus_ptr, EFAULT),
	SETUP("setup-null-pointer", c_null_ptr, EFAULT),
	SETUP("setup-wrong-abi", c_abi, EPROTO),
	SETUP("setup-wrong-struct-size", c_struct_size, EPROTO),
	SETUP("setup-reserved-set", c_reserved, EINVAL),
	REQ("setup-unknown-channel", KDIO_XFER_NR_CHANNELS, SMALL, FEW, 0, EINVAL),
	REQ("setup-channel-huge", ~0U, SMALL, FEW, 0, EINVAL),
	REQ("setup-msg-size-zero", KDIO_XFER_READ, 0, FEW, 0, EINVAL),
	REQ("setup-msg-size-below-header", KDIO_XFER_READ, 24, FEW, 0, EINVAL),
	REQ("setup-msg-size-header-only", KDIO_XFER_READ, 32, FEW, 0, EINVAL),
	REQ("setup-msg-size-unaligned", KDIO_XFER_READ, 100, FEW, 0, EINVAL),
	REQ("setup-msg-size-above-max", KDIO_XFER_READ, KDIO_XFER_MSG_MAX + 8, FEW, 0, EINVAL),
	REQ("setup-msg-size-huge", KDIO_XFER_READ, 1ULL << 62, FEW, 0, EINVAL),
	REQ("setup-msg-size-max-valid", KDIO_XFER_READ, KDIO_XFER_MSG_MAX, FEW, 0, 0),
	REQ("setup-msg-size-min-valid", KDIO_XFER_READ, KDIO_XFER_MSG_MIN, FEW, 0, 0),
	REQ("setup-sysfs-above-cap", KDIO_XFER_SYSFS, KDIO_XFER_SYSFS_MSG_MAX + 8, FEW, 0, EINVAL),
	REQ("setup-sysfs-cap-valid", KDIO_XFER_SYSFS, KDIO_XFER_SYSFS_MSG_MAX, FEW, 0, 0),
	REQ("setup-netlink-above-cap", KDIO_XFER_NETLINK, 65536, FEW, 0, EINVAL),
	REQ("setup-netlink-cap-valid", KDIO_XFER_NETLINK, KDIO_XFER_NETLINK_MSG_MAX, FEW, 0, 0),
	REQ("setup-count-zero", KDIO_XFER_READ, SMALL, 0, 0, EINVAL),
	REQ("setup-ring-bytes-on-read", KDIO_XFER_READ, SMALL, FEW, PAGE, EINVAL),
	REQ("setup-ring-unaligned", KDIO_XFER_MMAP, SMALL, FEW, PAGE + 512, EINVAL),
	REQ("setup-ring-above-max", KDIO_XFER_MMAP, SMALL, FEW, KDIO_XFER_RING_MAX + PAGE, EINVAL),
	REQ("setup-ring-below-msg", KDIO_XFER_MMAP, 2 * PAGE, FEW, PAGE, EINVAL),
	REQ("setup-relay-one-subbuf", KDIO_XFER_RELAY, KDIO_XFER_MSG_MAX, FEW,
	    2 * KDIO_XFER_MSG_MAX, EINVAL),
	CALL("unknown-ioctl", s_unknown_ioctl, ENOTTY, KDIO_XFER_READ),
	CALL("setup-twice-same-fd", s_setup_again, EBUSY, KDIO_XFER_READ),
	RUN("two-consumers-at-once-read", r_two_consumers, EBUSY, KDIO_XFER_READ),
	RUN("two-consumers-at-once-proc-seq", r_two_consumers, EBUSY, KDIO_XFER_PROC_SEQ),
	RUN("two-consumers-at-once-netlink", r_two_consumers, EBUSY, KDIO_XFER_NETLINK),
	RUN("channel-free-after-close", r_free_after_close, 0, KDIO_XFER_READ),
	CASE("two-channels-at-once-valid", r_two_channels, 0, 0),
	CASE("read-before-setup", r_before_setup, EINVAL, 0),
	CASE("write-before-setup", r_before_setup, EINVAL, 1),
	CASE("fetch-before-setup", r_before_setup, EINVAL, 2),
	CASE("stats-before-setup", r_before_setup, EINVAL, 3),
	CASE("mmap-before-setup", r_before_setup, EINVAL, 4),
	RUN("read-session-other-calls", r_wrong_channel, EINVAL, KDIO_XFER_READ),
	RUN("write-session-read", r_wrong_channel, EINVAL, KDIO_XFER_WRITE),
	CALL("read-short-buffer", s_read_short, EINVAL, KDIO_XFER_READ),
	CALL("read-bogus-buffer", s_read_bogus, EFAULT, KDIO_XFER_READ),
	CALL("read-at-offset", s_read_offset, ESPIPE, KDIO_XFER_READ),
	RUN("read-count-then-eof-valid", r_count_then_end, 0, KDIO_XFER_READ),
	CALL("write-wrong-length", s_write_length, EINVAL, KDIO_XFER_WRITE),
	CALL("write-bogus-buffer", s_write_bogus, EFAULT, KDIO_XFER_WRITE),
	CASE("write-bad-messages-counted-then-full", r_write_checks, ENOSPC, 0),
	CASE("fetch-short-buffer", r_fetch, EINVAL, 0),
	CASE("fetch-bogus-buffer", r_fetch, EFAULT, 1),
	CASE("fetch-bogus-argument", r_fetch, EFAULT, 2),
	RUN("fetch-count-then-end-valid", r_count_then_end, 0, KDIO_XFER_IOCTL),
	CASE("mmap-valid", r_mmap, 0, 0),
	CASE("mmap-short", r_mmap, EINVAL, 1),
	CASE("mmap-long", r_mmap, EINVAL, 2),
	CASE("mmap-offset", r_mmap, EINVAL, 3),
	CASE("mmap-private", r_mmap, EINVAL, 4),
	CASE("ring-fill-valid", r_ring, 0, 0),
	CASE("ring-fill-consumer-ahead", r_ring, EINVAL, 1),
	CASE("ring-fill-consumed-set", r_ring, EINVAL, 2),
	RUN("proc-seq-no-session", r_no_session, ENODEV, KDIO_XFER_PROC_SEQ),
	RUN("proc-read-no-session", r_no_session, ENODEV, KDIO_XFER_PROC_READ),
	RUN("sysfs-no-session", r_no_session, ENODEV, KDIO_XFER_SYSFS),
	CASE("proc-read-at-offset-valid", r_proc_read, 0, 0),
	CASE("proc-read-short-buffer", r_proc_read, EINVAL, 1),
	CASE("proc-read-offset-inside-message", r_proc_read, EINVAL, 2),
	CASE("proc-seq-small-reads-valid", r_proc_seq_pieces, 0, 0),
	CASE("sysfs-64k-message-valid", r_sysfs, 0, 0),
	CASE("sysfs-offset-before-message", r_sysfs, EINVAL, 1),
	CASE("netlink-send-no-session", r_netlink, ENODEV, 0),
	CASE("netlink-send-msg-size-mismatch", r_netlink, EINVAL, 1),
	CASE("netlink-send-count-above-left", r_netlink, EINVAL, 2),
	CASE("netlink-send-count-missing", r_netlink, EINVAL, 3),
	CASE("netlink-send-valid", r_netlink, 0, 4),
	CASE("netlink-full-queue-drops-counted", r_netlink_drops, 0, 0),
	CASE("relay-fill-on-other-cpu", r_relay, EINVAL, 0),
	CASE("relay-fill-consumed-above-subbufs", r_relay, EINVAL, 1),
	CASE("relay-mmap-wrong-size", r_relay, EINVAL, 2),
	CASE("relay-file-gone-after-session", r_relay, ENOENT, 3),
	CASE("relay-reader-outlives-session-valid", r_relay_outlives, 0, 0),
	CASE("unprivileged-open", r_unprivileged, EACCES, 0),
	RUN("unload-while-open", r_unload_in_use, EAGAIN, KDIO_XFER_READ),
};

static int run_check(const struct badinput_check *b, void *ctx, struct badinput_outcome *o)
{
	const struct check *c = BADINPUT_ENTRY(b, struct check);

	(void)ctx;
	if (c->run)
		return c->run(c, o);
	return c->call ? run_call(c) : run_setup(c);
}

static const struct badinput_tool tool = {
	.name = "kdio-xfer-badinput", .detail_kind = BADINPUT_FAIL, .run = run_check,
};

int main(int argc, char **argv)
{
	int ret;

	ret = badinput_device_opts(argc, argv, &device, usage);
	if (ret >= 0)
		return ret;
	if (access(device, F_OK)) {
		int err = errno;
		char msg[MSG_MAX];

		snprintf(msg, sizeof(msg), "%s: %s; load kdio_xfer.ko and run as root",
			 device, strerror(err));
		badinput_emit_failure(&tool, "open-device", err, msg);
		return EXIT_ERROR;
	}
	return BADINPUT_RUN(&tool, checks, NULL);
}
