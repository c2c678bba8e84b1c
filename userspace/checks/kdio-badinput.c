// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: feed /dev/kdio_dio and /dev/kdio_kbuf a table of broken
 * requests and check that each gets exactly the errno kdio/dio.h
 * promises, plus valid requests that must succeed (and one whose data
 * must fail verification), so that the checker is seen to tell success
 * from failure. A valid run's latency histogram must hold one sample per
 * I/O call, whatever its out fields held when it went in. One KTAP result
 * per check (badinput.h); exit 0 only if all are ok. Needs root, and a
 * scratch directory on a filesystem with O_DIRECT.
 *
 * The last rows give kdio-dio (-T, else the one beside this tool) inputs
 * it must refuse, and check that it does so with the exit code, errno and
 * one message that names the input, says what is wrong and what to do
 * (badinput_refused()); -t runs those rows alone, with no module.
 *
 * Some checks need what only the caller can give or allow, and are
 * skipped without it (a SKIP result with the reason): a write to a file on
 * a read-only filesystem (-R) must fail with EROFS, from the module and
 * from kdio-dio; kdio-dio must refuse a file on a filesystem without
 * O_DIRECT (-N); a read past the end of the scratch directory's block
 * device needs one this tool may open; and a write past the scratch
 * filesystem's free space must stop with ENOSPC after writing some of it;
 * that one fills the filesystem, so it runs only where at most
 * FILL_MAX_FREE is free.
 *
 * Two checks record what 6.1 does rather than what every kernel must:
 * kernel_read() with O_DIRECT on kmalloc memory fails with EFAULT there
 * (names ending in -6.1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "badinput/rows.h"
#include "common/pattern.h"

#define IOCTL_TIMEOUT	30		/* seconds before a hung ioctl fails */

/* The table: the rows of each group, in this order (rows.h). */
static const struct badinput_rows *const groups[] = {
	&dio_rows, &kbuf_rows, &dio_fill_rows, &refusal_rows,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-badinput -d SCRATCHDIR [-R ROFILE] [-N NODIO_FILE] [-T KDIO_DIO] [-t]\n"
		"                     [-D DEVICE] [-K KBUF_DEVICE]\n"
		"  -d SCRATCHDIR  existing directory on a filesystem with O_DIRECT;\n"
		"                 kdio-badinput.* files are made and removed there.\n"
		"                 If at most 2g is free there, one check fills it\n"
		"                 (a write 64m past its free space must end in ENOSPC)\n"
		"  -R ROFILE      existing file on a read-only filesystem: a write\n"
		"                 request on it, and kdio-dio -o write, must fail with\n"
		"                 EROFS (skipped without)\n"
		"  -N NODIO_FILE  existing file on a filesystem without O_DIRECT (ramfs):\n"
		"                 kdio-dio must refuse it, saying so (skipped without)\n"
		"  -T KDIO_DIO    the kdio-dio whose refusals are checked (default: the\n"
		"                 one beside this tool)\n"
		"  -t             only kdio-dio's refusals: no module needed\n"
		"  -D DEVICE      default " KDIO_DIO_DEVICE "\n"
		"  -K KBUF_DEVICE default " KDIO_KBUF_DEVICE "\n"
		"  -W CHECK       test only: expect a wrong errno for CHECK, to prove\n"
		"                 a wrong outcome fails the check\n");
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to interrupt a hung ioctl with EINTR */
}

/* ioctl with a time limit; returns its errno, 0 on success. */
int timed_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret, err;

	alarm(IOCTL_TIMEOUT);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	alarm(0);
	return ret ? err : 0;
}

/* Make a file of size bytes of the pattern for seed, replacing any. */
static int make_pattern_file(const char *path, uint64_t size, uint64_t seed)
{
	struct pattern_io io = { .size = size, .block_size = size, .seed = seed };
	struct pattern_result r;
	int ret;

	io.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (io.fd < 0)
		return -errno;
	ret = pattern_file_write(&io, &r);
	if (close(io.fd) && !ret)
		ret = -errno;
	return ret;
}

/* Lay out the scratch files; 0 or -errno with msg. */
static int scratch_setup(struct scratch *s, char *msg, size_t len)
{
	static const char *const names[] = { "small", "valid", "fifo", "missing", "fill" };
	char *const paths[] = { s->small, s->valid, s->fifo, s->missing, s->fill };
	int ret;

	ret = scratch_paths(s->dir, "kdio-badinput.", paths, names, 5, KDIO_PATH_MAX,
			    msg, len);
	if (ret)
		return ret;
	unlink(s->missing);
	unlink(s->fifo);
	unlink(s->fill);
	if (mkfifo(s->fifo, 0600))
		ret = -errno;
	if (!ret)
		ret = make_pattern_file(s->small, SMALL_SIZE, SMALL_SEED);
	if (!ret)
		ret = make_pattern_file(s->valid, VALID_SIZE, 0);
	if (ret)
		snprintf(msg, len, "cannot lay out the scratch files in %s: %s; use a directory on a filesystem with O_DIRECT",
			 s->dir, strerror(-ret));
	return ret;
}

static void scratch_remove(const struct scratch *s)
{
	unlink(s->small);
	unlink(s->valid);
	unlink(s->fifo);
	unlink(s->fill);
}

static int run_check(const struct badinput_check *b, void *ctx, struct badinput_outcome *o)
{
	const struct check *c = BADINPUT_ENTRY(b, struct check);
	struct env *e = ctx;

	if (c->run)
		return c->run(e, c, o);
	return c->kbuf ? run_kbuf_probe(c, e) : run_probe(c, e);
}

static const struct badinput_tool tool = {
	.name = "kdio-badinput", .detail_kind = BADINPUT_NOTE,
	.run = run_check,
};

/* The table, in its groups; with -t the refusal rows only, and no device. */
static int run_table(struct env *e)
{
	if (e->refusals_only)
		return badinput_run(&tool, refusal_rows.first, refusal_rows.n,
				    sizeof(struct check), e);
	return badinput_run_groups(&tool, groups, sizeof(groups) / sizeof(groups[0]),
				   sizeof(struct check), e);
}

/* The options into e; -1 to go on, else the exit code. */
static int parse_opts(int argc, char **argv, struct env *e)
{
	int c;

	while ((c = getopt(argc, argv, "d:R:N:T:tD:K:W:h")) != -1) {
		switch (c) {
		case 'd': e->s.dir = optarg; break;
		case 'R': e->rofile = optarg; break;
		case 'N': e->nodio = optarg; break;
		case 'T': snprintf(e->dio_tool, sizeof(e->dio_tool), "%s", optarg); break;
		case 't': e->refusals_only = true; break;
		case 'D': e->device = optarg; break;
		case 'K': e->kbuf_device = optarg; break;
		case 'W': badinput_test_wrong_expectation(optarg); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!e->s.dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct env e = { .fd = -1, .device = KDIO_DIO_DEVICE, .kbuf_device = KDIO_KBUF_DEVICE };
	char msg[MSG_MAX];
	int ret;

	ret = parse_opts(argc, argv, &e);
	if (ret >= 0)
		return ret;
	sigaction(SIGALRM, &sa, NULL);
	find_dio_tool(&e);

	if (!e.refusals_only)
		e.fd = open_device(e.device, msg, sizeof(msg));
	if (!e.refusals_only && e.fd < 0) {
		badinput_emit_failure(&tool, "open-device", -e.fd, msg);
		return EXIT_ERROR;
	}
	ret = scratch_setup(&e.s, msg, sizeof(msg));
	if (ret) {
		badinput_emit_failure(&tool, "setup", -ret, msg);
		if (e.fd >= 0)
			close(e.fd);
		return EXIT_ERROR;
	}
	find_scratch_bdev(&e);
	ret = run_table(&e);
	scratch_remove(&e.s);
	if (e.fd >= 0)
		close(e.fd);
	return ret;
}
