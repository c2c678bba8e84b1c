/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel crypto API from user space through AF_ALG sockets: the
 * baseline of kdio-afalg and the reference kdio-crypto -V checks against.
 *
 * A transform socket is bound to an algorithm or driver name (AF_ALG
 * takes either) and keyed; each operation socket accepted from it has
 * its own IV, operation and data, so requests in flight at the same time
 * each need one. A request is one sendmsg() of its input with the
 * operation, IV and associated-data length as control messages, then a
 * read of its whole output.
 */
#ifndef KDIO_AFALG_H
#define KDIO_AFALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct afalg_req {
	bool decrypt;
	const void *iv;
	size_t iv_len;
	uint32_t assoclen;		/* aead: bytes of associated data */
};

/*
 * A transform socket of type "skcipher" or "aead" bound to name, keyed,
 * with authsize (aead; 0 otherwise). fd, or -errno: -ENOENT for a name
 * the kernel does not know, -EAFNOSUPPORT without AF_ALG (af_alg and
 * algif_skcipher/algif_aead not loaded).
 */
int afalg_bind(const char *type, const char *name, const void *key,
	       size_t key_len, unsigned int authsize);

/*
 * An operation socket of tfm whose buffers hold a request of bytes (as
 * root, beyond net.core.wmem_max/rmem_max); fd or -errno.
 */
int afalg_accept(int tfm, size_t bytes);

/* Send one request's input; 0 or -errno. */
int afalg_send(int op, const struct afalg_req *r, const struct iovec *iov,
	       int iovcnt);

/* Read one request's output of total bytes, whole; 0 or -errno. */
int afalg_recv(int op, const struct iovec *iov, int iovcnt, size_t total);

/* One request, sent then read back, on op. */
int afalg_crypt(int op, const struct afalg_req *r, const struct iovec *in,
		int in_cnt, const struct iovec *out, int out_cnt,
		size_t out_total);

/*
 * The driver the kernel binds for name of type, from /proc/crypto: name
 * itself if it is a driver name, else the highest-priority driver of that
 * algorithm that is not internal and passed its self-test, which is the
 * crypto API's own rule. 0, or -ENOENT if /proc/crypto lists none.
 */
int afalg_driver_of(const char *type, const char *name, char *driver,
		    size_t len);

#endif /* KDIO_AFALG_H */
