// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the kdio tools (see common.h). */
#define _GNU_SOURCE
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdio_pattern.h"

/* Buffer alignment for O_DIRECT: a page satisfies every device. */
#define IO_ALIGN	4096

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

const char *errno_name(int err)
{
	const char *name;

	if (!err)
		return NULL;
	name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

void json_error_fields(struct jsonl *j, int err, const char *msg)
{
	jsonl_i64(j, "errno", err);
	jsonl_str(j, "errno_name", errno_name(err));
	jsonl_str(j, "error", msg);
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

int pattern_file_write(const struct pattern_io *io, struct pattern_result *r)
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
		off_t off = (off_t)(io->offset + pos);
		ssize_t done;

		kdio_pattern_fill(buf, n, (uint64_t)off, io->seed);
		done = pwrite(io->fd, buf, n, off);
		if (done < 0)
			ret = -errno;
		else if ((uint64_t)done < n)
			ret = -ENOSPC;
		if (done > 0)
			r->bytes += (uint64_t)done;
	}
	if (!ret && fsync(io->fd))
		ret = -errno;
	free(buf);
	return ret;
}

int pattern_file_check(const struct pattern_io *io, struct pattern_result *r)
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
		off_t off = (off_t)(io->offset + pos);
		ssize_t done = pread(io->fd, buf, n, off);

		if (done < 0) {
			ret = -errno;
			break;
		}
		r->bytes += (uint64_t)done;
		if ((uint64_t)done < n)
			ret = -ENODATA;
		if (done && kdio_pattern_check(buf, (uint64_t)done, (uint64_t)off, io->seed)) {
			if (!r->bad_blocks)
				r->first_bad_offset = (uint64_t)off;
			r->bad_blocks++;
		}
	}
	free(buf);
	return ret;
}
