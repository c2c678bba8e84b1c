// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-dio: run one in-kernel direct-I/O method through /dev/kdio_dio and
 * print the kernel's raw counters, one JSON line per ioctl.
 *
 * Before the first ioctl it checks what the kernel would otherwise only
 * answer with a bare errno, and refuses it in one message that names the
 * input, says what is wrong and what to do: every option by name and
 * value (exit 2: a number that is not one, a block size of 0 or above
 * KDIO_MAX_BLOCK, a size that is 0 or not a multiple of it, an offset and
 * size past 2^63 - 1, ...; the limits come from the options table, which
 * usage() is written from too); then the target (exit 1, one JSON line): that it exists,
 * is a regular file or a block device, not on a pseudo file system such
 * as proc, opens as the module will open it (O_DIRECT but for the
 * buffered method: a file system without it, a read-only one), that the
 * block size and offset suit its O_DIRECT alignment, and that a read (on
 * a device, any I/O) ends inside it. What the module answers is told as
 * a sentence too.
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
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "kdio/dio.h"
#include "preflight.h"

#define METHOD_NAME(value, ops, name)	[KDIO_DIO_##value] = name,

/* The names -m takes, from the one list of methods (kdio/dio.h). */
static const char *const method_names[KDIO_DIO_NR_METHODS] = {
	KDIO_DIO_METHODS(METHOD_NAME)
};

/* The kdio_dio module's test-only delay per I/O call (dio_main.c). */
#define DELAY_PARAM	"/sys/module/kdio_dio/parameters/delay_us"

/* The method names joined with '|', for usage() and the messages. */
static char method_list[256];

/* kmalloc()'s largest piece on x86-64, the kvec-kmalloc block limit. */
#define KMALLOC_MAX_X86_64	(4ULL << 20)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* How an option's value reads. */
enum opt_kind { OPT_FLAG, OPT_TEXT, OPT_SIZE, OPT_NUMBER };

/*
 * kdio-dio's options, in usage order. From this table come the getopt
 * string, the option lines of usage() and the limits the checks below
 * refuse with, in the same words: a limit is written once, as the uAPI
 * constant. help is a format whose one %s, if any, is the option's
 * detail (option_detail(): the method list, or the limit).
 */
struct dio_option {
	char letter;
	const char *arg;	/* its value's name in usage; NULL: a flag */
	enum opt_kind kind;
	uint64_t min, max;	/* a number's range; max 0: no limit of kdio's */
	const char *help;	/* NULL: not in usage (-h) */
};

static const struct dio_option options[] = {
	{ 'm', "METHOD", OPT_TEXT, 0, 0, "how the kernel moves the data:\n             %s" },
	{ 'o', "OP", OPT_TEXT, 0, 0, "write the pattern, or read" },
	{ 'f', "PATH", OPT_TEXT, 0, 0, "existing file or block device (kdio-verify -w creates one)" },
	{ 'b', "BS", OPT_SIZE, 1, KDIO_MAX_BLOCK,
	  "bytes per I/O call (k/m/g suffixes; multiple of 512, at most %s)" },
	/* -s's limit is bvec-async's alone: it holds the whole run in kernel pages */
	{ 's', "SIZE", OPT_SIZE, 1, KDIO_ASYNC_MAX_TOTAL,
	  "bytes per run (multiple of BS; bvec-async: at most %s)" },
	{ 'q', "QD", OPT_NUMBER, 1, KDIO_MAX_QD,
	  "requests in flight, %s (above 1: bvec-async only; default 1)" },
	{ 'O', "OFFSET", OPT_SIZE, 0, 0, "file offset (default 0)" },
	{ 'S', "SEED", OPT_NUMBER, 0, 0, "pattern seed (default 0)" },
	{ 'V', NULL, OPT_FLAG, 0, 0, "with -o read: check every block against the pattern" },
	{ 'n', "COUNT", OPT_NUMBER, 1, 0, "runs, one JSON line each (default 1)" },
	{ 'D', "DEVICE", OPT_TEXT, 0, 0, "default " KDIO_DIO_DEVICE },
	{ 'L', NULL, OPT_FLAG, 0, 0, "list the methods, one per line" },
	{ 'h', NULL, OPT_FLAG, 0, 0, NULL },
};

static const struct dio_option *option(char letter)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(options); i++)
		if (options[i].letter == letter)
			return &options[i];
	return NULL;
}

/* A size as the options take it: 64m for 64 MiB, 4096 for 4096. */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	static const char unit[] = "gmk";
	int shift;

	for (shift = 30; shift >= 10; shift -= 10)
		if (v && !(v & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift, unit[(30 - shift) / 10]);
			return buf;
		}
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* An option's limit as usage and the messages say it: "64m", "1 to 256". */
static const char *limit_text(const struct dio_option *opt, char *buf, size_t len)
{
	if (opt->kind == OPT_SIZE)
		return size_text(opt->max, buf, len);
	snprintf(buf, len, "%" PRIu64 " to %" PRIu64, opt->min, opt->max);
	return buf;
}

/* What fills an option's help: the method list, or its limit. */
static const char *option_detail(const struct dio_option *opt, char *buf, size_t len)
{
	if (opt->letter == 'm')
		return method_list;
	return opt->max ? limit_text(opt, buf, len) : "";
}

/* getopt's string, from the table. */
static const char *optstring(void)
{
	static char s[2 * ARRAY_SIZE(options) + 1];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(options); i++) {
		s[n++] = options[i].letter;
		if (options[i].arg)
			s[n++] = ':';
	}
	s[n] = '\0';
	return s;
}

static void usage(FILE *out)
{
	char name[32], detail[32], line[MSG_MAX];
	size_t i;

	fprintf(out,
		"usage: kdio-dio -m METHOD -o write|read -f PATH -b BS -s SIZE\n"
		"                [-q QD] [-O OFFSET] [-S SEED] [-V] [-n COUNT] [-D DEVICE]\n"
		"       kdio-dio -L\n");
	for (i = 0; i < ARRAY_SIZE(options); i++) {
		const struct dio_option *opt = &options[i];

		if (!opt->help)
			continue;
		snprintf(name, sizeof(name), "-%c%s%s", opt->letter, opt->arg ? " " : "",
			 opt->arg ? opt->arg : "");
		snprintf(line, sizeof(line), opt->help,
			 option_detail(opt, detail, sizeof(detail)));
		fprintf(out, "  %-11s%s\n", name, line);
	}
}

static const struct tool tool = {
	.name		= "kdio-dio",
	.numbers	= "4096, 64k, 1m, 2g",
	.usage		= usage,
	.abi		= KDIO_DIO_ABI_VERSION,
};

/* Why arg is not a number (size: with a k/m/g suffix), for the message. */
static const char *number_problem(const char *arg, bool size)
{
	const char *s = arg;
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-')
		return "is negative";
	if (!isdigit((unsigned char)*s))
		return "is not a number";
	errno = 0;
	strtoull(s, &end, size ? 10 : 0);
	if (errno == ERANGE)
		return "is too large (at most 2^64 - 1)";
	if (!size || (*end && (!strchr("kKmMgG", *end) || end[1])))
		return "is not a number (an unknown suffix)";
	return "is too large (at most 2^64 - 1 bytes)";
}

/* A number option's value into *out; the first bad one is kept in o. */
static void opt_number(struct dio_opts *o, int opt, const char *arg, uint64_t *out, bool size)
{
	if (!(size ? parse_size(arg, out) : parse_u64(arg, out)) || o->bad_arg)
		return;
	o->bad_opt = opt;
	o->bad_arg = arg;
	o->bad_why = number_problem(arg, size);
}

/* What is wrong with a number, with an example of a good one. */
static int number_error(const struct dio_opts *o)
{
	bool size = strchr("bsO", o->bad_opt);
	char why[MSG_MAX];

	snprintf(why, sizeof(why), "-%c %s %s; give a whole number%s, e.g. %s",
		 o->bad_opt, o->bad_arg, o->bad_why,
		 size ? " of bytes (k, m, g: KiB, MiB, GiB)" : "",
		 size ? tool.numbers : "1, 16 or 0x10");
	return usage_error(&tool, why);
}

/* The first option that is required and missing, NULL if none is. */
static const char *missing_opt(const struct dio_opts *o)
{
	static char no_method[MSG_MAX];

	if (o->method == -1) {
		snprintf(no_method, sizeof(no_method),
			 "-m METHOD is required; give one of %s", method_list);
		return no_method;
	}
	if (o->op == -1)
		return "-o OP is required; give write or read";
	if (!o->path)
		return "-f PATH is required; give an existing file or block device";
	if (!o->bs_arg)
		return "-b BS is required; give the bytes per I/O call, e.g. 64k";
	if (!o->size_arg)
		return "-s SIZE is required; give the bytes per run, e.g. 1m";
	return NULL;
}

/* Block size, size and offset against each other and kdio's limits. */
static int check_range(const struct dio_opts *o, char *why, size_t len)
{
	uint64_t lower = o->block_size ? o->size / o->block_size * o->block_size : 0;
	char buf[32];
	const char *max = limit_text(option('b'), buf, sizeof(buf));

	if (o->block_size < option('b')->min)
		snprintf(why, len, "-b %s: an I/O call must move at least one byte; give e.g. 4096 or 64k",
			 o->bs_arg);
	else if (o->block_size > option('b')->max)
		snprintf(why, len, "-b %s is above %s, the most one I/O call may move (KDIO_MAX_BLOCK); use %s or less",
			 o->bs_arg, max, max);
	else if (o->size < option('s')->min)
		snprintf(why, len, "-s %s: a run must move at least one block; give a multiple of -b %s",
			 o->size_arg, o->bs_arg);
	else if (o->size % o->block_size)
		snprintf(why, len, "-s %s is not a multiple of -b %s; use a multiple of %" PRIu64 ", e.g. %" PRIu64,
			 o->size_arg, o->bs_arg, o->block_size, lower ? lower : o->block_size);
	else if (o->size > (uint64_t)INT64_MAX || o->offset > (uint64_t)INT64_MAX - o->size)
		snprintf(why, len, "-O %s with -s %s ends past 2^63 - 1, the largest file offset; lower -O or -s",
			 o->offset_arg ? o->offset_arg : "0", o->size_arg);
	else
		return 0;
	return -EINVAL;
}

/* The method and queue depth: what each method can take. */
static const char *check_method(const struct dio_opts *o)
{
	static char why[MSG_MAX];
	char buf[32];

	if (o->verify && o->op != KDIO_OP_READ)
		return "-V checks what a read brings back; drop it, or use -o read";
	if (strlen(o->path) >= KDIO_PATH_MAX)
		return "-f PATH must be shorter than 256 bytes, the kdio path limit; use a shorter path (a symlink will do)";
	if (o->count < option('n')->min)
		return "-n 0: there must be at least one run; use -n 1 or more";
	if (o->queue_depth < option('q')->min || o->queue_depth > option('q')->max) {
		snprintf(why, sizeof(why), "-q QD must be %s",
			 limit_text(option('q'), buf, sizeof(buf)));
		return why;
	}
	if (o->queue_depth > 1 && o->method != KDIO_DIO_BVEC_ASYNC)
		return "-q QD above 1 needs -m bvec-async; the other methods are synchronous";
	if (o->method == KDIO_DIO_BVEC_ASYNC && o->size > option('s')->max) {
		snprintf(why, sizeof(why), "-s SIZE must be at most %s with -m bvec-async, which holds the whole run in kernel pages; lower -s",
			 limit_text(option('s'), buf, sizeof(buf)));
		return why;
	}
	return NULL;
}

/* 0, or EXIT_USAGE after saying which option is wrong, how, and what to do. */
static int check_opts(const struct dio_opts *o)
{
	char why[MSG_MAX];
	const char *fixed;

	if (o->bad_arg)
		return number_error(o);
	if (o->method == -2)
		snprintf(why, sizeof(why), "-m %s: no such method; use one of %s",
			 o->method_arg, method_list);
	else if (o->op == -2)
		snprintf(why, sizeof(why), "-o %s: no such op; use write or read", o->op_arg);
	else if ((fixed = missing_opt(o)) || (fixed = check_method(o)))
		snprintf(why, sizeof(why), "%s", fixed);
	else if (!check_range(o, why, sizeof(why)))
		return 0;
	return usage_error(&tool, why);
}

static int parse_args(int argc, char **argv, struct dio_opts *o)
{
	int c, ret;

	*o = (struct dio_opts){ .method = -1, .op = -1, .count = 1,
				.queue_depth = 1, .device = KDIO_DIO_DEVICE };
	names_join(method_names, KDIO_DIO_NR_METHODS, method_list, sizeof(method_list));
	while ((c = getopt(argc, argv, optstring())) != -1) {
		switch (c) {
		case 'm':
			o->method_arg = optarg;
			o->method = opt_lookup(method_names, KDIO_DIO_NR_METHODS, optarg);
			break;
		case 'o':
			o->op_arg = optarg;
			o->op = opt_lookup(op_names, 2, optarg);
			break;
		case 'f': o->path = optarg; break;
		case 'b': o->bs_arg = optarg; opt_number(o, c, optarg, &o->block_size, true); break;
		case 's': o->size_arg = optarg; opt_number(o, c, optarg, &o->size, true); break;
		case 'q': opt_number(o, c, optarg, &o->queue_depth, false); break;
		case 'O': o->offset_arg = optarg; opt_number(o, c, optarg, &o->offset, true); break;
		case 'S': opt_number(o, c, optarg, &o->seed, false); break;
		case 'V': o->verify = true; break;
		case 'n': opt_number(o, c, optarg, &o->count, false); break;
		case 'D': o->device = optarg; break;
		case 'L': names_print(method_names, KDIO_DIO_NR_METHODS); exit(EXIT_OK);
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, NULL, argv + optind);
	return ret ? ret : check_opts(o);
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

/* What an errno of the module's run means, and what to do about it. */
static const struct {
	int err;
	const char *what, *todo;
} run_errors[] = {
	{ EINVAL, "the module refused the request", "the tool's own checks passed it, so the module may be from another kdio tree; load the kdio_dio module built with this tool" },
	{ ENOENT, "the file is gone", "it went away after the tool looked at it; create it again" },
	{ EISDIR, "the path is now a directory", "give a regular file or a block device" },
	{ ENOSPC, "the file system or device is full", "free some space, or lower -s" },
	{ EFBIG, "the file would grow past the largest size its file system allows", "lower -O or -s" },
	{ EROFS, "the file system is read-only", "use a file on a writable one, or -o read" },
	{ EACCES, "permission denied", "run as root, or give a file you may open" },
	{ EINTR, "a signal stopped the run", "run it again" },
	{ ENOMEM, "the kernel ran out of memory", "lower -b or -s" },
	{ EIO, "the device reported an I/O error", "look at the kernel log (dmesg) and at the device" },
	{ EFAULT, "the module could not reach its buffer", "a kdio bug: report it with this command line" },
};

/* The sentence for a failed run whose errno has no message of its own. */
static void describe_run_error(const struct dio_opts *o, const struct kdio_dio_req *req,
			       int err, char *msg, size_t len)
{
	const char *what = strerror(err), *todo = "look at the kernel log (dmesg) for why";
	size_t i;

	for (i = 0; i < sizeof(run_errors) / sizeof(run_errors[0]); i++)
		if (run_errors[i].err == err) {
			what = run_errors[i].what;
			todo = run_errors[i].todo;
		}
	snprintf(msg, len, "%s %s of %s failed after %" PRIu64 " bytes: %s (%s); %s",
		 method_names[o->method], op_names[o->op], o->path,
		 (uint64_t)req->bytes_done, what, errno_name(err), todo);
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
		snprintf(msg, len, "%s does not speak this tool's kdio ABI %d (%s); load the kdio_dio module built from the same tree, and give its device (-D, default " KDIO_DIO_DEVICE ")",
			 o->device, KDIO_DIO_ABI_VERSION, strerror(err));
		break;
	case EPERM:
		snprintf(msg, len, "the module needs CAP_SYS_ADMIN; run as root");
		break;
	default:
		describe_run_error(o, req, err, msg, len);
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
		.abi_version	= KDIO_DIO_ABI_VERSION,
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
