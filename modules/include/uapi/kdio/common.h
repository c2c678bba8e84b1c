/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * What every kdio uAPI header shares: the ioctl magic, whose numbers
 * each module takes from its own range (dio 0x01-0x1f, xfer 0x20-0x2f,
 * crypto 0x30-0x3f), and the kernel's uAPI types. Each module's header
 * (kdio/dio.h, kdio/xfer.h, kdio/crypto.h) has its own ABI version,
 * which its requests carry in abi_version. No logic here.
 */
#ifndef _KDIO_UAPI_COMMON_H
#define _KDIO_UAPI_COMMON_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KDIO_IOC_MAGIC		0xD1

#endif /* _KDIO_UAPI_COMMON_H */
