// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-dio: run one in-kernel direct-I/O method through /dev/kdio_dio and
 * print the kernel's raw counters, one JSON line per ioctl.
 *
 * Before the first ioctl it checks what the kernel would otherwise only
 * answer with a bare errno: that the file exists, and that the block size
 * and offset suit the file's O_DIRECT alignment (not for the buffered
 * method, which does not use O_DIRECT).
 *
 * Each line carries the latency histogram of the run's I/O calls, as the
 * module filled it ("clat_*", see json_clat() in common.h).
 *
 * Each line also carries "delay_us", the module's test-only per-call delay
 * as /sys/module/kdio_dio/parameters/delay_us reads just before the ioctl
 * (0 in every real run), so that a slowed-down run is never taken for a
 * real one; the field is left out when the file is absent (module not
 * loaded, or one without the parameter).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "kdio_uapi.h"

/*
 * Where struct statx keeps stx_dio_offset_align. Headers older than the
 * field (Linux 6.1) have spare space there, which the kernel fills.
 */
#define STX_DIO_OFFSET_ALIGN_AT	0x9c
#ifndef STATX_DIOALIGN
#define STATX_DIOALIGN		0x2000U
#else
_Static_assert(offsetof(struct statx, stx_dio_offset_align) ==
	       STX_DIO_OFFSET_ALIGN_AT, "struct statx layout");
#endif

static const char *const method_names[KDIO_DIO_NR_METHODS] = {
	[KDIO_DIO_NULL]		= "null",
	[KDIO_DIO_VMMAP]	= "vmmap",
	[KDIO_DIO_BVEC]		= "bvec",
	[KDIO_DIO_BVEC_ASYNC]	= "bvec-async",
	[KDIO_DIO_BUFFERED]	= "buffered",
	[KDIO_DIO_KVEC_KMALLOC]	= "kvec-kmalloc",
	[KDIO_DIO_KVEC_VMALLOC]	= "kvec-vmalloc",
};

/* The kdio_dio module's test-only delay per I/O call (dio_main.c). */
#define DELAY_PARAM	"/sys/module/kdio_dio/parameters/delay_us"

#define METHOD_LIST	"null|vmmap|bvec|bvec-async|buffered|kvec-kmalloc|kvec-vmalloc"

/* kmalloc()'s largest piece on x86-64, the kvec-kmalloc block limit. */
#define KMALLOC_MAX_X86_64	(4ULL << 20)

struct dio_opts {
	int method;			/* -1 until given */
	int op;				/* -1 until given */
	const char *path;
	const char *device;
	uint64_t block_size, size, offset, seed, count, queue_depth;
	bool verify;
};

/* The O_DIRECT offset alignment of the target, and who said so. */
struct dio_align {
	uint32_t align;			/* 0: not known (not a file/bdev) */
	const char *source;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-dio -m METHOD -o write|read -f PATH -b BS -s SIZE\n"
		"                [-q QD] [-O OFFSET] [-S SEED] [-V] [-n COUNT] [-D DEVICE]\n"
		"  -m METHOD  how the kernel moves the data:\n"
		"             " METHOD_LIST "\n"
		"  -o OP      write the pattern, or read\n"
		"  -f PATH    existing file or block device (kdio-verify -w creates one)\n"
		"  -b BS      bytes per I/O call (k/m/g suffixes; multiple of 512, at most 64m)\n"
		"  -s SIZE    bytes per run (multiple of BS; bvec-async: at most 256m)\n"
		"  -q QD      requests in flight, 1 to 256 (above 1: bvec-async only; default 1)\n"
		"  -O OFFSET  file offset (default 0)\n"
		"  -S SEED    pattern seed (default 0)\n"
		"  -V         with -o read: check every block against the pattern\n"
		"  -n COUNT   runs, one JSON line each (default 1)\n"
		"  -D DEVICE  default " KDIO_DIO_DEVICE "\n");
}

static const struct tool tool = {
	.name		= "kdio-dio",
	.numbers	= "4096, 64k, 1m, 2g",
	.usage		= usage,
	.abi		= true,
};

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct dio_opts *o)
{
	const char *why = NULL;

	if (o->method == -2)
		why = "-m must be one of " METHOD_LIST;
	else if (o->op == -2)
		why = "-o must be write or read";
	else if (o->method < 0 || o->op < 0 || !o->path || !o->block_size || !o->size)
		why = "-m, -o, -f, -b and -s are required, -b and -s non-zero";
	else if (o->verify && o->op != KDIO_OP_READ)
		why = "-V only applies to -o read";
	else if (strlen(o->path) >= KDIO_PATH_MAX)
		why = "-f PATH must be shorter than 256 bytes";
	else if (!o->count)
		why = "-n COUNT must be at least 1";
	else if (!o->queue_depth || o->queue_depth > KDIO_MAX_QD)
		why = "-q QD must be 1 to 256";
	else if (o->queue_depth > 1 && o->method != KDIO_DIO_BVEC_ASYNC)
		why = "-q QD above 1 needs -m bvec-async; the other methods are synchronous";
	else if (o->method == KDIO_DIO_BVEC_ASYNC && o->size > KDIO_ASYNC_MAX_TOTAL)
		why = "-s SIZE must be at most 256m with -m bvec-async, which holds the whole run in kernel pages; lower -s";
	return why ? usage_error(&tool, why) : 0;
}

static int parse_args(int argc, char **argv, struct dio_opts *o)
{
	const char *bad = NULL;
	int c, ret;

	*o = (struct dio_opts){ .method = -1, .op = -1, .count = 1,
				.queue_depth = 1, .device = KDIO_DIO_DEVICE };
	while ((c = getopt(argc, argv, "m:o:f:b:s:q:O:S:Vn:D:h")) != -1) {
		switch (c) {
		case 'm': o->method = opt_lookup(method_names, KDIO_DIO_NR_METHODS, optarg); break;
		case 'o': o->op = opt_lookup(op_names, 2, optarg); break;
		case 'f': o->path = optarg; break;
		case 'b': opt_size(&bad, optarg, &o->block_size); break;
		case 's': opt_size(&bad, optarg, &o->size); break;
		case 'q': opt_u64(&bad, optarg, &o->queue_depth); break;
		case 'O': opt_size(&bad, optarg, &o->offset); break;
		case 'S': opt_u64(&bad, optarg, &o->seed); break;
		case 'V': o->verify = true; break;
		case 'n': opt_u64(&bad, optarg, &o->count); break;
		case 'D': o->device = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, bad, argv + optind);
	return ret ? ret : check_opts(o);
}

static uint32_t stx_dio_offset_align(const struct statx *stx)
{
	uint32_t v;

	memcpy(&v, (const char *)stx + STX_DIO_OFFSET_ALIGN_AT, sizeof(v));
	return v;
}

/*
 * A block device's logical block size, for kernels whose statx does not
 * report STATX_DIOALIGN for block devices; 0 or -errno.
 */
static int blkdev_align(const char *path, struct dio_align *a)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ssz = 0, err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKSSZGET, &ssz))
		err = errno;
	close(fd);
	if (err)
		return -err;
	if (ssz <= 0)
		return -EINVAL;
	a->align = (uint32_t)ssz;
	a->source = "ioctl BLKSSZGET: the logical block size, as statx gave no STATX_DIOALIGN";
	return 0;
}

/* statx of the target; 0 or -errno with msg (a missing file says what to do). */
static int stat_target(const struct dio_opts *o, struct statx *stx,
		       char *msg, size_t len)
{
	const char *path = o->path;
	int err;

	if (!statx(AT_FDCWD, path, 0, STATX_TYPE | STATX_DIOALIGN, stx))
		return 0;
	err = errno;
	if (err == ENOENT)
		snprintf(msg, len, "%s: no such file; create it first (kdio-verify -w -f %s -s %" PRIu64 ")",
			 path, path, o->offset + o->size);
	else
		snprintf(msg, len, "%s: %s", path, strerror(err));
	return -err;
}

/*
 * The O_DIRECT alignment of a block device: statx if it reports one,
 * else the logical block size, else the kdio minimum, saying which.
 */
static void find_blkdev_align(const struct dio_opts *o, const struct statx *stx,
			      struct dio_align *a)
{
	if ((stx->stx_mask & STATX_DIOALIGN) && stx_dio_offset_align(stx)) {
		a->align = stx_dio_offset_align(stx);
		a->source = "statx(STATX_DIOALIGN)";
	} else if (blkdev_align(o->path, a)) {
		a->align = KDIO_MIN_ALIGN;
		a->source = "the kdio minimum: neither statx nor BLKSSZGET gave an alignment";
	}
}

/*
 * The O_DIRECT alignment of a regular file. Only a filesystem that answers
 * STATX_DIOALIGN with 0 is known not to support O_DIRECT; one that does not
 * answer gets the kdio minimum, and the kernel has the last word.
 */
static int find_file_align(const struct dio_opts *o, const struct statx *stx,
			   struct dio_align *a, char *msg, size_t len)
{
	if (!(stx->stx_mask & STATX_DIOALIGN)) {
		a->align = KDIO_MIN_ALIGN;
		a->source = "the kdio minimum: statx gave no STATX_DIOALIGN";
		return 0;
	}
	a->align = stx_dio_offset_align(stx);
	a->source = "statx(STATX_DIOALIGN)";
	if (a->align)
		return 0;
	snprintf(msg, len, "%s: the filesystem reports no O_DIRECT support (statx(STATX_DIOALIGN) gives offset alignment 0); use a file on a filesystem with O_DIRECT, or -m buffered",
		 o->path);
	return -EINVAL;
}

/*
 * Find the O_DIRECT alignment of the target; 0 or -errno with msg. The
 * buffered method needs none: only that the file exists.
 */
static int find_align(const struct dio_opts *o, struct dio_align *a,
		      char *msg, size_t len)
{
	struct statx stx;
	int ret;

	*a = (struct dio_align){ 0 };
	ret = stat_target(o, &stx, msg, len);
	if (ret || o->method == KDIO_DIO_BUFFERED)
		return ret;
	if (S_ISBLK(stx.stx_mode)) {
		find_blkdev_align(o, &stx, a);
		return 0;
	}
	if (S_ISREG(stx.stx_mode))
		return find_file_align(o, &stx, a, msg, len);
	return 0;	/* the module answers with its own errno */
}

/*
 * The file exists and BS and OFFSET suit its alignment; 0 or -errno. The
 * buffered method has no O_DIRECT alignment, but the kdio ABI's minimum.
 */
static int preflight(const struct dio_opts *o, struct dio_align *a,
		     char *msg, size_t len)
{
	uint32_t align = KDIO_MIN_ALIGN;
	const char *what = NULL, *source = "the kdio ABI minimum, KDIO_MIN_ALIGN";
	uint64_t val = 0;
	int ret;

	ret = find_align(o, a, msg, len);
	if (ret)
		return ret;
	if (a->align) {
		align = a->align;
		source = a->source;
	} else if (o->method != KDIO_DIO_BUFFERED) {
		return 0;	/* not a file or device: the module answers */
	}
	if (o->block_size % align) {
		what = "block size";
		val = o->block_size;
	} else if (o->offset % align) {
		what = "offset";
		val = o->offset;
	}
	if (!what)
		return 0;
	snprintf(msg, len, "%s %" PRIu64 " is not a multiple of %" PRIu32 ", the alignment for %s (from %s); use a multiple of %" PRIu32,
		 what, val, align, o->path, source, align);
	return -EINVAL;
}

/*
 * The message for an errno that means something particular for the
 * method; false if it does not.
 */
static bool describe_method(const struct dio_opts *o, int err, char *msg,
			    size_t len)
{
	bool kvec = o->method == KDIO_DIO_KVEC_KMALLOC ||
		    o->method == KDIO_DIO_KVEC_VMALLOC;

	if (kvec && err == EFAULT)
		snprintf(msg, len, "%s %s of %s failed with EFAULT: this kernel's direct-I/O path cannot take pages from an ITER_KVEC iterator (kernel memory given to kernel_write/kernel_read on an O_DIRECT file); that is the result, use -m bvec for I/O from kernel pages",
			 method_names[o->method], op_names[o->op], o->path);
	else if (o->method == KDIO_DIO_KVEC_KMALLOC && err == EINVAL &&
		 o->block_size > KMALLOC_MAX_X86_64)
		snprintf(msg, len, "block size %" PRIu64 " is more than one kmalloc() gives (KMALLOC_MAX_SIZE, 4m on x86-64); use -b 4m or less, or -m kvec-vmalloc",
			 o->block_size);
	else if (o->method == KDIO_DIO_BVEC_ASYNC && err == ENOMEM)
		snprintf(msg, len, "the kernel could not allocate %" PRIu64 " bytes of pages for the whole run, which bvec-async fills before it starts; lower -s",
			 o->size);
	else
		return false;
	return true;
}

/* The one-line message for a failed or mismatching ioctl. */
static void describe(const struct dio_opts *o, const struct kdio_dio_req *req,
		     int err, char *msg, size_t len)
{
	if (describe_method(o, err, msg, len))
		return;
	switch (err) {
	case 0:
		if (!req->bad_blocks) {
			msg[0] = '\0';
			break;
		}
		snprintf(msg, len, "%" PRIu64 " block(s) read differ from the pattern for seed %" PRIu64 ", first at offset %" PRIu64 "; check the seed and offset the file was written with",
			 (uint64_t)req->bad_blocks, o->seed, (uint64_t)req->first_bad_offset);
		break;
	case ENODATA:
		snprintf(msg, len, "%s ends before offset %" PRIu64 " + %" PRIu64 "; write the range first (kdio-verify -w or -o write)",
			 o->path, o->offset, o->size);
		break;
	case EPROTO:
	case ENOTTY:
		snprintf(msg, len, "%s does not speak this tool's kdio ABI %d (%s); load the kdio_dio module built from the same tree",
			 o->device, KDIO_ABI_VERSION, strerror(err));
		break;
	case EPERM:
		snprintf(msg, len, "the module needs CAP_SYS_ADMIN; run as root");
		break;
	default:
		snprintf(msg, len, "%s %s of %s failed after %" PRIu64 " bytes: %s",
			 method_names[o->method], op_names[o->op], o->path,
			 (uint64_t)req->bytes_done, strerror(err));
	}
}

/*
 * The module's delay_us parameter into *out; false if the file is absent
 * or does not hold a number.
 */
static bool read_delay_us(uint64_t *out)
{
	char buf[32];
	size_t n;
	FILE *f;

	f = fopen(DELAY_PARAM, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return !parse_u64(buf, out);
}

/*
 * One JSON line; req is NULL when no ioctl was made, delay_us NULL when
 * the module does not say.
 */
static int emit(const struct dio_opts *o, uint64_t iteration,
		const struct dio_align *a, const struct kdio_dio_req *req,
		const uint64_t *delay_us, int err, const char *msg)
{
	struct io_counts c = { 0 };
	struct jsonl j;

	if (req)
		c = (struct io_counts){
			.bytes			= req->bytes_done,
			.elapsed_ns		= req->elapsed_ns,
			.calls			= req->calls,
			.bad_blocks		= req->bad_blocks,
			.first_bad_offset	= req->first_bad_offset,
		};
	json_record_begin(&j, &tool);
	jsonl_str(&j, "method", method_names[o->method]);
	json_io_range(&j, o->op, o->path, o->block_size, o->size, o->offset);
	jsonl_u64(&j, "queue_depth", o->queue_depth);
	jsonl_u64(&j, "seed", o->seed);
	jsonl_bool(&j, "verify", o->verify);
	jsonl_u64(&j, "iteration", iteration);
	if (delay_us)
		jsonl_u64(&j, "delay_us", *delay_us);
	json_io_counts(&j, req ? &c : NULL);
	json_clat(&j, req ? &req->clat : NULL);
	json_u64_or_null(&j, "dio_align", a->align, a->align);
	jsonl_str(&j, "dio_align_source", a->align ? a->source : NULL);
	return json_record_end(&j, err, msg);
}

/*
 * One ioctl and its line: 0 if it moved everything intact, 1 if blocks
 * differ, -1 if it failed.
 */
static int run_once(int fd, const struct dio_opts *o, const struct dio_align *a,
		    uint64_t iteration)
{
	struct kdio_dio_req req = {
		.abi_version	= KDIO_ABI_VERSION,
		.struct_size	= sizeof(req),
		.method		= (__u32)o->method,
		.op		= (__u32)o->op,
		.block_size	= o->block_size,
		.total_bytes	= o->size,
		.offset		= o->offset,
		.seed		= o->seed,
		.flags		= o->verify ? KDIO_F_VERIFY : 0,
		.queue_depth	= (__u32)o->queue_depth,
	};
	char msg[MSG_MAX];
	uint64_t delay_us;
	bool have_delay;
	int err = 0;

	strcpy(req.path, o->path);	/* length checked in check_opts() */
	have_delay = read_delay_us(&delay_us);
	if (ioctl(fd, KDIO_IOC_DIO_RUN, &req))
		err = errno;
	describe(o, &req, err, msg, sizeof(msg));
	if (emit(o, iteration, a, &req, have_delay ? &delay_us : NULL, err, msg) || err)
		return -1;
	return req.bad_blocks ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct dio_align a;
	struct dio_opts o;
	char msg[MSG_MAX];
	bool failed = false;
	uint64_t i;
	int fd, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;

	ret = preflight(&o, &a, msg, sizeof(msg));
	if (ret) {
		emit(&o, 0, &a, NULL, NULL, -ret, msg);
		return EXIT_ERROR;
	}
	fd = open_device(o.device, msg, sizeof(msg));
	if (fd < 0) {
		emit(&o, 0, &a, NULL, NULL, -fd, msg);
		return EXIT_ERROR;
	}
	/* An ioctl that fails would fail again: stop there. */
	for (i = 0; i < o.count && ret >= 0; i++) {
		ret = run_once(fd, &o, &a, i);
		failed |= ret != 0;
	}
	close(fd);
	return failed ? EXIT_ERROR : EXIT_OK;
}
