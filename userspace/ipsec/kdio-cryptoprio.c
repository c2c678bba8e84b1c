// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-cryptoprio: read or change a crypto driver's priority through the
 * kernel's crypto_user netlink interface (NETLINK_CRYPTO), by driver name.
 *
 * Why: XFRM (ip xfrm, strongSwan) names algorithms only ("cbc(aes)",
 * "rfc4106(gcm(aes))"); the kernel gives an SA the highest-priority driver
 * of that name when the SA is made. Raising a driver's priority before the
 * SAs exist is how a run chooses the driver IPsec uses.
 *
 * -p sets a priority (CRYPTO_MSG_UPDATEALG). -P pins: the driver's
 * priority is raised above every other driver of its algorithm, and each
 * of those is updated too (without a new priority), which makes the kernel
 * drop the template instances built on them (authenc(...), echainiv(...)):
 * an instance, once built, is found by name before any new one is built,
 * so without this an SA could still land on the old driver. -c makes the
 * driver first if it is a template instance the kernel has not built yet
 * (cbc(aes-generic); CRYPTO_MSG_NEWALG). Every change is read back
 * (CRYPTO_MSG_GETALG) and a pin is checked against every driver of the
 * algorithm (a GETALG dump): a change that did not take effect is an error.
 *
 * Output: one JSON line (tool, driver, alg, module, priority_before,
 * priority, refcnt: its users as /proc/crypto counts them, pinned,
 * others: "driver=priority,..." of the other drivers of alg, dropped: how
 * many of them were updated), errors with errno, errno_name, error (also
 * on stderr).
 *
 * Exit 0 ok, 1 error, 2 usage, 3 the kernel has no driver of that name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/cryptouser.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "jsonl.h"

#define EXIT_NO_DRIVER	3
#define PRIO_MAX	0x7fffffffU
#define RX_BUF		(128 * 1024)
#define OTHERS_MAX	32
/* cru_flags bits (include/linux/crypto.h, not in the uAPI header) */
#define ALG_LARVAL	0x10
#define ALG_DEAD	0x20

static void usage(FILE *out);

static const struct tool tool = {
	.name		= "kdio-cryptoprio",
	.numbers	= "300, 1000",
	.usage		= usage,
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-cryptoprio -d DRIVER [-a ALG] [-p PRIORITY | -P] [-c]\n"
		"  -d DRIVER    the driver, as /proc/crypto's \"driver\" line names it\n"
		"               (virtio_crypto_aes_cbc, cbc-aes-aesni, cbc(aes-generic))\n"
		"  -a ALG       the algorithm it must implement, as /proc/crypto's \"name\"\n"
		"               (cbc(aes), rfc4106(gcm(aes))); another is refused\n"
		"  -p PRIORITY  set its priority (0..%u)\n"
		"  -P           pin: raise it above every other driver of its algorithm and\n"
		"               drop the template instances built on those\n"
		"  -c           build the driver first if it is a template instance the\n"
		"               kernel has not made yet (cbc(aes-generic))\n"
		"Without -p or -P, print the driver's priority and reference count.\n"
		"Changing a priority needs CAP_NET_ADMIN and the crypto_user module.\n"
		"exit: 0 ok, 1 error, 2 usage, 3 no driver of that name\n", PRIO_MAX);
}

/* What the kernel reports of one algorithm implementation. */
struct alg_info {
	char name[CRYPTO_MAX_NAME];
	char driver[CRYPTO_MAX_NAME];
	char module[CRYPTO_MAX_NAME];
	uint32_t priority, refcnt, flags;
};

struct alg_list {
	struct alg_info a[OTHERS_MAX];
	int n, total;			/* total: matches, kept or not */
};

struct opts {
	const char *driver, *alg;
	uint64_t priority;
	bool set, pin, create;
};

struct outcome {
	struct alg_info before, after;
	struct alg_list others;
	int dropped;
	char msg[MSG_MAX];
};

struct request {
	struct nlmsghdr n;
	struct crypto_user_alg cru;
	char attrs[16];
};

static int nl_open(char *msg, size_t len)
{
	struct sockaddr_nl self = { .nl_family = AF_NETLINK };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_CRYPTO);

	if (s < 0 && errno == EPROTONOSUPPORT)
		return msg_fail(msg, len, EPROTONOSUPPORT,
				"the kernel has no crypto_user netlink interface: load the crypto_user module (CONFIG_CRYPTO_USER)");
	if (s < 0)
		return msg_fail(msg, len, errno, "socket(NETLINK_CRYPTO): %s", strerror(errno));
	if (bind(s, (struct sockaddr *)&self, sizeof(self)) < 0) {
		int err = errno;

		close(s);
		return msg_fail(msg, len, err, "bind(NETLINK_CRYPTO): %s", strerror(err));
	}
	return s;
}

static void req_init(struct request *q, uint16_t type, uint16_t flags, const char *driver)
{
	memset(q, 0, sizeof(*q));
	q->n.nlmsg_len = NLMSG_LENGTH(sizeof(q->cru));
	q->n.nlmsg_type = type;
	q->n.nlmsg_flags = NLM_F_REQUEST | flags;
	q->n.nlmsg_seq = 1;
	if (driver)
		strncpy(q->cru.cru_driver_name, driver, sizeof(q->cru.cru_driver_name) - 1);
}

static void req_priority(struct request *q, uint32_t priority)
{
	struct nlattr *a = (struct nlattr *)((char *)q + NLMSG_ALIGN(q->n.nlmsg_len));

	a->nla_type = CRYPTOCFGA_PRIORITY_VAL;
	a->nla_len = NLA_HDRLEN + sizeof(priority);
	memcpy((char *)a + NLA_HDRLEN, &priority, sizeof(priority));
	q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* One reported algorithm: its struct and its priority attribute. */
static void parse_alg(const struct nlmsghdr *n, struct alg_info *out)
{
	const struct crypto_user_alg *cru = NLMSG_DATA(n);
	const char *p = (const char *)cru + NLMSG_ALIGN(sizeof(*cru));
	int len = (int)n->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*cru)));

	memset(out, 0, sizeof(*out));
	memcpy(out->name, cru->cru_name, sizeof(out->name) - 1);
	memcpy(out->driver, cru->cru_driver_name, sizeof(out->driver) - 1);
	memcpy(out->module, cru->cru_module_name, sizeof(out->module) - 1);
	out->refcnt = cru->cru_refcnt;
	out->flags = cru->cru_flags;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == CRYPTOCFGA_PRIORITY_VAL &&
		    a->nla_len >= NLA_HDRLEN + sizeof(uint32_t))
			memcpy(&out->priority, (const char *)a + NLA_HDRLEN, sizeof(uint32_t));
		p += NLA_ALIGN(a->nla_len);
		len -= NLA_ALIGN(a->nla_len);
	}
}

typedef void (*alg_cb)(const struct alg_info *a, void *arg);

/*
 * Send q and read the replies until an ack, an error or the end of a dump;
 * each reported algorithm goes to cb. 0 or -errno (the kernel's).
 */
static int nl_talk(int s, struct request *q, alg_cb cb, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[RX_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));

	if (sendto(s, q, q->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t got = recv(s, buf, sizeof(buf), 0);
		struct nlmsghdr *n;
		int left;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		left = (int)got;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, left); n = NLMSG_NEXT(n, left)) {
			if (n->nlmsg_type == NLMSG_DONE)
				return 0;
			if (n->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(n);

				return e->error;
			}
			if (n->nlmsg_type == CRYPTO_MSG_GETALG && cb) {
				struct alg_info a;

				parse_alg(n, &a);
				cb(&a, arg);
			}
			if (!(n->nlmsg_flags & NLM_F_MULTI) && !(q->n.nlmsg_flags & NLM_F_ACK))
				return 0;
		}
	}
}

static void keep_one(const struct alg_info *a, void *arg)
{
	*(struct alg_info *)arg = *a;
}

static int get_alg(int s, const char *driver, struct alg_info *out)
{
	struct request q;

	req_init(&q, CRYPTO_MSG_GETALG, 0, driver);
	memset(out, 0, sizeof(*out));
	return nl_talk(s, &q, keep_one, out);
}

/* The dump's live algorithms named name, except the driver skip. */
struct same_name {
	const char *name, *skip;
	struct alg_list *list;
};

static void keep_same_name(const struct alg_info *a, void *arg)
{
	struct same_name *f = arg;

	if (a->flags & (ALG_LARVAL | ALG_DEAD) || strcmp(a->name, f->name) ||
	    (f->skip && !strcmp(a->driver, f->skip)))
		return;
	f->list->total++;
	if (f->list->n < OTHERS_MAX)
		f->list->a[f->list->n++] = *a;
}

static int list_alg(int s, const char *name, const char *skip, struct alg_list *out)
{
	struct same_name f = { .name = name, .skip = skip, .list = out };
	struct request q;

	memset(out, 0, sizeof(*out));
	req_init(&q, CRYPTO_MSG_GETALG, NLM_F_DUMP, NULL);
	return nl_talk(s, &q, keep_same_name, &f);
}

/* UPDATEALG: a new priority if have_prio, else only the instances dropped. */
static int update_alg(int s, const char *driver, bool have_prio, uint32_t priority)
{
	struct request q;

	req_init(&q, CRYPTO_MSG_UPDATEALG, NLM_F_ACK, driver);
	if (have_prio)
		req_priority(&q, priority);
	return nl_talk(s, &q, NULL, NULL);
}

static int new_alg(int s, const char *driver)
{
	struct request q;

	req_init(&q, CRYPTO_MSG_NEWALG, NLM_F_ACK, driver);
	return nl_talk(s, &q, NULL, NULL);
}

/* "a (400), b (100)" of a list, for messages and the record. */
static void list_text(const struct alg_list *l, char *out, size_t len, bool parens)
{
	size_t used = 0;

	out[0] = 0;
	for (int i = 0; i < l->n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, parens ? "%s%s (%u)" : "%s%s=%u",
					 i ? (parens ? ", " : ",") : "", l->a[i].driver,
					 l->a[i].priority);
	if (l->total > l->n && used < len)
		snprintf(out + used, len - used, "%s...", l->n ? "," : "");
}

static int no_driver(int s, const char *driver, struct outcome *o)
{
	struct alg_list named;
	char drivers[256];

	if (!list_alg(s, driver, NULL, &named) && named.n) {
		list_text(&named, drivers, sizeof(drivers), true);
		return msg_fail(o->msg, sizeof(o->msg), ENOENT,
				"no crypto driver named %s: that is an algorithm name; its drivers are %s",
				driver, drivers);
	}
	return msg_fail(o->msg, sizeof(o->msg), ENOENT,
			"no crypto driver named %s; /proc/crypto lists them (its \"driver\" lines)",
			driver);
}

static int change_refused(int err, const char *driver, struct outcome *o)
{
	if (err == -EPERM)
		return msg_fail(o->msg, sizeof(o->msg), EPERM,
				"changing the priority of %s needs CAP_NET_ADMIN: run as root", driver);
	return msg_fail(o->msg, sizeof(o->msg), -err, "crypto_user refused to change %s: %s",
			driver, strerror(-err));
}

/* The driver's record; built first with -c if the kernel has none. */
static int find_driver(int s, const struct opts *op, struct outcome *o)
{
	int err = get_alg(s, op->driver, &o->before);

	if (err == -ENOENT && op->create) {
		err = new_alg(s, op->driver);
		if (err && err != -EEXIST && err != -ENOENT)
			return change_refused(err, op->driver, o);
		err = get_alg(s, op->driver, &o->before);
	}
	if (err == -ENOENT)
		return no_driver(s, op->driver, o);
	if (err)
		return msg_fail(o->msg, sizeof(o->msg), -err, "crypto_user GETALG %s: %s",
				op->driver, strerror(-err));
	if (op->alg && strcmp(o->before.name, op->alg)) {
		struct alg_list named;
		char drivers[256] = "none";

		if (!list_alg(s, op->alg, NULL, &named) && named.n)
			list_text(&named, drivers, sizeof(drivers), true);
		return msg_fail(o->msg, sizeof(o->msg), EINVAL,
				"driver %s implements %s, not %s; drivers of %s: %s",
				op->driver, o->before.name, op->alg, op->alg, drivers);
	}
	return 0;
}

/* -P: above every other driver of the algorithm, whose instances go. */
static int pin(int s, const struct opts *op, struct outcome *o, uint32_t *priority)
{
	uint32_t top = 0;
	int err = list_alg(s, o->before.name, op->driver, &o->others);

	if (err)
		return msg_fail(o->msg, sizeof(o->msg), -err, "crypto_user dump: %s", strerror(-err));
	for (int i = 0; i < o->others.n; i++)
		top = o->others.a[i].priority > top ? o->others.a[i].priority : top;
	if (top >= PRIO_MAX)
		return msg_fail(o->msg, sizeof(o->msg), ERANGE,
				"another driver of %s already has the highest priority", o->before.name);
	*priority = top + 1 > o->before.priority ? top + 1 : o->before.priority;
	for (int i = 0; i < o->others.n; i++) {
		err = update_alg(s, o->others.a[i].driver, false, 0);
		if (err == -ENOENT)	/* an instance dropped with an earlier one */
			continue;
		if (err)
			return change_refused(err, o->others.a[i].driver, o);
		o->dropped++;
	}
	return 0;
}

/* Read back: the priority asked for, and with -P the highest of its name. */
static int check_change(int s, const struct opts *op, struct outcome *o, uint32_t priority)
{
	struct alg_list now;
	int err = get_alg(s, op->driver, &o->after);

	if (err)
		return msg_fail(o->msg, sizeof(o->msg), -err, "reading %s back: %s", op->driver,
				strerror(-err));
	if (o->after.priority != priority)
		return msg_fail(o->msg, sizeof(o->msg), EIO,
				"priority of %s is %u after the change, not %u: it did not take effect",
				op->driver, o->after.priority, priority);
	if (!op->pin)
		return 0;
	err = list_alg(s, o->after.name, op->driver, &now);
	if (err)
		return msg_fail(o->msg, sizeof(o->msg), -err, "crypto_user dump: %s", strerror(-err));
	for (int i = 0; i < now.n; i++)
		if (now.a[i].priority >= priority)
			return msg_fail(o->msg, sizeof(o->msg), EIO,
					"%s (%u) is not below %s (%u) after the pin",
					now.a[i].driver, now.a[i].priority, op->driver, priority);
	o->others = now;
	return 0;
}

static int run(int s, const struct opts *op, struct outcome *o)
{
	uint32_t priority = (uint32_t)op->priority;
	int err = find_driver(s, op, o);

	if (err)
		return err;
	o->after = o->before;
	if (!op->set && !op->pin) {	/* the others are shown, not needed */
		if (list_alg(s, o->before.name, op->driver, &o->others))
			memset(&o->others, 0, sizeof(o->others));
		return 0;
	}
	if (op->pin) {
		err = pin(s, op, o, &priority);
		if (err)
			return err;
	}
	err = update_alg(s, op->driver, true, priority);
	if (err)
		return change_refused(err, op->driver, o);
	return check_change(s, op, o, priority);
}

static void report(const struct opts *op, const struct outcome *o, int err)
{
	struct jsonl j;
	char others[512];

	list_text(&o->others, others, sizeof(others), false);
	json_record_begin(&j, &tool);
	jsonl_str(&j, "driver", op->driver);
	jsonl_str(&j, "alg", o->before.name[0] ? o->before.name : NULL);
	jsonl_str(&j, "module", o->before.module[0] ? o->before.module : NULL);
	json_u64_or_null(&j, "priority_before", o->before.driver[0], o->before.priority);
	json_u64_or_null(&j, "priority", !err && o->after.driver[0], o->after.priority);
	/* the report holds a reference of its own */
	json_u64_or_null(&j, "refcnt", !err && o->after.refcnt, o->after.refcnt - 1);
	jsonl_bool(&j, "pinned", op->pin && !err);
	jsonl_str(&j, "others", others);
	jsonl_u64(&j, "dropped", (uint64_t)o->dropped);
	json_record_end(&j, err, o->msg);
	if (err)
		fprintf(stderr, "%s: %s\n", tool.name, o->msg);
}

static int parse_args(int argc, char **argv, struct opts *op)
{
	const char *bad = NULL;
	int c;

	while ((c = getopt(argc, argv, "d:a:p:Pch")) != -1) {
		switch (c) {
		case 'd': op->driver = optarg; break;
		case 'a': op->alg = optarg; break;
		case 'p': opt_u64(&bad, optarg, &op->priority); op->set = true; break;
		case 'P': op->pin = true; break;
		case 'c': op->create = true; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	c = args_end(&tool, bad, argv + optind);
	if (c)
		return c;
	if (!op->driver || !op->driver[0])
		return usage_error(&tool, "-d DRIVER is required");
	if (strlen(op->driver) >= CRYPTO_MAX_NAME || (op->alg && strlen(op->alg) >= CRYPTO_MAX_NAME))
		return usage_error(&tool, "a crypto name has at most 63 characters");
	if (op->set && op->pin)
		return usage_error(&tool, "-p and -P exclude each other: -P chooses the priority");
	if (op->set && op->priority > PRIO_MAX)
		return usage_error(&tool, "-p PRIORITY is 0..2147483647");
	return 0;
}

int main(int argc, char **argv)
{
	struct opts op = { 0 };
	static struct outcome o;
	int s, err, rc = parse_args(argc, argv, &op);

	if (rc)
		return rc;
	s = nl_open(o.msg, sizeof(o.msg));
	err = s < 0 ? -s : -run(s, &op, &o);
	if (s >= 0)
		close(s);
	report(&op, &o, err);
	if (err == ENOENT && !o.before.driver[0])
		return EXIT_NO_DRIVER;
	return err ? EXIT_ERROR : EXIT_OK;
}
