// SPDX-License-Identifier: GPL-2.0
/* The check runner of the bad-input tools (see badinput.h). */
#define _GNU_SOURCE
#include "badinput.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktap.h"

void badinput_say(struct badinput_outcome *o, enum badinput_kind kind, const char *fmt, ...)
{
	va_list ap;

	o->kind = kind;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof(o->detail), fmt, ap);
	va_end(ap);
}

/* The one writer of the tool's KTAP lines. */
static struct ktap out;

/* An errno's name for a result line: "0" for none. */
static const char *ktap_errno(int err)
{
	return err ? errno_name(err) : "0";
}

bool badinput_emit(const struct badinput_tool *t, const char *name, int expect, int got,
		   const struct badinput_outcome *o)
{
	bool skipped = o->detail[0] && o->kind == BADINPUT_SKIP;
	bool failed = o->detail[0] && o->kind == BADINPUT_FAIL;
	bool ok = got == expect && !failed;

	(void)t;
	if (skipped)
		return ktap_result(&out, true, name, "SKIP %s", o->detail) == 0;
	if (o->detail[0])
		ktap_diag(&out, "%s: %s", name, o->detail);
	return ktap_result(&out, ok, name, "expected=%s got=%s", ktap_errno(expect),
			   ktap_errno(got)) == 0 && ok;
}

void badinput_emit_failure(const struct badinput_tool *t, const char *name, int err,
			   const char *msg)
{
	struct badinput_outcome o;

	ktap_begin(&out, stdout, 0, 1);
	ktap_diag(&out, "%s: could not start", t->name);
	badinput_say(&o, BADINPUT_FAIL, "%s", msg);
	badinput_emit(t, name, 0, err, &o);
}

static const char *wrong_expectation;	/* test only, NULL = off */

void badinput_test_wrong_expectation(const char *name)
{
	wrong_expectation = name;
}

/* The test-only wrong expectation: an errno no check is written to get. */
static int wrong_errno(int expect)
{
	return expect == EDOM ? ERANGE : EDOM;
}

/* Whether the table has the check named by the wrong expectation. */
static bool has_check(const struct badinput_check *first, size_t n, size_t size,
		      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct badinput_check *c =
			(const void *)((const char *)first + i * size);

		if (!strcmp(c->name, name))
			return true;
	}
	return false;
}

/* The running kernel as major * 1000 + minor, 0 if unknown. */
static int running_kver(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

static int expected_errno(const struct badinput_check *c, int kver)
{
	if (c->expect_from_kver && kver >= c->expect_from_kver)
		return c->expect_new;
	return c->expect;
}

int badinput_run(const struct badinput_tool *t, const struct badinput_check *first, size_t n,
		 size_t size, void *ctx)
{
	int kver = running_kver();
	bool all_ok = true;
	size_t i;

	if (wrong_expectation && !has_check(first, n, size, wrong_expectation)) {
		badinput_emit_failure(t, "test-wrong-expectation", EINVAL,
				      "-W names no check of this tool; give a name from its output");
		return EXIT_USAGE;
	}
	ktap_begin(&out, stdout, 0, (unsigned int)n);
	ktap_diag(&out, "%s: %zu checks", t->name, n);
	for (i = 0; i < n; i++) {
		const struct badinput_check *c =
			(const void *)((const char *)first + i * size);
		struct badinput_outcome o = { .kind = t->detail_kind };
		int got = t->run(c, ctx, &o);
		int expect = expected_errno(c, kver);

		if (wrong_expectation && !strcmp(c->name, wrong_expectation))
			expect = wrong_errno(expect);
		all_ok &= badinput_emit(t, c->name, expect, got, &o);
	}
	return all_ok ? EXIT_OK : EXIT_ERROR;
}

int badinput_device_opts(int argc, char **argv, const char **device, void (*usage)(FILE *out))
{
	int c;

	while ((c = getopt(argc, argv, "D:W:h")) != -1) {
		switch (c) {
		case 'D': *device = optarg; break;
		case 'W': badinput_test_wrong_expectation(optarg); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

int badinput_errno(long ret)
{
	return ret < 0 ? errno : 0;
}

int badinput_in_child(int (*fn)(void *ctx), void *ctx, struct badinput_outcome *o)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid)
		_exit(fn(ctx));
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	if (WIFSIGNALED(status))
		badinput_say(o, BADINPUT_FAIL, "the child was killed by signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status) == BADINPUT_CHILD_SETUP_FAILED)
		badinput_say(o, BADINPUT_FAIL, "the child could not drop its privileges");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

/* In a child: become nobody, then open device. */
static int child_unprivileged_open(void *device)
{
	int fd;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return BADINPUT_CHILD_SETUP_FAILED;
	fd = open(device, O_RDWR);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int badinput_unprivileged_open(const char *device, struct badinput_outcome *o)
{
	return badinput_in_child(child_unprivileged_open, (void *)device, o);
}

int badinput_unload_in_use(const char *module, struct badinput_outcome *o)
{
	int err = badinput_errno(syscall(SYS_delete_module, module, O_NONBLOCK));

	if (!err)
		badinput_say(o, BADINPUT_FAIL, "the module was unloaded under an open file");
	return err;
}
