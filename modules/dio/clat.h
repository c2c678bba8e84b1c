/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The latency histogram of kdio/dio.h (struct kdio_clat), shared by the
 * kdio_dio module, which fills it in the kernel, and the userspace tools,
 * which fill it for their own timed calls (kdio-kmap) and name its bins.
 * No logic here.
 */
#ifndef _KDIO_CLAT_H
#define _KDIO_CLAT_H

#include <linux/types.h>

#include "kdio/dio.h"

/* The bin a latency of ns nanoseconds goes into: < KDIO_CLAT_NR_BINS. */
__u32 kdio_clat_index(__u64 ns);

/* The nanoseconds bin index stands for (index < KDIO_CLAT_NR_BINS). */
__u64 kdio_clat_value(__u32 index);

/* Empty c: no sample, every bin 0. */
void kdio_clat_reset(struct kdio_clat *c);

/* Count one latency of ns nanoseconds in c: no allocation, no lock. */
void kdio_clat_add(struct kdio_clat *c, __u64 ns);

#endif /* _KDIO_CLAT_H */
