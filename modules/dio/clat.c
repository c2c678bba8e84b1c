// SPDX-License-Identifier: GPL-2.0
/*
 * The latency histogram (see kdio/dio.h, struct kdio_clat, and
 * clat.h). Built into the kdio_dio module and into the userspace
 * tools, so it uses nothing but __u64 arithmetic and a compiler builtin:
 * no libc, no kernel helpers.
 */
#include "clat.h"

__u32 kdio_clat_index(__u64 ns)
{
	unsigned int msb, shift;
	__u64 index;

	if (ns < 2 * KDIO_CLAT_VAL)
		return (__u32)ns;
	msb = 63 - (unsigned int)__builtin_clzll(ns);
	shift = msb - KDIO_CLAT_BITS;
	index = ((__u64)(shift + 1) << KDIO_CLAT_BITS) +
		((ns >> shift) & (KDIO_CLAT_VAL - 1));
	return index < KDIO_CLAT_NR_BINS - 1 ? (__u32)index : KDIO_CLAT_NR_BINS - 1;
}

__u64 kdio_clat_value(__u32 index)
{
	unsigned int shift;

	if (index < 2 * KDIO_CLAT_VAL)
		return index;
	shift = (index >> KDIO_CLAT_BITS) - 1;
	return (1ULL << (shift + KDIO_CLAT_BITS)) +
	       ((__u64)(index % KDIO_CLAT_VAL) << shift) + (1ULL << (shift - 1));
}

void kdio_clat_reset(struct kdio_clat *c)
{
	__u32 i;

	c->samples = 0;
	c->min_ns = 0;
	c->max_ns = 0;
	c->sum_ns = 0;
	for (i = 0; i < KDIO_CLAT_NR_BINS; i++)
		c->bins[i] = 0;
}

void kdio_clat_add(struct kdio_clat *c, __u64 ns)
{
	if (!c->samples || ns < c->min_ns)
		c->min_ns = ns;
	if (ns > c->max_ns)
		c->max_ns = ns;
	c->sum_ns += ns;
	c->samples++;
	c->bins[kdio_clat_index(ns)]++;
}
