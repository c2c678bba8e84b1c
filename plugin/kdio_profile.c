// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdio's profiler: a QEMU TCG plugin that counts the guest's instructions
 * inside kdio's timed windows, by translation block, for the harness to
 * attribute to functions (harness/kdio/profile/).
 *
 * The guest marks each window with KDIO_MARK_START and KDIO_MARK_END
 * (modules/include/uapi/kdio/marker.h) and each case with KDIO_MARK_CASE.
 * Per translation block the plugin counts the instructions executed
 * inside a window ("in") and outside ("out"), and for the rep movs/stos
 * in it, the iterations and the bytes they stored (the copy, apart from
 * the overhead). A block holding a marker is counted instruction by
 * instruction, so that a window begins and ends at its marker exactly;
 * every other block is counted whole, by one callback per execution.
 *
 * At each KDIO_MARK_CASE, and at exit, the counts since the previous one
 * are written to OUT/seq-NNNN.tsv and reset. Its lines:
 *   # kdio-profile 1
 *   total  in_insns out_insns starts ends unmatched_ends unclosed
 *   tb     vaddr size n_insns in_insns rep_iters rep_bytes
 * (vaddr in hex, the rest decimal; only blocks with in_insns > 0).
 *
 * Under icount the guest's clock counts guest instructions only, so the
 * plugin's host-side work is invisible to what the guest measures.
 * Counted runs use one vCPU without MTTCG: no locking here.
 *
 * Arguments: out=DIR (required).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-v1.h"
#include "kdio/marker.h"

/* The API version this plugin declares; a test builds it with another. */
#ifndef KDIO_PLUGIN_API
#define KDIO_PLUGIN_API QEMU_PLUGIN_VERSION
#endif
QEMU_PLUGIN_EXPORT int qemu_plugin_version = KDIO_PLUGIN_API;

#define MARKER_SIZE	8

struct block {
	uint64_t vaddr;
	uint32_t size;			/* bytes */
	uint32_t n_insns;
	unsigned int epoch;		/* of the counts below */
	uint64_t in_insns;
	uint64_t out_insns;
	uint64_t rep_iters;
	uint64_t rep_bytes;
	struct block *next_dirty;	/* blocks counted in this case */
	struct block *next_all;
};

/* One instruction of a block that holds a marker. */
struct insn_ref {
	struct block *b;
	int kind;			/* a KDIO_MARK_* or 0 */
};

static struct {
	char out[PATH_MAX];
	unsigned int epoch;		/* the case being counted: seq-<epoch> */
	int in_region;
	uint64_t in_insns, out_insns;
	uint64_t starts, ends, unmatched_ends, unclosed;
	struct block *dirty;
	struct block *all;
	uint64_t blocks, bytes;		/* what the plugin holds, for its note */
} prof;

/* The block's counts, reset when first counted in a case. */
static void touch(struct block *b)
{
	if (b->epoch == prof.epoch)
		return;
	b->epoch = prof.epoch;
	b->in_insns = b->out_insns = b->rep_iters = b->rep_bytes = 0;
	b->next_dirty = prof.dirty;
	prof.dirty = b;
}

static void count(struct block *b, uint64_t n)
{
	touch(b);
	if (prof.in_region) {
		b->in_insns += n;
		prof.in_insns += n;
	} else {
		b->out_insns += n;
		prof.out_insns += n;
	}
}

static void dump(void)
{
	char path[PATH_MAX + 32];
	struct block *b;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seq-%04u.tsv", prof.out, prof.epoch);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kdio_profile: cannot write %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	fprintf(f, "# kdio-profile 1\n");
	fprintf(f, "total\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\n",
		(unsigned long long)prof.in_insns,
		(unsigned long long)prof.out_insns,
		(unsigned long long)prof.starts,
		(unsigned long long)prof.ends,
		(unsigned long long)prof.unmatched_ends,
		(unsigned long long)(prof.unclosed + prof.in_region));
	for (b = prof.dirty; b; b = b->next_dirty) {
		if (b->in_insns)
			fprintf(f, "tb\t%llx\t%u\t%u\t%llu\t%llu\t%llu\n",
				(unsigned long long)b->vaddr, b->size,
				b->n_insns,
				(unsigned long long)b->in_insns,
				(unsigned long long)b->rep_iters,
				(unsigned long long)b->rep_bytes);
	}
	if (fclose(f)) {
		fprintf(stderr, "kdio_profile: cannot write %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

/* End the case being counted: write it, and start the next one. */
static void next_case(void)
{
	dump();
	prof.dirty = NULL;
	prof.epoch++;
	prof.in_insns = prof.out_insns = 0;
	prof.starts = prof.ends = prof.unmatched_ends = prof.unclosed = 0;
	/* A window left open at a case's end is that case's fault. */
	prof.in_region = 0;
}

static void block_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	(void)vcpu;
	count(b, b->n_insns);
}

/* An instruction of a block with a marker; a marker opens or closes. */
static void insn_exec(unsigned int vcpu, void *udata)
{
	struct insn_ref *r = udata;

	(void)vcpu;
	switch (r->kind) {
	case KDIO_MARK_START:
		if (prof.in_region)
			prof.unclosed++;
		prof.in_region = 1;
		prof.starts++;
		count(r->b, 1);
		break;
	case KDIO_MARK_END:
		count(r->b, 1);
		if (prof.in_region)
			prof.ends++;
		else
			prof.unmatched_ends++;
		prof.in_region = 0;
		break;
	case KDIO_MARK_CASE:
		count(r->b, 1);
		next_case();
		break;
	default:
		count(r->b, 1);
	}
}

/* rep movs/stos: each store is one iteration and its bytes. */
static void rep_store(unsigned int vcpu, qemu_plugin_meminfo_t info,
		      uint64_t vaddr, void *udata)
{
	struct block *b = udata;

	(void)vcpu;
	(void)vaddr;
	if (!prof.in_region || !qemu_plugin_mem_is_store(info))
		return;
	touch(b);
	b->rep_iters++;
	b->rep_bytes += 1ull << qemu_plugin_mem_size_shift(info);
}

static int marker_kind(struct qemu_plugin_insn *insn)
{
	const unsigned char *p = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != MARKER_SIZE ||
	    p[0] != 0x0f || p[1] != 0x1f || p[2] != 0x84 || p[3] != 0x00)
		return 0;
	memcpy(&disp, p + 4, sizeof(disp));
	if ((disp & 0xffff0000u) != KDIO_MARK_MAGIC)
		return 0;
	return disp & 0xffff;
}

/* rep (f3) movs or stos (a4, a5, aa, ab), after any other prefixes. */
static int is_rep_copy(struct qemu_plugin_insn *insn)
{
	const unsigned char *p = qemu_plugin_insn_data(insn);
	size_t i, n = qemu_plugin_insn_size(insn);
	int rep = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == 0xf3)
			rep = 1;
		else if (p[i] == 0x66 || p[i] == 0x67 || (p[i] & 0xf0) == 0x40)
			continue;
		else
			break;
	}
	return rep && i < n && (p[i] == 0xa4 || p[i] == 0xa5 ||
				p[i] == 0xaa || p[i] == 0xab);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "kdio_profile: out of memory\n");
		exit(1);
	}
	prof.bytes += n * size;
	return p;
}

static void block_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = xcalloc(1, sizeof(*b));
	struct qemu_plugin_insn *last;
	int marked = 0;

	(void)id;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->n_insns = n;
	b->epoch = UINT_MAX;
	last = qemu_plugin_tb_get_insn(tb, n - 1);
	b->size = qemu_plugin_insn_vaddr(last) + qemu_plugin_insn_size(last) -
		  b->vaddr;
	b->next_all = prof.all;
	prof.all = b;
	prof.blocks++;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		if (marker_kind(insn))
			marked = 1;
		if (is_rep_copy(insn))
			qemu_plugin_register_vcpu_mem_cb(insn, rep_store,
							 QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_W, b);
	}
	if (!marked) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec,
						     QEMU_PLUGIN_CB_NO_REGS, b);
		return;
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		struct insn_ref *r = xcalloc(1, sizeof(*r));

		r->b = b;
		r->kind = marker_kind(insn);
		qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_exec,
						       QEMU_PLUGIN_CB_NO_REGS, r);
	}
}

/* The last case's counts, and what the plugin held: OUT/plugin.tsv. */
static void at_exit(qemu_plugin_id_t id, void *udata)
{
	char path[PATH_MAX + 32];
	FILE *f;

	(void)id;
	(void)udata;
	dump();
	snprintf(path, sizeof(path), "%s/plugin.tsv", prof.out);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "blocks\t%llu\nheld_bytes\t%llu\ncases\t%u\n",
		(unsigned long long)prof.blocks,
		(unsigned long long)prof.bytes, prof.epoch + 1);
	fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	int i;

	if (!info->system_emulation) {
		fprintf(stderr, "kdio_profile: system emulation only\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) &&
		    strlen(argv[i] + 4) < sizeof(prof.out))
			strcpy(prof.out, argv[i] + 4);
		else {
			fprintf(stderr, "kdio_profile: unknown argument %s "
				"(it takes out=DIR)\n", argv[i]);
			return -1;
		}
	}
	if (!prof.out[0]) {
		fprintf(stderr, "kdio_profile: no out=DIR given\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
