// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer-badinput: the proc-seq, proc-read and sysfs channels: their
 * files without a session, short reads and offsets, and the valid reads
 * whose messages must come whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "rows.h"

static int r_no_session(const struct check *c, struct badinput_outcome *o)
{
	const char *path = c->channel == KDIO_XFER_PROC_SEQ ? KDIO_XFER_PROC_SEQ_FILE :
			   c->channel == KDIO_XFER_PROC_READ ? KDIO_XFER_PROC_READ_FILE :
			   KDIO_XFER_SYSFS_FILE;
	char buf[SMALL];
	int fd = open_ro(path);
	int err;

	(void)o;
	if (fd < 0)
		return -fd;
	err = badinput_errno(pread(fd, buf, SMALL, 0));	/* sysfs: no open hook */
	close(fd);
	return err;
}

/* proc-read: message 2 whole, a short buffer, an offset inside a message. */
static int r_proc_read(const struct check *c, struct badinput_outcome *o)
{
	char buf[SMALL] __attribute__((aligned(8)));
	int sfd = session(KDIO_XFER_PROC_READ, SMALL, FEW, 0, NULL);
	int fd, err;

	if (sfd < 0)
		return -sfd;
	fd = open_ro(KDIO_XFER_PROC_READ_FILE);
	if (fd < 0) {
		close(sfd);
		return -fd;
	}
	if (c->variant == 1)
		err = badinput_errno(read(fd, buf, SMALL - 8));
	else if (c->variant == 2)
		err = badinput_errno(pread(fd, buf, SMALL, 100));
	else
		err = badinput_errno(pread(fd, buf, SMALL, 2 * SMALL));
	if (!err && c->variant == 0)
		expect_msg(buf, SMALL, 2, o);
	close(fd);
	close(sfd);
	return err;
}

/* proc-seq read in 24-byte pieces: the stream is still whole messages. */
static int r_proc_seq_pieces(const struct check *c, struct badinput_outcome *o)
{
	uint64_t buf[FEW * SMALL / 8];
	int sfd = session(KDIO_XFER_PROC_SEQ, SMALL, FEW, 0, NULL);
	size_t done = 0;
	ssize_t n = 1;
	int fd, err = 0;
	uint64_t i;

	(void)c;
	if (sfd < 0)
		return -sfd;
	fd = open_ro(KDIO_XFER_PROC_SEQ_FILE);
	while (fd >= 0 && n > 0 && done < sizeof(buf)) {
		n = read(fd, (char *)buf + done, sizeof(buf) - done < 24 ? sizeof(buf) - done : 24);
		done += n > 0 ? (size_t)n : 0;
	}
	err = fd < 0 ? -fd : n < 0 ? errno : 0;
	for (i = 0; !err && i < FEW; i++)
		expect_msg((char *)buf + i * SMALL, SMALL, i, o);
	if (!err && !o->detail[0] && (done != sizeof(buf) || read(fd, buf, 8) != 0))
		badinput_say(o, BADINPUT_FAIL, "read %zu bytes, then not the end; want %zu", done, sizeof(buf));
	if (fd >= 0)
		close(fd);
	close(sfd);
	return err;
}

/* sysfs: a 64 KiB message in pieces, or an offset before any message. */
static int r_sysfs(const struct check *c, struct badinput_outcome *o)
{
	uint64_t size = c->variant ? SMALL : KDIO_XFER_SYSFS_MSG_MAX, off = 0;
	int sfd = session(KDIO_XFER_SYSFS, size, FEW, 0, NULL);
	char *buf = aligned_alloc(8, size);
	ssize_t n = 1;
	int fd, err;

	fd = sfd < 0 ? sfd : open_ro(KDIO_XFER_SYSFS_FILE);
	if (fd < 0 || !buf) {
		err = fd < 0 ? -fd : ENOMEM;
	} else if (c->variant) {
		err = badinput_errno(pread(fd, buf, 8, 8));
	} else {
		while (n > 0 && off < size) {
			n = pread(fd, buf + off, size - off, (off_t)off);
			off += n > 0 ? (uint64_t)n : 0;
		}
		err = n < 0 ? errno : 0;
		if (!err)
			expect_msg(buf, size, 0, o);
	}
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	free(buf);
	return err;
}

static const struct check proc_sysfs_checks[] = {
	RUN("proc-seq-no-session", r_no_session, ENODEV, KDIO_XFER_PROC_SEQ),
	RUN("proc-read-no-session", r_no_session, ENODEV, KDIO_XFER_PROC_READ),
	RUN("sysfs-no-session", r_no_session, ENODEV, KDIO_XFER_SYSFS),
	CASE("proc-read-at-offset-valid", r_proc_read, 0, 0),
	CASE("proc-read-short-buffer", r_proc_read, EINVAL, 1),
	CASE("proc-read-offset-inside-message", r_proc_read, EINVAL, 2),
	CASE("proc-seq-small-reads-valid", r_proc_seq_pieces, 0, 0),
	CASE("sysfs-64k-message-valid", r_sysfs, 0, 0),
	CASE("sysfs-offset-before-message", r_sysfs, EINVAL, 1),
};

const struct badinput_rows proc_sysfs_rows = BADINPUT_ROWS(proc_sysfs_checks);
