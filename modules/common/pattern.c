// SPDX-License-Identifier: GPL-2.0
/*
 * The kdio data pattern (see common/pattern.h). Built into the kdio_dio
 * and kdio_xfer modules and into the userspace tools, so it uses nothing
 * but __u64 and byte arithmetic: no libc, no kernel helpers, no alignment
 * or endianness assumptions about buf.
 */
#include "pattern.h"

/* splitmix64's output finaliser: a cheap, well-mixed bijection. */
static __u64 kdio_pattern_mix(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

__u64 kdio_pattern_word(__u64 index, __u64 seed)
{
	return kdio_pattern_mix(seed ^ (index * KDIO_PATTERN_GOLDEN));
}

/* Byte-wise little-endian store and load; compilers merge them into one. */
static void kdio_pattern_put_le64(unsigned char *p, __u64 w)
{
	p[0] = (unsigned char)w;
	p[1] = (unsigned char)(w >> 8);
	p[2] = (unsigned char)(w >> 16);
	p[3] = (unsigned char)(w >> 24);
	p[4] = (unsigned char)(w >> 32);
	p[5] = (unsigned char)(w >> 40);
	p[6] = (unsigned char)(w >> 48);
	p[7] = (unsigned char)(w >> 56);
}

static __u64 kdio_pattern_get_le64(const unsigned char *p)
{
	return (__u64)p[0] | (__u64)p[1] << 8 | (__u64)p[2] << 16 |
	       (__u64)p[3] << 24 | (__u64)p[4] << 32 | (__u64)p[5] << 40 |
	       (__u64)p[6] << 48 | (__u64)p[7] << 56;
}

/* The pattern byte at file offset o. */
static unsigned char kdio_pattern_byte(__u64 o, __u64 seed)
{
	return (unsigned char)(kdio_pattern_word(o >> 3, seed) >> ((o & 7) * 8));
}

/*
 * Whole words where the file offset is 8-aligned (the common case: O_DIRECT
 * offsets are 512-aligned); single bytes for an unaligned head or tail.
 */
void kdio_pattern_fill(void *buf, __u64 len, __u64 file_offset, __u64 seed)
{
	unsigned char *p = buf;
	__u64 i = 0;

	while (i < len) {
		__u64 o = file_offset + i;

		if ((o & 7) == 0 && len - i >= 8) {
			kdio_pattern_put_le64(p + i, kdio_pattern_word(o >> 3, seed));
			i += 8;
			continue;
		}
		p[i++] = kdio_pattern_byte(o, seed);
	}
}

/*
 * Compare a word at a time; on a differing word, fall through to the
 * byte loop, which finds the first differing byte within that word.
 */
__u64 kdio_pattern_check(const void *buf, __u64 len, __u64 file_offset,
			 __u64 seed)
{
	const unsigned char *p = buf;
	__u64 i = 0;

	while (i < len) {
		__u64 o = file_offset + i;

		if ((o & 7) == 0 && len - i >= 8 &&
		    kdio_pattern_get_le64(p + i) == kdio_pattern_word(o >> 3, seed)) {
			i += 8;
			continue;
		}
		if (p[i] != kdio_pattern_byte(o, seed))
			return i + 1;
		i++;
	}
	return 0;
}
