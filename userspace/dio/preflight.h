/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdio-dio's options, and its checks of the target before the first
 * ioctl (preflight.c): what O_DIRECT and the module would refuse with a
 * bare errno, refused with a message that says why.
 */
#ifndef KDIO_DIO_PREFLIGHT_H
#define KDIO_DIO_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* kdio-dio's options, as parse_args() (kdio-dio.c) leaves them. */
struct dio_opts {
	int method;			/* -1 until given */
	int op;				/* -1 until given */
	const char *path;
	const char *device;
	uint64_t block_size, size, offset, seed, count, queue_depth;
	bool verify;
	/* As typed, for the messages: -m, -o, -b, -s, -O. */
	const char *method_arg, *op_arg, *bs_arg, *size_arg, *offset_arg;
	/* The first option whose value is not a number, and why. */
	int bad_opt;
	const char *bad_arg, *bad_why;
};

/* The O_DIRECT offset alignment of the target, and who said so. */
struct dio_align {
	uint32_t align;			/* 0: not known (not a file/bdev) */
	const char *source;
};

/*
 * What O_DIRECT and the module would refuse, checked first, so that the
 * refusal says why: the target exists, is a regular file or a block
 * device, not on a pseudo file system such as proc, opens as the module
 * will open it, BS and OFFSET suit its alignment (found into a), and a
 * read (a device: any I/O) ends inside it. 0 or -errno with msg.
 */int preflight(const struct dio_opts *o, struct dio_align *a, char *msg, size_t len);

#endif /* KDIO_DIO_PREFLIGHT_H */
