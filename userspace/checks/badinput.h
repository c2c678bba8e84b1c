/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runner of the bad-input tools: each keeps a table of checks whose
 * entries start with a struct badinput_check, runs them in order through
 * its own run function and reports them in KTAP (ktap.h): a plan of one
 * test per check, then for each check a result line named for it,
 * "ok N NAME # expected=ERRNO got=ERRNO" (not ok if they differ or the
 * check failed otherwise; "0" for success), its detail as a "# NAME: ..."
 * diagnostic line before it, and "ok N NAME # SKIP reason" for a check
 * that could not run.
 */
#ifndef KDIO_BADINPUT_H
#define KDIO_BADINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common.h"

/* What the detail of a check's line says. */
enum badinput_kind {
	BADINPUT_FAIL,		/* why the check failed, whatever its errno */
	BADINPUT_NOTE,		/* a remark: the errno alone decides */
	BADINPUT_SKIP,		/* why it was not run: a SKIP result */
};

/* What a check found besides its errno. */
struct badinput_outcome {
	enum badinput_kind kind;
	char detail[MSG_MAX];	/* empty: nothing to say */
};

/* The head of an entry of a tool's check table: what its line reports. */
struct badinput_check {
	const char *name;
	int expect;		/* errno, 0 for success */
	/*
	 * Behaviour that changed between kernels: from kernel version
	 * expect_from_kver (major * 1000 + minor) on, expect_new is expected.
	 */
	int expect_new, expect_from_kver;
};

/* The entry of type whose head (member bi) is b. */
#define BADINPUT_ENTRY(b, type) \
	((const type *)((const char *)(b) - offsetof(type, bi)))

struct badinput_tool {
	const char *name;		/* in the first diagnostic line */
	enum badinput_kind detail_kind;	/* of a detail nobody says otherwise */
	/* Run check c with ctx; the errno seen, 0 for none. */
	int (*run)(const struct badinput_check *c, void *ctx, struct badinput_outcome *o);
};

/* Set what o's detail says, and what kind of thing it is. */
void badinput_say(struct badinput_outcome *o, enum badinput_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The result line of check name (and its detail's line); whether it was
 * ok. A skipped check is ok for the tool's exit code, and says SKIP.
 */
bool badinput_emit(const struct badinput_tool *t, const char *name, int expect, int got,
		   const struct badinput_outcome *o);
/*
 * The whole output of a tool that failed with err in a step outside the
 * table, before any check ran: a plan of 1 and that step, not ok, saying msg.
 */
void badinput_emit_failure(const struct badinput_tool *t, const char *name, int err,
			   const char *msg);

/*
 * Run the n checks of a table whose entries are size bytes apart, first
 * the head of its first entry, and emit the plan and a result for each; EXIT_OK if all
 * were ok, else EXIT_ERROR.
 */
int badinput_run(const struct badinput_tool *t, const struct badinput_check *first, size_t n,
		 size_t size, void *ctx);
#define BADINPUT_RUN(t, table, ctx) \
	badinput_run(t, &(table)[0].bi, sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), ctx)

/*
 * Consecutive entries of a table, a group of its rows: the head of the
 * first entry, and how many. A table may be kept in groups, each in the
 * file of what its rows check.
 */
struct badinput_rows {
	const struct badinput_check *first;
	size_t n;
};
#define BADINPUT_ROWS(table) \
	{ .first = &(table)[0].bi, .n = sizeof(table) / sizeof((table)[0]) }

/*
 * badinput_run() of a table kept in nr groups, in their order, as one
 * table: one plan, the checks numbered on across the groups.
 */
int badinput_run_groups(const struct badinput_tool *t, const struct badinput_rows *const *groups,
			size_t nr, size_t size, void *ctx);

/*
 * The options of a tool that takes only -D DEVICE (and the test-only
 * -W CHECK): sets *device; -1 to go on, else the exit code (-h, or a
 * usage error).
 */
int badinput_device_opts(int argc, char **argv, const char **device, void (*usage)(FILE *out));

/*
 * Test only: make badinput_run() expect a wrong errno for the check named
 * name, so that a test can prove a wrong outcome fails the tool and the
 * harness's check. A name no check of the table has fails the run.
 */
void badinput_test_wrong_expectation(const char *name);

/* errno of a failed call, 0 if it succeeded. */
int badinput_errno(long ret);

/* What a child run by badinput_in_child() exits with if it cannot set itself up. */
#define BADINPUT_CHILD_SETUP_FAILED	255

/*
 * Run fn(ctx) in a child, which can change its credentials without
 * touching ours; the errno it exits with. o says so if it was killed or
 * could not set itself up.
 */
int badinput_in_child(int (*fn)(void *ctx), void *ctx, struct badinput_outcome *o);

/* In a child that has become nobody, open device: the errno it gets. */
int badinput_unprivileged_open(const char *device, struct badinput_outcome *o);

/*
 * delete_module() of module, which the caller holds open: the errno of
 * the refusal; o says so if the module was unloaded.
 */
int badinput_unload_in_use(const char *module, struct badinput_outcome *o);

/*
 * What a tool must do with arguments it has to refuse: exit with exit,
 * EXIT_ERROR with exactly one JSON line (its "errno" and "error") and
 * nothing on stderr, EXIT_USAGE with nothing on stdout and the message as
 * the first line of stderr; that one message must say each of says (the
 * input, what is wrong with it, what to do).
 */
struct badinput_refusal {
	const char *argv[20];	/* the tool's arguments, NULL-terminated */
	int exit;
	const char *says[3];
};

/*
 * Run argv (argv[0]: the tool's path; killed after BADINPUT_REFUSAL_S)
 * and check that it refuses as exit and says (NULL-terminated) want; the
 * errno of its JSON line (0 for none), o saying what was wrong, else its
 * message.
 */
int badinput_refused(const char *const *argv, int exit, const char *const *says,
		     struct badinput_outcome *o);
#define BADINPUT_REFUSAL_S	30

#endif /* KDIO_BADINPUT_H */
