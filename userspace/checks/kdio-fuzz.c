// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-fuzz: seeded, bounded, reproducible random input for every kdio
 * device: /dev/kdio_dio (KDIO_IOC_DIO_RUN), /dev/kdio_kbuf (setup and
 * mmap), /dev/kdio_xfer (its ioctls, read, write, mmap, and the proc,
 * sysfs and relay files of its channels) and /dev/kdio_crypto. A device
 * that does not exist is skipped, and its line says so.
 *
 * Each iteration picks a present device, an operation on it and how wild
 * to be (from none to half the fields), and builds the request from valid
 * values and, as wild as it is, boundary values and random bits; passes
 * it from a good copy or an unaligned, read-only or half-mapped one, NULL
 * or an address no process can use; sends the real command number or one
 * next to it (another direction, size, number or type); and counts the
 * errno per interface. The aim is the validation and error paths, not
 * throughput: a request that would pass validation and move more than
 * FUZZ_MAX_BYTES or take more than FUZZ_MAX_CALLS calls, or allocate more
 * than FUZZ_MAX_ALLOC, has one field put off (a size one byte off, a
 * count of 0) before it is sent.
 *
 * It cannot destroy data: kdio_dio only ever gets paths inside
 * SCRATCHDIR/kdio-fuzz.d, which the tool makes itself and fills with a
 * small file, a directory, a fifo and a symlink loop (other names there
 * do not exist): never a path outside it, never a block device. Every
 * address the kernel may write through is in the tool's arena, which is
 * followed by a PROT_NONE guard, or one no process can use; never the
 * tool's own data.
 *
 * Reproducible: the calls are a function of the seed (splitmix64), the
 * devices present and the CPUs the tool may run on; it pins itself to the
 * first of them, so that relay sessions and fills meet the same CPU on
 * every run. The same seed gives the same per-interface counts.
 *
 * Every call runs under alarm(-t SECONDS); one that takes longer is a
 * hang. The calls are made by a worker process, which a supervisor
 * watches: a call still in the kernel at twice the limit (asleep
 * uninterruptibly, or in a loop that looks only for fatal signals) is a
 * hang too, and the worker is killed with SIGKILL; a worker killed by a
 * signal is a crash. Either way the counts so far are reported. Each
 * finding names the iteration, on stderr at once and in the report; -v
 * prints every call on stderr before it is made.
 *
 * The report is KTAP (ktap.h): the run is one test, "kdio-fuzz", with one
 * subtest per device, "ok N DEVICE # calls=n hangs=n undocumented=n
 * crashes=n" (a device that is not there: SKIP), its findings and its
 * errno counts ("errnos OK=n EINVAL=n ...") as diagnostics before it;
 * the run's result carries the totals, "calls=n distinct_errnos=n hangs=n
 * undocumented=n crashes=n". Exit 0 if every errno seen is one that the
 * module's uAPI header (modules/include/uapi/kdio/) documents for its call (or that the kernel's code in front of the
 * module gives: path lookup, mmap(2), pread(2) on a stream) and nothing
 * hung or crashed, 1 otherwise, 2 on a usage error. Needs root and the
 * modules loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ktap.h"
#include "fuzz/fuzz.h"


static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-fuzz -n COUNT -s SEED -d SCRATCHDIR [-t SECONDS] [-v]\n"
		"  -n COUNT       iterations (each one operation, one or a few calls)\n"
		"  -s SEED        the same seed makes the same calls\n"
		"  -d SCRATCHDIR  existing directory on a filesystem with O_DIRECT;\n"
		"                 " WORKDIR " is made and removed there, and is\n"
		"                 all that /dev/kdio_dio is ever pointed at\n"
		"  -t SECONDS     time limit of one call, else it is a hang (default %d);\n"
		"                 at twice it, the call's process is killed\n"
		"  -v             print each call on stderr before making it, then its result\n"
		"  -U ERRNO       test only: count ERRNO (a name, e.g. EINVAL) as undocumented\n"
		"                 wherever it occurs, to prove the check can fail\n",
		ALARM_DEFAULT_S);
}

/* splitmix64: one step; every seed, 0 included, is a good one. */
static void on_alarm(int sig)
{
	static const char msg[] = "kdio-fuzz: a call is past its time limit\n";

	(void)sig;
	timed_out = 1;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		timed_out = 1;	/* nothing better to do in a handler */
}

static void scratch_remove(struct scratch *s)
{
	if (s->file_fd >= 0)
		close(s->file_fd);
	s->file_fd = -1;
	unlink(s->file);
	unlink(s->fifo);
	unlink(s->loop);
	rmdir(s->subdir);
	rmdir(s->dir);
}

/* The file (FILE_SIZE bytes), directory, fifo and loop; 0 or -errno. */
static int scratch_fill(struct scratch *s)
{
	static char block[4096];
	uint64_t done;

	memset(block, 0xa5, sizeof(block));
	s->file_fd = open(s->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->file_fd < 0)
		return -errno;
	for (done = 0; done < FILE_SIZE; done += sizeof(block))
		if (write(s->file_fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			return errno ? -errno : -ENOSPC;
	if (fsync(s->file_fd) || mkdir(s->subdir, 0700) || mkfifo(s->fifo, 0600))
		return -errno;
	if (symlink("loop", s->loop))	/* itself: ELOOP */
		return -errno;
	return 0;
}

/* Lay out SCRATCHDIR/kdio-fuzz.d; 0 or -errno with msg. */
static int scratch_setup(struct scratch *s, const char *parent, char *msg, size_t len)
{
	static const char *const names[] = { "file", "dir", "fifo", "loop" };
	char *const paths[] = { s->file, s->subdir, s->fifo, s->loop };
	char real[PATH_MAX];
	int ret;

	ret = scratch_paths(parent, "", NULL, NULL, 0, 0, msg, len);
	if (ret)
		return ret;
	if (!realpath(parent, real))
		return msg_fail(msg, len, ENOTDIR, "%s: not a directory; give an existing scratch directory",
				parent);
	snprintf(s->dir, sizeof(s->dir), "%.*s/" WORKDIR, KDIO_PATH_MAX - 32, real);
	ret = scratch_paths(real, WORKDIR "/", paths, names, 4, KDIO_PATH_MAX - 64,
			    msg, len);
	if (ret)
		return ret;
	scratch_remove(s);	/* an earlier run's, if it was stopped */
	if (mkdir(s->dir, 0700)) {
		ret = -errno;
		snprintf(msg, len, "cannot make %s: %s; remove it if it is in the way",
			 s->dir, strerror(errno));
		return ret;
	}
	ret = scratch_fill(s);
	if (ret)
		snprintf(msg, len, "cannot lay out the scratch files in %s: %s", s->dir,
			 strerror(-ret));
	return ret;
}

/*
 * The promise the tool keeps: every path it sends kdio_dio is empty,
 * unterminated, or inside the work directory with no "..".
 */
#define IFACE(n, path, d) { .name = n, .device = path, .dev = &d, .fd = -1 }

struct iface ifaces[NR_IFACES] = {
	IFACE("kdio_dio", KDIO_DIO_DEVICE, fuzz_dio),
	IFACE("kdio_kbuf", KDIO_KBUF_DEVICE, fuzz_kbuf),
	IFACE("kdio_xfer", KDIO_XFER_DEVICE, fuzz_xfer),
	IFACE("kdio_crypto", KDIO_CRYPTO_DEVICE, fuzz_crypto),
};
_Static_assert(ARRAY_LEN(ifaces) == NR_IFACES, "one struct counts per interface");

static const struct op *pick_op(struct fuzz *f, const struct iface *i)
{
	unsigned int total = 0, n;
	size_t k;

	for (k = 0; k < i->dev->nr_ops; k++)
		total += i->dev->ops[k].weight;
	n = (unsigned int)rng_below(&f->rng, total);
	for (k = 0; n >= i->dev->ops[k].weight; k++)
		n -= i->dev->ops[k].weight;
	return &i->dev->ops[k];
}

/*
 * count iterations, each one operation on one of the present devices,
 * with as many of its fields off the valid ones as wilds says: some
 * valid, so that the calls get past validation too, some far off.
 */
static void fuzz_loop(struct fuzz *f, uint64_t count)
{
	static const unsigned int wilds[] = { 0, 0, 5, 20, 50 };
	struct iface *present[ARRAY_LEN(ifaces)];
	size_t n = 0, k;

	for (k = 0; k < ARRAY_LEN(ifaces); k++)
		if (ifaces[k].fd >= 0)
			present[n++] = &ifaces[k];
	for (f->iter = 0; f->iter < count; f->iter++) {
		const struct op *op;

		f->sh->iter = f->iter;
		f->wild = wilds[rng_below(&f->rng, ARRAY_LEN(wilds))];
		f->iface = present[rng_below(&f->rng, n)];
		op = pick_op(f, f->iface);
		f->op = op->name;
		op->run(f);
	}
	f->sh->iter = f->iter;
}

/*
 * Open each device once: the ones that exist are fuzzed, a missing one is
 * skipped. 0 if at least one is there, else -errno with msg.
 */
static int open_devices(char *msg, size_t len)
{
	size_t k, present = 0;
	int err = ENOENT;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		struct iface *i = &ifaces[k];
		size_t s;

		for (s = 0; s < SLOTS; s++)
			i->slots[s].fd = -1;
		i->fd = open(i->device, O_RDWR | O_CLOEXEC);
		if (i->fd >= 0) {
			present++;
			continue;
		}
		snprintf(i->absent, sizeof(i->absent), "%s: %s; not fuzzed", i->device,
			 strerror(errno));
		if (errno != ENOENT)
			err = errno;
	}
	if (present)
		return 0;
	snprintf(msg, len, "no kdio device could be opened (%s); load the kdio modules and run as root",
		 strerror(err));
	return -err;
}

static void close_devices(void)
{
	size_t k, n;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		for (n = 0; n < MAPS; n++)
			map_drop(&ifaces[k].maps[n]);
		for (n = 0; n < SLOTS; n++)
			if (ifaces[k].slots[n].fd >= 0)
				close(ifaces[k].slots[n].fd);
		if (ifaces[k].fd >= 0)
			close(ifaces[k].fd);
	}
}

/*
 * The read-only page, the arena after it and the guard after that, in one
 * reservation at ARENA_AT (anywhere, if that is taken); the arena starts
 * with random bytes. 0 or -errno.
 */
static int arena_setup(struct fuzz *f)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	size_t total = f->page + ARENA_SIZE + GUARD_SIZE;
	char *base;

	base = mmap((void *)ARENA_AT, total, PROT_NONE, flags | MAP_FIXED_NOREPLACE, -1, 0);
	if (base == MAP_FAILED)
		base = mmap(NULL, total, PROT_NONE, flags, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	f->ro = base;
	f->arena = base + f->page;
	if (mprotect(f->ro, f->page, PROT_READ) ||
	    mprotect(f->arena, ARENA_SIZE, PROT_READ | PROT_WRITE))
		return -errno;
	rng_fill(f, f->arena, ARENA_SIZE);
	return 0;
}

/* The CPUs the tool may use, and stay on the first. 0 or -errno. */
static int cpus_setup(struct fuzz *f)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			f->cpus[f->ncpus++] = cpu;
	if (!f->ncpus)
		return -ESRCH;
	pin(f, 0);
	return 0;
}

/* The KTAP levels of the output: the run, and one test per interface in it. */
static struct ktap top, sub;

/* The headers of both levels, and what this run is. */
static void report_begin(const struct fuzz *f, uint64_t count)
{
	ktap_begin(&top, stdout, 0, 1);
	ktap_begin(&sub, stdout, 1, NR_IFACES);
	ktap_diag(&sub, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations", f->seed, count);
}

/* "# NAME: errnos OK=n EINVAL=n ..." of an interface's calls. */
static void report_errnos(const struct iface *i)
{
	char line[2 * MSG_MAX];
	size_t n = 0;
	int e;

	line[0] = '\0';
	if (i->c->errnos[0])
		n += snprintf(line, sizeof(line), " OK=%" PRIu64, i->c->errnos[0]);
	for (e = 1; e < ERRNO_MAX && n < sizeof(line); e++)
		if (i->c->errnos[e])
			n += snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
				      errno_name(e), i->c->errnos[e]);
	ktap_diag(&sub, "%s: errnos%s", i->name, line);
}

/*
 * An interface's result: its findings and errnos as diagnostics, then
 * "ok N NAME # calls=n hangs=n undocumented=n crashes=n" (not ok if any
 * of the last three is not 0), or a SKIP saying why it was not fuzzed.
 */
static int report_iface(const struct fuzz *f, size_t k)
{
	const struct iface *i = &ifaces[k];
	const struct counts *c = i->c;
	unsigned int n;

	if (i->fd < 0)
		return ktap_result(&sub, true, i->name, "SKIP %s", i->absent);
	for (n = 0; n < f->sh->nr_findings && n < MAX_FINDINGS; n++)
		if (f->sh->findings[n].iface == k)
			ktap_diag(&sub, "%s: %s", i->name, f->sh->findings[n].text);
	report_errnos(i);
	return ktap_result(&sub, !c->hangs && !c->undocumented && !c->crashes, i->name,
			   "calls=%" PRIu64 " hangs=%" PRIu64 " undocumented=%" PRIu64 " crashes=%" PRIu64,
			   c->calls, c->hangs, c->undocumented, c->crashes);
}

/*
 * The interfaces' results and the run's: "ok 1 kdio-fuzz # calls=n
 * distinct_errnos=n hangs=n undocumented=n crashes=n", not ok if the
 * worker did not run to its end (ran false) or anything was found.
 * Whether the run was clean and every line written.
 */
static bool report(const struct fuzz *f, uint64_t elapsed_ms, bool ran)
{
	struct counts sum = { 0 };
	bool seen[ERRNO_MAX] = { false }, written = true, ok;
	uint64_t distinct = 0;
	size_t k;
	int e;

	for (k = 0; k < ARRAY_LEN(ifaces); k++) {
		const struct counts *c = ifaces[k].c;

		written &= report_iface(f, k) == 0;
		sum.calls += c->calls;
		sum.hangs += c->hangs;
		sum.undocumented += c->undocumented;
		sum.crashes += c->crashes;
		for (e = 1; e < ERRNO_MAX; e++)
			seen[e] |= c->errnos[e] > 0;
	}
	for (e = 1; e < ERRNO_MAX; e++)
		distinct += seen[e];
	ok = ran && !sum.hangs && !sum.undocumented && !sum.crashes;
	ktap_diag(&top, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations in %" PRIu64 " ms, %u finding(s)",
		  f->seed, f->sh->iter, elapsed_ms, f->sh->nr_findings);
	written &= ktap_result(&top, ok, "kdio-fuzz",
			       "calls=%" PRIu64 " distinct_errnos=%" PRIu64 " hangs=%" PRIu64 " undocumented=%" PRIu64 " crashes=%" PRIu64,
			       sum.calls, distinct, sum.hangs, sum.undocumented, sum.crashes) == 0;
	return written && ok;
}

/*
 * The whole output of a run that failed before any fuzzing: one test, in
 * ERROR, saying what to do.
 */
static int fail(const char *what, int err, const char *msg)
{
	ktap_begin(&top, stdout, 0, 1);
	ktap_diag(&top, "kdio-fuzz: %s: %s", what, msg);
	ktap_result(&top, false, "kdio-fuzz", "ERROR %s failed with %s", what, errno_name(err));
	return EXIT_ERROR;
}

/* The counts and the worker's position, shared with the supervisor. */
static int shared_setup(struct fuzz *f)
{
	size_t k;

	f->sh = mmap(NULL, sizeof(*f->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->sh == MAP_FAILED)
		return -errno;
	for (k = 0; k < ARRAY_LEN(ifaces); k++)
		ifaces[k].c = &f->sh->counts[k];
	return 0;
}

/* The worker's position, made the supervisor's own for finding(). */
static void take_position(struct fuzz *f)
{
	f->iter = f->sh->iter;
	f->iface = f->sh->iface ? f->sh->iface : &ifaces[0];
	f->op = f->sh->op ? f->sh->op : "none";
}

/*
 * A call still in the kernel at twice the time limit, which the alarm did
 * not bring back (it sleeps uninterruptibly, or never looks at signals):
 * count and report the hang, SIGKILL the worker (a kernel loop that checks
 * for fatal signals sees that one) and give it one more time limit to go.
 */
static void stop_hung_worker(struct fuzz *f, pid_t pid)
{
	uint64_t t0 = now_ms();
	int status;

	take_position(f);
	f->iface->c->hangs++;
	finding(f, "hang", f->sh->call, "still in the kernel; worker killed");
	kill(pid, SIGKILL);
	while (now_ms() - t0 < 1000ULL * f->alarm_s && waitpid(pid, &status, WNOHANG) != pid)
		usleep(100000);
}

/*
 * Wait for the worker, watching its calls. A hang, or a worker killed by
 * a signal (a crash of the tool: a mapping that faults, say), is a
 * finding. 0 if the worker ran to its end, else -1.
 */
static int supervise(struct fuzz *f, pid_t pid)
{
	const uint64_t limit = 2000ULL * f->alarm_s;
	uint64_t began;
	int status;
	pid_t ret;

	while ((ret = waitpid(pid, &status, WNOHANG)) != pid) {
		if (ret < 0)
			return -1;
		began = __atomic_load_n(&f->sh->call_ms, __ATOMIC_ACQUIRE);
		if (began && now_ms() - began > limit) {
			stop_hung_worker(f, pid);
			return -1;
		}
		usleep(100000);
	}
	if (WIFSIGNALED(status)) {
		take_position(f);
		f->iface->c->crashes++;
		finding(f, "crash", f->sh->call_ms ? f->sh->call : "after a call",
			sigabbrev_np(WTERMSIG(status)));
		return -1;
	}
	return WEXITSTATUS(status) == EXIT_OK ? 0 : -1;
}

/* Run the loop in a worker process, watch it, report; the exit code. */
static int run_worker(struct fuzz *f, uint64_t count)
{
	uint64_t t0 = now_ms();
	bool ran;
	pid_t pid;

	report_begin(f, count);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		ktap_diag(&sub, "kdio-fuzz: cannot start the worker process: %s", strerror(errno));
	if (!pid) {
		fuzz_loop(f, count);
		_exit(EXIT_OK);
	}
	ran = pid > 0 && supervise(f, pid) == 0;
	return report(f, now_ms() - t0, ran) ? EXIT_OK : EXIT_ERROR;
}

/* The machinery around the loop: alarm, CPUs, arena, devices, scratch. */
static int prepare(struct fuzz *f, const char *dir)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	char msg[MSG_MAX];
	int ret;

	sigaction(SIGALRM, &sa, NULL);
	f->page = (size_t)sysconf(_SC_PAGESIZE);
	ret = cpus_setup(f);
	if (ret)
		return fail("cpus", -ret, "cannot read or set the CPU affinity");
	ret = arena_setup(f);
	if (!ret)
		ret = shared_setup(f);
	if (ret)
		return fail("memory", -ret, "cannot map the request arena; allow more address space");
	ret = open_devices(msg, sizeof(msg));
	if (ret)
		return fail("open-devices", -ret, msg);
	ret = scratch_setup(&f->s, dir, msg, sizeof(msg));
	if (ret)
		return fail("scratch", -ret, msg);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct fuzz f = { .alarm_s = ALARM_DEFAULT_S, .s.file_fd = -1 };
	bool have_n = false, have_s = false;
	uint64_t count = 0, alarm_s;
	const char *dir = NULL;
	int c, ret;

	while ((c = getopt(argc, argv, "n:s:d:t:U:vh")) != -1) {
		switch (c) {
		case 'n': have_n = !parse_u64(optarg, &count); break;
		case 's': have_s = !parse_u64(optarg, &f.seed); break;
		case 'd': dir = optarg; break;
		case 't':
			if (parse_u64(optarg, &alarm_s) || !alarm_s || alarm_s > 3600) {
				usage(stderr);
				return EXIT_USAGE;
			}
			f.alarm_s = (unsigned int)alarm_s;
			break;
		case 'v': f.verbose = true; break;
		case 'U':
			f.test_undocumented = errno_by_name(optarg);
			if (!f.test_undocumented) {
				fprintf(stderr, "kdio-fuzz: -U %s: not an errno name (e.g. EINVAL)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!have_n || !have_s || !dir || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	f.rng.state = f.seed;
	if (f.verbose)
		fprintf(stderr, "kdio-fuzz: seed %" PRIu64 ", %" PRIu64 " iterations\n", f.seed, count);
	ret = prepare(&f, dir);
	if (ret == EXIT_OK)
		ret = run_worker(&f, count);
	close_devices();
	scratch_remove(&f.s);
	return ret;
}

