/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kdio tools: argument parsing, errno names, the
 * error fields of a record, opening the kdio device, pattern file I/O.
 */
#ifndef KDIO_COMMON_H
#define KDIO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "jsonl.h"

/* Exit codes of every tool. */
#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2

#define MSG_MAX		512

/* "4096", "64k", "1m", "2g" (binary multiples); 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);
/* Decimal or 0x-hex unsigned integer; 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);

/* "EINVAL" for EINVAL, NULL for 0. */
const char *errno_name(int err);

/* The "errno", "errno_name" and "error" fields (err >= 0, msg or NULL). */
void json_error_fields(struct jsonl *j, int err, const char *msg);

/*
 * Open the kdio device; returns the fd, or -errno with msg saying what to
 * do (load the module, run as root).
 */
int open_device(const char *device, char *msg, size_t len);

/* A range of a file in the kdio pattern, moved with O_DIRECT. */
struct pattern_io {
	int fd;
	uint64_t offset;
	uint64_t size;
	uint64_t block_size;
	uint64_t seed;
};

struct pattern_result {
	uint64_t bytes;
	uint64_t bad_blocks;
	uint64_t first_bad_offset;	/* block start; valid if bad_blocks */
};

/* Write the pattern and fsync; 0 or -errno (short write: -ENOSPC). */
int pattern_file_write(const struct pattern_io *io, struct pattern_result *r);
/* Read and compare, block by block; 0 or -errno (short read: -ENODATA). */
int pattern_file_check(const struct pattern_io *io, struct pattern_result *r);

#endif /* KDIO_COMMON_H */
