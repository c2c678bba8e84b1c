/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kdio tools: argument parsing, errno names, the
 * frame and common fields of a record, opening the kdio device, pattern
 * file I/O.
 */
#ifndef KDIO_COMMON_H
#define KDIO_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jsonl.h"
#include "kdio/dio.h"

/* Exit codes of every tool. */
#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2

#define MSG_MAX		512

/* What the argument and record helpers need to know of a tool. */
struct tool {
	const char *name;		/* "kdio-dio": messages and "tool" */
	const char *numbers;		/* number examples: "4096, 64k, 1m" */
	void (*usage)(FILE *out);
	unsigned int abi;		/* its records carry "abi": this ABI version, 0 none */
};

/* "write" and "read", by enum kdio_dio_op. */
extern const char *const op_names[2];

/* "4096", "64k", "1m", "2g" (binary multiples); 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);
/* Decimal or 0x-hex unsigned integer; 0 or -EINVAL. */
int parse_u64(const char *s, uint64_t *out);

/*
 * parse_size() or parse_u64() of a getopt argument; the first argument
 * that is not a number is kept in *bad_arg for args_end().
 */
void opt_size(const char **bad_arg, const char *arg, uint64_t *out);
void opt_u64(const char **bad_arg, const char *arg, uint64_t *out);
/* The index of name in names[n], or -2 (-1 is kept for "not given"). */
int opt_lookup(const char *const *names, int n, const char *name);
/*
 * A scratch directory and the files a tool lays out in it: dir must be an
 * existing directory (else -ENOTDIR), and each of the n paths[i] =
 * "<dir>/<prefix><names[i]>" shorter than room bytes, room at most
 * KDIO_PATH_MAX (else -ENAMETOOLONG); msg says what is wrong and what to do.
 */
int scratch_paths(const char *dir, const char *prefix, char *const paths[],
		  const char *const names[], size_t n, size_t room,
		  char *msg, size_t len);

/* CLOCK_MONOTONIC in nanoseconds (the clock of the kernel's ktime_get_ns()). */
uint64_t now_ns(void);

/* The n names joined with '|' into buf (cut at len), and one per line. */
void names_join(const char *const *names, int n, char *buf, size_t len);
void names_print(const char *const *names, int n);
/*
 * After getopt: 0, or EXIT_USAGE after naming bad_arg, the first bad
 * number, or else rest[0], the first argument left (rest: argv + optind).
 */
int args_end(const struct tool *t, const char *bad_arg, char *const *rest);
/* EXIT_USAGE after saying why on stderr, with the usage. */
int usage_error(const struct tool *t, const char *why);

/* "EINVAL" for EINVAL, NULL for 0. */
const char *errno_name(int err);
/* The errno named name (e.g. "EINVAL"), 0 if none is. */
int errno_by_name(const char *name);

/* The "errno", "errno_name" and "error" fields (err >= 0, msg or NULL). */
void json_error_fields(struct jsonl *j, int err, const char *msg);

/* Begin a tool's record on stdout: "tool", then "abi" if it has one. */
void json_record_begin(struct jsonl *j, const struct tool *t);
/*
 * End a record with the error fields (msg NULL or "": no message);
 * jsonl_end()'s result.
 */
int json_record_end(struct jsonl *j, int err, const char *msg);
/* key: val, or null when !have. */
void json_u64_or_null(struct jsonl *j, const char *key, bool have, uint64_t val);

/* What a run over a file range moved, found and took. */
struct io_counts {
	uint64_t bytes, elapsed_ns, calls, bad_blocks;
	uint64_t first_bad_offset;	/* valid if bad_blocks */
};

/* "op", "path", "block_size", "total_bytes", "offset" of such a run. */
void json_io_range(struct jsonl *j, int op, const char *path,
		   uint64_t block_size, uint64_t total_bytes, uint64_t offset);
/*
 * "bytes", "elapsed_ns", "calls", "bad_blocks", "first_bad_offset";
 * c NULL (nothing ran): all null.
 */
void json_io_counts(struct jsonl *j, const struct io_counts *c);

/*
 * "clat_samples", "clat_min_ns", "clat_max_ns", "clat_sum_ns" and
 * "clat_bins" ({"<ns>": count}, fio's json+ "bins": each bin in use keyed
 * by the nanoseconds it stands for); c NULL (nothing ran): all null.
 */
void json_clat(struct jsonl *j, const struct kdio_clat *c);

/* Format msg (len bytes) and return -err. */
int __attribute__((format(printf, 4, 5)))
msg_fail(char *msg, size_t len, int err, const char *fmt, ...);

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
