// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-verify: write or check the kdio pattern in a file range with
 * O_DIRECT pwrite/pread, independently of the kernel module, so that what
 * a module wrote can be checked from userspace and what it reads prepared.
 * One JSON line per run.
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
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "kdio_uapi.h"

struct verify_opts {
	bool write;
	const char *path;
	struct pattern_io io;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-verify -w|-c -f PATH -s SIZE [-O OFFSET] [-S SEED] [-b BS]\n"
		"  -w         write the pattern (the file is created if missing), then fsync\n"
		"  -c         check the pattern; exit 1 on any difference\n"
		"  -f PATH    file or block device\n"
		"  -s SIZE    bytes to write or check (k/m/g suffixes; multiple of 512)\n"
		"  -O OFFSET  file offset (multiple of 512; default 0)\n"
		"  -S SEED    pattern seed (default 0)\n"
		"  -b BS      I/O size (multiple of 512, at most 64m; default 1m)\n");
}

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
	if (!why)
		return 0;
	fprintf(stderr, "kdio-verify: %s\n", why);
	usage(stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct verify_opts *o)
{
	const char *bad_arg = NULL;
	int c, modes = 0, bad = 0;

	memset(o, 0, sizeof(*o));
	o->io.block_size = 1 << 20;
	while ((c = getopt(argc, argv, "wcf:s:O:S:b:h")) != -1) {
		switch (c) {
		case 'w': o->write = true; modes++; break;
		case 'c': o->write = false; modes++; break;
		case 'f': o->path = optarg; break;
		case 's': bad |= parse_size(optarg, &o->io.size); break;
		case 'O': bad |= parse_size(optarg, &o->io.offset); break;
		case 'S': bad |= parse_u64(optarg, &o->io.seed); break;
		case 'b': bad |= parse_size(optarg, &o->io.block_size); break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
		if (bad && !bad_arg)
			bad_arg = optarg;
	}
	if (bad || optind != argc) {
		fprintf(stderr, "kdio-verify: %s: %s\n", bad ? bad_arg : argv[optind],
			bad ? "not a number (e.g. 4096, 64k, 1m, 2g; seeds also 0x...)" :
			      "unexpected argument");
		usage(stderr);
		return EXIT_USAGE;
	}
	return check_opts(o, modes);
}

/* The one-line message for err, saying what to do where that is known. */
static void describe(const struct verify_opts *o, int err,
		     const struct pattern_result *r, char *msg, size_t len)
{
	if (err == EINVAL)
		snprintf(msg, len, "%s: O_DIRECT I/O refused (%s); put the file on a filesystem with O_DIRECT and use its alignment",
			 o->path, strerror(err));
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
	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-verify");
	jsonl_str(&j, "mode", o->write ? "write" : "check");
	jsonl_str(&j, "path", o->path);
	jsonl_u64(&j, "size", o->io.size);
	jsonl_u64(&j, "offset", o->io.offset);
	jsonl_u64(&j, "seed", o->io.seed);
	jsonl_u64(&j, "block_size", o->io.block_size);
	jsonl_u64(&j, "bytes", r->bytes);
	if (o->write)
		jsonl_null(&j, "bad_blocks");
	else
		jsonl_u64(&j, "bad_blocks", r->bad_blocks);
	if (r->bad_blocks)
		jsonl_u64(&j, "first_bad_offset", r->first_bad_offset);
	else
		jsonl_null(&j, "first_bad_offset");
	json_error_fields(&j, err, msg[0] ? msg : NULL);
	return jsonl_end(&j);
}

int main(int argc, char **argv)
{
	struct pattern_result r = { 0 };
	struct verify_opts o;
	int flags, ret, err = 0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;

	flags = o.write ? O_WRONLY | O_CREAT : O_RDONLY;
	o.io.fd = open(o.path, flags | O_DIRECT | O_CLOEXEC, 0644);
	if (o.io.fd < 0) {
		err = errno;
	} else {
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
