/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KTAP writer of the bad-input tools and the fuzzer (the kernel's test
 * output format, Documentation/dev-tools/ktap.rst): a version line and a
 * plan, then one result line per test, "#" diagnostic lines before the
 * result they are about; a nested test's lines indented by 4 spaces per
 * level. Every line is flushed at once, so a reader sees whole lines as
 * they are made, even from a process that dies next.
 *
 * What kdio's result lines carry after the "#" (harness/kdio/ktap.py reads
 * it): a directive ("SKIP reason"), or space-separated key=value fields,
 * e.g. "expected=EINVAL got=EINVAL" or "calls=5000 hangs=0".
 */
#ifndef KDIO_KTAP_H
#define KDIO_KTAP_H

#include <stdbool.h>
#include <stdio.h>

struct ktap {
	FILE *out;
	unsigned int depth;	/* nesting level: 4 spaces each */
	unsigned int done;	/* results written at this level */
};

/* "KTAP version 1" and "1..plan" at depth; k is then ready for results. */
void ktap_begin(struct ktap *k, FILE *out, unsigned int depth, unsigned int plan);
/* A "# ..." diagnostic line; a newline in the text becomes a space. */
void ktap_diag(const struct ktap *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * "ok N name" or "not ok N name", N the next number, then " # " and what
 * fmt makes if it makes anything (fmt NULL: nothing). A "#" or newline in
 * name becomes a space. 0, or -1 if the line could not be written.
 */
int ktap_result(struct ktap *k, bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* KDIO_KTAP_H */
