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
#include <sys/mman.h>
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

/* Entry i of group g, whose entries are size bytes apart. */
static const struct badinput_check *group_entry(const struct badinput_rows *g, size_t i,
						size_t size)
{
	return (const void *)((const char *)g->first + i * size);
}

/* Whether the groups have the check named by the wrong expectation. */
static bool has_check(const struct badinput_rows *const *groups, size_t nr, size_t size,
		      const char *name)
{
	size_t g, i;

	for (g = 0; g < nr; g++)
		for (i = 0; i < groups[g]->n; i++)
			if (!strcmp(group_entry(groups[g], i, size)->name, name))
				return true;
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

/* Run check c and emit its result; whether it was ok. */
static bool run_one(const struct badinput_tool *t, const struct badinput_check *c, void *ctx,
		    int kver)
{
	struct badinput_outcome o = { .kind = t->detail_kind };
	int got = t->run(c, ctx, &o);
	int expect = expected_errno(c, kver);

	if (wrong_expectation && !strcmp(c->name, wrong_expectation))
		expect = wrong_errno(expect);
	return badinput_emit(t, c->name, expect, got, &o);
}

int badinput_run_groups(const struct badinput_tool *t, const struct badinput_rows *const *groups,
			size_t nr, size_t size, void *ctx)
{
	int kver = running_kver();
	bool all_ok = true;
	size_t g, i, n = 0;

	if (wrong_expectation && !has_check(groups, nr, size, wrong_expectation)) {
		badinput_emit_failure(t, "test-wrong-expectation", EINVAL,
				      "-W names no check of this tool; give a name from its output");
		return EXIT_USAGE;
	}
	for (g = 0; g < nr; g++)
		n += groups[g]->n;
	ktap_begin(&out, stdout, 0, (unsigned int)n);
	ktap_diag(&out, "%s: %zu checks", t->name, n);
	for (g = 0; g < nr; g++)
		for (i = 0; i < groups[g]->n; i++)
			all_ok &= run_one(t, group_entry(groups[g], i, size), ctx, kver);
	return all_ok ? EXIT_OK : EXIT_ERROR;
}

int badinput_run(const struct badinput_tool *t, const struct badinput_check *first, size_t n,
		 size_t size, void *ctx)
{
	const struct badinput_rows all = { .first = first, .n = n };
	const struct badinput_rows *const groups[] = { &all };

	return badinput_run_groups(t, groups, 1, size, ctx);
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

/* What a run of a tool left: its wait status, stdout, and stderr's first line. */
struct captured {
	int status;
	char out[4096];
	char err[MSG_MAX];
};

/* The text written to memfd fd, into buf; closes fd. */
static void read_back(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* In the child: stdout and stderr to the memfds, a time limit, the tool. */
static void exec_captured(const char *const *argv, int out, int err)
{
	if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(BADINPUT_CHILD_SETUP_FAILED);
	alarm(BADINPUT_REFUSAL_S);	/* kept across execv: a hang dies of SIGALRM */
	execv(argv[0], (char *const *)argv);
	_exit(BADINPUT_CHILD_SETUP_FAILED);
}

/* Run argv with its output captured into c; 0 or errno. */
static int capture(const char *const *argv, struct captured *c)
{
	int out = memfd_create("kdio-stdout", MFD_CLOEXEC);
	int err = memfd_create("kdio-stderr", MFD_CLOEXEC);
	int ret = 0;
	pid_t pid;

	fflush(stdout);
	pid = out < 0 || err < 0 ? -1 : fork();
	if (!pid)
		exec_captured(argv, out, err);
	if (pid < 0 || waitpid(pid, &c->status, 0) < 0)
		ret = errno;
	if (out >= 0)
		read_back(out, c->out, sizeof(c->out));
	if (err >= 0)
		read_back(err, c->err, sizeof(c->err));
	c->err[strcspn(c->err, "\n")] = '\0';
	return ret;
}

/* The "errno" and "error" of a JSON line (unescaped), into *err and msg. */
static void line_error(const char *line, int *err, char *msg, size_t len)
{
	const char *e = strstr(line, "\"errno\":"), *m = strstr(line, "\"error\":\"");
	size_t n = 0;

	*err = e ? atoi(e + strlen("\"errno\":")) : 0;
	for (m = m ? m + strlen("\"error\":\"") : ""; *m && *m != '"' && n + 1 < len; m++) {
		if (*m == '\\' && m[1])
			m++;
		msg[n++] = *m;
	}
	msg[n] = '\0';
}

/* Where the output is not the one message it must be: what is wrong, or NULL. */
static const char *output_problem(const struct captured *c, int exit, int lines)
{
	if (exit == EXIT_USAGE)
		return lines ? "it printed on stdout; want only a message on stderr" : NULL;
	if (lines != 1)
		return "it printed no JSON line, or more than one; want one";
	return c->err[0] ? "it printed on stderr too; want one JSON line only" : NULL;
}

/* Whether msg says each of says (NULL-terminated); o says which not. */
static bool says_all(const char *msg, const char *const *says, struct badinput_outcome *o)
{
	for (; *says; says++)
		if (!strstr(msg, *says)) {
			badinput_say(o, BADINPUT_FAIL, "the message does not say \"%s\": %s", *says, msg);
			return false;
		}
	return true;
}

int badinput_refused(const char *const *argv, int exit, const char *const *says,
		     struct badinput_outcome *o)
{
	struct captured c = { 0 };
	const char *problem, *p;
	char msg[MSG_MAX];
	int err = 0, lines = 0, ret;

	ret = capture(argv, &c);
	if (ret || !WIFEXITED(c.status) || WEXITSTATUS(c.status) == BADINPUT_CHILD_SETUP_FAILED) {
		badinput_say(o, BADINPUT_FAIL, "%s did not run to an exit: %s", argv[0],
			     ret ? strerror(ret) : "killed, or could not be started");
		return ret;
	}
	for (p = c.out; (p = strchr(p, '\n')); p++)
		lines++;
	if (exit == EXIT_USAGE)
		snprintf(msg, sizeof(msg), "%s", c.err);
	else
		line_error(c.out, &err, msg, sizeof(msg));
	problem = output_problem(&c, exit, lines);
	if (WEXITSTATUS(c.status) != exit)
		badinput_say(o, BADINPUT_FAIL, "exit %d, want %d: %s", WEXITSTATUS(c.status), exit, msg);
	else if (problem)
		badinput_say(o, BADINPUT_FAIL, "%s: %s", problem, msg);
	else if (says_all(msg, says, o))
		badinput_say(o, BADINPUT_NOTE, "exit %d: %s", exit, msg);
	return err;
}
