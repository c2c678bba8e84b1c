// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-membench: the physical limits the kdio_xfer channels are set
 * beside, measured in the same guest run, one JSON line:
 *
 *   -m memcpy   COUNT copies of SIZE bytes with memcpy(). Source and
 *               destination are buffers of max(SIZE, 64 MiB), touched
 *               before the clock starts; copy i goes from and to slot
 *               i % (buffer / SIZE), so the copies stream through 64 MiB
 *               like a channel's working set instead of staying in the
 *               cache (at 1 MiB and above every copy is a fresh slot of a
 *               buffer well beyond the last-level cache of small guests).
 *   -m syscall  COUNT getppid() calls through syscall(): the cost of
 *               entering and leaving the kernel, the floor of every
 *               channel that needs a system call per message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "msg.h"
#include "kdio/marker.h"

#define BUF_MIN		(64ULL << 20)
#define MODE_MEMCPY	0
#define MODE_SYSCALL	1

struct bench {
	int mode;			/* -1 until given */
	uint64_t size, count;
	uint64_t buf_bytes;		/* memcpy: each of the two buffers */
	uint64_t elapsed_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-membench -m memcpy|syscall [-s SIZE] -n COUNT\n"
		"  -m memcpy   COUNT copies of SIZE bytes, cycling through buffers of max(SIZE, 64m)\n"
		"  -m syscall  COUNT getppid() system calls (-s, if given, is only reported)\n"
		"  -s SIZE     memcpy: bytes per copy (k/m/g suffixes)\n"
		"  -n COUNT    copies or calls\n");
}

/* The copies, timed; 0 or -ENOMEM. */
static int bench_memcpy(struct bench *b)
{
	uint64_t slots, i, t0;
	char *src, *dst;

	b->buf_bytes = b->size > BUF_MIN ? b->size : BUF_MIN;
	slots = b->buf_bytes / b->size;
	src = aligned_alloc(4096, b->buf_bytes);
	dst = aligned_alloc(4096, b->buf_bytes);
	if (!src || !dst) {
		free(src);
		free(dst);
		return -ENOMEM;
	}
	memset(src, 0x5a, b->buf_bytes);	/* fault every page in first */
	memset(dst, 0, b->buf_bytes);
	KDIO_MARK(KDIO_MARK_START);
	t0 = now_ns();
	for (i = 0; i < b->count; i++) {
		uint64_t off = (i % slots) * b->size;

		memcpy(dst + off, src + off, b->size);
		__asm__ volatile("" : : "r"(dst) : "memory");	/* keep every copy */
	}
	b->elapsed_ns = now_ns() - t0;
	KDIO_MARK(KDIO_MARK_END);
	free(src);
	free(dst);
	return 0;
}

static int bench_syscall(struct bench *b)
{
	uint64_t i, t0;

	KDIO_MARK(KDIO_MARK_START);
	t0 = now_ns();
	for (i = 0; i < b->count; i++)
		syscall(SYS_getppid);
	b->elapsed_ns = now_ns() - t0;
	KDIO_MARK(KDIO_MARK_END);
	return 0;
}

static int emit(const struct bench *b, int err)
{
	double secs = (double)b->elapsed_ns / 1e9;
	bool copy = b->mode == MODE_MEMCPY;
	struct jsonl j;

	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-membench");
	jsonl_str(&j, "mode", copy ? "memcpy" : "syscall");
	jsonl_u64(&j, "size", b->size);
	jsonl_u64(&j, "count", b->count);
	if (copy)
		jsonl_u64(&j, "buffer_bytes", b->buf_bytes);
	if (err || !b->elapsed_ns) {
		jsonl_null(&j, "bytes");
		jsonl_null(&j, "elapsed_ns");
		jsonl_null(&j, "ops_per_s");
		jsonl_null(&j, "bytes_per_s");
	} else {
		jsonl_u64(&j, "bytes", copy ? b->size * b->count : 0);
		jsonl_u64(&j, "elapsed_ns", b->elapsed_ns);
		jsonl_u64(&j, "ops_per_s", (uint64_t)((double)b->count / secs));
		jsonl_u64(&j, "bytes_per_s",
			  copy ? (uint64_t)((double)(b->size * b->count) / secs) : 0);
	}
	json_error_fields(&j, err, err ? "no memory for the two copy buffers; lower -s" : NULL);
	return jsonl_end(&j);
}

static int parse_args(int argc, char **argv, struct bench *b)
{
	int c, bad = 0;

	*b = (struct bench){ .mode = -1 };
	while ((c = getopt(argc, argv, "m:s:n:h")) != -1) {
		switch (c) {
		case 'm':
			b->mode = !strcmp(optarg, "memcpy") ? MODE_MEMCPY :
				  !strcmp(optarg, "syscall") ? MODE_SYSCALL : -2;
			break;
		case 's': bad |= parse_size(optarg, &b->size); break;
		case 'n': bad |= parse_size(optarg, &b->count); break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (bad || optind != argc || b->mode < 0 || !b->count ||
	    (b->mode == MODE_MEMCPY && !b->size)) {
		fprintf(stderr, "kdio-membench: -m memcpy|syscall and -n COUNT are required, and for memcpy -s SIZE; SIZE and COUNT non-zero numbers\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b;
	int ret;

	ret = parse_args(argc, argv, &b);
	if (ret)
		return ret;
	ret = b.mode == MODE_MEMCPY ? bench_memcpy(&b) : bench_syscall(&b);
	if (emit(&b, -ret) || ret)
		return EXIT_ERROR;
	return EXIT_OK;
}
