/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The profiler's markers: instructions that delimit a timed window for
 * kdio's QEMU plugin (plugin/kdio_profile.c), which counts the guest's
 * instructions by function inside each window. A marker is an 8-byte
 * nopl 0x6b64000K(%rax,%rax,1) (0f 1f 84 00, then the displacement),
 * K its kind: a no-op on hardware and under KVM, and one instruction
 * under TCG. A QEMU 7.2 plugin cannot read registers, so the kind is in
 * the instruction's bytes.
 *
 * Each window is bracketed outside its clock reads: KDIO_MARK_START
 * before the first, KDIO_MARK_END after the second, so the counted
 * figure (the instructions between the two clock reads) is the same
 * with markers as without; the region holds the window, the clock
 * reads' own instructions and the two markers. KDIO_MARK_CASE, run by
 * the guest's runner between cases when a run is profiled, ends one
 * case's profile and starts the next one's.
 */
#ifndef _UAPI_KDIO_MARKER_H
#define _UAPI_KDIO_MARKER_H

#define KDIO_MARK_MAGIC		0x6b640000	/* "kd" */
#define KDIO_MARK_START		1
#define KDIO_MARK_END		2
#define KDIO_MARK_CASE		3

#if defined(__x86_64__) || defined(__i386__)
#define KDIO_MARK(kind)							\
	asm volatile(".byte 0x0f, 0x1f, 0x84, 0x00\n\t.long %c0"	\
		     : : "i" (KDIO_MARK_MAGIC | (kind)) : "memory")
#else
#define KDIO_MARK(kind) do { } while (0)
#endif

#endif /* _UAPI_KDIO_MARKER_H */
