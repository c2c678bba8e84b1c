/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink for the kdio_xfer tools: the "kdio_xfer" family's id,
 * its SEND request, and finding an attribute in a reply. Plain sockets,
 * no library.
 */
#ifndef KDIO_XFER_GENL_H
#define KDIO_XFER_GENL_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>

/*
 * A bound NETLINK_GENERIC socket and the family's id; 0 or -errno
 * (-ENOENT: the family is not registered, kdio_xfer.ko is not loaded).
 * The socket is left in *sock either way (-1 if none).
 */
int xfer_genl_open(int *sock, uint16_t *family);

/*
 * Send SEND with the attributes asked for (0 leaves one out); 0 or
 * -errno. The kernel answers in the calling thread before this returns.
 */
int xfer_genl_send(int sock, uint16_t family, uint64_t count,
		   uint64_t msg_size);

/* Attribute type of a generic netlink message, or NULL. */
const struct nlattr *xfer_genl_find(const struct nlmsghdr *n, uint16_t type);

#endif /* KDIO_XFER_GENL_H */
