// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-kmap: O_DIRECT from a kernel buffer mapped into this process, the
 * /dev/mem case. /dev/kdio_kbuf allocates BS bytes of kernel pages and
 * this tool maps them MAP_SHARED, then moves the range block by block
 * with pwrite()/pread() on the file opened O_DIRECT, straight from or into
 * the mapping. One JSON line, the shape of kdio-dio's.
 *
 * -M page maps the pages with vm_insert_pages(): direct I/O pins them like
 * any user memory. -M pfn maps them with remap_pfn_range(), a VM_PFNMAP
 * mapping as /dev/mem makes, whose pages get_user_pages() will not pin:
 * the first call fails with EFAULT, which is the result to record.
 *
 * Per block, writes fill the pattern through the mapping (untimed) and
 * time the pwrite(); reads time the pread() and with -V then check the
 * block. Timing is CLOCK_MONOTONIC around each call, and each call's time
 * goes into a latency histogram of the module's shape (struct kdio_clat).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "dio/clat.h"
#include "common/pattern.h"
#include "kdio/dio.h"
#include "kdio/marker.h"

#define PAGE_MULTIPLE	4096ULL

static const char *const mode_names[] = {
	[KDIO_KBUF_PFN]		= "pfn",
	[KDIO_KBUF_PAGES]	= "page",
};

struct kmap_opts {
	int mode;			/* enum kdio_kbuf_mode; -1 unset, -2 bad */
	int op;				/* enum kdio_dio_op; -1 unset, -2 bad */
	const char *path;
	const char *device;
	uint64_t block_size, size, offset, seed;
	bool verify;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-kmap -M pfn|page -o write|read -f PATH -b BS -s SIZE\n"
		"                 [-O OFFSET] [-S SEED] [-V] [-D DEVICE]\n"
		"  -M MODE    how the kernel buffer is mapped: pfn (remap_pfn_range,\n"
		"             like /dev/mem) or page (vm_insert_pages)\n"
		"  -o OP      write the pattern, or read\n"
		"  -f PATH    existing file or block device, opened O_DIRECT\n"
		"  -b BS      buffer and I/O size (k/m suffixes; multiple of 4k, at most 64m)\n"
		"  -s SIZE    bytes per run (multiple of BS)\n"
		"  -O OFFSET  file offset (multiple of 512; default 0)\n"
		"  -S SEED    pattern seed (default 0)\n"
		"  -V         with -o read: check every block against the pattern\n"
		"  -D DEVICE  default " KDIO_KBUF_DEVICE "\n");
}

static const struct tool tool = {
	.name		= "kdio-kmap",
	.numbers	= "4096, 64k, 1m",
	.usage		= usage,
	.abi		= KDIO_DIO_ABI_VERSION,
};

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct kmap_opts *o)
{
	const char *why = NULL;

	if (o->mode == -2)
		why = "-M must be pfn or page";
	else if (o->op == -2)
		why = "-o must be write or read";
	else if (o->mode < 0 || o->op < 0 || !o->path || !o->block_size || !o->size)
		why = "-M, -o, -f, -b and -s are required, -b and -s non-zero";
	else if (o->block_size % PAGE_MULTIPLE || o->block_size > KDIO_MAX_BLOCK)
		why = "-b BS must be a multiple of 4k, at most 64m (the buffer is whole pages)";
	else if (o->size % o->block_size)
		why = "-s SIZE must be a multiple of -b BS";
	else if (o->offset % KDIO_MIN_ALIGN)
		why = "-O OFFSET must be a multiple of 512";
	else if (o->verify && o->op != KDIO_OP_READ)
		why = "-V only applies to -o read";
	return why ? usage_error(&tool, why) : 0;
}

static int parse_args(int argc, char **argv, struct kmap_opts *o)
{
	const char *bad = NULL;
	int c, ret;

	*o = (struct kmap_opts){ .mode = -1, .op = -1, .device = KDIO_KBUF_DEVICE };
	while ((c = getopt(argc, argv, "M:o:f:b:s:O:S:VD:h")) != -1) {
		switch (c) {
		case 'M': o->mode = opt_lookup(mode_names, 2, optarg); break;
		case 'o': o->op = opt_lookup(op_names, 2, optarg); break;
		case 'f': o->path = optarg; break;
		case 'b': opt_size(&bad, optarg, &o->block_size); break;
		case 's': opt_size(&bad, optarg, &o->size); break;
		case 'O': opt_size(&bad, optarg, &o->offset); break;
		case 'S': opt_u64(&bad, optarg, &o->seed); break;
		case 'V': o->verify = true; break;
		case 'D': o->device = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, bad, argv + optind);
	return ret ? ret : check_opts(o);
}

/*
 * Open the kernel-buffer device, set up a BS buffer and map it; returns
 * the device fd with *map set, or -errno with msg.
 */
static int map_kbuf(const struct kmap_opts *o, void **map, char *msg, size_t len)
{
	struct kdio_kbuf_req req = {
		.abi_version	= KDIO_DIO_ABI_VERSION,
		.struct_size	= sizeof(req),
		.size		= o->block_size,
		.mode		= (__u32)o->mode,
	};
	int fd, err;

	fd = open_device(o->device, msg, len);
	if (fd < 0)
		return fd;
	if (ioctl(fd, KDIO_IOC_KBUF_SETUP, &req)) {
		err = errno;
		snprintf(msg, len, "%s: buffer setup failed: %s%s", o->device, strerror(err),
			 err == EPROTO || err == ENOTTY ?
			 "; load the kdio_dio module built from the same tree" : "");
		close(fd);
		return -err;
	}
	*map = mmap(NULL, o->block_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		err = errno;
		snprintf(msg, len, "%s: mmap of the %" PRIu64 "-byte buffer failed: %s",
			 o->device, o->block_size, strerror(err));
		close(fd);
		return -err;
	}
	return fd;
}

/* What a run moved and found, and the latency of each of its calls. */
struct kmap_result {
	struct io_counts io;
	struct kdio_clat clat;
};

/*
 * One timed pwrite()/pread() of the mapping at off, its time counted in
 * the histogram as the module counts its calls'; 0 or -errno.
 */
static int kmap_io(const struct kmap_opts *o, int fd, void *map, uint64_t off,
		   struct kmap_result *res)
{
	struct io_counts *r = &res->io;
	uint64_t t0, ns;
	ssize_t done;
	int err;

	KDIO_MARK(KDIO_MARK_START);
	t0 = now_ns();
	if (o->op == KDIO_OP_WRITE)
		done = pwrite(fd, map, o->block_size, (off_t)off);
	else
		done = pread(fd, map, o->block_size, (off_t)off);
	err = errno;
	ns = now_ns() - t0;
	KDIO_MARK(KDIO_MARK_END);
	r->elapsed_ns += ns;
	kdio_clat_add(&res->clat, ns);
	r->calls++;
	if (done < 0)
		return -err;
	r->bytes += (uint64_t)done;
	if ((uint64_t)done < o->block_size)
		return o->op == KDIO_OP_READ ? -ENODATA : -ENOSPC;
	return 0;
}

/* Every block: fill the mapping, I/O, check; 0 or the -errno that ended it. */
static int kmap_run(const struct kmap_opts *o, int fd, void *map,
		    struct kmap_result *res)
{
	struct io_counts *r = &res->io;
	uint64_t pos;

	for (pos = 0; pos < o->size; pos += o->block_size) {
		uint64_t off = o->offset + pos;
		int ret;

		if (o->op == KDIO_OP_WRITE)
			kdio_pattern_fill(map, o->block_size, off, o->seed);
		ret = kmap_io(o, fd, map, off, res);
		if (ret)
			return ret;
		if (o->verify && kdio_pattern_check(map, o->block_size, off, o->seed)) {
			if (!r->bad_blocks)
				r->first_bad_offset = off;
			r->bad_blocks++;
		}
	}
	return 0;
}

/* The one-line message for err or for bad blocks; empty if neither. */
static void describe(const struct kmap_opts *o, int err, const struct io_counts *r,
		     char *msg, size_t len)
{
	const char *op = o->op == KDIO_OP_READ ? "pread into" : "pwrite from";

	if (err == EFAULT && o->mode == KDIO_KBUF_PFN)
		snprintf(msg, len, "O_DIRECT %s a remap_pfn_range() mapping failed with EFAULT: get_user_pages() cannot pin VM_PFNMAP pages, so O_DIRECT cannot use them (the /dev/mem failure); that is the result, -M page maps the same pages so that it works",
			 op);
	else if (err == ENODATA)
		snprintf(msg, len, "%s ends before offset %" PRIu64 " + %" PRIu64 "; write the range first (kdio-verify -w)",
			 o->path, o->offset, o->size);
	else if (err)
		snprintf(msg, len, "O_DIRECT %s the %s mapping on %s failed after %" PRIu64 " bytes: %s",
			 op, mode_names[o->mode], o->path, r->bytes, strerror(err));
	else if (r->bad_blocks)
		snprintf(msg, len, "%" PRIu64 " block(s) read differ from the pattern for seed %" PRIu64 ", first at offset %" PRIu64 "; check the seed and offset the file was written with",
			 r->bad_blocks, o->seed, r->first_bad_offset);
	else
		msg[0] = '\0';
}

/* One JSON line; res is NULL when no I/O was tried. */
static int emit(const struct kmap_opts *o, const struct kmap_result *res, int err,
		const char *msg)
{
	struct jsonl j;

	json_record_begin(&j, &tool);
	jsonl_str(&j, "mode", mode_names[o->mode]);
	json_io_range(&j, o->op, o->path, o->block_size, o->size, o->offset);
	jsonl_u64(&j, "seed", o->seed);
	jsonl_bool(&j, "verify", o->verify);
	json_io_counts(&j, res ? &res->io : NULL);
	json_clat(&j, res ? &res->clat : NULL);
	return json_record_end(&j, err, msg);
}

/* Open the target O_DIRECT, never creating it; fd or -errno with msg. */
static int open_target(const struct kmap_opts *o, char *msg, size_t len)
{
	int flags = (o->op == KDIO_OP_WRITE ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC;
	int fd = open(o->path, flags);
	int err = errno;

	if (fd >= 0)
		return fd;
	if (err == ENOENT)
		snprintf(msg, len, "%s: no such file; create it first (kdio-verify -w -f %s -s %" PRIu64 ")",
			 o->path, o->path, o->offset + o->size);
	else
		snprintf(msg, len, "%s: cannot open with O_DIRECT: %s", o->path, strerror(err));
	return -err;
}

int main(int argc, char **argv)
{
	static struct kmap_result r;	/* the histogram: 15 KiB */
	struct kmap_opts o;
	char msg[MSG_MAX];
	void *map = NULL;
	int kfd, fd, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;

	fd = open_target(&o, msg, sizeof(msg));
	if (fd < 0) {
		emit(&o, NULL, -fd, msg);
		return EXIT_ERROR;
	}
	kfd = map_kbuf(&o, &map, msg, sizeof(msg));
	if (kfd < 0) {
		emit(&o, NULL, -kfd, msg);
		close(fd);
		return EXIT_ERROR;
	}
	ret = kmap_run(&o, fd, map, &r);
	describe(&o, -ret, &r.io, msg, sizeof(msg));
	munmap(map, o.block_size);
	close(kfd);
	close(fd);
	if (emit(&o, &r, -ret, msg) || ret || r.io.bad_blocks)
		return EXIT_ERROR;
	return EXIT_OK;
}
