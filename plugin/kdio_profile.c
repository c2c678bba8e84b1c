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
 * Loads and stores are counted by inline additions to a block's own
 * counters (no callback), and credited to the window or to "outside" by
 * the state at the block's start: only a marker, which stands in a block
 * counted instruction by instruction, changes that state.
 *
 * With stacks=on, a shadow stack kept on call and ret: a call pushes the
 * block it enters, a ret pops to the frame it returns to (one frame when
 * it returns to none, as a retpoline's or a context switch's does), an
 * entry from user space into the kernel pushes the kernel's entry block
 * and a return to user space pops to it. The windows' instructions are
 * counted per (stack, block), for the harness to fold by function.
 *
 * At each KDIO_MARK_CASE, and at exit, the counts since the previous one
 * are written to OUT/seq-NNNN.tsv and reset. Its lines:
 *   # kdio-profile 2
 *   total  in_insns out_insns starts ends unmatched_ends unclosed in_spans
 *   tb     vaddr size n_insns in_insns rep_iters rep_bytes loads stores spans
 *   node   id parent_id entry_vaddr        (stacks: a frame; parent 0: none)
 *   stack  node_id vaddr in_insns          (stacks: a block under a frame)
 * (vaddrs in hex, the rest decimal; only blocks with in_insns > 0).
 *
 * Under icount the guest's clock counts guest instructions only, so the
 * plugin's host-side work is invisible to what the guest measures.
 * Counted runs use one vCPU without MTTCG: no locking here.
 *
 * Arguments: out=DIR (required), stacks=on.
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
#define STACK_MAX	256		/* deeper frames drop the oldest */
#define HASH_BITS	20
#define TASK_BITS	10
#define THREAD_SHIFT	14		/* x86-64's kernel stacks: 16 KiB, aligned */

struct node;
struct cell;

struct block {
	uint64_t vaddr;
	uint32_t size;			/* bytes */
	uint32_t n_insns;
	unsigned int epoch;		/* of the counts below */
	uint64_t in_insns;
	uint64_t out_insns;
	uint64_t rep_iters;
	uint64_t rep_bytes;
	/* Accesses, added inline: all of them, and those QEMU's read filter
	 * passes (loads, or in QEMU 7.2 stores: see r_is_store()); the
	 * window's share of each; and the exact ones of a marked block. */
	uint64_t acc_all, acc_r, seen_all, seen_r, in_all, in_r;
	uint64_t mk_loads, mk_stores;
	int last_in;			/* the state its last execution began in */
	int marked;			/* counted instruction by instruction */
	unsigned int spans;		/* instructions that cross a page end */
	struct cell *cell;		/* stacks: its last (node, block) cell */
	struct block *next_dirty;	/* blocks counted in this case */
	struct block *next_all;
};

/* One instruction of a block that holds a marker, or (stacks) a call or ret. */
struct insn_ref {
	struct block *b;
	int kind;			/* a KDIO_MARK_* or 0 */
	int first;			/* the block's first instruction */
	int flow;			/* FLOW_CALL, FLOW_RET or 0 */
	int spans;			/* it crosses a page end */
	uint64_t next;			/* a call's return address */
};

enum { FLOW_CALL = 1, FLOW_RET };

/* Stacks: a frame's node in the tree of call paths. */
struct node {
	struct node *parent;
	uint64_t entry;			/* the block the call entered */
	unsigned int id;
	unsigned int epoch;		/* the case it was last written in */
	struct node *hnext;
};

/* Stacks: a block's window instructions under one node. */
struct cell {
	struct node *node;
	struct block *b;
	unsigned int epoch;
	uint64_t in_insns;
	struct cell *hnext;
	struct cell *next_dirty;
};

struct frame {
	struct node *node;
	uint64_t ret;			/* the address a ret to it lands on; 0: an entry */
};

/* Stacks: one task's frames, user and kernel, found by its kernel stack. */
struct task {
	uint64_t key;			/* its kernel stack's address >> THREAD_SHIFT */
	struct frame stack[STACK_MAX];
	int depth;
	struct task *hnext;
};

static struct {
	char out[PATH_MAX];
	unsigned int epoch;		/* the case being counted: seq-<epoch> */
	int in_region;
	uint64_t in_insns, out_insns;
	uint64_t starts, ends, unmatched_ends, unclosed;
	uint64_t in_spans;		/* executions, in windows, of instructions
					 * that cross a page end (see block_trans) */
	struct block *dirty;
	struct block *all;
	uint64_t blocks, bytes;		/* what the plugin holds, for its note */
	/* stacks */
	int stacks;
	struct task *cur;		/* the task whose stack runs */
	struct task *tasks[1u << TASK_BITS];
	struct task first;		/* before any kernel stack is seen */
	unsigned int n_tasks;
	int pending;			/* FLOW_* of the instruction before this block */
	uint64_t pending_next;
	struct node *nodes[1u << HASH_BITS];
	struct cell *cells[1u << HASH_BITS];
	struct cell *dirty_cells;
	unsigned int n_nodes;
} prof;

static void *xcalloc(size_t n, size_t size);

static int is_kernel(uint64_t vaddr)
{
	return vaddr >> 63;
}

/* A hash of (p, v) in bits bits. */
static unsigned int hash2(const void *p, uint64_t v, unsigned int bits)
{
	uint64_t h = ((uint64_t)(uintptr_t)p ^ (v * 0x9e3779b97f4a7c15ull)) *
		     0xff51afd7ed558ccdull;

	return h >> (64 - bits);
}

static struct node *node_of(struct node *parent, uint64_t entry)
{
	unsigned int h = hash2(parent, entry, HASH_BITS);
	struct node *n;

	for (n = prof.nodes[h]; n; n = n->hnext)
		if (n->parent == parent && n->entry == entry)
			return n;
	n = xcalloc(1, sizeof(*n));
	n->parent = parent;
	n->entry = entry;
	n->id = ++prof.n_nodes;
	n->epoch = UINT_MAX;
	n->hnext = prof.nodes[h];
	prof.nodes[h] = n;
	return n;
}

static struct node *top(void)
{
	return prof.cur->depth ? prof.cur->stack[prof.cur->depth - 1].node : NULL;
}

static void push(uint64_t entry, uint64_t ret)
{
	struct node *n = node_of(top(), entry);

	if (prof.cur->depth == STACK_MAX) {
		memmove(prof.cur->stack, prof.cur->stack + 1,
			(STACK_MAX - 1) * sizeof(prof.cur->stack[0]));
		prof.cur->depth--;
	}
	prof.cur->stack[prof.cur->depth].node = n;
	prof.cur->stack[prof.cur->depth].ret = ret;
	prof.cur->depth++;
}

/*
 * Stacks: the task whose kernel stack a call or ret in the kernel used
 * (udata: FLOW_CALL or FLOW_RET).
 * Each task (each kernel stack, and the interrupt stacks) has a shadow
 * stack of its own, user frames below its kernel ones: a task switch
 * (__switch_to_asm returns on the next task's stack) swaps them.
 */
static void stack_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
			 uint64_t vaddr, void *udata)
{
	uint64_t key = vaddr >> THREAD_SHIFT;
	unsigned int h = hash2(NULL, key, TASK_BITS);
	struct task *t;

	(void)vcpu;
	/* A call's push (not the load of an indirect call's pointer); a ret's pop. */
	if (qemu_plugin_mem_is_store(info) != ((uintptr_t)udata == FLOW_CALL))
		return;
	if (prof.cur->key == key)
		return;
	for (t = prof.tasks[h]; t; t = t->hnext)
		if (t->key == key)
			break;
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->key = key;
		t->hnext = prof.tasks[h];
		prof.tasks[h] = t;
		prof.n_tasks++;
	}
	prof.cur = t;
}

/*
 * A ret to no frame's return address. A retpoline's (call .Ldo_rop, whose
 * return address lies just before the frame's entry, then a ret to the
 * indirect call's target) is the thunk's call entering the target: the
 * thunk's frame becomes the target's. Any other drops nothing in the
 * kernel (a frame deeper down may be the one a later ret finds) and its
 * frame in user space.
 */
static void unmatched_ret(struct block *b)
{
	struct frame *t = &prof.cur->stack[prof.cur->depth - 1];

	if (t->node->entry > t->ret && t->node->entry - t->ret < 32 &&
	    prof.cur->depth >= 2) {
		prof.cur->depth--;
		t = &prof.cur->stack[prof.cur->depth - 1];
		t->node = node_of(t->node->parent, b->vaddr);
	} else if (!is_kernel(b->vaddr)) {
		prof.cur->depth--;
	}
}

/* A block begins: the call, ret or privilege change that led to it. */
static void enter(struct block *b)
{
	int i;

	if (prof.pending == FLOW_CALL) {
		push(b->vaddr, prof.pending_next);
	} else if (prof.pending == FLOW_RET) {
		for (i = prof.cur->depth - 1; i >= 0; i--)
			if (prof.cur->stack[i].ret == b->vaddr)
				break;
		if (i >= 0)
			prof.cur->depth = i;
		else if (prof.cur->depth && prof.cur->stack[prof.cur->depth - 1].ret)
			unmatched_ret(b);
	}
	prof.pending = 0;
	if (is_kernel(b->vaddr)) {
		/* From user space (or from nothing): the kernel's entry. */
		if (!prof.cur->depth ||
		    !is_kernel(prof.cur->stack[prof.cur->depth - 1].node->entry))
			push(b->vaddr, 0);
	} else {
		/* Back in user space: the kernel's frames are gone. */
		while (prof.cur->depth &&
		       is_kernel(prof.cur->stack[prof.cur->depth - 1].node->entry))
			prof.cur->depth--;
	}
}

/* n of the block's window instructions, under the current frame. */
static void count_stack(struct block *b, uint64_t n)
{
	struct node *nd = top();
	struct cell *c = b->cell;
	unsigned int h;

	if (!c || c->node != nd) {
		h = hash2(nd, (uint64_t)(uintptr_t)b, HASH_BITS);
		for (c = prof.cells[h]; c; c = c->hnext)
			if (c->node == nd && c->b == b)
				break;
		if (!c) {
			c = xcalloc(1, sizeof(*c));
			c->node = nd;
			c->b = b;
			c->epoch = UINT_MAX;
			c->hnext = prof.cells[h];
			prof.cells[h] = c;
		}
		b->cell = c;
	}
	if (c->epoch != prof.epoch) {
		c->epoch = prof.epoch;
		c->in_insns = 0;
		c->next_dirty = prof.dirty_cells;
		prof.dirty_cells = c;
	}
	c->in_insns += n;
}

/* The block's counts, reset when first counted in a case. */
static void touch(struct block *b)
{
	if (b->epoch == prof.epoch)
		return;
	b->epoch = prof.epoch;
	b->in_insns = b->out_insns = b->rep_iters = b->rep_bytes = 0;
	b->in_all = b->in_r = b->mk_loads = b->mk_stores = 0;
	b->next_dirty = prof.dirty;
	prof.dirty = b;
}

/*
 * The accesses since the block's last settling, credited by the state its
 * last execution began in (an unmarked block's state holds for the whole
 * execution); then the state this one begins in.
 */
static void settle(struct block *b)
{
	if (b->last_in) {
		b->in_all += b->acc_all - b->seen_all;
		b->in_r += b->acc_r - b->seen_r;
	}
	b->seen_all = b->acc_all;
	b->seen_r = b->acc_r;
	b->last_in = prof.in_region;
}

static void count(struct block *b, uint64_t n)
{
	touch(b);
	if (prof.in_region) {
		b->in_insns += n;
		prof.in_insns += n;
		if (prof.stacks)
			count_stack(b, n);
	} else {
		b->out_insns += n;
		prof.out_insns += n;
	}
}

/* A node and its parents, each written once per case. */
static void dump_node(FILE *f, struct node *n)
{
	for (; n && n->epoch != prof.epoch; n = n->parent) {
		n->epoch = prof.epoch;
		fprintf(f, "node\t%u\t%u\t%llx\n", n->id,
			n->parent ? n->parent->id : 0,
			(unsigned long long)n->entry);
	}
}

/*
 * Does QEMU's inline read filter count stores? QEMU 7.2 passes a store to
 * an inline op registered for QEMU_PLUGIN_MEM_R, and every access to one
 * for QEMU_PLUGIN_MEM_W; later QEMUs pass what was asked for. The probe
 * counts, on push instructions (stores only), the accesses the read
 * filter passes and all of them: equal when the filter passes stores.
 */
static uint64_t probe_r, probe_all;

static int r_is_store(void)
{
	return probe_r * 2 > probe_all;
}

static void dump(void)
{
	char path[PATH_MAX + 32];
	uint64_t loads, stores;
	struct block *b;
	struct cell *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seq-%04u.tsv", prof.out, prof.epoch);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kdio_profile: cannot write %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	fprintf(f, "# kdio-profile 2\n");
	fprintf(f, "total\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\n",
		(unsigned long long)prof.in_insns,
		(unsigned long long)prof.out_insns,
		(unsigned long long)prof.starts,
		(unsigned long long)prof.ends,
		(unsigned long long)prof.unmatched_ends,
		(unsigned long long)(prof.unclosed + prof.in_region),
		(unsigned long long)prof.in_spans);
	for (b = prof.dirty; b; b = b->next_dirty) {
		if (!b->marked)
			settle(b);
		if (!b->in_insns)
			continue;
		stores = r_is_store() ? b->in_r : b->in_all - b->in_r;
		loads = b->in_all - stores + b->mk_loads;
		stores += b->mk_stores;
		fprintf(f, "tb\t%llx\t%u\t%u\t%llu\t%llu\t%llu\t%llu\t%llu\t%u\n",
			(unsigned long long)b->vaddr, b->size, b->n_insns,
			(unsigned long long)b->in_insns,
			(unsigned long long)b->rep_iters,
			(unsigned long long)b->rep_bytes,
			(unsigned long long)loads, (unsigned long long)stores,
			b->spans);
	}
	for (c = prof.dirty_cells; c; c = c->next_dirty) {
		dump_node(f, c->node);
		fprintf(f, "stack\t%u\t%llx\t%llu\n",
			c->node ? c->node->id : 0,
			(unsigned long long)c->b->vaddr,
			(unsigned long long)c->in_insns);
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
	prof.dirty_cells = NULL;
	prof.epoch++;
	prof.in_insns = prof.out_insns = 0;
	prof.starts = prof.ends = prof.unmatched_ends = prof.unclosed = 0;
	prof.in_spans = 0;
	/* A window left open at a case's end is that case's fault. */
	prof.in_region = 0;
}

static void block_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	(void)vcpu;
	if (prof.stacks)
		enter(b);
	settle(b);
	count(b, b->n_insns);
	if (prof.in_region)
		prof.in_spans += b->spans;
}

/* Stacks: a call or ret in a block counted whole; it takes effect at the next block. */
static void flow_exec(unsigned int vcpu, void *udata)
{
	struct insn_ref *r = udata;

	(void)vcpu;
	prof.pending = r->flow;
	prof.pending_next = r->next;
}

/* A load or store in a block with a marker, by the state at the instruction. */
static void marked_access(unsigned int vcpu, qemu_plugin_meminfo_t info,
			  uint64_t vaddr, void *udata)
{
	struct block *b = udata;

	(void)vcpu;
	(void)vaddr;
	if (!prof.in_region)
		return;
	touch(b);
	if (qemu_plugin_mem_is_store(info))
		b->mk_stores++;
	else
		b->mk_loads++;
}

/* An instruction of a block with a marker; a marker opens or closes. */
static void insn_exec(unsigned int vcpu, void *udata)
{
	struct insn_ref *r = udata;

	(void)vcpu;
	if (prof.stacks && r->first)
		enter(r->b);
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
	if (r->spans && prof.in_region)
		prof.in_spans++;
	if (r->flow)
		flow_exec(vcpu, r);
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

/* The index of the opcode past the prefixes; *rep: an f3 among them. */
static size_t opcode_at(const unsigned char *p, size_t n, int *rep)
{
	size_t i;

	*rep = 0;
	for (i = 0; i < n; i++) {
		if (p[i] == 0xf3)
			*rep = 1;
		else if (p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xf2 ||
			 p[i] == 0x2e || p[i] == 0x3e || (p[i] & 0xf0) == 0x40)
			continue;
		else
			break;
	}
	return i;
}

/* rep (f3) movs or stos (a4, a5, aa, ab), after any other prefixes. */
static int is_rep_copy(struct qemu_plugin_insn *insn)
{
	const unsigned char *p = qemu_plugin_insn_data(insn);
	size_t n = qemu_plugin_insn_size(insn);
	int rep;
	size_t i = opcode_at(p, n, &rep);

	return rep && i < n && (p[i] == 0xa4 || p[i] == 0xa5 ||
				p[i] == 0xaa || p[i] == 0xab);
}

/*
 * An instruction whose bytes cross a page end. QEMU 7.2's icount leaves
 * each execution of one out of the guest's clock (measured: one per AES
 * block in crypto_aes_encrypt, whose instruction at ffffffff814c9fff
 * crosses), so the windows' totals carry their count for the harness to
 * take off before it compares a window with its counted figure.
 */
static int crosses_page(struct qemu_plugin_insn *insn)
{
	uint64_t a = qemu_plugin_insn_vaddr(insn);

	return (a >> 12) != ((a + qemu_plugin_insn_size(insn) - 1) >> 12);
}

/* push of a register (50-57, after a REX prefix): one store, no load. */
static int is_push(struct qemu_plugin_insn *insn)
{
	const unsigned char *p = qemu_plugin_insn_data(insn);
	size_t n = qemu_plugin_insn_size(insn);
	size_t i = n == 2 && (p[0] & 0xf0) == 0x40 ? 1 : 0;

	return n == i + 1 && p[i] >= 0x50 && p[i] <= 0x57;
}

/* call (e8, ff /2), ret (c3, c2), or neither. */
static int flow_of(struct qemu_plugin_insn *insn)
{
	const unsigned char *p = qemu_plugin_insn_data(insn);
	size_t n = qemu_plugin_insn_size(insn);
	int rep;
	size_t i = opcode_at(p, n, &rep);

	if (i >= n)
		return 0;
	if (p[i] == 0xe8 || (p[i] == 0xff && i + 1 < n &&
			     ((p[i + 1] >> 3) & 7) == 2))
		return FLOW_CALL;
	if (p[i] == 0xc3 || p[i] == 0xc2)
		return FLOW_RET;
	return 0;
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
		if (crosses_page(insn))
			b->spans++;
		if (is_rep_copy(insn))
			qemu_plugin_register_vcpu_mem_cb(insn, rep_store,
							 QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_W, b);
	}
	b->marked = marked;
	if (!marked)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec,
						     QEMU_PLUGIN_CB_NO_REGS, b);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int flow = prof.stacks ? flow_of(insn) : 0;
		struct insn_ref *r;

		if (!marked) {
			qemu_plugin_register_vcpu_mem_inline(
				insn, QEMU_PLUGIN_MEM_R,
				QEMU_PLUGIN_INLINE_ADD_U64, &b->acc_r, 1);
			qemu_plugin_register_vcpu_mem_inline(
				insn, QEMU_PLUGIN_MEM_RW,
				QEMU_PLUGIN_INLINE_ADD_U64, &b->acc_all, 1);
			if (is_push(insn)) {
				qemu_plugin_register_vcpu_mem_inline(
					insn, QEMU_PLUGIN_MEM_R,
					QEMU_PLUGIN_INLINE_ADD_U64, &probe_r, 1);
				qemu_plugin_register_vcpu_mem_inline(
					insn, QEMU_PLUGIN_MEM_RW,
					QEMU_PLUGIN_INLINE_ADD_U64, &probe_all,
					1);
			}
			if (!flow)
				continue;
		} else {
			qemu_plugin_register_vcpu_mem_cb(insn, marked_access,
							 QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, b);
		}
		if (flow && is_kernel(qemu_plugin_insn_vaddr(insn)))
			qemu_plugin_register_vcpu_mem_cb(insn, stack_access,
							 QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW,
							 (void *)(uintptr_t)flow);
		r = xcalloc(1, sizeof(*r));
		r->b = b;
		r->kind = marker_kind(insn);
		r->first = i == 0;
		r->flow = flow;
		r->spans = crosses_page(insn);
		r->next = qemu_plugin_insn_vaddr(insn) +
			  qemu_plugin_insn_size(insn);
		qemu_plugin_register_vcpu_insn_exec_cb(
			insn, marked ? insn_exec : flow_exec,
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
	fprintf(f, "blocks\t%llu\nheld_bytes\t%llu\ncases\t%u\nstack_nodes\t%u\n"
		"stack_tasks\t%u\nread_filter_counts\t%s\n",
		(unsigned long long)prof.blocks,
		(unsigned long long)prof.bytes, prof.epoch + 1, prof.n_nodes,
		prof.n_tasks,
		r_is_store() ? "stores" : "loads");
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
		else if (!strcmp(argv[i], "stacks=on"))
			prof.stacks = 1;
		else {
			fprintf(stderr, "kdio_profile: unknown argument %s "
				"(it takes out=DIR and stacks=on)\n", argv[i]);
			return -1;
		}
	}
	if (!prof.out[0]) {
		fprintf(stderr, "kdio_profile: no out=DIR given\n");
		return -1;
	}
	prof.cur = &prof.first;
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
