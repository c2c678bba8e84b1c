// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the kdio tools (see common.h). */
#define _GNU_SOURCE
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dio/clat.h"
#include "common/pattern.h"
#include "kdio/dio.h"

/* Buffer alignment for O_DIRECT: a page satisfies every device. */
#define IO_ALIGN	4096

const char *const op_names[2] = {
	[KDIO_OP_WRITE]	= "write",
	[KDIO_OP_READ]	= "read",
};

static int parse_number(const char *s, int base, uint64_t *out, char **end)
{
	unsigned long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, base);
	if (errno)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	char *end;
	int shift;

	if (parse_number(s, 10, &v, &end))
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0': shift = 0; break;
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	default: return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (parse_number(s, 0, out, &end) || *end)
		return -EINVAL;
	return 0;
}

void opt_size(const char **bad_arg, const char *arg, uint64_t *out)
{
	if (parse_size(arg, out) && !*bad_arg)
		*bad_arg = arg;
}

void opt_u64(const char **bad_arg, const char *arg, uint64_t *out)
{
	if (parse_u64(arg, out) && !*bad_arg)
		*bad_arg = arg;
}

int opt_lookup(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -2;
}

int scratch_paths(const char *dir, const char *prefix, char *const paths[],
		  const char *const names[], size_t n, size_t room,
		  char *msg, size_t len)
{
	struct stat st;
	size_t i;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return msg_fail(msg, len, ENOTDIR, "%s: not a directory; give an existing scratch directory",
				dir);
	for (i = 0; i < n; i++) {
		int w = snprintf(paths[i], room, "%s/%s%s", dir, prefix, names[i]);

		if (w < 0 || (size_t)w >= room)
			return msg_fail(msg, len, ENAMETOOLONG, "%.300s: too long for the %d-byte kdio path; use a shorter scratch directory",
					dir, KDIO_PATH_MAX);
	}
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void names_join(const char *const *names, int n, char *buf, size_t len)
{
	size_t at = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "|" : "",
				       names[i]);
}

void names_print(const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		printf("%s\n", names[i]);
}

int args_end(const struct tool *t, const char *bad_arg, char *const *rest)
{
	if (bad_arg)
		fprintf(stderr, "%s: %s: not a number (e.g. %s; seeds also 0x...)\n",
			t->name, bad_arg, t->numbers);
	else if (rest[0])
		fprintf(stderr, "%s: %s: unexpected argument\n", t->name, rest[0]);
	else
		return 0;
	t->usage(stderr);
	return EXIT_USAGE;
}

int usage_error(const struct tool *t, const char *why)
{
	fprintf(stderr, "%s: %s\n", t->name, why);
	t->usage(stderr);
	return EXIT_USAGE;
}

const char *errno_name(int err)
{
	const char *name;

	if (!err)
		return NULL;
	name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

int errno_by_name(const char *name)
{
	int err;

	for (err = 1; err < 4096; err++) {
		const char *n = strerrorname_np(err);

		if (n && !strcmp(n, name))
			return err;
	}
	return 0;
}

void json_error_fields(struct jsonl *j, int err, const char *msg)
{
	jsonl_i64(j, "errno", err);
	jsonl_str(j, "errno_name", errno_name(err));
	jsonl_str(j, "error", msg);
}

void json_record_begin(struct jsonl *j, const struct tool *t)
{
	jsonl_begin(j, stdout);
	jsonl_str(j, "tool", t->name);
	if (t->abi)
		jsonl_i64(j, "abi", t->abi);
}

int json_record_end(struct jsonl *j, int err, const char *msg)
{
	json_error_fields(j, err, msg && msg[0] ? msg : NULL);
	return jsonl_end(j);
}

void json_u64_or_null(struct jsonl *j, const char *key, bool have, uint64_t val)
{
	if (have)
		jsonl_u64(j, key, val);
	else
		jsonl_null(j, key);
}

void json_io_range(struct jsonl *j, int op, const char *path,
		   uint64_t block_size, uint64_t total_bytes, uint64_t offset)
{
	jsonl_str(j, "op", op_names[op]);
	jsonl_str(j, "path", path);
	jsonl_u64(j, "block_size", block_size);
	jsonl_u64(j, "total_bytes", total_bytes);
	jsonl_u64(j, "offset", offset);
}

void json_io_counts(struct jsonl *j, const struct io_counts *c)
{
	static const struct io_counts none;
	const struct io_counts *v = c ? c : &none;

	json_u64_or_null(j, "bytes", c, v->bytes);
	json_u64_or_null(j, "elapsed_ns", c, v->elapsed_ns);
	json_u64_or_null(j, "calls", c, v->calls);
	json_u64_or_null(j, "bad_blocks", c, v->bad_blocks);
	json_u64_or_null(j, "first_bad_offset", v->bad_blocks, v->first_bad_offset);
}

/* "clat_bins": {"<ns the bin stands for>": count} of the bins in use. */
static void json_clat_bins(struct jsonl *j, const struct kdio_clat *c)
{
	char key[24];
	__u32 i;

	jsonl_obj_begin(j, "clat_bins");
	for (i = 0; i < KDIO_CLAT_NR_BINS; i++) {
		if (!c->bins[i])
			continue;
		snprintf(key, sizeof(key), "%" PRIu64, (uint64_t)kdio_clat_value(i));
		jsonl_u64(j, key, c->bins[i]);
	}
	jsonl_obj_end(j);
}

void json_clat(struct jsonl *j, const struct kdio_clat *c)
{
	static const struct kdio_clat none;
	const struct kdio_clat *v = c ? c : &none;

	json_u64_or_null(j, "clat_samples", c, v->samples);
	json_u64_or_null(j, "clat_min_ns", c, v->min_ns);
	json_u64_or_null(j, "clat_max_ns", c, v->max_ns);
	json_u64_or_null(j, "clat_sum_ns", c, v->sum_ns);
	if (c)
		json_clat_bins(j, c);
	else
		jsonl_null(j, "clat_bins");
}

int msg_fail(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -err;
}

int open_device(const char *device, char *msg, size_t len)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		return fd;
	if (err == ENOENT || err == ENXIO || err == ENODEV)
		snprintf(msg, len, "%s: %s; load the kdio_dio module (insmod kdio_dio.ko)",
			 device, strerror(err));
	else if (err == EACCES || err == EPERM)
		snprintf(msg, len, "%s: %s; run as root", device, strerror(err));
	else
		snprintf(msg, len, "%s: %s", device, strerror(err));
	return -err;
}

static void *alloc_block(uint64_t size)
{
	void *buf;

	if (posix_memalign(&buf, IO_ALIGN, size))
		return NULL;
	return buf;
}

/*
 * One block of n bytes at off: fill and write it, or read and check it
 * (a short read checks what came); 0 or -errno (short: -ENOSPC, -ENODATA).
 */
static int pattern_block(const struct pattern_io *io, bool writing, void *buf,
			 uint64_t n, off_t off, struct pattern_result *r)
{
	ssize_t done;

	if (writing) {
		kdio_pattern_fill(buf, n, (uint64_t)off, io->seed);
		done = pwrite(io->fd, buf, n, off);
	} else {
		done = pread(io->fd, buf, n, off);
	}
	if (done < 0)
		return -errno;
	r->bytes += (uint64_t)done;
	if (!writing && done && kdio_pattern_check(buf, (uint64_t)done, (uint64_t)off, io->seed)) {
		if (!r->bad_blocks)
			r->first_bad_offset = (uint64_t)off;
		r->bad_blocks++;
	}
	if ((uint64_t)done < n)
		return writing ? -ENOSPC : -ENODATA;
	return 0;
}

/* The range block by block until the end or an error; writing, then fsync. */
static int pattern_file_io(const struct pattern_io *io, bool writing,
			   struct pattern_result *r)
{
	void *buf = alloc_block(io->block_size);
	uint64_t pos;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (!buf)
		return -ENOMEM;
	for (pos = 0; pos < io->size && !ret; pos += io->block_size) {
		uint64_t n = io->size - pos < io->block_size ?
			     io->size - pos : io->block_size;

		ret = pattern_block(io, writing, buf, n, (off_t)(io->offset + pos), r);
	}
	if (writing && !ret && fsync(io->fd))
		ret = -errno;
	free(buf);
	return ret;
}

int pattern_file_write(const struct pattern_io *io, struct pattern_result *r)
{
	return pattern_file_io(io, true, r);
}

int pattern_file_check(const struct pattern_io *io, struct pattern_result *r)
{
	return pattern_file_io(io, false, r);
}
