/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one output writer of the kdio tools: one JSON object per line.
 * Begin a record, add fields in order, end it; the line is flushed at the
 * end so that a reader sees whole records as they are made.
 */
#ifndef KDIO_JSONL_H
#define KDIO_JSONL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jsonl {
	FILE *out;
	unsigned int fields;
	unsigned int outer_fields;	/* of the record, inside an object */
};

void jsonl_begin(struct jsonl *j, FILE *out);
void jsonl_str(struct jsonl *j, const char *key, const char *val); /* NULL: null */
void jsonl_u64(struct jsonl *j, const char *key, uint64_t val);
void jsonl_i64(struct jsonl *j, const char *key, int64_t val);
void jsonl_bool(struct jsonl *j, const char *key, bool val);
void jsonl_null(struct jsonl *j, const char *key);
/*
 * An object as the value of key: the fields added until jsonl_obj_end()
 * go into it. One level deep.
 */
void jsonl_obj_begin(struct jsonl *j, const char *key);
void jsonl_obj_end(struct jsonl *j);
/* Ends the line; returns 0, or -1 if stdout could not be written. */
int jsonl_end(struct jsonl *j);

#endif /* KDIO_JSONL_H */
