/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdio-fuzz's parts (kdio-fuzz.c says what it does): the supervisor and
 * the loop in kdio-fuzz.c, the generator of values, calls, files and
 * mappings in gen.c, and one file per device, each ending in the struct
 * fuzz_device of its operations: dio.c, kbuf.c, xfer.c, crypto.c.
 */
#ifndef KDIO_FUZZ_H
#define KDIO_FUZZ_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "kdio/crypto.h"
#include "kdio/dio.h"
#include "kdio/xfer.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define FUZZ(f, valid)	fuzz_u64(f, valid, ARRAY_LEN(valid))

#define FUZZ_MAX_BYTES	(1ULL << 20)	/* most a valid dio request moves */
#define FUZZ_MAX_CALLS	64ULL		/* in at most this many I/O calls */
#define FUZZ_MAX_ALLOC	(4ULL << 20)	/* most a valid setup allocates */
#define FILE_SIZE	(64ULL << 10)	/* the scratch file, kept at it */
/* Requests and buffers: room for a message at the cap. */
#define ARENA_SIZE	(KDIO_XFER_MSG_MAX + (64ULL << 10))
/*
 * PROT_NONE after the arena: more than the most a crypto run may span
 * from there (queue depth times region), so that no buffer the kernel is
 * given from the arena can reach past it into the tool's memory.
 */
#define GUARD_SIZE	(KDIO_CRYPTO_MAX_QD * (KDIO_CRYPTO_MAX_LEN + KDIO_CRYPTO_GCM_TAG) + \
			 (64ULL << 10))
/*
 * Where the arena is mapped, the same on every run: whether a pointer
 * into it plus a huge length passes the kernel's access_ok() (EFAULT or
 * the module's own check) must not depend on address space randomization.
 * Never over another mapping (MAP_FIXED_NOREPLACE).
 */
#define ARENA_AT	0x200000000000ULL
#define KMALLOC_CAP	(4ULL << 20)	/* kvec-kmalloc's block limit */
#define SLOTS		3		/* open files kept per device */
#define MAPS		4		/* mappings kept per device */
#define MAX_FINDINGS	20		/* findings kept and printed */
#define ERRNO_MAX	4096
#define ALARM_DEFAULT_S	30
#define WORKDIR		"kdio-fuzz.d"

struct rng {
	uint64_t state;
};

/* An open file of a device, and what the kernel said about it. */
struct slot {
	int fd;				/* -1: closed */
	unsigned int gen;		/* opens so far */
	bool set_up;			/* kbuf: buffer made; xfer: session */
	uint64_t size;			/* kbuf: buffer bytes */
	struct kdio_xfer_req req;	/* xfer: the session, from STATS */
};

struct map {
	void *addr;			/* NULL: free */
	size_t len;
	int prot;
	int slot;			/* whose file, at which gen */
	unsigned int gen;
};

struct fuzz;

struct op {
	const char *name;
	void (*run)(struct fuzz *f);
	unsigned int weight;
};

struct counts {
	uint64_t calls, hangs, undocumented, crashes;
	uint64_t errnos[ERRNO_MAX];	/* [0]: success */
};

/* A device's operations and its real ioctl commands. */
struct fuzz_device {
	const struct op *ops;
	size_t nr_ops;
	const unsigned long *cmds;
	size_t nr_cmds;
};

#define FUZZ_DEVICE(table, real) \
	{ .ops = table, .nr_ops = ARRAY_LEN(table), .cmds = real, .nr_cmds = ARRAY_LEN(real) }

struct iface {
	const char *name;
	const char *device;
	const struct fuzz_device *dev;
	int fd;				/* opened at start: present */
	char absent[MSG_MAX];		/* why not, if not */
	struct counts *c;		/* in struct shared */
	struct slot slots[SLOTS];
	struct map maps[MAPS];
};

#define NR_IFACES	4

/*
 * What the worker is at, and its counts: shared with the supervisor,
 * which reports them whatever becomes of the worker. The pointers are to
 * the tool's static data, at the same address in both processes.
 */
struct shared {
	uint64_t iter;
	uint64_t call_ms;		/* when the call being made began; 0: none */
	struct iface *iface;		/* of that call */
	const char *op, *call;
	struct counts counts[NR_IFACES];
	unsigned int nr_findings;	/* all found; the first MAX_FINDINGS kept */
	struct {
		size_t iface;		/* index in ifaces[] */
		char text[MSG_MAX];
	} findings[MAX_FINDINGS];
};

struct scratch {
	char dir[KDIO_PATH_MAX];
	char file[KDIO_PATH_MAX];
	char subdir[KDIO_PATH_MAX];
	char fifo[KDIO_PATH_MAX];
	char loop[KDIO_PATH_MAX];
	int file_fd;
};

struct fuzz {
	struct rng rng;
	uint64_t seed, iter;
	unsigned int alarm_s;
	bool verbose;
	int test_undocumented;		/* -U: test only, 0 = off */
	size_t page;
	int cpus[CPU_SETSIZE];		/* the CPUs the tool may use */
	int ncpus;
	char *ro;			/* one read-only page, */
	char *arena;			/* then ARENA_SIZE, then GUARD_SIZE */
	struct scratch s;
	struct iface *iface;		/* of the call being made */
	const char *op;
	unsigned int wild;		/* % of fields off the valid ones */
	struct shared *sh;
};


/* Set by the alarm: the call being made is past its time limit. */
extern volatile sig_atomic_t timed_out;
/* The devices, in kdio-fuzz.c. */
extern struct iface ifaces[NR_IFACES];

extern const struct fuzz_device fuzz_dio, fuzz_kbuf, fuzz_xfer, fuzz_crypto;

/* The errnos of calls every device may see (gen.c), 0-terminated. */
extern const int no_fops_errs[], map_errs[], open_errs[];

/* The generator and the calls, in gen.c. */
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n);
bool chance(struct fuzz *f, unsigned int percent);
void rng_fill(struct fuzz *f, void *buf, size_t len);
uint64_t boundary(struct fuzz *f);
uint64_t fuzz_u64(struct fuzz *f, const uint64_t *valid, size_t n);
uint64_t usually(struct fuzz *f, uint64_t good);
void *bogus(struct fuzz *f);
void *ro_copy(struct fuzz *f, const void *obj, size_t len);
void *place(struct fuzz *f, const void *obj, size_t len);
void *buffer(struct fuzz *f);
bool listed(const int *errs, int err);
void finding(struct fuzz *f, const char *kind, const char *call, const char *result);
uint64_t now_ms(void);
void call_begin(struct fuzz *f, const char *call);
int call_end(struct fuzz *f, const char *call, const int *errs, int err);
int call_ioctl(struct fuzz *f, int fd, unsigned long cmd, void *arg, const int *errs);
int call_read(struct fuzz *f, int fd, void *buf, size_t len, bool at, off_t off, const int *errs);
int call_write(struct fuzz *f, int fd, const void *buf, size_t len, const int *errs);
int call_open(struct fuzz *f, const char *path, int flags, const int *errs);
bool is_real(unsigned long cmd, const unsigned long *real, size_t n);
unsigned long near_once(struct fuzz *f, unsigned long cmd);
unsigned long maybe_near(struct fuzz *f, unsigned long cmd);
int send_ioctl(struct fuzz *f, int fd, unsigned long cmd, const void *obj, size_t len, const int *errs, unsigned long *sent);
struct slot *slot_open(struct fuzz *f);
void op_close(struct fuzz *f);
void map_drop(struct map *m);
void op_unmap(struct fuzz *f);
void map_touch(const struct map *m, size_t page);
void map_slot(struct fuzz *f, struct slot *sl, uint64_t size);
bool path_ok(const struct scratch *s, const char *path);
void long_path(struct fuzz *f, char *path);
void op_no_fops(struct fuzz *f);
void pin(const struct fuzz *f, int i);

#endif /* KDIO_FUZZ_H */
