// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-fuzz's generator: the seeded random numbers, the values a field
 * gets (valid, boundary, random), where a request is passed from, the
 * command numbers next to the real ones, and the calls, each counted and
 * checked against the errnos documented for it; the open files and the
 * mappings kept per device.
 */
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

volatile sig_atomic_t timed_out;

/* read(), pread(), write() and mmap() of a device that has none. */
const int no_fops_errs[] = { EINVAL, ESPIPE, ENODEV, ENOMEM, EOVERFLOW, 0 };
/* The module's -EINVAL; mmap(2)'s own: no room, offset overflow. */
const int map_errs[] = { EINVAL, ENOMEM, EOVERFLOW, 0 };
const int open_errs[] = { ENOMEM, 0 };

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

uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

bool chance(struct fuzz *f, unsigned int percent)
{
	return rng_below(&f->rng, 100) < percent;
}

void rng_fill(struct fuzz *f, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = rng_next(&f->rng);

		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* A boundary value: the table's, or a page size off by one either way. */
uint64_t boundary(struct fuzz *f)
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
uint64_t fuzz_u64(struct fuzz *f, const uint64_t *valid, size_t n)
{
	if (n && !chance(f, f->wild))
		return valid[rng_below(&f->rng, n)];
	if (chance(f, 70))
		return boundary(f);
	return rng_next(&f->rng) >> rng_below(&f->rng, 64);
}

/* good, but half as often off as other fields: headers, reserved words. */
uint64_t usually(struct fuzz *f, uint64_t good)
{
	return chance(f, f->wild / 2) ? boundary(f) : good;
}

void *bogus(struct fuzz *f)
{
	return (void *)bogus_addrs[rng_below(&f->rng, ARRAY_LEN(bogus_addrs))];
}

/* A copy of len bytes (at most a page) on the read-only page. */
void *ro_copy(struct fuzz *f, const void *obj, size_t len)
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
void *place(struct fuzz *f, const void *obj, size_t len)
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
void *buffer(struct fuzz *f)
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

bool listed(const int *errs, int err)
{
	for (; *errs; errs++)
		if (*errs == err)
			return true;
	return false;
}

/*
 * A hang, an undocumented errno or a crash: said on stderr at once, and
 * the first MAX_FINDINGS kept in the shared counts, whence report() prints
 * them before their interface's result; result is the errno's name, "OK"
 * or the signal's.
 */
void finding(struct fuzz *f, const char *kind, const char *call, const char *result)
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

uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/*
 * Before a call into the current interface: say it (-v), tell the
 * supervisor, arm the alarm.
 */
void call_begin(struct fuzz *f, const char *call)
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
int call_end(struct fuzz *f, const char *call, const int *errs, int err)
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

int call_ioctl(struct fuzz *f, int fd, unsigned long cmd, void *arg,
		      const int *errs)
{
	int ret;

	call_begin(f, "ioctl");
	ret = ioctl(fd, cmd, arg);
	return call_end(f, "ioctl", errs, ret < 0 ? errno : 0);
}

/* read(), or pread() at off (any off: a negative one too) if at. */
int call_read(struct fuzz *f, int fd, void *buf, size_t len, bool at,
		     off_t off, const int *errs)
{
	ssize_t ret;

	call_begin(f, at ? "pread" : "read");
	ret = at ? pread(fd, buf, len, off) : read(fd, buf, len);
	return call_end(f, at ? "pread" : "read", errs, ret < 0 ? errno : 0);
}

int call_write(struct fuzz *f, int fd, const void *buf, size_t len,
		      const int *errs)
{
	ssize_t ret;

	call_begin(f, "write");
	ret = write(fd, buf, len);
	return call_end(f, "write", errs, ret < 0 ? errno : 0);
}

int call_open(struct fuzz *f, const char *path, int flags, const int *errs)
{
	int fd;

	call_begin(f, "open");
	fd = open(path, flags | O_CLOEXEC);
	if (call_end(f, "open", errs, fd < 0 ? errno : 0))
		return -1;
	return fd;
}

bool is_real(unsigned long cmd, const unsigned long *real, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (real[i] == cmd)
			return true;
	return false;
}

/* One step away from cmd: direction, size, number, a type bit, or random. */
unsigned long near_once(struct fuzz *f, unsigned long cmd)
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
unsigned long maybe_near(struct fuzz *f, unsigned long cmd)
{
	unsigned long near;

	if (!chance(f, f->wild / 2))
		return cmd;
	do
		near = near_once(f, cmd);
	while (is_real(near, f->iface->dev->cmds, f->iface->dev->nr_cmds));
	return near;
}

/*
 * ioctl cmd (maybe_near() it) on fd, obj passed as place() puts it; the
 * errno. *sent, if not NULL, is the command sent.
 */
int send_ioctl(struct fuzz *f, int fd, unsigned long cmd, const void *obj, size_t len,
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
struct slot *slot_open(struct fuzz *f)
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
void op_close(struct fuzz *f)
{
	struct slot *sl = &f->iface->slots[rng_below(&f->rng, SLOTS)];

	if (sl->fd >= 0)
		close(sl->fd);
	sl->fd = -1;
	sl->set_up = false;
}

void map_drop(struct map *m)
{
	if (m->addr)
		munmap(m->addr, m->len);
	m->addr = NULL;
}

/* Unmap one of the current device's mappings, if it has that one. */
void op_unmap(struct fuzz *f)
{
	map_drop(&f->iface->maps[rng_below(&f->rng, MAPS)]);
}

/*
 * Read or write a byte of every page of a new mapping, as prot allows: a
 * mapping the module made too long would fault here (a crash: a finding).
 */
void map_touch(const struct map *m, size_t page)
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
void map_slot(struct fuzz *f, struct slot *sl, uint64_t size)
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
bool path_ok(const struct scratch *s, const char *path)
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
void long_path(struct fuzz *f, char *path)
{
	size_t dir = strlen(f->s.dir), want = KDIO_PATH_MAX - 2 + rng_below(&f->rng, 3);

	memcpy(path, f->s.dir, dir);
	memset(path + dir, '/', want - dir - 4);
	memcpy(path + want - 4, "file", 4);
	if (want < KDIO_PATH_MAX)
		path[want] = '\0';
}

/* A path inside the work directory: the file, or a way to fail. */
void op_no_fops(struct fuzz *f)
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

/* Run on the i-th CPU the tool may use (0: where it stays otherwise). */
void pin(const struct fuzz *f, int i)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(f->cpus[i], &set);
	sched_setaffinity(0, sizeof(set), &set);
}
