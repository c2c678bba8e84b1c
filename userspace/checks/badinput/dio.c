// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: the rows of KDIO_IOC_DIO_RUN on /dev/kdio_dio. Broken
 * requests, each the valid base request with one thing wrong; misuses
 * (an unprivileged open, a caller without CAP_SYS_ADMIN, a write on a
 * read-only filesystem); valid runs that must succeed, one of whose data
 * must fail verification; and a write past the scratch filesystem's free
 * space, which must end in ENOSPC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rows.h"
#include "common/pattern.h"

#define BASE_BS		4096ULL
#define VALID_BS	(16ULL << 10)
#define VALID_SEED	7ULL
#define WRONG_SEED	0xbadULL	/* written by no check */
#define FILL_BS		(1ULL << 20)	/* the ENOSPC write: block size, */
#define FILL_BEYOND	(64ULL << 20)	/* how far it asks past free space */
#define FILL_MAX_FREE	(2ULL << 30)	/* and most free space it will fill */
#define FILL_SEED	3ULL

/* One ioctl to make: the request, and the cmd and argument to pass. */
struct probe {
	struct kdio_dio_req req;
	unsigned long cmd;
	void *arg;
	const struct scratch *s;	/* the files to point it at */
};

/* A read of the first block of the small file: valid as it stands. */
static void base_probe(struct probe *p, const struct scratch *s)
{
	memset(p, 0, sizeof(*p));
	p->req.abi_version = KDIO_DIO_ABI_VERSION;
	p->req.struct_size = sizeof(p->req);
	p->req.method = KDIO_DIO_VMMAP;
	p->req.op = KDIO_OP_READ;
	p->req.block_size = BASE_BS;
	p->req.total_bytes = BASE_BS;
	p->req.seed = SMALL_SEED;
	snprintf(p->req.path, sizeof(p->req.path), "%s", s->small);
	p->cmd = KDIO_IOC_DIO_RUN;
	p->arg = &p->req;
	p->s = s;
}

static void set_path(struct probe *p, const char *path)
{
	snprintf(p->req.path, sizeof(p->req.path), "%s", path);
}

/* The corruptions, in table order. */
static void c_bogus_ptr(struct probe *p) { p->arg = (void *)1; }
static void c_null_ptr(struct probe *p) { p->arg = NULL; }
static void c_abi(struct probe *p) { p->req.abi_version = KDIO_DIO_ABI_VERSION + 1; }
static void c_struct_size(struct probe *p) { p->req.struct_size -= 8; }
static void c_method(struct probe *p) { p->req.method = KDIO_DIO_NR_METHODS; }
static void c_op(struct probe *p) { p->req.op = KDIO_OP_READ + 1; }
static void c_bs_zero(struct probe *p) { p->req.block_size = 0; }
static void c_bs_unaligned(struct probe *p)
{
	p->req.block_size = p->req.total_bytes = 1000;
}
static void c_bs_too_big(struct probe *p)
{
	p->req.block_size = p->req.total_bytes = KDIO_MAX_BLOCK + KDIO_MIN_ALIGN;
}
static void c_total_zero(struct probe *p) { p->req.total_bytes = 0; }
static void c_total_partial(struct probe *p) { p->req.total_bytes += KDIO_MIN_ALIGN; }
static void c_offset_unaligned(struct probe *p) { p->req.offset = 100; }
static void c_offset_overflow(struct probe *p)
{
	p->req.offset = (uint64_t)INT64_MAX & ~(KDIO_MIN_ALIGN - 1);
}
static void c_unknown_flag(struct probe *p) { p->req.flags = 1U << 31; }
static void c_verify_write(struct probe *p)
{
	p->req.op = KDIO_OP_WRITE;
	p->req.flags = KDIO_F_VERIFY;
}
static void c_qd_too_big(struct probe *p)
{
	p->req.method = KDIO_DIO_BVEC_ASYNC;
	p->req.queue_depth = KDIO_MAX_QD + 1;
}
static void c_qd_sync_method(struct probe *p) { p->req.queue_depth = 4; }
static void c_async_total_too_big(struct probe *p)
{
	p->req.method = KDIO_DIO_BVEC_ASYNC;
	p->req.total_bytes = KDIO_ASYNC_MAX_TOTAL + p->req.block_size;
}
static void c_kmalloc_too_big(struct probe *p)
{
	/* 64 MiB: above KMALLOC_MAX_SIZE on any x86-64 configuration */
	p->req.method = KDIO_DIO_KVEC_KMALLOC;
	p->req.block_size = p->req.total_bytes = KDIO_MAX_BLOCK;
}
static void c_kvec_kmalloc_read(struct probe *p) { p->req.method = KDIO_DIO_KVEC_KMALLOC; }
static void c_kvec_vmalloc_read(struct probe *p) { p->req.method = KDIO_DIO_KVEC_VMALLOC; }
static void c_path_no_nul(struct probe *p)
{
	memset(p->req.path, 'a', sizeof(p->req.path));
}
static void c_path_empty(struct probe *p) { p->req.path[0] = '\0'; }
static void c_missing(struct probe *p) { set_path(p, p->s->missing); }
static void c_dir_read(struct probe *p) { set_path(p, p->s->dir); }
static void c_dir_write(struct probe *p)
{
	set_path(p, p->s->dir);
	p->req.op = KDIO_OP_WRITE;
}
static void c_fifo_read(struct probe *p) { set_path(p, p->s->fifo); }
static void c_fifo_write(struct probe *p)
{
	set_path(p, p->s->fifo);
	p->req.op = KDIO_OP_WRITE;
}
static void c_dev_null(struct probe *p) { set_path(p, "/dev/null"); }
static void c_beyond_eof(struct probe *p) { p->req.offset = SMALL_SIZE; }
static void c_unknown_cmd(struct probe *p)
{
	p->cmd = _IOWR(KDIO_IOC_MAGIC, 99, struct kdio_dio_req);
}
static void c_wrong_size_cmd(struct probe *p)
{
	p->cmd = _IOWR(KDIO_IOC_MAGIC, 1, __u64);
}

/* Run check c against the device; returns the errno seen. */
int run_probe(const struct check *c, struct env *e)
{
	struct probe p;

	base_probe(&p, &e->s);
	c->corrupt(&p);
	return timed_ioctl(e->fd, p.cmd, p.arg);
}

/* In a child: keep the open device but drop CAP_SYS_ADMIN, then ioctl. */
static int child_no_cap(void *ctx)
{
	const struct env *e = ctx;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	struct probe p;

	if (syscall(SYS_capget, &h, d))
		return BADINPUT_CHILD_SETUP_FAILED;
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return BADINPUT_CHILD_SETUP_FAILED;
	base_probe(&p, &e->s);
	return timed_ioctl(e->fd, p.cmd, p.arg);
}

static int run_unprivileged(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	(void)c;
	return badinput_unprivileged_open(e->device, o);
}

static int run_no_cap(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	(void)c;
	return badinput_in_child(child_no_cap, e, o);
}

/* A run of the whole valid file: method, op, queue depth, seed, verify. */
static int valid_ioctl(struct env *e, struct kdio_dio_req *req, const struct check *c,
		       __u32 op, uint64_t seed, bool verify)
{
	struct probe p;

	base_probe(&p, &e->s);
	set_path(&p, e->s.valid);
	p.req.method = c->method;
	p.req.queue_depth = c->qd;
	p.req.op = op;
	p.req.block_size = VALID_BS;
	p.req.total_bytes = VALID_SIZE;
	p.req.seed = seed;
	p.req.flags = verify ? KDIO_F_VERIFY : 0;
	*req = p.req;
	/* out only: what comes in must not show in what goes out */
	memset(&req->clat, 0xa5, sizeof(req->clat));
	return timed_ioctl(e->fd, p.cmd, req);
}

/*
 * Whether the histogram of run r holds one latency per call and nothing
 * else; if not, o says so.
 */
static bool clat_per_call(const struct kdio_dio_req *r, const char *what,
			  struct badinput_outcome *o)
{
	uint64_t in_bins = 0;
	unsigned int i;

	for (i = 0; i < KDIO_CLAT_NR_BINS; i++)
		in_bins += r->clat.bins[i];
	if (r->clat.samples == r->calls && in_bins == r->calls &&
	    r->clat.min_ns <= r->clat.max_ns && r->clat.sum_ns >= r->clat.max_ns)
		return true;
	badinput_say(o, BADINPUT_FAIL, "%s: latency histogram of %llu samples, %llu in its bins, min %llu max %llu ns, for %llu calls; want one sample per call",
		     what, (unsigned long long)r->clat.samples, (unsigned long long)in_bins,
		     (unsigned long long)r->clat.min_ns, (unsigned long long)r->clat.max_ns,
		     (unsigned long long)r->calls);
	return false;
}

/* Userspace's own look at the valid file, with O_DIRECT. */
static int check_from_userspace(struct env *e, uint64_t seed, struct pattern_result *r)
{
	struct pattern_io io = { .size = VALID_SIZE, .block_size = VALID_BS, .seed = seed };
	int ret;

	io.fd = open(e->s.valid, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0)
		return errno;
	ret = pattern_file_check(&io, r);
	close(io.fd);
	return -ret;
}

/*
 * Valid: the method writes the pattern for the check's own seed (so an
 * earlier check's data cannot pass for it), reads it back verified, and
 * userspace finds the same data on its own.
 */
static int run_round_trip(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct pattern_result r;
	struct kdio_dio_req w, rd;
	int err;

	err = valid_ioctl(e, &w, c, KDIO_OP_WRITE, c->seed, false);
	if (!err)
		err = valid_ioctl(e, &rd, c, KDIO_OP_READ, c->seed, true);
	if (!err)
		err = check_from_userspace(e, c->seed, &r);
	if (err)
		return err;
	if (w.bytes_done != VALID_SIZE || rd.bytes_done != VALID_SIZE ||
	    rd.calls != VALID_SIZE / VALID_BS)
		badinput_say(o, BADINPUT_FAIL, "moved %llu written, %llu read in %llu calls; want %llu in %llu",
			 (unsigned long long)w.bytes_done, (unsigned long long)rd.bytes_done,
			 (unsigned long long)rd.calls, VALID_SIZE, VALID_SIZE / VALID_BS);
	else if (rd.bad_blocks || r.bad_blocks)
		badinput_say(o, BADINPUT_FAIL, "%llu bad block(s) seen by the module, %llu by userspace; want none",
			 (unsigned long long)rd.bad_blocks, (unsigned long long)r.bad_blocks);
	else if (clat_per_call(&w, "write", o))
		clat_per_call(&rd, "read", o);
	return 0;
}

/* Valid, data wrong: a verified read with the wrong seed finds every block bad. */
static int run_wrong_seed(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct kdio_dio_req rd;
	int err;

	err = valid_ioctl(e, &rd, c, KDIO_OP_READ, WRONG_SEED, true);
	if (!err && rd.bad_blocks != VALID_SIZE / VALID_BS)
		badinput_say(o, BADINPUT_FAIL, "%llu bad block(s) with the wrong seed; want %llu",
			 (unsigned long long)rd.bad_blocks, VALID_SIZE / VALID_BS);
	return err;
}

/* Valid: the null method walks every block and counts it. */
static int run_null(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct kdio_dio_req rd;
	int err;

	err = valid_ioctl(e, &rd, c, KDIO_OP_READ, VALID_SEED, false);
	if (!err && (rd.calls != VALID_SIZE / VALID_BS || rd.bytes_done != VALID_SIZE))
		badinput_say(o, BADINPUT_FAIL, "null counted %llu bytes in %llu calls; want %llu in %llu",
			 (unsigned long long)rd.bytes_done, (unsigned long long)rd.calls,
			 VALID_SIZE, VALID_SIZE / VALID_BS);
	else if (!err)
		clat_per_call(&rd, "null", o);
	return err;
}

/*
 * A write request on -R ROFILE must fail with EROFS: open() says so before
 * it looks at O_DIRECT, which a read-only tmpfs may not have. Never run
 * on a file whose filesystem is writable: the request would overwrite it.
 */
static int run_read_only(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct statvfs sv;
	struct probe p;

	(void)c;
	if (!e->rofile) {
		badinput_say(o, BADINPUT_SKIP, "no -R ROFILE given");
		return 0;
	}
	if (statvfs(e->rofile, &sv)) {
		int err = errno;

		badinput_say(o, BADINPUT_FAIL, "-R %s: %s; give an existing file on a read-only filesystem",
		    e->rofile, strerror(err));
		return err;
	}
	if (!(sv.f_flag & ST_RDONLY)) {
		badinput_say(o, BADINPUT_FAIL, "-R %s: its filesystem is not read-only, so nothing was written; give a file on a read-only filesystem",
		    e->rofile);
		return 0;
	}
	base_probe(&p, &e->s);
	set_path(&p, e->rofile);
	p.req.op = KDIO_OP_WRITE;
	return timed_ioctl(e->fd, p.cmd, p.arg);
}

/*
 * The free space of the scratch filesystem, in *avail: blocks free to root,
 * reserved ones included, since the module writes as its (root) caller.
 * 0, or the errno of statvfs() with o saying so.
 */
static int scratch_free(const struct env *e, uint64_t *avail, struct badinput_outcome *o)
{
	struct statvfs sv;

	if (statvfs(e->s.dir, &sv)) {
		int err = errno;

		badinput_say(o, BADINPUT_FAIL, "statvfs %s: %s", e->s.dir, strerror(err));
		return err;
	}
	*avail = (uint64_t)sv.f_bfree * sv.f_frsize;
	return 0;
}

/* A bvec write of total bytes from offset 0 of the empty fill file. */
static int fill_ioctl(struct env *e, uint64_t total, struct kdio_dio_req *req)
{
	struct probe p;
	int fd;

	fd = open(e->s.fill, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	base_probe(&p, &e->s);
	set_path(&p, e->s.fill);
	p.req.method = KDIO_DIO_BVEC;
	p.req.op = KDIO_OP_WRITE;
	p.req.block_size = FILL_BS;
	p.req.total_bytes = total;
	p.req.seed = FILL_SEED;
	*req = p.req;
	return timed_ioctl(e->fd, p.cmd, req);
}

/*
 * Valid, but more than the filesystem holds: a bvec write of its free
 * space + FILL_BEYOND must fill it, report the bytes written and end with
 * ENOSPC, not hang. The file is removed at once. Skipped where more than
 * FILL_MAX_FREE is free: this is not for filling a real disk.
 */
static int run_enospc(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct kdio_dio_req req = { 0 };
	uint64_t avail = 0, total;
	int err;

	(void)c;
	err = scratch_free(e, &avail, o);
	if (err)
		return err;
	if (avail > FILL_MAX_FREE) {
		badinput_say(o, BADINPUT_SKIP, "%" PRIu64 " bytes free in %s, above the %llu this check may fill",
		    avail, e->s.dir, FILL_MAX_FREE);
		return 0;
	}
	total = (avail + FILL_BEYOND + FILL_BS - 1) / FILL_BS * FILL_BS;
	err = fill_ioctl(e, total, &req);
	unlink(e->s.fill);
	if (err == ENOSPC && !req.bytes_done)
		badinput_say(o, BADINPUT_FAIL, "ENOSPC before any byte was written, %" PRIu64 " bytes free", avail);
	else
		badinput_say(o, BADINPUT_NOTE, "wrote %llu of %" PRIu64 " bytes asked, %" PRIu64 " free",
		    (unsigned long long)req.bytes_done, total, avail);
	return err;
}

/* A valid run of the valid file: method m at queue depth q, seed sd. */
#define VALID(n, fn, m, q, sd) { .bi = { n, 0 }, .run = fn, .method = m, .qd = q, .seed = sd }

static const struct check dio_checks[] = {
	{ .bi = { "bogus-pointer", EFAULT }, .corrupt = c_bogus_ptr },
	{ .bi = { "null-pointer", EFAULT }, .corrupt = c_null_ptr },
	{ .bi = { "wrong-abi", EPROTO }, .corrupt = c_abi },
	{ .bi = { "wrong-struct-size", EPROTO }, .corrupt = c_struct_size },
	{ .bi = { "method-range", EINVAL }, .corrupt = c_method },
	{ .bi = { "op-range", EINVAL }, .corrupt = c_op },
	{ .bi = { "bs-zero", EINVAL }, .corrupt = c_bs_zero },
	{ .bi = { "bs-unaligned", EINVAL }, .corrupt = c_bs_unaligned },
	{ .bi = { "bs-too-big", EINVAL }, .corrupt = c_bs_too_big },
	{ .bi = { "total-zero", EINVAL }, .corrupt = c_total_zero },
	{ .bi = { "total-partial-block", EINVAL }, .corrupt = c_total_partial },
	{ .bi = { "offset-unaligned", EINVAL }, .corrupt = c_offset_unaligned },
	{ .bi = { "offset-overflow", EINVAL }, .corrupt = c_offset_overflow },
	{ .bi = { "unknown-flag", EINVAL }, .corrupt = c_unknown_flag },
	{ .bi = { "verify-with-write", EINVAL }, .corrupt = c_verify_write },
	{ .bi = { "qd-above-max", EINVAL }, .corrupt = c_qd_too_big },
	{ .bi = { "qd-on-sync-method", EINVAL }, .corrupt = c_qd_sync_method },
	{ .bi = { "bvec-async-total-above-max", EINVAL }, .corrupt = c_async_total_too_big },
	{ .bi = { "kvec-kmalloc-bs-above-kmalloc-max", EINVAL }, .corrupt = c_kmalloc_too_big },
	{ .bi = { "path-without-nul", ENAMETOOLONG }, .corrupt = c_path_no_nul },
	{ .bi = { "path-empty", ENOENT }, .corrupt = c_path_empty },
	{ .bi = { "missing-file", ENOENT }, .corrupt = c_missing },
	{ .bi = { "directory-read", EISDIR }, .corrupt = c_dir_read },
	{ .bi = { "directory-write", EISDIR }, .corrupt = c_dir_write },
	{ .bi = { "fifo-read", EINVAL }, .corrupt = c_fifo_read },
	{ .bi = { "fifo-write", EINVAL }, .corrupt = c_fifo_write },
	{ .bi = { "dev-null", EINVAL }, .corrupt = c_dev_null },
	{ .bi = { "write-on-read-only-fs", EROFS }, .run = run_read_only },
	{ .bi = { "read-beyond-eof", ENODATA }, .corrupt = c_beyond_eof },
	{ .bi = { "unknown-cmd", ENOTTY }, .corrupt = c_unknown_cmd },
	{ .bi = { "wrong-size-cmd", ENOTTY }, .corrupt = c_wrong_size_cmd },
	/*
	 * O_DIRECT read into kmalloc/vmalloc memory through an ITER_KVEC:
	 * EFAULT on 6.1; 6.12 extracts kvec pages and the read succeeds.
	 */
	{ .bi = { "kvec-kmalloc-odirect-read", EFAULT, 0, 6012 }, .corrupt = c_kvec_kmalloc_read },
	{ .bi = { "kvec-vmalloc-odirect-read", EFAULT, 0, 6012 }, .corrupt = c_kvec_vmalloc_read },
	{ .bi = { "unprivileged-open", EACCES }, .run = run_unprivileged },
	{ .bi = { "no-cap-sys-admin", EPERM }, .run = run_no_cap },
	VALID("valid-round-trip", run_round_trip, KDIO_DIO_VMMAP, 0, VALID_SEED),
	VALID("valid-bvec-round-trip", run_round_trip, KDIO_DIO_BVEC, 0, VALID_SEED + 1),
	VALID("valid-bvec-async-qd4-round-trip", run_round_trip, KDIO_DIO_BVEC_ASYNC, 4,
	      VALID_SEED + 2),
	VALID("valid-buffered-round-trip", run_round_trip, KDIO_DIO_BUFFERED, 0, VALID_SEED + 3),
	VALID("valid-wrong-seed", run_wrong_seed, KDIO_DIO_VMMAP, 0, 0),
	VALID("valid-null", run_null, KDIO_DIO_NULL, 0, 0),
};

/* After the kbuf rows: it fills the scratch file system, for a moment. */
static const struct check dio_fill_checks[] = {
	{ .bi = { "bvec-write-past-free-space", ENOSPC }, .run = run_enospc },
};

const struct badinput_rows dio_rows = BADINPUT_ROWS(dio_checks);
const struct badinput_rows dio_fill_rows = BADINPUT_ROWS(dio_fill_checks);
