// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-verify: write or check the kdio pattern in a file range with
 * O_DIRECT pwrite/pread, independently of the kernel module, so that what
 * a module wrote can be checked from userspace and what it reads prepared.
 * One JSON line per run.
 *
 * PATH may be a regular file, created by -w if missing, or a block device,
 * never created: a missing path under /dev is an error (a driver not
 * loaded), not a new file there. The range must fit in the device.
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
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "common.h"
#include "jsonl.h"
#include "kdio/dio.h"

struct verify_opts {
	bool write;
	const char *path;
	struct pattern_io io;
	bool blkdev;			/* PATH is a block device */
	uint64_t dev_size;		/* its size in bytes */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-verify -w|-c -f PATH -s SIZE [-O OFFSET] [-S SEED] [-b BS]\n"
		"  -w         write the pattern (the file is created if missing), then fsync\n"
		"  -c         check the pattern; exit 1 on any difference\n"
		"  -f PATH    file (created by -w if missing) or block device (never created)\n"
		"  -s SIZE    bytes to write or check (k/m/g suffixes; multiple of 512)\n"
		"  -O OFFSET  file offset (multiple of 512; default 0)\n"
		"  -S SEED    pattern seed (default 0)\n"
		"  -b BS      I/O size (multiple of 512, at most 64m; default 1m)\n");
}

static const struct tool tool = {
	.name		= "kdio-verify",
	.numbers	= "4096, 64k, 1m, 2g",
	.usage		= usage,
	.abi		= 0,
};

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct verify_opts *o, int modes)
{
	const char *why = NULL;

	if (modes != 1)
		why = "give exactly one of -w and -c";
	else if (!o->path)
		why = "-f PATH is required";
	else if (!o->io.size || o->io.size % KDIO_MIN_ALIGN)
		why = "-s SIZE must be a non-zero multiple of 512";
	else if (o->io.offset % KDIO_MIN_ALIGN)
		why = "-O OFFSET must be a multiple of 512";
	else if (!o->io.block_size || o->io.block_size % KDIO_MIN_ALIGN ||
		 o->io.block_size > KDIO_MAX_BLOCK)
		why = "-b BS must be a non-zero multiple of 512, at most 64m";
	return why ? usage_error(&tool, why) : 0;
}

static int parse_args(int argc, char **argv, struct verify_opts *o)
{
	const char *bad = NULL;
	int c, ret, modes = 0;

	memset(o, 0, sizeof(*o));
	o->io.block_size = 1 << 20;
	while ((c = getopt(argc, argv, "wcf:s:O:S:b:h")) != -1) {
		switch (c) {
		case 'w': o->write = true; modes++; break;
		case 'c': o->write = false; modes++; break;
		case 'f': o->path = optarg; break;
		case 's': opt_size(&bad, optarg, &o->io.size); break;
		case 'O': opt_size(&bad, optarg, &o->io.offset); break;
		case 'S': opt_u64(&bad, optarg, &o->io.seed); break;
		case 'b': opt_size(&bad, optarg, &o->io.block_size); break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, bad, argv + optind);
	return ret ? ret : check_opts(o, modes);
}

/* Device nodes live there; a regular file is never created there. */
static bool under_dev(const char *path)
{
	return !strncmp(path, "/dev/", 5);
}

/* The one-line message for err, saying what to do where that is known. */
static void describe(const struct verify_opts *o, int err,
		     const struct pattern_result *r, char *msg, size_t len)
{
	if (err == EINVAL && o->blkdev)
		snprintf(msg, len, "%s: O_DIRECT I/O refused (%s); use -b, -O and -s multiples of the device's logical block size",
			 o->path, strerror(err));
	else if (err == EINVAL)
		snprintf(msg, len, "%s: O_DIRECT I/O refused (%s); put the file on a filesystem with O_DIRECT and use its alignment",
			 o->path, strerror(err));
	else if (err == ENOSPC && o->blkdev)
		snprintf(msg, len, "%s: the device has %" PRIu64 " bytes, fewer than offset %" PRIu64 " + %" PRIu64 "; lower -O or -s",
			 o->path, o->dev_size, o->io.offset, o->io.size);
	else if (err == ENOENT && o->write && under_dev(o->path))
		snprintf(msg, len, "%s: no such block device; load its driver (brd for /dev/ram*) or give a path outside /dev",
			 o->path);
	else if (err == ENOENT && !o->write)
		snprintf(msg, len, "%s: no such file; write it first (kdio-verify -w -f %s -s %" PRIu64 ")",
			 o->path, o->path, o->io.offset + o->io.size);
	else if (err == ENODATA)
		snprintf(msg, len, "%s: ends before offset %" PRIu64 " + %" PRIu64 "; write the range first (kdio-verify -w)",
			 o->path, o->io.offset, o->io.size);
	else if (err)
		snprintf(msg, len, "%s: %s", o->path, strerror(err));
	else if (r->bad_blocks)
		snprintf(msg, len, "%s: %" PRIu64 " block(s) differ from the pattern for seed %" PRIu64 ", first at offset %" PRIu64 "; check the seed, offset and what wrote the file",
			 o->path, r->bad_blocks, o->io.seed, r->first_bad_offset);
	else
		msg[0] = '\0';
}

static int emit(const struct verify_opts *o, int err,
		const struct pattern_result *r)
{
	char msg[MSG_MAX];
	struct jsonl j;

	describe(o, err, r, msg, sizeof(msg));
	json_record_begin(&j, &tool);
	jsonl_str(&j, "mode", o->write ? "write" : "check");
	jsonl_str(&j, "path", o->path);
	jsonl_u64(&j, "size", o->io.size);
	jsonl_u64(&j, "offset", o->io.offset);
	jsonl_u64(&j, "seed", o->io.seed);
	jsonl_u64(&j, "block_size", o->io.block_size);
	jsonl_u64(&j, "bytes", r->bytes);
	json_u64_or_null(&j, "bad_blocks", !o->write, r->bad_blocks);
	json_u64_or_null(&j, "first_bad_offset", r->bad_blocks, r->first_bad_offset);
	return json_record_end(&j, err, msg);
}

/*
 * Open PATH with O_DIRECT: a block device as it is, after checking the
 * range fits; a regular file created for -w, but never under /dev.
 * Returns 0 or an errno.
 */
static int open_target(struct verify_opts *o)
{
	int flags = (o->write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC;
	struct stat st;
	int err;

	if (stat(o->path, &st) == 0 && S_ISBLK(st.st_mode))
		o->blkdev = true;
	else if (o->write && !under_dev(o->path))
		flags |= O_CREAT;
	o->io.fd = open(o->path, flags, 0644);
	if (o->io.fd < 0)
		return errno;
	if (!o->blkdev)
		return 0;
	if (ioctl(o->io.fd, BLKGETSIZE64, &o->dev_size))
		err = errno;
	else if (o->io.offset > o->dev_size || o->io.size > o->dev_size - o->io.offset)
		err = ENOSPC;
	else
		return 0;
	close(o->io.fd);
	return err;
}

int main(int argc, char **argv)
{
	struct pattern_result r = { 0 };
	struct verify_opts o;
	int ret, err;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;

	err = open_target(&o);
	if (!err) {
		ret = o.write ? pattern_file_write(&o.io, &r) :
				pattern_file_check(&o.io, &r);
		err = -ret;
		if (close(o.io.fd) && !err)
			err = errno;
	}
	if (emit(&o, err, &r))
		return EXIT_ERROR;
	return err || r.bad_blocks ? EXIT_ERROR : EXIT_OK;
}
