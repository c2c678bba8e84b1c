/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private contract of kdio_crypto.ko: main.c (the device, the
 * checks, the transform), req.c (requests, submission, waiting,
 * the run loop) and the data paths, one per crypto_<name>.c file, each
 * ending in a struct kdio_crypto_path_ops (enum kdio_crypto_path in
 * kdio/crypto.h names them). To add a path: copy bounce.c, add its
 * enum value to kdio/crypto.h, its extern below, its row in main.c's
 * table and its object to Kbuild.
 *
 * A path only gets a region's bytes to and from the slot's scatterlist;
 * req.c owns the requests and decides when each one runs.
 */
#ifndef _KDIO_CRYPTO_H
#define _KDIO_CRYPTO_H

#include <crypto/aead.h>
#include <crypto/skcipher.h>
#include <linux/mm_types.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

#include "kdio/crypto.h"

/* GCM: the ESP header before each payload: SPI, sequence number, IV. */
#define KDIO_CRYPTO_GCM_AAD	8U
#define KDIO_CRYPTO_GCM_IV	8U
#define KDIO_CRYPTO_GCM_HDR	(KDIO_CRYPTO_GCM_AAD + KDIO_CRYPTO_GCM_IV)
#define KDIO_CRYPTO_GCM_SALT	4U

struct kdio_crypto_run;

/* One request and what it needs while in flight; one per queue slot. */
struct kdio_crypto_slot {
	struct kdio_crypto_run *run;
	struct skcipher_request *sk;	/* CBC */
	struct aead_request *aead;	/* GCM */
	struct crypto_wait wait;	/* completion and result */
	u8 *iv;				/* the request's copy of the IV */
	u8 *hdr;			/* GCM: the ESP header, sg[0] */
	struct scatterlist *sg;		/* run->max_pages + 1 entries */
	struct page **pages;		/* the path's pages of the region */
	unsigned int nr_pages;		/* of them in use */
	void __user *udata;		/* the region */
	bool in_flight;			/* submitted, not yet finished */
};

/* One validated request being run. */
struct kdio_crypto_run {
	struct kdio_crypto_req *req;
	const struct kdio_crypto_path_ops *path;
	struct crypto_skcipher *sk;	/* CBC */
	struct crypto_aead *aead;	/* GCM */
	u64 region;			/* len plus the GCM tag */
	unsigned int hdr_len;		/* KDIO_CRYPTO_GCM_HDR or 0 */
	unsigned int max_pages;		/* pages a region can touch */
	unsigned int qd;
	bool corrupt_output;		/* test-only parameter, read once */
	struct kdio_crypto_slot *slots;
};

struct kdio_crypto_path_ops {
	const char *name;
	/* Per slot, outside the timed run, both optional: own pages. */
	int (*setup)(struct kdio_crypto_run *run,
		     struct kdio_crypto_slot *slot);
	void (*teardown)(struct kdio_crypto_run *run,
			 struct kdio_crypto_slot *slot);
	/* Before each request: the region's bytes into slot->sg. */
	int (*prepare)(struct kdio_crypto_run *run,
		       struct kdio_crypto_slot *slot);
	/*
	 * After each prepared request, in process context, ok if it
	 * completed without error: give the region back; 0 or -errno.
	 */
	int (*finish)(struct kdio_crypto_run *run,
		      struct kdio_crypto_slot *slot, bool ok);
};

extern const struct kdio_crypto_path_ops kdio_crypto_zerocopy;
extern const struct kdio_crypto_path_ops kdio_crypto_bounce;

/* In req.c. */
int kdio_crypto_slots_alloc(struct kdio_crypto_run *run);
void kdio_crypto_slots_free(struct kdio_crypto_run *run);
int kdio_crypto_run_requests(struct kdio_crypto_run *run);
/*
 * Point slot->sg at the ESP header (GCM) and then at len bytes of pages,
 * starting offset bytes into the first one.
 */
void kdio_crypto_sg_pages(struct kdio_crypto_run *run,
			  struct kdio_crypto_slot *slot, struct page **pages,
			  unsigned int nr_pages, unsigned int offset, u64 len);

#endif /* _KDIO_CRYPTO_H */
