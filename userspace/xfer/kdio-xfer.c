// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-xfer: consume COUNT messages of MSG_SIZE bytes from one kdio_xfer
 * channel (or, with -c write, produce them), check every one and print
 * one JSON line: throughput, latency percentiles, gaps, bad messages and
 * drops.
 *
 * Every message is checked whole: its checksum summed over all its bytes,
 * its len, its seq against the next one expected (a higher one is a gap
 * of the messages in between, a lower one is bad). Its latency is the
 * time it was seen by the tool (CLOCK_MONOTONIC, read once per system
 * call that delivered it, so a batch shares one time) minus its ts_ns;
 * for -c write, the return of write() minus the time the tool stamped
 * it. elapsed_ns runs from the first message's ts_ns to the time the
 * last one had been checked (or, if it was dropped, seen).
 *
 * Exit 1 on any error, gap, bad message or drop; for netlink and relay,
 * drops are a measured result (the kernel dropped a message it could not
 * deliver and said so): they are reported, and gaps that equal them are
 * not corruption.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "consumers.h"
#include "kdio/marker.h"
#include "jsonl.h"
#include "kdio/xfer.h"
/* Most messages in one run: their latencies are kept in memory. */
#define MAX_COUNT	(1ULL << 26)

#define CONSUMER_NAME(ops, name)	name,
#define CONSUMER_ROW(ops, name)		&xfer_consumer_##ops,

/* The consumers -c takes, from the one list of them (consumers.h). */
static const char *const mode_names[] = {
	KDIO_XFER_CONSUMERS(CONSUMER_NAME)
};

static const struct consumer *const modes[] = {
	KDIO_XFER_CONSUMERS(CONSUMER_ROW)
};

#define NR_MODES	((int)(sizeof(modes) / sizeof(modes[0])))

/* The consumer names joined with '|', for usage() and the messages. */
static char mode_list[256];

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-xfer -c CHANNEL -s MSG_SIZE -n COUNT [-S SEED] [-r RING_BYTES] [-D DEVICE]\n"
		"       kdio-xfer -L\n"
		"  -c CHANNEL  %s\n"
		"  -s SIZE     bytes per message, header included (k/m suffixes; multiple of 8, at\n"
		"              least 40; at most 1m, sysfs 64k, netlink 65528)\n"
		"  -n COUNT    messages (at most %llu)\n"
		"  -S SEED     payload pattern seed (default 0)\n"
		"  -r BYTES    mmap: the ring; relay-*: each CPU's buffer (page multiple, at most\n"
		"              64m; default 4m); netlink: the socket's receive buffer (default 4m)\n"
		"  -D DEVICE   default " KDIO_XFER_DEVICE "\n"
		"  -L          list the channels, one per line\n",
		mode_list, MAX_COUNT);
}

static const struct tool tool = {
	.name		= "kdio-xfer",
	.numbers	= "4096, 64k, 1m",
	.usage		= usage,
	.abi		= KDIO_XFER_ABI_VERSION,
};

/* The consumer called name into o; false if there is none. */
static bool find_mode(struct xfer_opts *o, const char *name)
{
	int i = opt_lookup(mode_names, NR_MODES, name);

	if (i < 0)
		return false;
	o->name = mode_names[i];
	o->mode = modes[i];
	return true;
}

/* 0, or EXIT_USAGE after saying what is wrong. */
static int check_opts(const struct xfer_opts *o, bool ring_given)
{
	char must[MSG_MAX];
	const char *why = NULL;

	snprintf(must, sizeof(must), "-c must be one of %s", mode_list);
	if (!o->mode)
		why = must;
	else if (!o->msg_size || !o->count)
		why = "-s and -n are required and non-zero";
	else if (o->count > MAX_COUNT)
		why = "-n COUNT is above the limit (see -h)";
	else if (ring_given && !o->mode->ring && o->mode->channel != KDIO_XFER_NETLINK)
		why = "-r applies to mmap, relay-read, relay-mmap and netlink only";
	else if (o->mode->channel == KDIO_XFER_NETLINK &&
		 (!o->ring_bytes || o->ring_bytes > INT32_MAX / 2))
		why = "-r for netlink must be 1 byte to 1g";
	return why ? usage_error(&tool, why) : 0;
}

static int parse_args(int argc, char **argv, struct xfer_opts *o)
{
	const char *bad = NULL;
	bool ring_given = false;
	int c, ret;

	*o = (struct xfer_opts){ .device = KDIO_XFER_DEVICE };
	names_join(mode_names, NR_MODES, mode_list, sizeof(mode_list));
	while ((c = getopt(argc, argv, "c:s:n:S:r:D:Lh")) != -1) {
		switch (c) {
		case 'c':
			if (!find_mode(o, optarg))
				return check_opts(o, false);
			break;
		case 's': opt_size(&bad, optarg, &o->msg_size); break;
		case 'n': opt_size(&bad, optarg, &o->count); break;
		case 'S': opt_u64(&bad, optarg, &o->seed); break;
		case 'r': opt_size(&bad, optarg, &o->ring_bytes); ring_given = true; break;
		case 'D': o->device = optarg; break;
		case 'L': names_print(mode_names, NR_MODES); exit(EXIT_OK);
		case 'h': usage(stdout); exit(EXIT_OK);
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	ret = args_end(&tool, bad, argv + optind);
	if (ret)
		return ret;
	if (o->mode && o->mode->channel == KDIO_XFER_NETLINK && !ring_given)
		o->ring_bytes = KDIO_XFER_RING_DEFAULT;
	return check_opts(o, ring_given);
}

/* What a refused setup means, in words. */
static int describe_setup(struct xrun *r, int err)
{
	const struct xfer_opts *o = r->o;

	switch (err) {
	case EBUSY:
		return fail(r, err, "channel %s is in use by another consumer (one session per channel); wait for it to end",
			    o->name);
	case EINVAL:
		return fail(r, err, "the module refused msg_size %" PRIu64 ", count %" PRIu64 " or ring_bytes %" PRIu64 " for %s: msg_size must be a multiple of 8 from 40 to 1m (sysfs 64k, netlink 65528), ring_bytes a page multiple up to 64m holding a message (relay: two sub-buffers)",
			    o->msg_size, o->count, o->mode->ring ? o->ring_bytes : 0, o->name);
	case EPROTO:
	case ENOTTY:
		return fail(r, err, "%s does not speak this tool's kdio ABI %d; load kdio_xfer.ko built from the same tree",
			    o->device, KDIO_XFER_ABI_VERSION);
	default:
		return fail(r, err, "KDIO_IOC_XFER_SETUP: %s", strerror(err));
	}
}

static int setup(struct xrun *r)
{
	const struct xfer_opts *o = r->o;

	r->req = (struct kdio_xfer_req){
		.abi_version	= KDIO_XFER_ABI_VERSION,
		.struct_size	= sizeof(r->req),
		.channel	= o->mode->channel,
		.msg_size	= o->msg_size,
		.count		= o->count,
		.seed		= o->seed,
		.ring_bytes	= o->mode->ring ? o->ring_bytes : 0,
	};
	if (ioctl(r->fd, KDIO_IOC_XFER_SETUP, &r->req))
		return describe_setup(r, errno);
	return 0;
}

/*
 * After the run: the module's drops, and whether the stream was whole.
 * Where drops are a result, missing last messages are gaps like others.
 */
static int finish(struct xrun *r)
{
	struct kdio_xfer_req st;
	int ret = get_stats(r, &st);

	if (ret)
		return ret;
	r->drops = st.drops;
	if (r->next_seq < r->o->count && r->o->mode->lossy) {
		r->gaps += r->o->count - r->next_seq;	/* the last ones dropped */
		r->next_seq = r->o->count;
	}
	if (r->next_seq < r->o->count)
		return fail(r, ENODATA, "the channel ended after %" PRIu64 " of %" PRIu64 " messages",
			    r->next_seq, r->o->count);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of the sorted latencies. */
static uint64_t percentile(const struct xrun *r, unsigned int p)
{
	uint64_t rank = (r->nlat * p + 99) / 100;

	return r->lat[rank ? rank - 1 : 0];
}

static void emit_rates(struct jsonl *j, const struct xrun *r)
{
	uint64_t elapsed = r->nlat ? r->last_ns - r->first_ts : 0;
	uint64_t bytes = r->received * r->o->msg_size;

	jsonl_u64(j, "received", r->received);
	jsonl_u64(j, "bytes", bytes);
	if (!elapsed) {
		jsonl_null(j, "elapsed_ns");
		jsonl_null(j, "msgs_per_s");
		jsonl_null(j, "bytes_per_s");
		return;
	}
	jsonl_u64(j, "elapsed_ns", elapsed);
	jsonl_u64(j, "msgs_per_s", (uint64_t)((double)r->received * 1e9 / (double)elapsed));
	jsonl_u64(j, "bytes_per_s", (uint64_t)((double)bytes * 1e9 / (double)elapsed));
}

static void emit_latency(struct jsonl *j, struct xrun *r)
{
	if (!r->nlat) {
		jsonl_null(j, "lat_p50_ns");
		jsonl_null(j, "lat_p99_ns");
		jsonl_null(j, "lat_max_ns");
		return;
	}
	qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u64);
	jsonl_u64(j, "lat_p50_ns", percentile(r, 50));
	jsonl_u64(j, "lat_p99_ns", percentile(r, 99));
	jsonl_u64(j, "lat_max_ns", r->lat[r->nlat - 1]);
}

static int emit(struct xrun *r, int err)
{
	const struct xfer_opts *o = r->o;
	struct jsonl j;

	json_record_begin(&j, &tool);
	jsonl_str(&j, "channel", o->name);
	jsonl_u64(&j, "msg_size", o->msg_size);
	jsonl_u64(&j, "count", o->count);
	jsonl_u64(&j, "seed", o->seed);
	if (o->mode->ring)
		jsonl_u64(&j, "ring_bytes", r->req.ring_bytes ? r->req.ring_bytes : o->ring_bytes);
	else if (o->mode->channel == KDIO_XFER_NETLINK)
		jsonl_u64(&j, "rcvbuf_bytes", o->ring_bytes);
	emit_rates(&j, r);
	emit_latency(&j, r);
	jsonl_u64(&j, "gaps", r->gaps);
	jsonl_u64(&j, "bad", r->bad);
	jsonl_u64(&j, "drops", r->drops);
	return json_record_end(&j, err, r->msg);
}

/* Whether what the run found is a failure. */
static bool failed(const struct xrun *r, int err)
{
	if (err || r->bad)
		return true;
	if (r->o->mode->lossy)
		return r->gaps != r->drops;
	return r->gaps || r->drops;
}

/* Open the device, set up a session, run the mode; 0 or -errno. */
static int run(struct xrun *r)
{
	const struct consumer *m = r->o->mode;
	int ret;

	r->fd = open(r->o->device, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return fail(r, errno, "%s: %s; load kdio_xfer.ko and run as root",
			    r->o->device, strerror(errno));
	ret = m->prepare ? m->prepare(r) : 0;
	if (!ret)
		ret = setup(r);
	if (!ret)
		ret = m->run(r);
	/* The profiler's window, opened by the first message's stamp (the
	 * module's, or the tool's for -c write), closes when the last one has
	 * been checked. */
	if (m->marked && (r->marked || r->nlat))
		KDIO_MARK(KDIO_MARK_END);
	if (!ret)
		ret = finish(r);
	return ret;
}

int main(int argc, char **argv)
{
	struct xfer_opts o;
	struct xrun r;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	r = (struct xrun){ .o = &o, .fd = -1, .nl_sock = -1 };
	r.lat = malloc(o.count * sizeof(*r.lat));
	r.buf = aligned_alloc(64, (o.msg_size + 63) & ~63ULL);
	if (!r.lat || !r.buf)
		ret = fail(&r, ENOMEM, "no memory for %" PRIu64 " latencies and a message", o.count);
	else
		ret = run(&r);
	if (ret && !r.msg[0])
		fail(&r, -ret, "%s", strerror(-ret));
	if (!ret && r.drops && !r.msg[0])
		snprintf(r.msg, sizeof(r.msg), "%" PRIu64 " message(s) dropped by the kernel: the consumer did not keep up",
			 r.drops);
	ret = emit(&r, -ret) || failed(&r, -ret);
	if (r.nl_sock >= 0)
		close(r.nl_sock);
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	free(r.lat);
	return ret ? EXIT_ERROR : EXIT_OK;
}

