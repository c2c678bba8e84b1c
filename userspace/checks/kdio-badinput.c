// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: feed /dev/kdio_dio and /dev/kdio_kbuf a table of broken
 * requests and check that each gets exactly the errno kdio/dio.h
 * promises, plus valid requests that must succeed (and one whose data
 * must fail verification), so that the checker is seen to tell success
 * from failure. A valid run's latency histogram must hold one sample per
 * I/O call, whatever its out fields held when it went in. One KTAP result
 * per check (badinput.h); exit 0 only if all are ok. Needs root, and a
 * scratch directory on a filesystem with O_DIRECT.
 *
 * The last rows give kdio-dio (-T, else the one beside this tool) inputs
 * it must refuse, and check that it does so with the exit code, errno and
 * one message that names the input, says what is wrong and what to do
 * (badinput_refused()); -t runs those rows alone, with no module.
 *
 * Some checks need what only the caller can give or allow, and are
 * skipped without it (a SKIP result with the reason): a write to a file on
 * a read-only filesystem (-R) must fail with EROFS, from the module and
 * from kdio-dio; kdio-dio must refuse a file on a filesystem without
 * O_DIRECT (-N); a read past the end of the scratch directory's block
 * device needs one this tool may open; and a write past the scratch
 * filesystem's free space must stop with ENOSPC after writing some of it;
 * that one fills the filesystem, so it runs only where at most
 * FILL_MAX_FREE is free.
 *
 * Two checks record what 6.1 does rather than what every kernel must:
 * kernel_read() with O_DIRECT on kmalloc memory fails with EFAULT there
 * (names ending in -6.1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "badinput.h"
#include "common.h"
#include "common/pattern.h"
#include "kdio/dio.h"

#define BASE_BS		4096ULL
#define SMALL_SIZE	8192ULL		/* the small file: 2 base blocks */
#define SMALL_SEED	1ULL
#define VALID_SIZE	(64ULL << 10)	/* the round-trip file */
#define VALID_BS	(16ULL << 10)
#define VALID_SEED	7ULL
#define WRONG_SEED	0xbadULL	/* written by no check */
#define KBUF_SIZE	SMALL_SIZE	/* the kernel buffer: the small file */
#define IOCTL_TIMEOUT	30		/* seconds before a hung ioctl fails */
#define FILL_BS		(1ULL << 20)	/* the ENOSPC write: block size, */
#define FILL_BEYOND	(64ULL << 20)	/* how far it asks past free space */
#define FILL_MAX_FREE	(2ULL << 30)	/* and most free space it will fill */
#define FILL_SEED	3ULL

struct scratch {
	const char *dir;
	char small[KDIO_PATH_MAX];
	char valid[KDIO_PATH_MAX];
	char fifo[KDIO_PATH_MAX];
	char missing[KDIO_PATH_MAX];
	char fill[KDIO_PATH_MAX];
};

struct env {
	int fd;
	const char *device;
	const char *kbuf_device;
	const char *rofile;		/* -R, or NULL */
	const char *nodio;		/* -N, or NULL */
	bool refusals_only;		/* -t */
	char dio_tool[KDIO_PATH_MAX];	/* -T, or the kdio-dio beside this tool */
	struct scratch s;
	/* the scratch directory's block device and its size, else why not */
	char bdev[KDIO_PATH_MAX], bdev_end[24], bdev_why[MSG_MAX];
};

/* One ioctl to make: the request, and the cmd and argument to pass. */
struct probe {
	struct kdio_dio_req req;
	unsigned long cmd;
	void *arg;
	const struct scratch *s;	/* the files to point it at */
};

/*
 * What to do with /dev/kdio_kbuf: set up (maybe twice) a buffer, then map
 * it. The base is valid: a page-mode buffer mapped whole.
 */
struct kbuf_probe {
	struct kdio_kbuf_req req;
	unsigned long cmd;
	void *arg;
	bool setup, setup_twice, map;
	int map_flags;
	size_t map_len;
	off_t map_off;
};

struct check {
	struct badinput_check bi;
	/* Break the valid base request (dio probe) ... */
	void (*corrupt)(struct probe *p);
	/* ... or the valid kbuf probe ... */
	void (*kbuf)(struct kbuf_probe *p);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(struct env *e, const struct check *c, struct badinput_outcome *o);
	/* For run_refusal: what kdio-dio must refuse, and how. */
	const struct badinput_refusal *refusal;
	/* For run: the method, queue depth and seed, or kbuf mode. */
	__u32 method, qd, mode;
	uint64_t seed;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-badinput -d SCRATCHDIR [-R ROFILE] [-N NODIO_FILE] [-T KDIO_DIO] [-t]\n"
		"                     [-D DEVICE] [-K KBUF_DEVICE]\n"
		"  -d SCRATCHDIR  existing directory on a filesystem with O_DIRECT;\n"
		"                 kdio-badinput.* files are made and removed there.\n"
		"                 If at most 2g is free there, one check fills it\n"
		"                 (a write 64m past its free space must end in ENOSPC)\n"
		"  -R ROFILE      existing file on a read-only filesystem: a write\n"
		"                 request on it, and kdio-dio -o write, must fail with\n"
		"                 EROFS (skipped without)\n"
		"  -N NODIO_FILE  existing file on a filesystem without O_DIRECT (ramfs):\n"
		"                 kdio-dio must refuse it, saying so (skipped without)\n"
		"  -T KDIO_DIO    the kdio-dio whose refusals are checked (default: the\n"
		"                 one beside this tool)\n"
		"  -t             only kdio-dio's refusals: no module needed\n"
		"  -D DEVICE      default " KDIO_DIO_DEVICE "\n"
		"  -K KBUF_DEVICE default " KDIO_KBUF_DEVICE "\n"
		"  -W CHECK       test only: expect a wrong errno for CHECK, to prove\n"
		"                 a wrong outcome fails the check\n");
}

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

static void on_alarm(int sig)
{
	(void)sig;	/* only there to interrupt a hung ioctl with EINTR */
}

/* ioctl with a time limit; returns its errno, 0 on success. */
static int timed_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret, err;

	alarm(IOCTL_TIMEOUT);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	alarm(0);
	return ret ? err : 0;
}

/* Run check c against the device; returns the errno seen. */
static int run_probe(const struct check *c, struct env *e)
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

/* A valid kbuf probe: a page-mode buffer of KBUF_SIZE, mapped whole. */
static void base_kbuf_probe(struct kbuf_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->req.abi_version = KDIO_DIO_ABI_VERSION;
	p->req.struct_size = sizeof(p->req);
	p->req.size = KBUF_SIZE;
	p->req.mode = KDIO_KBUF_PAGES;
	p->cmd = KDIO_IOC_KBUF_SETUP;
	p->arg = &p->req;
	p->setup = p->map = true;
	p->map_flags = MAP_SHARED;
	p->map_len = KBUF_SIZE;
}

/* The kbuf corruptions, in table order. */
static void k_map_before_setup(struct kbuf_probe *p) { p->setup = false; }
static void k_setup_twice(struct kbuf_probe *p) { p->setup_twice = true; }
static void k_size_zero(struct kbuf_probe *p) { p->req.size = 0; }
static void k_size_unaligned(struct kbuf_probe *p) { p->req.size = 4096 + 512; }
static void k_size_too_big(struct kbuf_probe *p) { p->req.size = KDIO_MAX_BLOCK + 4096; }
static void k_mode(struct kbuf_probe *p) { p->req.mode = KDIO_KBUF_PAGES + 1; }
static void k_reserved(struct kbuf_probe *p) { p->req.reserved = 1; }
static void k_abi(struct kbuf_probe *p) { p->req.abi_version = KDIO_DIO_ABI_VERSION + 1; }
static void k_struct_size(struct kbuf_probe *p) { p->req.struct_size += 8; }
static void k_bogus_ptr(struct kbuf_probe *p) { p->arg = (void *)1; }
static void k_unknown_cmd(struct kbuf_probe *p)
{
	p->cmd = _IOW(KDIO_IOC_MAGIC, 99, struct kdio_kbuf_req);
}
static void k_map_private(struct kbuf_probe *p) { p->map_flags = MAP_PRIVATE; }
static void k_map_short(struct kbuf_probe *p) { p->map_len = KBUF_SIZE / 2; }
static void k_map_long(struct kbuf_probe *p) { p->map_len = KBUF_SIZE * 2; }
static void k_map_offset(struct kbuf_probe *p) { p->map_off = 4096; }
static void k_valid(struct kbuf_probe *p) { (void)p; }

/* Open the kbuf device and set up a buffer as p says; fd, or -errno. */
static int kbuf_setup(const struct env *e, const struct kbuf_probe *p)
{
	int fd = open(e->kbuf_device, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = p->setup ? timed_ioctl(fd, p->cmd, p->arg) : 0;
	if (!err && p->setup_twice)
		err = timed_ioctl(fd, p->cmd, p->arg);
	if (!err)
		return fd;
	close(fd);
	return -err;
}

/* Run kbuf check c; returns the errno seen. */
static int run_kbuf_probe(const struct check *c, struct env *e)
{
	struct kbuf_probe p;
	int fd, err = 0;

	base_kbuf_probe(&p);
	c->kbuf(&p);
	fd = kbuf_setup(e, &p);
	if (fd < 0)
		return -fd;
	if (p.map) {
		void *map = mmap(NULL, p.map_len, PROT_READ | PROT_WRITE, p.map_flags, fd, p.map_off);
		if (map == MAP_FAILED)
			err = errno;
		else
			munmap(map, p.map_len);
	}
	close(fd);
	return err;
}

/*
 * O_DIRECT pwrite() of the small file's own pattern from the mapping, then
 * pread() it back and check it; returns the errno of the first that fails.
 */
static int kbuf_odirect(const struct env *e, void *map, struct badinput_outcome *o)
{
	int fd = open(e->s.small, O_RDWR | O_DIRECT | O_CLOEXEC);
	ssize_t done;
	int err = 0;

	if (fd < 0)
		return errno;
	kdio_pattern_fill(map, KBUF_SIZE, 0, SMALL_SEED);
	done = pwrite(fd, map, KBUF_SIZE, 0);
	if (done == (ssize_t)KBUF_SIZE) {
		memset(map, 0, KBUF_SIZE);
		done = pread(fd, map, KBUF_SIZE, 0);
	}
	if (done < 0)
		err = errno;
	else if (done != (ssize_t)KBUF_SIZE)
		badinput_say(o, BADINPUT_FAIL, "moved %zd bytes; want %llu", done, KBUF_SIZE);
	else if (kdio_pattern_check(map, KBUF_SIZE, 0, SMALL_SEED))
		badinput_say(o, BADINPUT_FAIL, "the data read back into the mapping differ from what was written");
	close(fd);
	return err;
}

/*
 * O_DIRECT from a mapped kernel buffer: works from a page-mode mapping,
 * EFAULT from a pfn-mode one (VM_PFNMAP, the /dev/mem case).
 */
static int run_kbuf_odirect(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	struct kbuf_probe p;
	void *map;
	int fd, err;

	base_kbuf_probe(&p);
	p.req.mode = c->mode;
	fd = kbuf_setup(e, &p);
	if (fd < 0)
		return -fd;
	map = mmap(NULL, KBUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = errno;
		badinput_say(o, BADINPUT_FAIL, "mmap failed: %s", strerror(err));
	} else {
		err = kbuf_odirect(e, map, o);
		munmap(map, KBUF_SIZE);
	}
	close(fd);
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

/* A "@name" of a refusal row: what it stands for; NULL with why if nothing. */
static const char *resolve(const struct env *e, const char *arg, const char **why)
{
	const struct { const char *name, *value, *why; } at[] = {
		{ "@dir", e->s.dir, NULL }, { "@fifo", e->s.fifo, NULL },
		{ "@small", e->s.small, NULL }, { "@missing", e->s.missing, NULL },
		{ "@rofile", e->rofile, "no -R ROFILE given" },
		{ "@nodio", e->nodio, "no -N NODIO_FILE given" },
		{ "@bdev", e->bdev[0] ? e->bdev : NULL, e->bdev_why },
		{ "@bdev_end", e->bdev[0] ? e->bdev_end : NULL, e->bdev_why },
	};
	size_t i;

	if (arg[0] != '@')
		return arg;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (!strcmp(arg, at[i].name)) {
			*why = at[i].value ? NULL : at[i].why;
			return at[i].value;
		}
	*why = NULL;
	return NULL;
}

/*
 * The n strings of in (n: up to the first NULL) into out, "@name"s
 * resolved; false with o saying so if one stands for what was not given
 * (a skip) or is unknown (a failure).
 */
static bool resolve_all(const struct env *e, const char *const *in, size_t n, const char **out,
			struct badinput_outcome *o)
{
	const char *why;
	size_t i;

	for (i = 0; i < n && in[i]; i++) {
		out[i] = resolve(e, in[i], &why);
		if (out[i])
			continue;
		if (why)
			badinput_say(o, BADINPUT_SKIP, "%s", why);
		else
			badinput_say(o, BADINPUT_FAIL, "the row names an unknown %s", in[i]);
		return false;
	}
	return true;
}

/* kdio-dio with the row's arguments must refuse them as the row says. */
static int run_refusal(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	const struct badinput_refusal *r = c->refusal;
	const size_t max = sizeof(r->argv) / sizeof(r->argv[0]);
	const char *argv[sizeof(r->argv) / sizeof(r->argv[0]) + 1] = { e->dio_tool };
	const char *says[4] = { NULL };

	if (!resolve_all(e, r->argv, max, argv + 1, o) || !resolve_all(e, r->says, 3, says, o))
		return 0;
	return badinput_refused(argv, r->exit, says, o);
}

/* A valid run of the valid file: method m at queue depth q, seed sd. */
#define VALID(n, fn, m, q, sd) { .bi = { n, 0 }, .run = fn, .method = m, .qd = q, .seed = sd }
#define KBUF_ODIRECT(n, md, e) { .bi = { n, e }, .run = run_kbuf_odirect, .mode = md }
/*
 * kdio-dio must refuse argv with errno err (0: none, a usage error) and
 * exit x, its message saying what says3 lists; "@name"s: see resolve().
 */
#define REFUSAL(n, err, x, says3, ...) \
	{ .bi = { n, err }, .run = run_refusal, \
	  .refusal = &(const struct badinput_refusal){ .exit = x, .says = says3, \
						       .argv = { __VA_ARGS__, NULL } } }
#define SAYS(input, wrong, todo)	{ input, wrong, todo }
#define READ_4K(f)	"-m", "vmmap", "-o", "read", "-f", f, "-b", "4k", "-s", "4k"

static const struct check checks[] = {
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
	{ .bi = { "kbuf-mmap-before-setup", EINVAL }, .kbuf = k_map_before_setup },
	{ .bi = { "kbuf-setup-twice", EBUSY }, .kbuf = k_setup_twice },
	{ .bi = { "kbuf-size-zero", EINVAL }, .kbuf = k_size_zero },
	{ .bi = { "kbuf-size-unaligned", EINVAL }, .kbuf = k_size_unaligned },
	{ .bi = { "kbuf-size-too-big", EINVAL }, .kbuf = k_size_too_big },
	{ .bi = { "kbuf-mode-range", EINVAL }, .kbuf = k_mode },
	{ .bi = { "kbuf-reserved-set", EINVAL }, .kbuf = k_reserved },
	{ .bi = { "kbuf-wrong-abi", EPROTO }, .kbuf = k_abi },
	{ .bi = { "kbuf-wrong-struct-size", EPROTO }, .kbuf = k_struct_size },
	{ .bi = { "kbuf-bogus-pointer", EFAULT }, .kbuf = k_bogus_ptr },
	{ .bi = { "kbuf-unknown-cmd", ENOTTY }, .kbuf = k_unknown_cmd },
	{ .bi = { "kbuf-map-private", EINVAL }, .kbuf = k_map_private },
	{ .bi = { "kbuf-map-short", EINVAL }, .kbuf = k_map_short },
	{ .bi = { "kbuf-map-long", EINVAL }, .kbuf = k_map_long },
	{ .bi = { "kbuf-map-offset", EINVAL }, .kbuf = k_map_offset },
	{ .bi = { "kbuf-valid-map", 0 }, .kbuf = k_valid },
	KBUF_ODIRECT("kbuf-page-odirect", KDIO_KBUF_PAGES, 0),
	KBUF_ODIRECT("kbuf-pfn-odirect-efault", KDIO_KBUF_PFN, EFAULT),
	{ .bi = { "bvec-write-past-free-space", ENOSPC }, .run = run_enospc },
	/* kdio-dio's refusals, the last rows (-t runs them alone). */
	REFUSAL("dio-fifo", EINVAL, EXIT_ERROR,
		SAYS("@fifo", "is a FIFO", "give a regular file or a block device"), READ_4K("@fifo")),
	REFUSAL("dio-char-device", EINVAL, EXIT_ERROR,
		SAYS("/dev/null", "is a character device", "give a regular file or a block device"),
		READ_4K("/dev/null")),
	REFUSAL("dio-directory", EISDIR, EXIT_ERROR,
		SAYS("@dir", "is a directory", "give a file in it"), READ_4K("@dir")),
	REFUSAL("dio-proc-file", EINVAL, EXIT_ERROR,
		SAYS("/proc/version", "is on proc", "give a file on a disk file system"),
		READ_4K("/proc/version")),
	REFUSAL("dio-proc-buffered-write", EINVAL, EXIT_ERROR,
		SAYS("/proc/version", "the kernel's own state", "give a file on a disk file system"),
		"-m", "buffered", "-o", "write", "-f", "/proc/version", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-fs-without-odirect", EINVAL, EXIT_ERROR,
		SAYS("@nodio", "does not support O_DIRECT", "or -m buffered"), READ_4K("@nodio")),
	REFUSAL("dio-missing-file", ENOENT, EXIT_ERROR,
		SAYS("@missing", "no such file", "create it first"), READ_4K("@missing")),
	REFUSAL("dio-read-past-file-end", ENODATA, EXIT_ERROR,
		SAYS("@small", "holds 8192 bytes", "write them first"), READ_4K("@small"), "-s", "16k"),
	REFUSAL("dio-read-past-device-end", ENODATA, EXIT_ERROR,
		SAYS("@bdev", "goes past its end", "lower -O or -s"), READ_4K("@bdev"),
		"-O", "@bdev_end"),
	REFUSAL("dio-write-on-read-only-fs", EROFS, EXIT_ERROR,
		SAYS("@rofile", "is on a read-only file system", "give a file on a writable one"),
		"-m", "vmmap", "-o", "write", "-f", "@rofile", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-offset-unaligned", EINVAL, EXIT_ERROR,
		SAYS("offset 100", "is not a multiple of 512", "use a multiple of 512"),
		READ_4K("@small"), "-O", "100"),
	REFUSAL("dio-not-a-kdio-device", ENOTTY, EXIT_ERROR,
		SAYS("/dev/null", "does not speak this tool's kdio ABI", "load the kdio_dio module"),
		READ_4K("@small"), "-D", "/dev/null"),
	REFUSAL("dio-size-not-multiple-of-bs", 0, EXIT_USAGE,
		SAYS("-s 10k", "is not a multiple of -b 4k", "use a multiple of 4096"),
		READ_4K("@small"), "-s", "10k"),
	REFUSAL("dio-bs-above-64m", 0, EXIT_USAGE,
		SAYS("-b 128m", "is above 64m", "use 64m or less"),
		READ_4K("@small"), "-b", "128m", "-s", "128m"),
	REFUSAL("dio-size-zero", 0, EXIT_USAGE,
		SAYS("-s 0", "must move at least one block", "give a multiple of -b"),
		READ_4K("@small"), "-s", "0"),
	REFUSAL("dio-unknown-method", 0, EXIT_USAGE,
		SAYS("-m fast", "no such method", "use one of null|vmmap"), READ_4K("@small"), "-m", "fast"),
	REFUSAL("dio-unknown-op", 0, EXIT_USAGE,
		SAYS("-o append", "no such op", "use write or read"), READ_4K("@small"), "-o", "append"),
	REFUSAL("dio-negative-number", 0, EXIT_USAGE,
		SAYS("-b -4k", "is negative", "give a whole number of bytes"),
		READ_4K("@small"), "-b", "-4k"),
	REFUSAL("dio-garbage-number", 0, EXIT_USAGE,
		SAYS("-s 1x", "is not a number", "give a whole number of bytes"),
		READ_4K("@small"), "-s", "1x"),
	REFUSAL("dio-number-too-large", 0, EXIT_USAGE,
		SAYS("-s 99999999999999999999", "is too large", "give a whole number of bytes"),
		READ_4K("@small"), "-s", "99999999999999999999"),
	REFUSAL("dio-offset-plus-size-overflows", 0, EXIT_USAGE,
		SAYS("-O 9223372036854775296", "ends past 2^63 - 1", "lower -O or -s"),
		READ_4K("@small"), "-O", "9223372036854775296"),
	REFUSAL("dio-count-zero", 0, EXIT_USAGE,
		SAYS("-n 0", "at least one run", "use -n 1 or more"), READ_4K("@small"), "-n", "0"),
	REFUSAL("dio-no-path", 0, EXIT_USAGE,
		SAYS("-f PATH", "is required", "give an existing file or block device"),
		"-m", "vmmap", "-o", "read", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-qd-on-sync-method", 0, EXIT_USAGE,
		SAYS("-q QD", "needs -m bvec-async", "the other methods are synchronous"),
		READ_4K("@small"), "-q", "4"),
};

/* Make a file of size bytes of the pattern for seed, replacing any. */
static int make_pattern_file(const char *path, uint64_t size, uint64_t seed)
{
	struct pattern_io io = { .size = size, .block_size = size, .seed = seed };
	struct pattern_result r;
	int ret;

	io.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (io.fd < 0)
		return -errno;
	ret = pattern_file_write(&io, &r);
	if (close(io.fd) && !ret)
		ret = -errno;
	return ret;
}

/* Lay out the scratch files; 0 or -errno with msg. */
static int scratch_setup(struct scratch *s, char *msg, size_t len)
{
	static const char *const names[] = { "small", "valid", "fifo", "missing", "fill" };
	char *const paths[] = { s->small, s->valid, s->fifo, s->missing, s->fill };
	int ret;

	ret = scratch_paths(s->dir, "kdio-badinput.", paths, names, 5, KDIO_PATH_MAX,
			    msg, len);
	if (ret)
		return ret;
	unlink(s->missing);
	unlink(s->fifo);
	unlink(s->fill);
	if (mkfifo(s->fifo, 0600))
		ret = -errno;
	if (!ret)
		ret = make_pattern_file(s->small, SMALL_SIZE, SMALL_SEED);
	if (!ret)
		ret = make_pattern_file(s->valid, VALID_SIZE, 0);
	if (ret)
		snprintf(msg, len, "cannot lay out the scratch files in %s: %s; use a directory on a filesystem with O_DIRECT",
			 s->dir, strerror(-ret));
	return ret;
}

static void scratch_remove(const struct scratch *s)
{
	unlink(s->small);
	unlink(s->valid);
	unlink(s->fifo);
	unlink(s->fill);
}

static int run_check(const struct badinput_check *b, void *ctx, struct badinput_outcome *o)
{
	const struct check *c = BADINPUT_ENTRY(b, struct check);
	struct env *e = ctx;

	if (c->run)
		return c->run(e, c, o);
	return c->kbuf ? run_kbuf_probe(c, e) : run_probe(c, e);
}

static const struct badinput_tool tool = {
	.name = "kdio-badinput", .detail_kind = BADINPUT_NOTE,
	.run = run_check,
};

/*
 * The block device under the scratch directory and its size, for the read
 * past its end (from /sys/dev/block/MAJ:MIN/uevent); else why not.
 */
static void find_scratch_bdev(struct env *e)
{
	char sys[64], line[128];
	uint64_t size = 0;
	struct stat st;
	FILE *f = NULL;
	int fd = -1;

	if (!stat(e->s.dir, &st)) {
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent", major(st.st_dev),
			 minor(st.st_dev));
		f = fopen(sys, "re");
	}
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(e->bdev, sizeof(e->bdev), "/dev/%s", line + 8);
		}
	if (f)
		fclose(f);
	if (e->bdev[0])
		fd = open(e->bdev, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !ioctl(fd, BLKGETSIZE64, &size)) {
		snprintf(e->bdev_end, sizeof(e->bdev_end), "%" PRIu64, size);
	} else {
		snprintf(e->bdev_why, sizeof(e->bdev_why), "%s is on no block device this tool may open (%s)",
			 e->s.dir, e->bdev[0] ? strerror(errno) : "none in /sys/dev/block");
		e->bdev[0] = '\0';
	}
	if (fd >= 0)
		close(fd);
}

/* The kdio-dio beside this tool, into e->dio_tool (unless -T gave one). */
static void find_dio_tool(struct env *e)
{
	char self[KDIO_PATH_MAX];
	ssize_t n;

	if (e->dio_tool[0])
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		*strrchr(self, '/') = '\0';
	snprintf(e->dio_tool, sizeof(e->dio_tool), "%.*s/kdio-dio", KDIO_PATH_MAX - 10, self);
}

/* With -t: the refusal rows only, the last of the table; no device. */
static int run_refusals(struct env *e)
{
	size_t first = 0, n = sizeof(checks) / sizeof(checks[0]);

	while (first < n && !checks[first].refusal)
		first++;
	return badinput_run(&tool, &checks[first].bi, n - first, sizeof(checks[0]), e);
}

/* The options into e; -1 to go on, else the exit code. */
static int parse_opts(int argc, char **argv, struct env *e)
{
	int c;

	while ((c = getopt(argc, argv, "d:R:N:T:tD:K:W:h")) != -1) {
		switch (c) {
		case 'd': e->s.dir = optarg; break;
		case 'R': e->rofile = optarg; break;
		case 'N': e->nodio = optarg; break;
		case 'T': snprintf(e->dio_tool, sizeof(e->dio_tool), "%s", optarg); break;
		case 't': e->refusals_only = true; break;
		case 'D': e->device = optarg; break;
		case 'K': e->kbuf_device = optarg; break;
		case 'W': badinput_test_wrong_expectation(optarg); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!e->s.dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct env e = { .fd = -1, .device = KDIO_DIO_DEVICE, .kbuf_device = KDIO_KBUF_DEVICE };
	char msg[MSG_MAX];
	int ret;

	ret = parse_opts(argc, argv, &e);
	if (ret >= 0)
		return ret;
	sigaction(SIGALRM, &sa, NULL);
	find_dio_tool(&e);

	if (!e.refusals_only)
		e.fd = open_device(e.device, msg, sizeof(msg));
	if (!e.refusals_only && e.fd < 0) {
		badinput_emit_failure(&tool, "open-device", -e.fd, msg);
		return EXIT_ERROR;
	}
	ret = scratch_setup(&e.s, msg, sizeof(msg));
	if (ret) {
		badinput_emit_failure(&tool, "setup", -ret, msg);
		if (e.fd >= 0)
			close(e.fd);
		return EXIT_ERROR;
	}
	find_scratch_bdev(&e);
	ret = e.refusals_only ? run_refusals(&e) : BADINPUT_RUN(&tool, checks, &e);
	scratch_remove(&e.s);
	if (e.fd >= 0)
		close(e.fd);
	return ret;
}
