// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-fuzz: seeded, bounded, reproducible random input for every kdio
 * device: /dev/kdio_dio (KDIO_IOC_DIO_RUN), /dev/kdio_kbuf (setup and
 * mmap), /dev/kdio_xfer (its ioctls, read, write, mmap, and the proc,
 * sysfs and relay files of its channels) and /dev/kdio_crypto. A device
 * that does not exist is skipped, and its line says so.
 *
 * Each iteration picks a present device, an operation on it and how wild
 * to be (from none to half the fields), and builds the request from valid
 * values and, as wild as it is, boundary values and random bits; passes
 * it from a good copy or an unaligned, read-only or half-mapped one, NULL
 * or an address no process can use; sends the real command number or one
 * next to it (another direction, size, number or type); and counts the
 * errno per interface. The aim is the validation and error paths, not
 * throughput: a request that would pass validation and move more than
 * FUZZ_MAX_BYTES or take more than FUZZ_MAX_CALLS calls, or allocate more
 * than FUZZ_MAX_ALLOC, has one field put off (a size one byte off, a
 * count of 0) before it is sent.
 *
 * It cannot destroy data: kdio_dio only ever gets paths inside
 * SCRATCHDIR/kdio-fuzz.d, which the tool makes itself and fills with a
 * small file, a directory, a fifo and a symlink loop (other names there
 * do not exist): never a path outside it, never a block device. Every
 * address the kernel may write through is in the tool's arena, which is
 * followed by a PROT_NONE guard, or one no process can use; never the
 * tool's own data.
 *
 * Reproducible: the calls are a function of the seed (splitmix64), the
 * devices present and the CPUs the tool may run on; it pins itself to the
 * first of them, so that relay sessions and fills meet the same CPU on
 * every run. The same seed gives the same per-interface counts.
 *
 * Every call runs under alarm(-t SECONDS); one that takes longer is a
 * hang. The calls are made by a worker process, which a supervisor
 * watches: a call still in the kernel at twice the limit (asleep
 * uninterruptibly, or in a loop that looks only for fatal signals) is a
 * hang too, and the worker is killed with SIGKILL; a worker killed by a
 * signal is a crash. Either way the counts so far are reported. Each
 * finding names the iteration, on stderr at once and in the report; -v
 * prints every call on stderr before it is made.
 *
 * The report is KTAP (ktap.h): the run is one test, "kdio-fuzz", with one
 * subtest per device, "ok N DEVICE # calls=n hangs=n undocumented=n
 * crashes=n" (a device that is not there: SKIP), its findings and its
 * errno counts ("errnos OK=n EINVAL=n ...") as diagnostics before it;
 * the run's result carries the totals, "calls=n distinct_errnos=n hangs=n
 * undocumented=n crashes=n". Exit 0 if every errno seen is one that the
 * module's uAPI header (modules/include/uapi/kdio/) documents for its call (or that the kernel's code in front of the
 * module gives: path lookup, mmap(2), pread(2) on a stream) and nothing
 * hung or crashed, 1 otherwise, 2 on a usage error. Needs root and the
 * modules loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ktap.h"
#include "kdio/crypto.h"
#include "kdio/dio.h"
#include "kdio/xfer.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define FUZZ(f, valid)	fuzz_u64(f, valid, ARRAY_LEN(valid))

#define FUZZ_MAX_BYTES	(1ULL << 20)	/* most a valid dio request moves */
#define FUZZ_MAX_CALLS	64ULL		/* in at most this many I/O calls */
#define FUZZ_MAX_ALLOC	(4ULL << 20)	/* most a valid setup allocates */
#define FILE_SIZE	(64ULL << 10)	/* the scratch file, kept at it */
/* Requests and buffers: room for a message at the cap. */
#define ARENA_SIZE	(KDIO_XFER_MSG_MAX + (64ULL << 10))
/*
 * PROT_NONE after the arena: more than the most a crypto run may span
 * from there (queue depth times region), so that no buffer the kernel is
 * given from the arena can reach past it into the tool's memory.
 */
#define GUARD_SIZE	(KDIO_CRYPTO_MAX_QD * (KDIO_CRYPTO_MAX_LEN + KDIO_CRYPTO_GCM_TAG) + \
			 (64ULL << 10))
/*
 * Where the arena is mapped, the same on every run: whether a pointer
 * into it plus a huge length passes the kernel's access_ok() (EFAULT or
 * the module's own check) must not depend on address space randomization.
 * Never over another mapping (MAP_FIXED_NOREPLACE).
 */
#define ARENA_AT	0x200000000000ULL
#define KMALLOC_CAP	(4ULL << 20)	/* kvec-kmalloc's block limit */
#define SLOTS		3		/* open files kept per device */
#define MAPS		4		/* mappings kept per device */
#define MAX_FINDINGS	20		/* findings kept and printed */
#define ERRNO_MAX	4096
#define ALARM_DEFAULT_S	30
#define WORKDIR		"kdio-fuzz.d"

struct rng {
	uint64_t state;
};

/* An open file of a device, and what the kernel said about it. */
struct slot {
	int fd;				/* -1: closed */
	unsigned int gen;		/* opens so far */
	bool set_up;			/* kbuf: buffer made; xfer: session */
	uint64_t size;			/* kbuf: buffer bytes */
	struct kdio_xfer_req req;	/* xfer: the session, from STATS */
};

struct map {
	void *addr;			/* NULL: free */
	size_t len;
	int prot;
	int slot;			/* whose file, at which gen */
	unsigned int gen;
};

struct fuzz;

struct op {
	const char *name;
	void (*run)(struct fuzz *f);
	unsigned int weight;
};

struct counts {
	uint64_t calls, hangs, undocumented, crashes;
	uint64_t errnos[ERRNO_MAX];	/* [0]: success */
};

struct iface {
	const char *name;
	const char *device;
	const struct op *ops;
	size_t nr_ops;
	const unsigned long *cmds;	/* its real ioctl commands */
	size_t nr_cmds;
	int fd;				/* opened at start: present */
	char absent[MSG_MAX];		/* why not, if not */
	struct counts *c;		/* in struct shared */
	struct slot slots[SLOTS];
	struct map maps[MAPS];
};

#define NR_IFACES	4

/*
 * What the worker is at, and its counts: shared with the supervisor,
 * which reports them whatever becomes of the worker. The pointers are to
 * the tool's static data, at the same address in both processes.
 */
struct shared {
	uint64_t iter;
	uint64_t call_ms;		/* when the call being made began; 0: none */
	struct iface *iface;		/* of that call */
	const char *op, *call;
	struct counts counts[NR_IFACES];
	unsigned int nr_findings;	/* all found; the first MAX_FINDINGS kept */
	struct {
		size_t iface;		/* index in ifaces[] */
		char text[MSG_MAX];
	} findings[MAX_FINDINGS];
};

struct scratch {
	char dir[KDIO_PATH_MAX];
	char file[KDIO_PATH_MAX];
	char subdir[KDIO_PATH_MAX];
	char fifo[KDIO_PATH_MAX];
	char loop[KDIO_PATH_MAX];
	int file_fd;
};

struct fuzz {
	struct rng rng;
	uint64_t seed, iter;
	unsigned int alarm_s;
	bool verbose;
	int test_undocumented;		/* -U: test only, 0 = off */
	size_t page;
	int cpus[CPU_SETSIZE];		/* the CPUs the tool may use */
	int ncpus;
	char *ro;			/* one read-only page, */
	char *arena;			/* then ARENA_SIZE, then GUARD_SIZE */
	struct scratch s;
	struct iface *iface;		/* of the call being made */
	const char *op;
	unsigned int wild;		/* % of fields off the valid ones */
	struct shared *sh;
};

static volatile sig_atomic_t timed_out;

/*
 * The errnos each call may give, 0-terminated: what the module's uAPI header
 * documents for it, and what the kernel's code in front of the module gives.
 */
static const int dio_run_errs[] = {
	EFAULT, EPROTO, EINVAL, ENAMETOOLONG, EPERM, ENOTTY,	/* the request */
	ENOENT, ENOTDIR, ELOOP, EACCES, EISDIR,			/* path lookup */
	ENODATA, ENOSPC, EFBIG, EINTR, ENOMEM, 0		/* the run */
};
/* KDIO_IOC_CRYPTO_RUN: validation, no such driver, then the run's own. */
static const int crypto_run_errs[] = {
	EFAULT, EPROTO, EINVAL, ENAMETOOLONG, ENOTTY, ENOENT,
	EBADMSG, ENOMEM, EINTR, 0
};
/* read(), pread(), write() and mmap() of a device that has none. */
static const int no_fops_errs[] = { EINVAL, ESPIPE, ENODEV, ENOMEM, EOVERFLOW, 0 };
static const int kbuf_ioctl_errs[] = { EFAULT, EPROTO, EINVAL, EBUSY, ENOMEM, ENOTTY, 0 };
/* The module's -EINVAL; mmap(2)'s own: no room, offset overflow. */
static const int map_errs[] = { EINVAL, ENOMEM, EOVERFLOW, 0 };
static const int open_errs[] = { ENOMEM, 0 };
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

static const uint64_t boundaries[] = {
	0, 1, 2, 3, 7, 8, 9, 10, 24, 32, 40, 511, 512, 513,
	65528, 65535, 65536, (1ULL << 20) - 8, 1ULL << 20, (1ULL << 20) + 8,
	KDIO_MAX_BLOCK - 512, KDIO_MAX_BLOCK, KDIO_MAX_BLOCK + 1,
	KDIO_MAX_BLOCK + 512, KDIO_ASYNC_MAX_TOTAL, KDIO_ASYNC_MAX_TOTAL + 512,
	INT32_MAX, (uint64_t)INT32_MAX + 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
	1ULL << 62, INT64_MAX, INT64_MAX & ~511ULL, 1ULL << 63,
	0ULL - 4096, 0ULL - 512, 0ULL - 2, ~0ULL,
};

/* Addresses no process can use: low, above user space, kernel, wild. */
static const uintptr_t bogus_addrs[] = {
	1, 8, 0x1000, 0x00007ffffffff000ULL, 0x0000800000000000ULL,
	0x8000000000000000ULL, 0xffff888000000000ULL, 0xffffffff81000000ULL,
	UINTPTR_MAX - 7,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-fuzz -n COUNT -s SEED -d SCRATCHDIR [-t SECONDS] [-v]\n"
		"  -n COUNT       iterations (each one operation, one or a few calls)\n"
		"  -s SEED        the same seed makes the same calls\n"
		"  -d SCRATCHDIR  existing directory on a filesystem with O_DIRECT;\n"
		"                 " WORKDIR " is made and removed there, and is\n"
		"                 all that /dev/kdio_dio is ever pointed at\n"
		"  -t SECONDS     time limit of one call, else it is a hang (default %d);\n"
		"                 at twice it, the call's process is killed\n"
		"  -v             print each call on stderr before making it, then its result\n"
		"  -U ERRNO       test only: count ERRNO (a name, e.g. EINVAL) as undocumented\n"
		"                 wherever it occurs, to prove the check can fail\n",
		ALARM_DEFAULT_S);
}

/* splitmix64: one step; every seed, 0 included, is a good one. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static bool chance(struct fuzz *f, unsigned int percent)
{
	return rng_below(&f->rng, 100) < percent;
}

static void rng_fill(struct fuzz *f, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = rng_next(&f->rng);

		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* A boundary value: the table's, or a page size off by one either way. */
static uint64_t boundary(struct fuzz *f)
{
	uint64_t i = rng_below(&f->rng, ARRAY_LEN(boundaries) + 3);

	if (i < ARRAY_LEN(boundaries))
		return boundaries[i];
	return f->page + i - ARRAY_LEN(boundaries) - 1;
}

/*
 * A value for a field: one of valid, or, as often as the iteration is
 * wild, a boundary value or random bits.
 */
static uint64_t fuzz_u64(struct fuzz *f, const uint64_t *valid, size_t n)
{
	if (n && !chance(f, f->wild))
		return valid[rng_below(&f->rng, n)];
	if (chance(f, 70))
		return boundary(f);
	return rng_next(&f->rng) >> rng_below(&f->rng, 64);
}

/* good, but half as often off as other fields: headers, reserved words. */
static uint64_t usually(struct fuzz *f, uint64_t good)
{
	return chance(f, f->wild / 2) ? boundary(f) : good;
}

static void *bogus(struct fuzz *f)
{
	return (void *)bogus_addrs[rng_below(&f->rng, ARRAY_LEN(bogus_addrs))];
}

/* A copy of len bytes (at most a page) on the read-only page. */
static void *ro_copy(struct fuzz *f, const void *obj, size_t len)
{
	if (mprotect(f->ro, f->page, PROT_READ | PROT_WRITE))
		return NULL;
	memcpy(f->ro, obj, len);
	mprotect(f->ro, f->page, PROT_READ);
	return f->ro;
}

/*
 * Where to pass len bytes of obj (at most a page) from: a copy at the
 * start of the arena; or, as often as the iteration is wild, an unaligned
 * copy, a read-only one (the kernel cannot write it back), one cut short
 * by the guard page, NULL or an address no process can use.
 */
static void *place(struct fuzz *f, const void *obj, size_t len)
{
	uint64_t pick = chance(f, f->wild) ? rng_below(&f->rng, 5) : 5;
	char *p = f->arena;

	switch (pick) {
	case 0:
		p += 1 + rng_below(&f->rng, 7);
		memcpy(p, obj, len);
		return p;
	case 1:
		return ro_copy(f, obj, len);
	case 2:
		p += ARENA_SIZE - len / 2;
		memcpy(p, obj, len / 2);
		return p;
	case 3:
		return chance(f, 50) ? NULL : bogus(f);
	default:
		memcpy(p, obj, len);
		return p;
	}
}

/* A buffer for the kernel to fill or read: the arena, or a bad one. */
static void *buffer(struct fuzz *f)
{
	if (!chance(f, f->wild))
		return f->arena;
	switch (rng_below(&f->rng, 4)) {
	case 0:
		return f->arena + ARENA_SIZE - f->page / 2;
	case 1:
		return f->ro;
	case 2:
		return NULL;
	default:
		return bogus(f);
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "kdio-fuzz: a call is past its time limit\n";

	(void)sig;
	timed_out = 1;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		timed_out = 1;	/* nothing better to do in a handler */
}

static bool listed(const int *errs, int err)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

static struct iface ifaces[NR_IFACES];

/*
 * A hang, an undocumented errno or a crash: said on stderr at once, and
 * the first MAX_FINDINGS kept in the shared counts, whence report() prints
 * them before their interface's result; result is the errno's name, "OK"
 * or the signal's.
 */
static void finding(struct fuzz *f, const char *kind, const char *call, const char *result)
{
	unsigned int n = f->sh->nr_findings++;
	char text[MSG_MAX];

	snprintf(text, sizeof(text), "%s: %s %s at iteration %" PRIu64 " gave %s; kdio-fuzz -s %" PRIu64 " -n %" PRIu64 " -v shows it as the last call",
		 kind, f->op, call, f->iter, result, f->seed, f->iter + 1);
	fprintf(stderr, "kdio-fuzz: %s: %s\n", f->iface->name, text);
	if (n >= MAX_FINDINGS)
		return;
	f->sh->findings[n].iface = (size_t)(f->iface - ifaces);
	memcpy(f->sh->findings[n].text, text, sizeof(text));
}

static uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * Before a call into the current interface: say it (-v), tell the
 * supervisor, arm the alarm.
 */
static void call_begin(struct fuzz *f, const char *call)
{
	if (f->verbose)
		fprintf(stderr, "%" PRIu64 " %s %s %s\n", f->iter, f->iface->name, f->op, call);
	f->sh->iface = f->iface;
	f->sh->op = f->op;
	f->sh->call = call;
	__atomic_store_n(&f->sh->call_ms, now_ms(), __ATOMIC_RELEASE);
	timed_out = 0;
	alarm(f->alarm_s);
}

/*
 * After it: count err (0 for success); a call past its time limit, or an
 * errno not in errs, is a finding. Returns err.
 */
static int call_end(struct fuzz *f, const char *call, const int *errs, int err)
{
	struct counts *c = f->iface->c;

	alarm(0);
	__atomic_store_n(&f->sh->call_ms, 0, __ATOMIC_RELEASE);
	if (f->verbose)
		fprintf(stderr, "  = %s\n", err ? errno_name(err) : "OK");
	c->calls++;
	c->errnos[err < ERRNO_MAX ? err : ERRNO_MAX - 1]++;
	if (timed_out) {
		c->hangs++;
		finding(f, "hang", call, err ? errno_name(err) : "OK");
	} else if (err && (!listed(errs, err) || err == f->test_undocumented)) {
		c->undocumented++;
		finding(f, "undocumented-errno", call, errno_name(err));
	}
	return err;
}

static int call_ioctl(struct fuzz *f, int fd, unsigned long cmd, void *arg,
		      const int *errs)
{
	int ret;

	call_begin(f, "ioctl");
	ret = ioctl(fd, cmd, arg);
	return call_end(f, "ioctl", errs, ret < 0 ? errno : 0);
}

/* read(), or pread() at off (any off: a negative one too) if at. */
static int call_read(struct fuzz *f, int fd, void *buf, size_t len, bool at,
		     off_t off, const int *errs)
{
	ssize_t ret;

	call_begin(f, at ? "pread" : "read");
	ret = at ? pread(fd, buf, len, off) : read(fd, buf, len);
	return call_end(f, at ? "pread" : "read", errs, ret < 0 ? errno : 0);
}

static int call_write(struct fuzz *f, int fd, const void *buf, size_t len,
		      const int *errs)
{
	ssize_t ret;

	call_begin(f, "write");
	ret = write(fd, buf, len);
	return call_end(f, "write", errs, ret < 0 ? errno : 0);
}

static int call_open(struct fuzz *f, const char *path, int flags, const int *errs)
{
	int fd;

	call_begin(f, "open");
	fd = open(path, flags | O_CLOEXEC);
	if (call_end(f, "open", errs, fd < 0 ? errno : 0))
		return -1;
	return fd;
}

static bool is_real(unsigned long cmd, const unsigned long *real, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (real[i] == cmd)
			return true;
	return false;
}

/* One step away from cmd: direction, size, number, a type bit, or random. */
static unsigned long near_once(struct fuzz *f, unsigned long cmd)
{
	unsigned int dir = _IOC_DIR(cmd), type = _IOC_TYPE(cmd);
	unsigned int nr = _IOC_NR(cmd), size = _IOC_SIZE(cmd);

	switch (rng_below(&f->rng, 5)) {
	case 0:
		dir = (dir + 1 + rng_below(&f->rng, 3)) & _IOC_DIRMASK;
		break;
	case 1:
		size = chance(f, 50) ? size + 8 : rng_below(&f->rng, _IOC_SIZEMASK + 1);
		size &= _IOC_SIZEMASK;
		break;
	case 2:
		nr = (nr + 1 + rng_below(&f->rng, 8)) & _IOC_NRMASK;
		break;
	case 3:
		type ^= 1U << rng_below(&f->rng, 8);
		break;
	default:
		dir = rng_below(&f->rng, 4);
		nr = rng_below(&f->rng, 256);
		size = rng_below(&f->rng, _IOC_SIZEMASK + 1);
		break;
	}
	return _IOC(dir, type, nr, size);
}

/*
 * cmd, or now and then a number next to it that is none of the current
 * device's real commands: the module must turn it away without reading
 * the argument (-ENOTTY), whatever the argument is.
 */
static unsigned long maybe_near(struct fuzz *f, unsigned long cmd)
{
	unsigned long near;

	if (!chance(f, f->wild / 2))
		return cmd;
	do
		near = near_once(f, cmd);
	while (is_real(near, f->iface->cmds, f->iface->nr_cmds));
	return near;
}

/*
 * ioctl cmd (maybe_near() it) on fd, obj passed as place() puts it; the
 * errno. *sent, if not NULL, is the command sent.
 */
static int send_ioctl(struct fuzz *f, int fd, unsigned long cmd, const void *obj, size_t len,
		      const int *errs, unsigned long *sent)
{
	void *arg;

	cmd = maybe_near(f, cmd);
	arg = place(f, obj, len);
	if (sent)
		*sent = cmd;
	return call_ioctl(f, fd, cmd, arg, errs);
}

/* A slot of the current device, its file opened if it is not; or NULL. */
static struct slot *slot_open(struct fuzz *f)
{
	struct slot *sl = &f->iface->slots[rng_below(&f->rng, SLOTS)];

	if (sl->fd < 0) {
		sl->fd = call_open(f, f->iface->device, O_RDWR, open_errs);
		sl->gen++;
		sl->set_up = false;
	}
	return sl->fd < 0 ? NULL : sl;
}

/* Close a slot's file; its mappings, if any, keep it alive. */
static void op_close(struct fuzz *f)
{
	struct slot *sl = &f->iface->slots[rng_below(&f->rng, SLOTS)];

	if (sl->fd >= 0)
		close(sl->fd);
	sl->fd = -1;
	sl->set_up = false;
}

static void map_drop(struct map *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	m->addr = NULL;
}

/* Unmap one of the current device's mappings, if it has that one. */
static void op_unmap(struct fuzz *f)
{
	map_drop(&f->iface->maps[rng_below(&f->rng, MAPS)]);
}

/*
 * Read or write a byte of every page of a new mapping, as prot allows: a
 * mapping the module made too long would fault here (a crash: a finding).
 */
static void map_touch(const struct map *m, size_t page)
{
	volatile char *p = m->addr;
	size_t off;

	for (off = 0; off < m->len; off += page) {
		if (m->prot & PROT_WRITE)
			p[off] = 0x5a;
		else if (m->prot & PROT_READ)
			(void)p[off];
	}
}

static const uint64_t map_prots[] = {
	PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE, PROT_NONE,
};
static const int map_flags[] = {
	MAP_SHARED, MAP_SHARED, MAP_SHARED | MAP_POPULATE, MAP_SHARED_VALIDATE,
	MAP_PRIVATE, 0,
};

/*
 * mmap() slot's file with a length around size (what the kernel said it
 * maps), an offset, prot and flags; keep and touch what it maps. Never
 * MAP_FIXED: the kernel picks the address.
 */
static void map_slot(struct fuzz *f, struct slot *sl, uint64_t size)
{
	uint64_t lens[] = { size, size - f->page, size + f->page, f->page, 2 * size };
	struct map *m = &f->iface->maps[rng_below(&f->rng, MAPS)];
	bool wild = chance(f, f->wild);
	size_t len = wild ? FUZZ(f, lens) : size;
	off_t off = wild && chance(f, 50) ? (off_t)boundary(f) : 0;
	int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	void *p;

	if (wild && chance(f, 50)) {
		prot = map_prots[rng_below(&f->rng, ARRAY_LEN(map_prots))];
		flags = map_flags[rng_below(&f->rng, ARRAY_LEN(map_flags))];
	}

	map_drop(m);
	call_begin(f, "mmap");
	p = mmap(NULL, len, prot, flags, sl->fd, off);
	if (call_end(f, "mmap", map_errs, p == MAP_FAILED ? errno : 0))
		return;
	*m = (struct map){ .addr = p, .len = len, .prot = prot,
			   .slot = (int)(sl - f->iface->slots), .gen = sl->gen };
	map_touch(m, f->page);
}

/* Remove what the tool makes in the work directory, and the directory. */
static void scratch_remove(struct scratch *s)
{
	if (s->file_fd >= 0)
		close(s->file_fd);
	s->file_fd = -1;
	unlink(s->file);
	unlink(s->fifo);
	unlink(s->loop);
	rmdir(s->subdir);
	rmdir(s->dir);
}

/* The file (FILE_SIZE bytes), directory, fifo and loop; 0 or -errno. */
static int scratch_fill(struct scratch *s)
{
	static char block[4096];
	uint64_t done;

	memset(block, 0xa5, sizeof(block));
	s->file_fd = open(s->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->file_fd < 0)
		return -errno;
	for (done = 0; done < FILE_SIZE; done += sizeof(block))
		if (write(s->file_fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return errno ? -errno : -ENOSPC;
	if (fsync(s->file_fd) || mkdir(s->subdir, 0700) || mkfifo(s->fifo, 0600))
		return -errno;
	if (symlink("loop", s->loop))	/* itself: ELOOP */
		return -errno;
	return 0;
}

/* Lay out SCRATCHDIR/kdio-fuzz.d; 0 or -errno with msg. */
static int scratch_setup(struct scratch *s, const char *parent, char *msg, size_t len)
{
	static const char *const names[] = { "file", "dir", "fifo", "loop" };
	char *const paths[] = { s->file, s->subdir, s->fifo, s->loop };
	char real[PATH_MAX];
	int ret;

	ret = scratch_paths(parent, "", NULL, NULL, 0, 0, msg, len);
	if (ret)
		return ret;
	if (!realpath(parent, real))
		return msg_fail(msg, len, ENOTDIR, "%s: not a directory; give an existing scratch directory",
				parent);
	snprintf(s->dir, sizeof(s->dir), "%.*s/" WORKDIR, KDIO_PATH_MAX - 32, real);
	ret = scratch_paths(real, WORKDIR "/", paths, names, 4, KDIO_PATH_MAX - 64,
			    msg, len);
	if (ret)
		return ret;
	scratch_remove(s);	/* an earlier run's, if it was stopped */
	if (mkdir(s->dir, 0700)) {
		ret = -errno;
		snprintf(msg, len, "cannot make %s: %s; remove it if it is in the way",
			 s->dir, strerror(errno));
		return ret;
	}
	ret = scratch_fill(s);
	if (ret)
		snprintf(msg, len, "cannot lay out the scratch files in %s: %s", s->dir,
			 strerror(-ret));
	return ret;
}

/*
 * The promise the tool keeps: every path it sends kdio_dio is empty,
 * unterminated, or inside the work directory with no "..".
 */
static bool path_ok(const struct scratch *s, const char *path)
{
	size_t dir = strlen(s->dir);

	if (!path[0] || strnlen(path, KDIO_PATH_MAX) == KDIO_PATH_MAX)
		return true;
	return !strncmp(path, s->dir, dir) && path[dir] == '/' && !strstr(path, "..");
}

/*
 * A path of the long kind: the file's, padded with slashes to one byte
 * short of, exactly at, or one byte over the path field (no NUL).
 */
static void long_path(struct fuzz *f, char *path)
{
	size_t dir = strlen(f->s.dir), want = KDIO_PATH_MAX - 2 + rng_below(&f->rng, 3);

	memcpy(path, f->s.dir, dir);
	memset(path + dir, '/', want - dir - 4);
	memcpy(path + want - 4, "file", 4);
	if (want < KDIO_PATH_MAX)
		path[want] = '\0';
}

/* A path inside the work directory: the file, or a way to fail. */
static void dio_path(struct fuzz *f, char *path)
{
	static const char *const suffixes[] = { "/", "/x", "/.", "//" };
	const struct scratch *s = &f->s;
	char name[16];

	rng_fill(f, path, KDIO_PATH_MAX);	/* what follows the NUL */
	switch (chance(f, f->wild) ? rng_below(&f->rng, 8) : 0) {
	case 1:
		snprintf(path, KDIO_PATH_MAX, "%s", s->subdir);
		break;
	case 2:
		snprintf(path, KDIO_PATH_MAX, "%s", s->fifo);
		break;
	case 3:
		snprintf(path, KDIO_PATH_MAX, "%s", s->loop);
		break;
	case 4:
		snprintf(name, sizeof(name), "m%" PRIx64, rng_next(&f->rng) >> 20);
		snprintf(path, KDIO_PATH_MAX, "%s/%s", s->dir, name);
		break;
	case 5:
		snprintf(path, KDIO_PATH_MAX, "%s%s", s->file,
			 suffixes[rng_below(&f->rng, ARRAY_LEN(suffixes))]);
		break;
	case 6:
		path[0] = '\0';
		break;
	case 7:
		long_path(f, path);
		break;
	default:
		snprintf(path, KDIO_PATH_MAX, "%s", s->file);
		break;
	}
}

/* Whether the uAPI's rules let req run, its path aside. */
static bool dio_valid(const struct kdio_dio_req *r)
{
	if (r->abi_version != KDIO_DIO_ABI_VERSION || r->struct_size != sizeof(*r) ||
	    r->method >= KDIO_DIO_NR_METHODS || r->op > KDIO_OP_READ ||
	    (r->flags & ~KDIO_F_ALL) || ((r->flags & KDIO_F_VERIFY) && r->op != KDIO_OP_READ))
		return false;
	if (!r->block_size || r->block_size > KDIO_MAX_BLOCK || r->block_size % KDIO_MIN_ALIGN ||
	    !r->total_bytes || r->total_bytes % r->block_size || r->offset % KDIO_MIN_ALIGN ||
	    r->total_bytes > INT64_MAX || r->offset > INT64_MAX - r->total_bytes)
		return false;
	if (r->queue_depth > KDIO_MAX_QD ||
	    (r->queue_depth > 1 && r->method != KDIO_DIO_BVEC_ASYNC))
		return false;
	if (r->method == KDIO_DIO_KVEC_KMALLOC && r->block_size > KMALLOC_CAP)
		return false;
	return r->method != KDIO_DIO_BVEC_ASYNC || r->total_bytes <= KDIO_ASYNC_MAX_TOTAL;
}

static const uint64_t dio_methods[] = {
	KDIO_DIO_NULL, KDIO_DIO_VMMAP, KDIO_DIO_BVEC, KDIO_DIO_BVEC_ASYNC,
	KDIO_DIO_BUFFERED, KDIO_DIO_KVEC_KMALLOC, KDIO_DIO_KVEC_VMALLOC,
};
static const uint64_t dio_ops[] = { KDIO_OP_WRITE, KDIO_OP_READ };
static const uint64_t dio_flags[] = { 0, KDIO_F_VERIFY };
static const uint64_t dio_blocks[] = { 512, 4096, 8192, 65536 };
static const uint64_t dio_offsets[] = {
	0, 512, 4096, FILE_SIZE - 4096, FILE_SIZE, 1ULL << 40,
};
static const uint64_t dio_depths[] = { 0, 1, 2, 8, KDIO_MAX_QD };
static const unsigned long dio_cmds[] = { KDIO_IOC_DIO_RUN };

/*
 * A request: random out fields (the kernel must ignore them), in fields
 * from the tables. One that would run and move more than the bounds is
 * made invalid: total_bytes one byte past a multiple of block_size.
 */
static void dio_build(struct fuzz *f, struct kdio_dio_req *r)
{
	rng_fill(f, r, sizeof(*r));
	r->abi_version = usually(f, KDIO_DIO_ABI_VERSION);
	r->struct_size = usually(f, sizeof(*r));
	r->method = FUZZ(f, dio_methods);
	r->op = FUZZ(f, dio_ops);
	r->flags = r->op == KDIO_OP_READ ? FUZZ(f, dio_flags) : usually(f, 0);
	r->block_size = FUZZ(f, dio_blocks);
	r->total_bytes = chance(f, f->wild) ? FUZZ(f, dio_blocks) :
		r->block_size * (1 + rng_below(&f->rng, 4));
	r->offset = FUZZ(f, dio_offsets);
	r->queue_depth = r->method == KDIO_DIO_BVEC_ASYNC ? FUZZ(f, dio_depths) : usually(f, 1);
	dio_path(f, r->path);
	if (dio_valid(r) && (r->total_bytes > FUZZ_MAX_BYTES ||
			     r->total_bytes / r->block_size > FUZZ_MAX_CALLS))
		r->total_bytes++;
}

/* KDIO_IOC_DIO_RUN; the file goes back to its size after any write. */
static void op_dio_run(struct fuzz *f)
{
	struct kdio_dio_req req;

	dio_build(f, &req);
	if (!path_ok(&f->s, req.path)) {
		fprintf(stderr, "kdio-fuzz: made a path outside %s: %.*s\n", f->s.dir,
			KDIO_PATH_MAX, req.path);
		abort();
	}
	send_ioctl(f, f->iface->fd, KDIO_IOC_DIO_RUN, &req, sizeof(req), dio_run_errs, NULL);
	if (ftruncate(f->s.file_fd, FILE_SIZE))
		fprintf(stderr, "kdio-fuzz: %s: ftruncate: %s\n", f->s.file, strerror(errno));
}

/* read, pread, write, mmap on a device that has none of them. */
static void op_no_fops(struct fuzz *f)
{
	static const uint64_t lens[] = { 0, 8, 4096 };
	size_t len = FUZZ(f, lens);
	void *buf = buffer(f), *p;
	int fd = f->iface->fd;

	switch (rng_below(&f->rng, 4)) {
	case 0:
		call_read(f, fd, buf, len, false, 0, no_fops_errs);
		break;
	case 1:
		call_read(f, fd, buf, len, true, (off_t)boundary(f), no_fops_errs);
		break;
	case 2:
		call_write(f, fd, buf, len, no_fops_errs);
		break;
	default:
		call_begin(f, "mmap");
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (!call_end(f, "mmap", no_fops_errs, p == MAP_FAILED ? errno : 0))
			munmap(p, len);
		break;
	}
}

static const uint64_t kbuf_sizes[] = { 4096, 8192, 65536, 1ULL << 20 };
static const uint64_t kbuf_modes[] = { KDIO_KBUF_PFN, KDIO_KBUF_PAGES };
static const unsigned long kbuf_cmds[] = { KDIO_IOC_KBUF_SETUP };

/* Whether the uAPI's rules let a kbuf setup allocate. */
static bool kbuf_valid(const struct kdio_kbuf_req *r, size_t page)
{
	return r->abi_version == KDIO_DIO_ABI_VERSION && r->struct_size == sizeof(*r) &&
	       r->size && r->size <= KDIO_MAX_BLOCK && !(r->size % page) &&
	       (r->mode == KDIO_KBUF_PFN || r->mode == KDIO_KBUF_PAGES) && !r->reserved;
}

/* KDIO_IOC_KBUF_SETUP, at most FUZZ_MAX_ALLOC, on a slot's file. */
static void op_kbuf_setup(struct fuzz *f)
{
	struct slot *sl = slot_open(f);
	struct kdio_kbuf_req req;
	unsigned long cmd;

	if (!sl)
		return;
	rng_fill(f, &req, sizeof(req));
	req.abi_version = usually(f, KDIO_DIO_ABI_VERSION);
	req.struct_size = usually(f, sizeof(req));
	req.size = FUZZ(f, kbuf_sizes);
	req.mode = FUZZ(f, kbuf_modes);
	req.reserved = usually(f, 0);
	if (kbuf_valid(&req, f->page) && req.size > FUZZ_MAX_ALLOC)
		req.size++;
	if (!send_ioctl(f, sl->fd, KDIO_IOC_KBUF_SETUP, &req, sizeof(req), kbuf_ioctl_errs, &cmd) &&
	    cmd == KDIO_IOC_KBUF_SETUP) {
		sl->set_up = true;
		sl->size = req.size;
	}
}

static void op_kbuf_map(struct fuzz *f)
{
	struct slot *sl = slot_open(f);

	if (sl)
		map_slot(f, sl, sl->set_up ? sl->size : 2 * f->page);
}

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

/* Run on the i-th CPU the tool may use (0: where it stays otherwise). */
static void pin(const struct fuzz *f, int i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(f->cpus[i], &set);
	sched_setaffinity(0, sizeof(set), &set);
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

static const uint64_t crypto_algs[] = { KDIO_CRYPTO_CBC_AES, KDIO_CRYPTO_GCM_AES };
static const uint64_t crypto_paths[] = { KDIO_CRYPTO_ZERO_COPY, KDIO_CRYPTO_BOUNCE };
static const uint64_t crypto_ops[] = { KDIO_CRYPTO_ENCRYPT, KDIO_CRYPTO_DECRYPT };
static const uint64_t crypto_depths[] = { 1, 1, 2, 4, KDIO_CRYPTO_MAX_QD };
static const uint64_t crypto_keys[] = { 16, 24, 32 };
static const uint64_t crypto_lens[] = { 16, 64, 1424, 4096, 65536 };
static const uint64_t crypto_counts[] = { 1, 2, 4, 16 };
static const char *const crypto_drivers[] = {
	"", "cbc(aes)", "cbc(aes-generic)", "cbc-aes-aesni",
	"rfc4106(gcm(aes))", "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))",
	"ecb(aes)", "sha256", "kdio-no-such-driver",
};
static const unsigned long crypto_cmds[] = { KDIO_IOC_CRYPTO_RUN };

/* Whether the uAPI's rules let a crypto run go ahead, its driver aside. */
static bool crypto_valid(const struct kdio_crypto_req *r)
{
	if (r->abi_version != KDIO_CRYPTO_ABI_VERSION || r->struct_size != sizeof(*r) ||
	    r->alg >= KDIO_CRYPTO_NR_ALGS || r->path >= KDIO_CRYPTO_NR_PATHS ||
	    r->op > KDIO_CRYPTO_DECRYPT || (r->flags & ~KDIO_CRYPTO_F_ALL))
		return false;
	if ((r->key_len != 16 && r->key_len != 24 && r->key_len != 32) ||
	    !r->len || r->len > KDIO_CRYPTO_MAX_LEN || !r->count ||
	    (r->alg == KDIO_CRYPTO_CBC_AES && r->len % KDIO_CRYPTO_BLOCK))
		return false;
	return r->queue_depth && r->queue_depth <= KDIO_CRYPTO_MAX_QD;
}

/*
 * The driver name: one from the table (any, one of each algorithm, of
 * another type, none such) or one with no NUL.
 */
static void crypto_driver(struct fuzz *f, char *driver)
{
	rng_fill(f, driver, KDIO_CRYPTO_NAME_MAX);	/* what follows the NUL */
	if (!chance(f, f->wild))
		driver[0] = '\0';
	else if (chance(f, 10))
		memset(driver, 'a', KDIO_CRYPTO_NAME_MAX);
	else
		snprintf(driver, KDIO_CRYPTO_NAME_MAX, "%s",
			 crypto_drivers[rng_below(&f->rng, ARRAY_LEN(crypto_drivers))]);
}

/*
 * A run request. The regions go in the arena (whose guard reservation
 * covers any qd * region from it) or, with queue depth 1 so that only the
 * first region is ever touched, at NULL or an address above user space.
 * A run of more than FUZZ_MAX_CALLS requests or FUZZ_MAX_BYTES gets
 * count 0 (invalid).
 */
static void crypto_build(struct fuzz *f, struct kdio_crypto_req *r)
{
	rng_fill(f, r, sizeof(*r));	/* key, iv and out fields random too */
	r->abi_version = usually(f, KDIO_CRYPTO_ABI_VERSION);
	r->struct_size = usually(f, sizeof(*r));
	r->alg = FUZZ(f, crypto_algs);
	r->path = FUZZ(f, crypto_paths);
	r->op = FUZZ(f, crypto_ops);
	r->flags = usually(f, 0);
	r->queue_depth = FUZZ(f, crypto_depths);
	r->key_len = FUZZ(f, crypto_keys);
	crypto_driver(f, r->driver);
	r->len = FUZZ(f, crypto_lens);
	r->count = FUZZ(f, crypto_counts);
	r->data = (uintptr_t)buffer(f);
	if (r->data != (uintptr_t)f->ro && (r->data < (uintptr_t)f->arena ||
	    r->data >= (uintptr_t)f->arena + ARENA_SIZE))
		r->queue_depth = chance(f, f->wild / 4) ? 0 : 1;
	if (crypto_valid(r) && (r->count > FUZZ_MAX_CALLS ||
				r->len * r->count > FUZZ_MAX_BYTES))
		r->count = 0;
}

static void op_crypto_run(struct fuzz *f)
{
	struct kdio_crypto_req req;

	crypto_build(f, &req);
	send_ioctl(f, f->iface->fd, KDIO_IOC_CRYPTO_RUN, &req, sizeof(req), crypto_run_errs, NULL);
}

static const struct op dio_fuzz_ops[] = {
	{ "run", op_dio_run, 9 },
	{ "file-ops", op_no_fops, 1 },
};
static const struct op kbuf_fuzz_ops[] = {
	{ "close", op_close, 1 },
	{ "setup", op_kbuf_setup, 3 },
	{ "mmap", op_kbuf_map, 3 },
	{ "munmap", op_unmap, 1 },
};
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
static const struct op crypto_fuzz_ops[] = {
	{ "run", op_crypto_run, 9 },
	{ "file-ops", op_no_fops, 1 },
};

#define IFACE(n, dev, table, real) \
	{ .name = n, .device = dev, .ops = table, .nr_ops = ARRAY_LEN(table), \
	  .cmds = real, .nr_cmds = ARRAY_LEN(real), .fd = -1 }

static struct iface ifaces[NR_IFACES] = {
	IFACE("kdio_dio", KDIO_DIO_DEVICE, dio_fuzz_ops, dio_cmds),
	IFACE("kdio_kbuf", KDIO_KBUF_DEVICE, kbuf_fuzz_ops, kbuf_cmds),
	IFACE("kdio_xfer", KDIO_XFER_DEVICE, xfer_fuzz_ops, xfer_cmds),
	IFACE("kdio_crypto", KDIO_CRYPTO_DEVICE, crypto_fuzz_ops, crypto_cmds),
};
_Static_assert(ARRAY_LEN(ifaces) == NR_IFACES, "one struct counts per interface");

static const struct op *pick_op(struct fuzz *f, const struct iface *i)
{
	unsigned int total = 0, n;
	size_t k;

	for (k = 0; k < i->nr_ops; k++)
		total += i->ops[k].weight;
	n = (unsigned int)rng_below(&f->rng, total);
	for (k = 0; n >= i->ops[k].weight; k++)
		n -= i->ops[k].weight;
	return &i->ops[k];
}

/*
 * count iterations, each one operation on one of the present devices,
 * with as many of its fields off the valid ones as wilds says: some
 * valid, so that the calls get past validation too, some far off.
 */
static void fuzz_loop(struct fuzz *f, uint64_t count)
{
	static const unsigned int wilds[] = { 0, 0, 5, 20, 50 };
	struct iface *present[ARRAY_LEN(ifaces)];
	size_t n = 0, k;

	for (k = 0; k < ARRAY_LEN(ifaces); k++)
		if (ifaces[k].fd >= 0)
			present[n++] = &ifaces[k];
	for (f->iter = 0; f->iter < count; f->iter++) {
		const struct op *op;

		f->sh->iter = f->iter;
		f->wild = wilds[rng_below(&f->rng, ARRAY_LEN(wilds))];
		f->iface = present[rng_below(&f->rng, n)];
		op = pick_op(f, f->iface);
		f->op = op->name;
		op->run(f);
	}
	f->sh->iter = f->iter;
}

/*
 * Open each device once: the ones that exist are fuzzed, a missing one is
 * skipped. 0 if at least one is there, else -errno with msg.
 */
static int open_devices(char *msg, size_t len)
{
	size_t k, present = 0;
	int err = ENOENT;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		struct iface *i = &ifaces[k];
		size_t s;

		for (s = 0; s < SLOTS; s++)
			i->slots[s].fd = -1;
		i->fd = open(i->device, O_RDWR | O_CLOEXEC);
		if (i->fd >= 0) {
			present++;
			continue;
		}
		snprintf(i->absent, sizeof(i->absent), "%s: %s; not fuzzed", i->device,
			 strerror(errno));
		if (errno != ENOENT)
			err = errno;
	}
	if (present)
		return 0;
	snprintf(msg, len, "no kdio device could be opened (%s); load the kdio modules and run as root",
		 strerror(err));
	return -err;
}

static void close_devices(void)
{
	size_t k, n;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		for (n = 0; n < MAPS; n++)
			map_drop(&ifaces[k].maps[n]);
		for (n = 0; n < SLOTS; n++)
			if (ifaces[k].slots[n].fd >= 0)
				close(ifaces[k].slots[n].fd);
		if (ifaces[k].fd >= 0)
			close(ifaces[k].fd);
	}
}

/*
 * The read-only page, the arena after it and the guard after that, in one
 * reservation at ARENA_AT (anywhere, if that is taken); the arena starts
 * with random bytes. 0 or -errno.
 */
static int arena_setup(struct fuzz *f)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	size_t total = f->page + ARENA_SIZE + GUARD_SIZE;
	char *base;

	base = mmap((void *)ARENA_AT, total, PROT_NONE, flags | MAP_FIXED_NOREPLACE, -1, 0);
	if (base == MAP_FAILED)
		base = mmap(NULL, total, PROT_NONE, flags, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	f->ro = base;
	f->arena = base + f->page;
	if (mprotect(f->ro, f->page, PROT_READ) ||
	    mprotect(f->arena, ARENA_SIZE, PROT_READ | PROT_WRITE))
		return -errno;
	rng_fill(f, f->arena, ARENA_SIZE);
	return 0;
}

/* The CPUs the tool may use, and stay on the first. 0 or -errno. */
static int cpus_setup(struct fuzz *f)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			f->cpus[f->ncpus++] = cpu;
	if (!f->ncpus)
		return -ESRCH;
	pin(f, 0);
	return 0;
}

/* The KTAP levels of the output: the run, and one test per interface in it. */
static struct ktap top, sub;

/* The headers of both levels, and what this run is. */
static void report_begin(const struct fuzz *f, uint64_t count)
{
	ktap_begin(&top, stdout, 0, 1);
	ktap_begin(&sub, stdout, 1, NR_IFACES);
	ktap_diag(&sub, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations", f->seed, count);
}

/* "# NAME: errnos OK=n EINVAL=n ..." of an interface's calls. */
static void report_errnos(const struct iface *i)
{
	char line[2 * MSG_MAX];
	size_t n = 0;
	int e;

	line[0] = '\0';
	if (i->c->errnos[0])
		n += snprintf(line, sizeof(line), " OK=%" PRIu64, i->c->errnos[0]);
	for (e = 1; e < ERRNO_MAX && n < sizeof(line); e++)
		if (i->c->errnos[e])
			n += snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
				      errno_name(e), i->c->errnos[e]);
	ktap_diag(&sub, "%s: errnos%s", i->name, line);
}

/*
 * An interface's result: its findings and errnos as diagnostics, then
 * "ok N NAME # calls=n hangs=n undocumented=n crashes=n" (not ok if any
 * of the last three is not 0), or a SKIP saying why it was not fuzzed.
 */
static int report_iface(const struct fuzz *f, size_t k)
{
	const struct iface *i = &ifaces[k];
	const struct counts *c = i->c;
	unsigned int n;

	if (i->fd < 0)
		return ktap_result(&sub, true, i->name, "SKIP %s", i->absent);
	for (n = 0; n < f->sh->nr_findings && n < MAX_FINDINGS; n++)
		if (f->sh->findings[n].iface == k)
			ktap_diag(&sub, "%s: %s", i->name, f->sh->findings[n].text);
	report_errnos(i);
	return ktap_result(&sub, !c->hangs && !c->undocumented && !c->crashes, i->name,
			   "calls=%" PRIu64 " hangs=%" PRIu64 " undocumented=%" PRIu64 " crashes=%" PRIu64,
			   c->calls, c->hangs, c->undocumented, c->crashes);
}

/*
 * The interfaces' results and the run's: "ok 1 kdio-fuzz # calls=n
 * distinct_errnos=n hangs=n undocumented=n crashes=n", not ok if the
 * worker did not run to its end (ran false) or anything was found.
 * Whether the run was clean and every line written.
 */
static bool report(const struct fuzz *f, uint64_t elapsed_ms, bool ran)
{
	struct counts sum = { 0 };
	bool seen[ERRNO_MAX] = { false }, written = true, ok;
	uint64_t distinct = 0;
	size_t k;
	int e;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		const struct counts *c = ifaces[k].c;

		written &= report_iface(f, k) == 0;
		sum.calls += c->calls;
		sum.hangs += c->hangs;
		sum.undocumented += c->undocumented;
		sum.crashes += c->crashes;
		for (e = 1; e < ERRNO_MAX; e++)
			seen[e] |= c->errnos[e] > 0;
	}
	for (e = 1; e < ERRNO_MAX; e++)
		distinct += seen[e];
	ok = ran && !sum.hangs && !sum.undocumented && !sum.crashes;
	ktap_diag(&top, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations in %" PRIu64 " ms, %u finding(s)",
		  f->seed, f->sh->iter, elapsed_ms, f->sh->nr_findings);
	written &= ktap_result(&top, ok, "kdio-fuzz",
			       "calls=%" PRIu64 " distinct_errnos=%" PRIu64 " hangs=%" PRIu64 " undocumented=%" PRIu64 " crashes=%" PRIu64,
			       sum.calls, distinct, sum.hangs, sum.undocumented, sum.crashes) == 0;
	return written && ok;
}

/*
 * The whole output of a run that failed before any fuzzing: one test, in
 * ERROR, saying what to do.
 */
static int fail(const char *what, int err, const char *msg)
{
	ktap_begin(&top, stdout, 0, 1);
	ktap_diag(&top, "kdio-fuzz: %s: %s", what, msg);
	ktap_result(&top, false, "kdio-fuzz", "ERROR %s failed with %s", what, errno_name(err));
	return EXIT_ERROR;
}

/* The counts and the worker's position, shared with the supervisor. */
static int shared_setup(struct fuzz *f)
{
	size_t k;

	f->sh = mmap(NULL, sizeof(*f->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->sh == MAP_FAILED)
		return -errno;
	for (k = 0; k < ARRAY_LEN(ifaces); k++)
		ifaces[k].c = &f->sh->counts[k];
	return 0;
}

/* The worker's position, made the supervisor's own for finding(). */
static void take_position(struct fuzz *f)
{
	f->iter = f->sh->iter;
	f->iface = f->sh->iface ? f->sh->iface : &ifaces[0];
	f->op = f->sh->op ? f->sh->op : "none";
}

/*
 * A call still in the kernel at twice the time limit, which the alarm did
 * not bring back (it sleeps uninterruptibly, or never looks at signals):
 * count and report the hang, SIGKILL the worker (a kernel loop that checks
 * for fatal signals sees that one) and give it one more time limit to go.
 */
static void stop_hung_worker(struct fuzz *f, pid_t pid)
{
	uint64_t t0 = now_ms();
	int status;

	take_position(f);
	f->iface->c->hangs++;
	finding(f, "hang", f->sh->call, "still in the kernel; worker killed");
	kill(pid, SIGKILL);
	while (now_ms() - t0 < 1000ULL * f->alarm_s && waitpid(pid, &status, WNOHANG) != pid)
		usleep(100000);
}

/*
 * Wait for the worker, watching its calls. A hang, or a worker killed by
 * a signal (a crash of the tool: a mapping that faults, say), is a
 * finding. 0 if the worker ran to its end, else -1.
 */
static int supervise(struct fuzz *f, pid_t pid)
{
	const uint64_t limit = 2000ULL * f->alarm_s;
	uint64_t began;
	int status;
	pid_t ret;

	while ((ret = waitpid(pid, &status, WNOHANG)) != pid) {
		if (ret < 0)
			return -1;
		began = __atomic_load_n(&f->sh->call_ms, __ATOMIC_ACQUIRE);
		if (began && now_ms() - began > limit) {
			stop_hung_worker(f, pid);
			return -1;
		}
		usleep(100000);
	}
	if (WIFSIGNALED(status)) {
		take_position(f);
		f->iface->c->crashes++;
		finding(f, "crash", f->sh->call_ms ? f->sh->call : "after a call",
			sigabbrev_np(WTERMSIG(status)));
		return -1;
	}
	return WEXITSTATUS(status) == EXIT_OK ? 0 : -1;
}

/* Run the loop in a worker process, watch it, report; the exit code. */
static int run_worker(struct fuzz *f, uint64_t count)
{
	uint64_t t0 = now_ms();
	bool ran;
	pid_t pid;

	report_begin(f, count);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		ktap_diag(&sub, "kdio-fuzz: cannot start the worker process: %s", strerror(errno));
	if (!pid) {
		fuzz_loop(f, count);
		_exit(EXIT_OK);
	}
	ran = pid > 0 && supervise(f, pid) == 0;
	return report(f, now_ms() - t0, ran) ? EXIT_OK : EXIT_ERROR;
}

/* The machinery around the loop: alarm, CPUs, arena, devices, scratch. */
static int prepare(struct fuzz *f, const char *dir)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	char msg[MSG_MAX];
	int ret;

	sigaction(SIGALRM, &sa, NULL);
	f->page = (size_t)sysconf(_SC_PAGESIZE);
	ret = cpus_setup(f);
	if (ret)
		return fail("cpus", -ret, "cannot read or set the CPU affinity");
	ret = arena_setup(f);
	if (!ret)
		ret = shared_setup(f);
	if (ret)
		return fail("memory", -ret, "cannot map the request arena; allow more address space");
	ret = open_devices(msg, sizeof(msg));
	if (ret)
		return fail("open-devices", -ret, msg);
	ret = scratch_setup(&f->s, dir, msg, sizeof(msg));
	if (ret)
		return fail("scratch", -ret, msg);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct fuzz f = { .alarm_s = ALARM_DEFAULT_S, .s.file_fd = -1 };
	bool have_n = false, have_s = false;
	uint64_t count = 0, alarm_s;
	const char *dir = NULL;
	int c, ret;

	while ((c = getopt(argc, argv, "n:s:d:t:U:vh")) != -1) {
		switch (c) {
		case 'n': have_n = !parse_u64(optarg, &count); break;
		case 's': have_s = !parse_u64(optarg, &f.seed); break;
		case 'd': dir = optarg; break;
		case 't':
			if (parse_u64(optarg, &alarm_s) || !alarm_s || alarm_s > 3600) {
				usage(stderr);
				return EXIT_USAGE;
			}
			f.alarm_s = (unsigned int)alarm_s;
			break;
		case 'v': f.verbose = true; break;
		case 'U':
			f.test_undocumented = errno_by_name(optarg);
			if (!f.test_undocumented) {
				fprintf(stderr, "kdio-fuzz: -U %s: not an errno name (e.g. EINVAL)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!have_n || !have_s || !dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	f.rng.state = f.seed;
	if (f.verbose)
		fprintf(stderr, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations\n", f.seed, count);
	ret = prepare(&f, dir);
	if (ret == EXIT_OK)
		ret = run_worker(&f, count);
	close_devices();
	scratch_remove(&f.s);
	return ret;
}
