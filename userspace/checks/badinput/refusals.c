// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: kdio-dio's refusals. Each row runs kdio-dio (-T, else
 * the one beside this tool) with an input it must refuse, and checks that
 * it does so with the exit code, errno and one message that names the
 * input, says what is wrong and what to do (badinput_refused()). These
 * are the last rows of the table; -t runs them alone, with no module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rows.h"

/* A "@name" of a refusal row: what it stands for; NULL with why if nothing. */
static const char *resolve(const struct env *e, const char *arg, const char **why)
{
	const struct { const char *name, *value, *why; } at[] = {
		{ "@dir", e->s.dir, NULL }, { "@fifo", e->s.fifo, NULL },
		{ "@small", e->s.small, NULL }, { "@missing", e->s.missing, NULL },
		{ "@rofile", e->rofile, "no -R ROFILE given" },
		{ "@nodio", e->nodio, "no -N NODIO_FILE given" },
		{ "@bdev", e->bdev[0] ? e->bdev : NULL, e->bdev_why },
		{ "@bdev_end", e->bdev[0] ? e->bdev_end : NULL, e->bdev_why },
	};
	size_t i;

	if (arg[0] != '@')
		return arg;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (!strcmp(arg, at[i].name)) {
			*why = at[i].value ? NULL : at[i].why;
			return at[i].value;
		}
	*why = NULL;
	return NULL;
}

/*
 * The n strings of in (n: up to the first NULL) into out, "@name"s
 * resolved; false with o saying so if one stands for what was not given
 * (a skip) or is unknown (a failure).
 */
static bool resolve_all(const struct env *e, const char *const *in, size_t n, const char **out,
			struct badinput_outcome *o)
{
	const char *why;
	size_t i;

	for (i = 0; i < n && in[i]; i++) {
		out[i] = resolve(e, in[i], &why);
		if (out[i])
			continue;
		if (why)
			badinput_say(o, BADINPUT_SKIP, "%s", why);
		else
			badinput_say(o, BADINPUT_FAIL, "the row names an unknown %s", in[i]);
		return false;
	}
	return true;
}

/* kdio-dio with the row's arguments must refuse them as the row says. */
static int run_refusal(struct env *e, const struct check *c, struct badinput_outcome *o)
{
	const struct badinput_refusal *r = c->refusal;
	const size_t max = sizeof(r->argv) / sizeof(r->argv[0]);
	const char *argv[sizeof(r->argv) / sizeof(r->argv[0]) + 1] = { e->dio_tool };
	const char *says[4] = { NULL };

	if (!resolve_all(e, r->argv, max, argv + 1, o) || !resolve_all(e, r->says, 3, says, o))
		return 0;
	return badinput_refused(argv, r->exit, says, o);
}

/*
 * kdio-dio must refuse argv with errno err (0: none, a usage error) and
 * exit x, its message saying what says3 lists; "@name"s: see resolve().
 */
#define REFUSAL(n, err, x, says3, ...) \
	{ .bi = { n, err }, .run = run_refusal, \
	  .refusal = &(const struct badinput_refusal){ .exit = x, .says = says3, \
						       .argv = { __VA_ARGS__, NULL } } }
#define SAYS(input, wrong, todo)	{ input, wrong, todo }
#define READ_4K(f)	"-m", "vmmap", "-o", "read", "-f", f, "-b", "4k", "-s", "4k"

static const struct check refusal_checks[] = {
	REFUSAL("dio-fifo", EINVAL, EXIT_ERROR,
		SAYS("@fifo", "is a FIFO", "give a regular file or a block device"), READ_4K("@fifo")),
	REFUSAL("dio-char-device", EINVAL, EXIT_ERROR,
		SAYS("/dev/null", "is a character device", "give a regular file or a block device"),
		READ_4K("/dev/null")),
	REFUSAL("dio-directory", EISDIR, EXIT_ERROR,
		SAYS("@dir", "is a directory", "give a file in it"), READ_4K("@dir")),
	REFUSAL("dio-proc-file", EINVAL, EXIT_ERROR,
		SAYS("/proc/version", "is on proc", "give a file on a disk file system"),
		READ_4K("/proc/version")),
	REFUSAL("dio-proc-buffered-write", EINVAL, EXIT_ERROR,
		SAYS("/proc/version", "the kernel's own state", "give a file on a disk file system"),
		"-m", "buffered", "-o", "write", "-f", "/proc/version", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-fs-without-odirect", EINVAL, EXIT_ERROR,
		SAYS("@nodio", "does not support O_DIRECT", "or -m buffered"), READ_4K("@nodio")),
	REFUSAL("dio-missing-file", ENOENT, EXIT_ERROR,
		SAYS("@missing", "no such file", "create it first"), READ_4K("@missing")),
	REFUSAL("dio-read-past-file-end", ENODATA, EXIT_ERROR,
		SAYS("@small", "holds 8192 bytes", "write them first"), READ_4K("@small"), "-s", "16k"),
	REFUSAL("dio-read-past-device-end", ENODATA, EXIT_ERROR,
		SAYS("@bdev", "goes past its end", "lower -O or -s"), READ_4K("@bdev"),
		"-O", "@bdev_end"),
	REFUSAL("dio-write-on-read-only-fs", EROFS, EXIT_ERROR,
		SAYS("@rofile", "is on a read-only file system", "give a file on a writable one"),
		"-m", "vmmap", "-o", "write", "-f", "@rofile", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-offset-unaligned", EINVAL, EXIT_ERROR,
		SAYS("offset 100", "is not a multiple of 512", "use a multiple of 512"),
		READ_4K("@small"), "-O", "100"),
	REFUSAL("dio-not-a-kdio-device", ENOTTY, EXIT_ERROR,
		SAYS("/dev/null", "does not speak this tool's kdio ABI", "load the kdio_dio module"),
		READ_4K("@small"), "-D", "/dev/null"),
	REFUSAL("dio-size-not-multiple-of-bs", 0, EXIT_USAGE,
		SAYS("-s 10k", "is not a multiple of -b 4k", "use a multiple of 4096"),
		READ_4K("@small"), "-s", "10k"),
	REFUSAL("dio-bs-above-64m", 0, EXIT_USAGE,
		SAYS("-b 128m", "is above 64m", "use 64m or less"),
		READ_4K("@small"), "-b", "128m", "-s", "128m"),
	REFUSAL("dio-size-zero", 0, EXIT_USAGE,
		SAYS("-s 0", "must move at least one block", "give a multiple of -b"),
		READ_4K("@small"), "-s", "0"),
	REFUSAL("dio-unknown-method", 0, EXIT_USAGE,
		SAYS("-m fast", "no such method", "use one of null|vmmap"), READ_4K("@small"), "-m", "fast"),
	REFUSAL("dio-unknown-op", 0, EXIT_USAGE,
		SAYS("-o append", "no such op", "use write or read"), READ_4K("@small"), "-o", "append"),
	REFUSAL("dio-negative-number", 0, EXIT_USAGE,
		SAYS("-b -4k", "is negative", "give a whole number of bytes"),
		READ_4K("@small"), "-b", "-4k"),
	REFUSAL("dio-garbage-number", 0, EXIT_USAGE,
		SAYS("-s 1x", "is not a number", "give a whole number of bytes"),
		READ_4K("@small"), "-s", "1x"),
	REFUSAL("dio-number-too-large", 0, EXIT_USAGE,
		SAYS("-s 99999999999999999999", "is too large", "give a whole number of bytes"),
		READ_4K("@small"), "-s", "99999999999999999999"),
	REFUSAL("dio-offset-plus-size-overflows", 0, EXIT_USAGE,
		SAYS("-O 9223372036854775296", "ends past 2^63 - 1", "lower -O or -s"),
		READ_4K("@small"), "-O", "9223372036854775296"),
	REFUSAL("dio-count-zero", 0, EXIT_USAGE,
		SAYS("-n 0", "at least one run", "use -n 1 or more"), READ_4K("@small"), "-n", "0"),
	REFUSAL("dio-no-path", 0, EXIT_USAGE,
		SAYS("-f PATH", "is required", "give an existing file or block device"),
		"-m", "vmmap", "-o", "read", "-b", "4k", "-s", "4k"),
	REFUSAL("dio-qd-on-sync-method", 0, EXIT_USAGE,
		SAYS("-q QD", "needs -m bvec-async", "the other methods are synchronous"),
		READ_4K("@small"), "-q", "4"),
};

const struct badinput_rows refusal_rows = BADINPUT_ROWS(refusal_checks);

/*
 * The block device under the scratch directory and its size, for the read
 * past its end (from /sys/dev/block/MAJ:MIN/uevent); else why not.
 */
void find_scratch_bdev(struct env *e)
{
	char sys[64], line[128];
	uint64_t size = 0;
	struct stat st;
	FILE *f = NULL;
	int fd = -1;

	if (!stat(e->s.dir, &st)) {
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/uevent", major(st.st_dev),
			 minor(st.st_dev));
		f = fopen(sys, "re");
	}
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(e->bdev, sizeof(e->bdev), "/dev/%s", line + 8);
		}
	if (f)
		fclose(f);
	if (e->bdev[0])
		fd = open(e->bdev, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && !ioctl(fd, BLKGETSIZE64, &size)) {
		snprintf(e->bdev_end, sizeof(e->bdev_end), "%" PRIu64, size);
	} else {
		snprintf(e->bdev_why, sizeof(e->bdev_why), "%s is on no block device this tool may open (%s)",
			 e->s.dir, e->bdev[0] ? strerror(errno) : "none in /sys/dev/block");
		e->bdev[0] = '\0';
	}
	if (fd >= 0)
		close(fd);
}

/* The kdio-dio beside this tool, into e->dio_tool (unless -T gave one). */
void find_dio_tool(struct env *e)
{
	char self[KDIO_PATH_MAX];
	ssize_t n;

	if (e->dio_tool[0])
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (strrchr(self, '/'))
		*strrchr(self, '/') = '\0';
	snprintf(e->dio_tool, sizeof(e->dio_tool), "%.*s/kdio-dio", KDIO_PATH_MAX - 10, self);
}
