// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: the relay channel: a fill from another CPU, a
 * consumed count above the sub-buffers, a mapping of the wrong size, the
 * file after the session; and a reader that outlives its session.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rows.h"

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/*
 * relay misuse: a fill from another CPU, consumed above the sub-buffers,
 * an mmap of the wrong size, the file opened after the session.
 */
static int r_relay(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	char path[128];
	int sfd, fd = -1, err = pin(0);

	if (err)
		return err;
	sfd = session(KDIO_XFER_RELAY, SMALL, FEW, 0, &req);
	if (sfd < 0)
		return -sfd;
	snprintf(path, sizeof(path), "%s/cpu%u", KDIO_XFER_RELAY_DIR, req.cpu);
	if (c->variant == 0) {
		err = sysconf(_SC_NPROCESSORS_ONLN) < 2 ? ENODEV : pin(1);
		if (err)
			badinput_say(o, BADINPUT_FAIL, "needs two CPUs");
		else
			err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	} else if (c->variant == 1) {
		f.consumed = req.slots + 1;
		err = badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	} else if (c->variant == 2) {
		fd = open_ro(path);
		err = fd < 0 ? -fd : map_errno(fd, req.map_size / 2, PROT_READ, MAP_SHARED, 0);
	} else {
		close(sfd);
		sfd = -1;
		fd = open_ro(path);
		err = fd < 0 ? -fd : 0;
	}
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	pin(0);
	return err;
}

/* A reader keeps its relay file after the session ends: read() ends. */
static int r_relay_outlives(const struct check *c, struct badinput_outcome *o)
{
	struct kdio_xfer_fill f = { 0 };
	struct kdio_xfer_req req;
	char path[128], buf[SMALL];
	int sfd, fd, err = pin(0);
	ssize_t n;

	(void)c;
	if (err)
		return err;
	sfd = session(KDIO_XFER_RELAY, SMALL, FEW, 0, &req);
	if (sfd < 0)
		return -sfd;
	snprintf(path, sizeof(path), "%s/cpu%u", KDIO_XFER_RELAY_DIR, req.cpu);
	fd = open_ro(path);
	err = fd < 0 ? -fd : badinput_errno(ioctl(sfd, KDIO_IOC_XFER_RELAY_FILL, &f));
	close(sfd);
	if (fd < 0)
		return err;
	while (!err && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (!err && n < 0)
		err = errno;
	if (!err && f.produced != FEW)
		badinput_say(o, BADINPUT_FAIL, "fill made %llu; want %llu", (unsigned long long)f.produced, FEW);
	close(fd);
	return err;
}

static const struct check relay_checks[] = {
	CASE("relay-fill-on-other-cpu", r_relay, EINVAL, 0),
	CASE("relay-fill-consumed-above-subbufs", r_relay, EINVAL, 1),
	CASE("relay-mmap-wrong-size", r_relay, EINVAL, 2),
	CASE("relay-file-gone-after-session", r_relay, ENOENT, 3),
	CASE("relay-reader-outlives-session-valid", r_relay_outlives, 0, 0),
};

const struct badinput_rows relay_rows = BADINPUT_ROWS(relay_checks);
