// SPDX-License-Identifier: GPL-2.0
/* kdio-fuzz: /dev/kdio_kbuf, its setup and mmap. */
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

static const int kbuf_ioctl_errs[] = { EFAULT, EPROTO, EINVAL, EBUSY, ENOMEM, ENOTTY, 0 };

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

static const struct op kbuf_fuzz_ops[] = {
	{ "close", op_close, 1 },
	{ "setup", op_kbuf_setup, 3 },
	{ "mmap", op_kbuf_map, 3 },
	{ "munmap", op_unmap, 1 },
};

const struct fuzz_device fuzz_kbuf = FUZZ_DEVICE(kbuf_fuzz_ops, kbuf_cmds);
