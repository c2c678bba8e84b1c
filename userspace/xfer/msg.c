// SPDX-License-Identifier: GPL-2.0
/* The kdio_xfer message format on the tools' side (see xfer_msg.h). */
#include "msg.h"

#include <string.h>

#include "common/pattern.h"
#include "kdio/xfer.h"

uint64_t xfer_msg_template(void *msg, uint64_t msg_size, uint64_t seed)
{
	struct kdio_xfer_msg *hdr = msg;
	const uint64_t *word = msg;
	uint64_t i, sum = 0;

	memset(hdr, 0, sizeof(*hdr));
	hdr->len = (uint32_t)msg_size;
	kdio_pattern_fill(hdr + 1, msg_size - sizeof(*hdr), 0, seed);
	*(uint64_t *)(hdr + 1) = 0;
	for (i = 0; i < msg_size / sizeof(uint64_t); i++)
		sum += word[i];
	return sum;
}

void xfer_msg_stamp(void *msg, uint64_t seq, uint64_t ts_ns,
		    uint64_t static_sum)
{
	struct kdio_xfer_msg *hdr = msg;

	hdr->seq = seq;
	hdr->ts_ns = ts_ns;
	*(uint64_t *)(hdr + 1) = seq;
	hdr->csum = static_sum + 2 * seq + ts_ns;
}

bool xfer_msg_ok(const void *msg, uint64_t msg_size)
{
	const struct kdio_xfer_msg *hdr = msg;
	const uint64_t *word = msg;
	uint64_t i, sum = 0;

	for (i = 0; i < msg_size / sizeof(uint64_t); i++)
		sum += word[i];
	sum -= hdr->csum;
	return sum == hdr->csum && hdr->len == msg_size && !hdr->flags &&
	       *(const uint64_t *)(hdr + 1) == hdr->seq;
}
