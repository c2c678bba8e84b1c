/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The kdio data pattern, shared by the modules and the userspace tools so
 * that either side can check what the other wrote. No logic here.
 *
 * The file is a sequence of 64-bit little-endian words; the word at byte
 * offset o (a multiple of 8) is kdio_pattern_word(o / 8, seed), a
 * splitmix64-style finaliser of seed ^ (o / 8) * KDIO_PATTERN_GOLDEN.
 * Every byte thus depends only on its file offset and the seed, so any
 * range can be filled or checked on its own.
 */
#ifndef _KDIO_PATTERN_H
#define _KDIO_PATTERN_H

#include <linux/types.h>

#define KDIO_PATTERN_GOLDEN	0x9E3779B97F4A7C15ULL

/* The pattern word at word index (file offset / 8). */
__u64 kdio_pattern_word(__u64 index, __u64 seed);

/* Fill buf with the len bytes found at file_offset for seed. */
void kdio_pattern_fill(void *buf, __u64 len, __u64 file_offset, __u64 seed);

/*
 * Compare buf with the len bytes expected at file_offset for seed.
 * Returns 0 if they match, else 1 + the index in buf of the first byte
 * that differs.
 */
__u64 kdio_pattern_check(const void *buf, __u64 len, __u64 file_offset,
			 __u64 seed);

#endif /* _KDIO_PATTERN_H */
