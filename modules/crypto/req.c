// SPDX-License-Identifier: GPL-2.0
/*
 * The request machinery of kdio_crypto.ko, the same for every path: one
 * slot per request in flight (its skcipher or aead request, its IV copy,
 * its ESP header, its scatterlist), submission, waiting and the run loop.
 *
 * Every request is submitted with CRYPTO_TFM_REQ_MAY_BACKLOG, so that a
 * driver whose queue is full (crypto_engine's, which virtio-crypto uses,
 * holds ten) backlogs it and returns -EBUSY rather than refusing it, and
 * with crypto_req_done() as its completion callback, which stores the
 * result in the slot's crypto_wait and completes it (the -EINPROGRESS
 * notice a backlogged request gets first is ignored there). A submission
 * that returns -EINPROGRESS or -EBUSY is in flight; any other return is
 * its result, and no callback will come for it.
 *
 * queue_depth 1 waits for each request with crypto_wait_req(). Above it,
 * slot i % qd carries request i: the loop waits, killably, for that
 * slot's previous request, finishes it (the path unpins or copies back),
 * then prepares and submits request i without waiting for it. The
 * callback, in whatever context the driver completes in, touches nothing
 * but the slot's completion, and wait_for_completion*() returns only once
 * complete() has let go of it, so a reaped slot is the submitter's alone.
 *
 * After an error or a fatal signal nothing more is submitted; every slot
 * in flight is waited for uninterruptibly (a driver completes whatever it
 * accepted) and finished before the run returns and anything is freed.
 */
#include <linux/kernel.h>
#include <linux/kernel_stat.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "crypto.h"
#include "kdio/marker.h"

#define KDIO_CRYPTO_REQ_FLAGS \
	(CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP)

void kdio_crypto_sg_pages(struct kdio_crypto_run *run,
			  struct kdio_crypto_slot *slot, struct page **pages,
			  unsigned int nr_pages, unsigned int offset, u64 len)
{
	struct scatterlist *sg = slot->sg;
	unsigned int i;

	sg_init_table(sg, nr_pages + (run->hdr_len ? 1 : 0));
	if (run->hdr_len) {
		sg_set_buf(sg, slot->hdr, run->hdr_len);
		sg = sg_next(sg);
	}
	for (i = 0; i < nr_pages; i++) {
		unsigned int n = min_t(u64, PAGE_SIZE - offset, len);

		sg_set_page(sg, pages[i], n, offset);
		len -= n;
		offset = 0;
		sg = sg_next(sg);
	}
}

/* GCM: the ESP header, SPI and sequence number big-endian, then the IV. */
static void kdio_crypto_fill_hdr(const struct kdio_crypto_req *req, u8 *hdr)
{
	__be32 spi = cpu_to_be32(KDIO_CRYPTO_GCM_SPI);
	__be32 seq = cpu_to_be32(KDIO_CRYPTO_GCM_SEQ);

	memcpy(hdr, &spi, sizeof(spi));
	memcpy(hdr + sizeof(spi), &seq, sizeof(seq));
	memcpy(hdr + KDIO_CRYPTO_GCM_AAD, req->iv + KDIO_CRYPTO_GCM_SALT,
	       KDIO_CRYPTO_GCM_IV);
}

/* The request of a slot, its callback and its buffers. */
static int kdio_crypto_slot_init(struct kdio_crypto_run *run,
				 struct kdio_crypto_slot *slot)
{
	slot->run = run;
	crypto_init_wait(&slot->wait);
	slot->iv = kzalloc(KDIO_CRYPTO_IV_SIZE, GFP_KERNEL);
	slot->sg = kvmalloc_array(run->max_pages + 1, sizeof(*slot->sg),
				  GFP_KERNEL);
	slot->pages = kvmalloc_array(run->max_pages, sizeof(*slot->pages),
				     GFP_KERNEL);
	if (!slot->iv || !slot->sg || !slot->pages)
		return -ENOMEM;
	if (run->aead) {
		slot->hdr = kmalloc(KDIO_CRYPTO_GCM_HDR, GFP_KERNEL);
		slot->aead = aead_request_alloc(run->aead, GFP_KERNEL);
		if (!slot->hdr || !slot->aead)
			return -ENOMEM;
		kdio_crypto_fill_hdr(run->req, slot->hdr);
		aead_request_set_callback(slot->aead, KDIO_CRYPTO_REQ_FLAGS,
					  crypto_req_done, &slot->wait);
	} else {
		slot->sk = skcipher_request_alloc(run->sk, GFP_KERNEL);
		if (!slot->sk)
			return -ENOMEM;
		skcipher_request_set_callback(slot->sk, KDIO_CRYPTO_REQ_FLAGS,
					      crypto_req_done, &slot->wait);
	}
	return run->path->setup ? run->path->setup(run, slot) : 0;
}

/* Free a slot, whatever kdio_crypto_slot_init() got done; none in flight. */
static void kdio_crypto_slot_free(struct kdio_crypto_run *run,
				  struct kdio_crypto_slot *slot)
{
	if (slot->pages && run->path->teardown)
		run->path->teardown(run, slot);
	skcipher_request_free(slot->sk);
	aead_request_free(slot->aead);
	kfree(slot->hdr);
	kvfree(slot->pages);
	kvfree(slot->sg);
	kfree(slot->iv);
}

int kdio_crypto_slots_alloc(struct kdio_crypto_run *run)
{
	unsigned int i;
	int ret;

	run->slots = kcalloc(run->qd, sizeof(*run->slots), GFP_KERNEL);
	if (!run->slots)
		return -ENOMEM;
	for (i = 0; i < run->qd; i++) {
		ret = kdio_crypto_slot_init(run, &run->slots[i]);
		if (ret)
			return ret;	/* kdio_crypto_slots_free() undoes it */
	}
	return 0;
}

void kdio_crypto_slots_free(struct kdio_crypto_run *run)
{
	unsigned int i;

	if (!run->slots)
		return;
	for (i = 0; i < run->qd; i++)
		kdio_crypto_slot_free(run, &run->slots[i]);
	kfree(run->slots);
	run->slots = NULL;
}

/*
 * Start the slot's prepared request: a fresh copy of the IV (CBC drivers
 * leave the chaining value in it), the list as source and destination.
 * Returns what the driver returned.
 */
static int kdio_crypto_submit(struct kdio_crypto_run *run,
			      struct kdio_crypto_slot *slot)
{
	const struct kdio_crypto_req *req = run->req;
	bool enc = req->op == KDIO_CRYPTO_ENCRYPT;
	u64 cryptlen = req->len;

	reinit_completion(&slot->wait.completion);
	if (run->sk) {
		memcpy(slot->iv, req->iv, KDIO_CRYPTO_IV_SIZE);
		skcipher_request_set_crypt(slot->sk, slot->sg, slot->sg,
					   cryptlen, slot->iv);
		return enc ? crypto_skcipher_encrypt(slot->sk) :
			     crypto_skcipher_decrypt(slot->sk);
	}
	if (!enc)
		cryptlen += KDIO_CRYPTO_GCM_TAG;	/* the ICV to check */
	memcpy(slot->iv, req->iv + KDIO_CRYPTO_GCM_SALT, KDIO_CRYPTO_GCM_IV);
	aead_request_set_ad(slot->aead, KDIO_CRYPTO_GCM_HDR);
	aead_request_set_crypt(slot->aead, slot->sg, slot->sg, cryptlen,
			       slot->iv);
	return enc ? crypto_aead_encrypt(slot->aead) :
		     crypto_aead_decrypt(slot->aead);
}

/*
 * The test-only corrupt_output (main.c): flip the first output byte
 * of a completed request, through its scatterlist, which still maps the
 * region's pages (pinned user pages or the bounce pages).
 */
static void kdio_crypto_corrupt(struct kdio_crypto_run *run,
				struct kdio_crypto_slot *slot)
{
	unsigned int nents = sg_nents(slot->sg);
	u8 byte;

	if (sg_pcopy_to_buffer(slot->sg, nents, &byte, 1, run->hdr_len) != 1)
		return;
	byte ^= 0xff;
	sg_pcopy_from_buffer(slot->sg, nents, &byte, 1, run->hdr_len);
}

/* A request that has completed with err: the path gives the region back. */
static int kdio_crypto_finish(struct kdio_crypto_run *run,
			      struct kdio_crypto_slot *slot, int err)
{
	int ret;

	if (!err && run->corrupt_output)
		kdio_crypto_corrupt(run, slot);
	ret = run->path->finish(run, slot, !err);

	slot->in_flight = false;
	if (err)
		return err;
	if (ret)
		return ret;
	run->req->requests++;
	run->req->bytes += run->req->len;
	return 0;
}

/*
 * Wait for the slot's request, if it has one, and finish it. killable:
 * a fatal signal returns -EINTR and leaves it in flight.
 */
static int kdio_crypto_reap(struct kdio_crypto_run *run,
			    struct kdio_crypto_slot *slot, bool killable)
{
	if (!slot->in_flight)
		return 0;
	if (killable) {
		if (wait_for_completion_killable(&slot->wait.completion))
			return -EINTR;
	} else {
		wait_for_completion(&slot->wait.completion);
	}
	return kdio_crypto_finish(run, slot, slot->wait.err);
}

/*
 * Prepare and submit request i in its slot. At queue depth 1, wait for
 * it and finish it; above, leave it in flight unless the driver has
 * already answered.
 */
static int kdio_crypto_start(struct kdio_crypto_run *run,
			     struct kdio_crypto_slot *slot)
{
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	ret = run->path->prepare(run, slot);
	if (ret)
		return ret;
	ret = kdio_crypto_submit(run, slot);
	if (run->qd > 1 && (ret == -EINPROGRESS || ret == -EBUSY)) {
		slot->in_flight = true;
		return 0;
	}
	if (run->qd == 1)
		ret = crypto_wait_req(ret, &slot->wait);
	return kdio_crypto_finish(run, slot, ret);
}

/*
 * The device interrupts every CPU has taken: irqs_sum counts each
 * interrupt handled through an irq descriptor (a device's, MSI or not),
 * not the local APIC timer's system vector.
 */
static u64 kdio_crypto_device_irqs(void)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += kstat_cpu_irqs_sum(cpu);
	return sum;
}

/*
 * All count requests, timed; the out fields say how far it got, and
 * device_irqs how many device interrupts came meanwhile (read outside the
 * profiler's region). The profiler's markers bracket the window outside
 * its clock reads, and only for a run the caller times (not
 * KDIO_CRYPTO_F_UNTIMED).
 */
int kdio_crypto_run_requests(struct kdio_crypto_run *run)
{
	struct kdio_crypto_req *req = run->req;
	bool timed = !(req->flags & KDIO_CRYPTO_F_UNTIMED);
	u64 start, irqs, i;
	unsigned int s;
	int ret = 0;

	for (s = 0; s < run->qd; s++)
		run->slots[s].udata = u64_to_user_ptr(req->data + s * run->region);
	irqs = kdio_crypto_device_irqs();
	if (timed)
		KDIO_MARK(KDIO_MARK_START);
	start = ktime_get_ns();
	for (i = 0; i < req->count && !ret; i++) {
		struct kdio_crypto_slot *slot = &run->slots[i % run->qd];

		ret = kdio_crypto_reap(run, slot, true);
		if (!ret)
			ret = kdio_crypto_start(run, slot);
	}
	for (s = 0; s < run->qd; s++) {
		int err = kdio_crypto_reap(run, &run->slots[s], false);

		if (!ret)
			ret = err;
	}
	req->elapsed_ns = ktime_get_ns() - start;
	if (timed)
		KDIO_MARK(KDIO_MARK_END);
	req->device_irqs = kdio_crypto_device_irqs() - irqs;
	return ret;
}
