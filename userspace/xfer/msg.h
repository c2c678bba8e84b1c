/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kdio_xfer message format on the tools' side (kdio/xfer.h says what
 * a message is): making one, as the module does, and checking one.
 */
#ifndef KDIO_XFER_MSG_H
#define KDIO_XFER_MSG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Fill msg (msg_size bytes, 8-aligned) with the template for seed and
 * return the sum of its static words, as the module does at setup.
 */
uint64_t xfer_msg_template(void *msg, uint64_t msg_size, uint64_t seed);

/* Make msg message seq, stamped ts_ns, from its template and sum. */
void xfer_msg_stamp(void *msg, uint64_t seq, uint64_t ts_ns,
		    uint64_t static_sum);

/* Whether msg is whole: len, flags, the seq word and the checksum. */
bool xfer_msg_ok(const void *msg, uint64_t msg_size);

#endif /* KDIO_XFER_MSG_H */
