// SPDX-License-Identifier: GPL-2.0
/* kdio-fuzz: /dev/kdio_dio, KDIO_IOC_DIO_RUN on paths inside the work directory. */
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

/*
 * The errnos each call may give, 0-terminated: what the module's uAPI header
 * documents for it, and what the kernel's code in front of the module gives.
 */
static const int dio_run_errs[] = {
	EFAULT, EPROTO, EINVAL, ENAMETOOLONG, EPERM, ENOTTY,	/* the request */
	ENOENT, ENOTDIR, ELOOP, EACCES, EISDIR,			/* path lookup */
	ENODATA, ENOSPC, EFBIG, EINTR, ENOMEM, 0		/* the run */
};

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
		/* never cut: scratch_setup() left room for a name */
		if (snprintf(path, KDIO_PATH_MAX, "%s/%s", s->dir, name) >= KDIO_PATH_MAX)
			path[0] = '\0';
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
static const struct op dio_fuzz_ops[] = {
	{ "run", op_dio_run, 9 },
	{ "file-ops", op_no_fops, 1 },
};

const struct fuzz_device fuzz_dio = FUZZ_DEVICE(dio_fuzz_ops, dio_cmds);
