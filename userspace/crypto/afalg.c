// SPDX-License-Identifier: GPL-2.0
/* AF_ALG sockets (see afalg.h). */
#define _GNU_SOURCE
#include "afalg.h"

#include <errno.h>
#include <linux/if_alg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG		279
#endif

#define PAGE		4096
#define MAX_IV		16
#define MAX_IOV		4

int afalg_bind(const char *type, const char *name, const void *key,
	       size_t key_len, unsigned int authsize)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd, err;

	if (strlen(name) >= sizeof(sa.salg_name))
		return -ENAMETOOLONG;
	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_ALG, ALG_SET_KEY, key, (socklen_t)key_len) ||
	    (authsize && setsockopt(fd, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL,
				    authsize))) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Raise one of the socket's buffers to hold bytes and a page more. */
static int set_buf(int fd, int force, int opt, size_t bytes)
{
	int want = (int)(bytes + 2 * PAGE), got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, opt, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, opt, &got, &len))
		return -errno;
	return (size_t)got >= bytes + PAGE ? 0 : -ENOBUFS;
}

int afalg_accept(int tfm, size_t bytes)
{
	int fd = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
	if (!ret)
		ret = set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Append a control message of type with len bytes of data; its data. */
static void *add_cmsg(struct msghdr *msg, int type, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)((char *)msg->msg_control +
					       msg->msg_controllen);

	c->cmsg_level = SOL_ALG;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	msg->msg_controllen += CMSG_SPACE(len);
	return CMSG_DATA(c);
}

int afalg_send(int op, const struct afalg_req *r, const struct iovec *iov,
	       int iovcnt)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) * 2 +
			 CMSG_SPACE(sizeof(struct af_alg_iv) + MAX_IV)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)iovcnt,
		.msg_control = ctl.buf,
	};
	uint32_t v = r->decrypt ? ALG_OP_DECRYPT : ALG_OP_ENCRYPT;
	struct af_alg_iv aiv = { .ivlen = (uint32_t)r->iv_len };
	size_t total = 0;
	char *data;
	ssize_t n;
	int i;

	if (r->iv_len > MAX_IV)
		return -EINVAL;
	memset(&ctl, 0, sizeof(ctl));
	memcpy(add_cmsg(&msg, ALG_SET_OP, sizeof(v)), &v, sizeof(v));
	data = add_cmsg(&msg, ALG_SET_IV, sizeof(aiv) + r->iv_len);
	memcpy(data, &aiv, sizeof(aiv));
	memcpy(data + sizeof(aiv), r->iv, r->iv_len);
	if (r->assoclen)
		memcpy(add_cmsg(&msg, ALG_SET_AEAD_ASSOCLEN, sizeof(uint32_t)),
		       &r->assoclen, sizeof(uint32_t));
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	n = sendmsg(op, &msg, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == total ? 0 : -EIO;
}

int afalg_recv(int op, const struct iovec *iov, int iovcnt, size_t total)
{
	struct iovec left[MAX_IOV];
	int first = 0;

	if (iovcnt > MAX_IOV)
		return -EINVAL;
	memcpy(left, iov, (size_t)iovcnt * sizeof(*iov));
	while (total) {
		ssize_t n = readv(op, left + first, iovcnt - first);

		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		total -= (size_t)n;
		while (n && first < iovcnt) {	/* step over what was read */
			size_t step = (size_t)n < left[first].iov_len ?
				      (size_t)n : left[first].iov_len;

			left[first].iov_base = (char *)left[first].iov_base + step;
			left[first].iov_len -= step;
			n -= (ssize_t)step;
			if (!left[first].iov_len)
				first++;
		}
	}
	return 0;
}

int afalg_crypt(int op, const struct afalg_req *r, const struct iovec *in,
		int in_cnt, const struct iovec *out, int out_cnt,
		size_t out_total)
{
	int ret = afalg_send(op, r, in, in_cnt);

	return ret ? ret : afalg_recv(op, out, out_cnt, out_total);
}

/* One /proc/crypto entry, the fields we look at. */
struct entry {
	char name[128], driver[128], type[32], internal[8], selftest[16];
	long priority;
};

static void parse_field(struct entry *e, const char *key, const char *val)
{
	if (!strcmp(key, "name"))
		snprintf(e->name, sizeof(e->name), "%s", val);
	else if (!strcmp(key, "driver"))
		snprintf(e->driver, sizeof(e->driver), "%s", val);
	else if (!strcmp(key, "type"))
		snprintf(e->type, sizeof(e->type), "%s", val);
	else if (!strcmp(key, "internal"))
		snprintf(e->internal, sizeof(e->internal), "%s", val);
	else if (!strcmp(key, "selftest"))
		snprintf(e->selftest, sizeof(e->selftest), "%s", val);
	else if (!strcmp(key, "priority"))
		e->priority = strtol(val, NULL, 10);
}

/* Whether e is what type/name binds, and better than *best so far. */
static bool better(const struct entry *e, const char *type, const char *name,
		   const struct entry *best, bool have)
{
	/* since 6.8 cbc is an lskcipher, which skcipher sockets take too */
	if (strcmp(e->type, type) && !(strcmp(type, "skcipher") == 0 &&
				       strcmp(e->type, "lskcipher") == 0))
		return false;
	if (!strcmp(e->driver, name))
		return true;
	if (strcmp(e->name, name) || !strcmp(e->internal, "yes") ||
	    strcmp(e->selftest, "passed"))
		return false;
	return !have || (strcmp(best->driver, name) &&
			 e->priority > best->priority);
}

int afalg_driver_of(const char *type, const char *name, char *driver,
		    size_t len)
{
	struct entry e = { .priority = 0 }, best = { .priority = 0 };
	FILE *f = fopen("/proc/crypto", "r");
	char line[256];
	bool have = false, more = true;

	if (!f)
		return -errno;
	while (more) {
		char *colon, *key = line, *val;

		more = fgets(line, sizeof(line), f) != NULL;
		if (!more || line[0] == '\n') {
			if (better(&e, type, name, &best, have)) {
				best = e;
				have = true;
			}
			memset(&e, 0, sizeof(e));
			continue;
		}
		colon = strchr(line, ':');
		if (!colon)
			continue;
		val = colon + 1 + strspn(colon + 1, " \t");
		val[strcspn(val, "\n")] = '\0';
		while (colon > key && (colon[-1] == ' ' || colon[-1] == '\t'))
			colon--;
		*colon = '\0';
		parse_field(&e, key, val);
	}
	fclose(f);
	if (!have)
		return -ENOENT;
	snprintf(driver, len, "%s", best.driver);
	return 0;
}
