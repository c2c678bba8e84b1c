// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: the rows of /dev/kdio_kbuf. Broken setups and mappings
 * of a kernel buffer, each the valid probe with one thing wrong; the
 * valid probe itself; and O_DIRECT from a mapped buffer, which works from
 * a page-mode one and fails with EFAULT from a pfn-mode one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rows.h"
#include "common/pattern.h"

#define KBUF_SIZE	SMALL_SIZE	/* the kernel buffer: the small file */

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
int run_kbuf_probe(const struct check *c, struct env *e)
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

#define KBUF_ODIRECT(n, md, e) { .bi = { n, e }, .run = run_kbuf_odirect, .mode = md }

static const struct check kbuf_checks[] = {
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
};

const struct badinput_rows kbuf_rows = BADINPUT_ROWS(kbuf_checks);
