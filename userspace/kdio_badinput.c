// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-badinput: feed /dev/kdio_dio a table of broken requests and check
 * that each gets exactly the errno kdio_uapi.h promises, plus valid
 * requests that must succeed (and one whose data must fail verification),
 * so that the checker is seen to tell success from failure. One JSON line
 * per check; exit 0 only if all are ok. Needs root, and a scratch
 * directory on a filesystem with O_DIRECT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"
#include "kdio_uapi.h"

#define BASE_BS		4096ULL
#define SMALL_SIZE	8192ULL		/* the small file: 2 base blocks */
#define SMALL_SEED	1ULL
#define VALID_SIZE	(64ULL << 10)	/* the round-trip file */
#define VALID_BS	(16ULL << 10)
#define VALID_SEED	7ULL
#define IOCTL_TIMEOUT	30		/* seconds before a hung ioctl fails */
#define CHILD_SETUP_FAILED	255

struct scratch {
	const char *dir;
	char small[KDIO_PATH_MAX];
	char valid[KDIO_PATH_MAX];
	char fifo[KDIO_PATH_MAX];
	char missing[KDIO_PATH_MAX];
};

struct env {
	int fd;
	const char *device;
	struct scratch s;
};

/* One ioctl to make: the request, and the cmd and argument to pass. */
struct probe {
	struct kdio_dio_req req;
	unsigned long cmd;
	void *arg;
	const struct scratch *s;	/* the files to point it at */
};

struct check {
	const char *name;
	/* Break the valid base request (run == NULL) ... */
	void (*corrupt)(struct probe *p);
	/* ... or run something else; returns the errno seen, 0 for none. */
	int (*run)(struct env *e, char *detail, size_t len);
	int expect;			/* errno, 0 for success */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-badinput -d SCRATCHDIR [-D DEVICE]\n"
		"  -d SCRATCHDIR  existing directory on a filesystem with O_DIRECT;\n"
		"                 kdio-badinput.* files are made and removed there\n"
		"  -D DEVICE      default " KDIO_DIO_DEVICE "\n");
}

/* A read of the first block of the small file: valid as it stands. */
static void base_probe(struct probe *p, const struct scratch *s)
{
	memset(p, 0, sizeof(*p));
	p->req.abi_version = KDIO_ABI_VERSION;
	p->req.struct_size = sizeof(p->req);
	p->req.method = KDIO_DIO_VMMAP;
	p->req.op = KDIO_OP_READ;
	p->req.block_size = BASE_BS;
	p->req.total_bytes = BASE_BS;
	p->req.seed = SMALL_SEED;
	snprintf(p->req.path, sizeof(p->req.path), "%s", s->small);
	p->cmd = KDIO_IOC_DIO_RUN;
	p->arg = &p->req;
	p->s = s;
}

static void set_path(struct probe *p, const char *path)
{
	snprintf(p->req.path, sizeof(p->req.path), "%s", path);
}

/* The corruptions, in table order. */
static void c_bogus_ptr(struct probe *p) { p->arg = (void *)1; }
static void c_null_ptr(struct probe *p) { p->arg = NULL; }
static void c_abi(struct probe *p) { p->req.abi_version = KDIO_ABI_VERSION + 1; }
static void c_struct_size(struct probe *p) { p->req.struct_size -= 8; }
static void c_method(struct probe *p) { p->req.method = KDIO_DIO_NR_METHODS; }
static void c_op(struct probe *p) { p->req.op = KDIO_OP_READ + 1; }
static void c_bs_zero(struct probe *p) { p->req.block_size = 0; }
static void c_bs_unaligned(struct probe *p)
{
	p->req.block_size = p->req.total_bytes = 1000;
}
static void c_bs_too_big(struct probe *p)
{
	p->req.block_size = p->req.total_bytes = KDIO_MAX_BLOCK + KDIO_MIN_ALIGN;
}
static void c_total_zero(struct probe *p) { p->req.total_bytes = 0; }
static void c_total_partial(struct probe *p) { p->req.total_bytes += KDIO_MIN_ALIGN; }
static void c_offset_unaligned(struct probe *p) { p->req.offset = 100; }
static void c_offset_overflow(struct probe *p)
{
	p->req.offset = (uint64_t)INT64_MAX & ~(KDIO_MIN_ALIGN - 1);
}
static void c_unknown_flag(struct probe *p) { p->req.flags = 1U << 31; }
static void c_verify_write(struct probe *p)
{
	p->req.op = KDIO_OP_WRITE;
	p->req.flags = KDIO_F_VERIFY;
}
static void c_reserved0(struct probe *p) { p->req.reserved0 = 1; }
static void c_path_no_nul(struct probe *p)
{
	memset(p->req.path, 'a', sizeof(p->req.path));
}
static void c_path_empty(struct probe *p) { p->req.path[0] = '\0'; }
static void c_missing(struct probe *p) { set_path(p, p->s->missing); }
static void c_dir_read(struct probe *p) { set_path(p, p->s->dir); }
static void c_dir_write(struct probe *p)
{
	set_path(p, p->s->dir);
	p->req.op = KDIO_OP_WRITE;
}
static void c_fifo_read(struct probe *p) { set_path(p, p->s->fifo); }
static void c_fifo_write(struct probe *p)
{
	set_path(p, p->s->fifo);
	p->req.op = KDIO_OP_WRITE;
}
static void c_dev_null(struct probe *p) { set_path(p, "/dev/null"); }
static void c_beyond_eof(struct probe *p) { p->req.offset = SMALL_SIZE; }
static void c_unknown_cmd(struct probe *p)
{
	p->cmd = _IOWR(KDIO_IOC_MAGIC, 99, struct kdio_dio_req);
}
static void c_wrong_size_cmd(struct probe *p)
{
	p->cmd = _IOWR(KDIO_IOC_MAGIC, 1, __u64);
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to interrupt a hung ioctl with EINTR */
}

/* ioctl with a time limit; returns its errno, 0 on success. */
static int timed_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret, err;

	alarm(IOCTL_TIMEOUT);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	alarm(0);
	return ret ? err : 0;
}

/* Run check c against the device; returns the errno seen. */
static int run_probe(const struct check *c, struct env *e)
{
	struct probe p;

	base_probe(&p, &e->s);
	c->corrupt(&p);
	return timed_ioctl(e->fd, p.cmd, p.arg);
}

/*
 * Run fn in a child and return the errno it exits with. The child can
 * change its credentials without touching ours.
 */
static int run_child(int (*fn)(struct env *e), struct env *e, char *detail,
		     size_t len)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid)
		_exit(fn(e));
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (WIFSIGNALED(status))
		snprintf(detail, len, "child killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == CHILD_SETUP_FAILED)
		snprintf(detail, len, "child could not drop its privileges");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

/* In a child: become nobody, then open the device. */
static int child_unprivileged_open(struct env *e)
{
	int fd;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return CHILD_SETUP_FAILED;
	fd = open(e->device, O_RDWR);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* In a child: keep the open device but drop CAP_SYS_ADMIN, then ioctl. */
static int child_no_cap(struct env *e)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	struct probe p;

	if (syscall(SYS_capget, &h, d))
		return CHILD_SETUP_FAILED;
	d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return CHILD_SETUP_FAILED;
	base_probe(&p, &e->s);
	return timed_ioctl(e->fd, p.cmd, p.arg);
}

static int run_unprivileged(struct env *e, char *detail, size_t len)
{
	return run_child(child_unprivileged_open, e, detail, len);
}

static int run_no_cap(struct env *e, char *detail, size_t len)
{
	return run_child(child_no_cap, e, detail, len);
}

/* A run of the whole valid file: method, op, seed, verify or not. */
static int valid_ioctl(struct env *e, struct kdio_dio_req *req, __u32 method,
		       __u32 op, uint64_t seed, bool verify)
{
	struct probe p;

	base_probe(&p, &e->s);
	set_path(&p, e->s.valid);
	p.req.method = method;
	p.req.op = op;
	p.req.block_size = VALID_BS;
	p.req.total_bytes = VALID_SIZE;
	p.req.seed = seed;
	p.req.flags = verify ? KDIO_F_VERIFY : 0;
	*req = p.req;
	return timed_ioctl(e->fd, p.cmd, req);
}

/* Userspace's own look at the valid file, with O_DIRECT. */
static int check_from_userspace(struct env *e, struct pattern_result *r)
{
	struct pattern_io io = { .size = VALID_SIZE, .block_size = VALID_BS,
				 .seed = VALID_SEED };
	int ret;

	io.fd = open(e->s.valid, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0)
		return errno;
	ret = pattern_file_check(&io, r);
	close(io.fd);
	return -ret;
}

/*
 * Valid: the module writes the pattern, reads it back verified, and
 * userspace finds the same data on its own.
 */
static int run_round_trip(struct env *e, char *detail, size_t len)
{
	struct pattern_result r;
	struct kdio_dio_req w, rd;
	int err;

	err = valid_ioctl(e, &w, KDIO_DIO_VMMAP, KDIO_OP_WRITE, VALID_SEED, false);
	if (!err)
		err = valid_ioctl(e, &rd, KDIO_DIO_VMMAP, KDIO_OP_READ, VALID_SEED, true);
	if (!err)
		err = check_from_userspace(e, &r);
	if (err)
		return err;
	if (w.bytes_done != VALID_SIZE || rd.bytes_done != VALID_SIZE ||
	    rd.calls != VALID_SIZE / VALID_BS)
		snprintf(detail, len, "moved %llu written, %llu read in %llu calls; want %llu in %llu",
			 (unsigned long long)w.bytes_done, (unsigned long long)rd.bytes_done,
			 (unsigned long long)rd.calls, VALID_SIZE, VALID_SIZE / VALID_BS);
	else if (rd.bad_blocks || r.bad_blocks)
		snprintf(detail, len, "%llu bad block(s) seen by the module, %llu by userspace; want none",
			 (unsigned long long)rd.bad_blocks, (unsigned long long)r.bad_blocks);
	return 0;
}

/* Valid, data wrong: a verified read with the wrong seed finds every block bad. */
static int run_wrong_seed(struct env *e, char *detail, size_t len)
{
	struct kdio_dio_req rd;
	int err;

	err = valid_ioctl(e, &rd, KDIO_DIO_VMMAP, KDIO_OP_READ, VALID_SEED + 1, true);
	if (!err && rd.bad_blocks != VALID_SIZE / VALID_BS)
		snprintf(detail, len, "%llu bad block(s) with the wrong seed; want %llu",
			 (unsigned long long)rd.bad_blocks, VALID_SIZE / VALID_BS);
	return err;
}

/* Valid: the null method walks every block and counts it. */
static int run_null(struct env *e, char *detail, size_t len)
{
	struct kdio_dio_req rd;
	int err;

	err = valid_ioctl(e, &rd, KDIO_DIO_NULL, KDIO_OP_READ, VALID_SEED, false);
	if (!err && (rd.calls != VALID_SIZE / VALID_BS || rd.bytes_done != VALID_SIZE))
		snprintf(detail, len, "null counted %llu bytes in %llu calls; want %llu in %llu",
			 (unsigned long long)rd.bytes_done, (unsigned long long)rd.calls,
			 VALID_SIZE, VALID_SIZE / VALID_BS);
	return err;
}

static const struct check checks[] = {
	{ .name = "bogus-pointer",	.corrupt = c_bogus_ptr,		.expect = EFAULT },
	{ .name = "null-pointer",	.corrupt = c_null_ptr,		.expect = EFAULT },
	{ .name = "wrong-abi",		.corrupt = c_abi,		.expect = EPROTO },
	{ .name = "wrong-struct-size",	.corrupt = c_struct_size,	.expect = EPROTO },
	{ .name = "method-range",	.corrupt = c_method,		.expect = EINVAL },
	{ .name = "op-range",		.corrupt = c_op,		.expect = EINVAL },
	{ .name = "bs-zero",		.corrupt = c_bs_zero,		.expect = EINVAL },
	{ .name = "bs-unaligned",	.corrupt = c_bs_unaligned,	.expect = EINVAL },
	{ .name = "bs-too-big",		.corrupt = c_bs_too_big,	.expect = EINVAL },
	{ .name = "total-zero",		.corrupt = c_total_zero,	.expect = EINVAL },
	{ .name = "total-partial-block", .corrupt = c_total_partial,	.expect = EINVAL },
	{ .name = "offset-unaligned",	.corrupt = c_offset_unaligned,	.expect = EINVAL },
	{ .name = "offset-overflow",	.corrupt = c_offset_overflow,	.expect = EINVAL },
	{ .name = "unknown-flag",	.corrupt = c_unknown_flag,	.expect = EINVAL },
	{ .name = "verify-with-write",	.corrupt = c_verify_write,	.expect = EINVAL },
	{ .name = "reserved0-set",	.corrupt = c_reserved0,		.expect = EINVAL },
	{ .name = "path-without-nul",	.corrupt = c_path_no_nul,	.expect = ENAMETOOLONG },
	{ .name = "path-empty",		.corrupt = c_path_empty,	.expect = ENOENT },
	{ .name = "missing-file",	.corrupt = c_missing,		.expect = ENOENT },
	{ .name = "directory-read",	.corrupt = c_dir_read,		.expect = EISDIR },
	{ .name = "directory-write",	.corrupt = c_dir_write,		.expect = EISDIR },
	{ .name = "fifo-read",		.corrupt = c_fifo_read,		.expect = EINVAL },
	{ .name = "fifo-write",		.corrupt = c_fifo_write,	.expect = EINVAL },
	{ .name = "dev-null",		.corrupt = c_dev_null,		.expect = EINVAL },
	{ .name = "read-beyond-eof",	.corrupt = c_beyond_eof,	.expect = ENODATA },
	{ .name = "unknown-cmd",	.corrupt = c_unknown_cmd,	.expect = ENOTTY },
	{ .name = "wrong-size-cmd",	.corrupt = c_wrong_size_cmd,	.expect = ENOTTY },
	{ .name = "unprivileged-open",	.run = run_unprivileged,	.expect = EACCES },
	{ .name = "no-cap-sys-admin",	.run = run_no_cap,		.expect = EPERM },
	{ .name = "valid-round-trip",	.run = run_round_trip,		.expect = 0 },
	{ .name = "valid-wrong-seed",	.run = run_wrong_seed,		.expect = 0 },
	{ .name = "valid-null",		.run = run_null,		.expect = 0 },
};

/* One line per check; returns whether it was ok. */
static bool emit(const char *name, int expect, int got, const char *detail)
{
	bool ok = got == expect && !detail[0];
	struct jsonl j;

	jsonl_begin(&j, stdout);
	jsonl_str(&j, "tool", "kdio-badinput");
	jsonl_str(&j, "check", name);
	jsonl_str(&j, "expected", errno_name(expect));
	jsonl_str(&j, "got", errno_name(got));
	jsonl_bool(&j, "ok", ok);
	jsonl_str(&j, "detail", detail[0] ? detail : NULL);
	return jsonl_end(&j) == 0 && ok;
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

static int scratch_path(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, KDIO_PATH_MAX, "%s/kdio-badinput.%s", dir, name);

	return n < 0 || n >= KDIO_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Lay out the scratch files; 0 or -errno with msg. */
static int scratch_setup(struct scratch *s, char *msg, size_t len)
{
	struct stat st;
	int ret = 0;

	if (stat(s->dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "%s: not a directory; give an existing scratch directory", s->dir);
		return -ENOTDIR;
	}
	if (scratch_path(s->small, s->dir, "small") || scratch_path(s->valid, s->dir, "valid") ||
	    scratch_path(s->fifo, s->dir, "fifo") || scratch_path(s->missing, s->dir, "missing")) {
		snprintf(msg, len, "%s: too long for the %d-byte kdio path; use a shorter scratch directory",
			 s->dir, KDIO_PATH_MAX);
		return -ENAMETOOLONG;
	}
	unlink(s->missing);
	unlink(s->fifo);
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
}

static int run_checks(struct env *e)
{
	bool all_ok = true;
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct check *c = &checks[i];
		char detail[MSG_MAX] = "";
		int got;

		got = c->run ? c->run(e, detail, sizeof(detail)) : run_probe(c, e);
		all_ok &= emit(c->name, c->expect, got, detail);
	}
	return all_ok ? EXIT_OK : EXIT_ERROR;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct env e = { .device = KDIO_DIO_DEVICE };
	char msg[MSG_MAX];
	int c, ret;

	while ((c = getopt(argc, argv, "d:D:h")) != -1) {
		switch (c) {
		case 'd': e.s.dir = optarg; break;
		case 'D': e.device = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!e.s.dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	sigaction(SIGALRM, &sa, NULL);

	e.fd = open_device(e.device, msg, sizeof(msg));
	if (e.fd < 0) {
		emit("open-device", 0, -e.fd, msg);
		return EXIT_ERROR;
	}
	ret = scratch_setup(&e.s, msg, sizeof(msg));
	if (ret) {
		emit("setup", 0, -ret, msg);
		close(e.fd);
		return EXIT_ERROR;
	}
	ret = run_checks(&e);
	scratch_remove(&e.s);
	close(e.fd);
	return ret;
}
