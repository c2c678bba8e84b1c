// SPDX-License-Identifier: GPL-2.0
/*
 * kdio_crypto: the kernel crypto API on user data, one data path per
 * source file (zerocopy.c, bounce.c).
 *
 * /dev/kdio_crypto takes one ioctl, KDIO_IOC_CRYPTO_RUN (kdio/crypto.h): it
 * checks the whole request, allocates and keys the transform by the
 * driver name given (a device's driver has a lower priority than AES-NI,
 * so a benchmark must always name it), lets req.c run the requests
 * through the chosen path, and copies the counters back. The kernel only
 * runs and times; statistics live in the harness.
 *
 * No capability is checked: the device node's mode (0600) is the gate,
 * and a run only ever touches the caller's own memory.
 *
 * The corrupt_output parameter exists so that the harness can prove that
 * its ciphertext and decryption checks see a wrong output; it is 0 (off)
 * in every real run. Set to 1, every request that completes without error
 * gets the first byte of its output (after GCM's header) flipped before
 * the path gives the region back. Only 0 and 1 are taken (-EINVAL
 * otherwise); 0644, read once per run.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aead.h>
#include <crypto/skcipher.h>
#include <linux/compat.h>
#include <linux/crypto.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "crypto.h"
#include "common/param.h"

static const struct kdio_crypto_path_ops *const kdio_crypto_paths[] = {
	[KDIO_CRYPTO_ZERO_COPY]	= &kdio_crypto_zerocopy,
	[KDIO_CRYPTO_BOUNCE]	= &kdio_crypto_bounce,
};

KDIO_UINT_PARAM_RANGE(corrupt_output, 0, 1,
		      "test only: 1 flips the first output byte of every request, so that the harness can prove its ciphertext and decryption checks see it (0-1, default 0)");

/* The algorithm (cra_name) each enum kdio_crypto_alg stands for. */
static const char *const kdio_crypto_alg_names[] = {
	[KDIO_CRYPTO_CBC_AES]	= "cbc(aes)",
	[KDIO_CRYPTO_GCM_AES]	= "rfc4106(gcm(aes))",
};

/* Bytes of user buffer one request works on: payload, GCM's ICV. */
static u64 kdio_crypto_region(const struct kdio_crypto_req *req)
{
	return req->len + (req->alg == KDIO_CRYPTO_GCM_AES ?
			   KDIO_CRYPTO_GCM_TAG : 0);
}

/* Everything the in fields say, before anything is allocated. */
static int kdio_crypto_check(const struct kdio_crypto_req *req)
{
	if (req->abi_version != KDIO_CRYPTO_ABI_VERSION ||
	    req->struct_size != sizeof(*req))
		return -EPROTO;
	if (req->alg >= KDIO_CRYPTO_NR_ALGS ||
	    req->path >= KDIO_CRYPTO_NR_PATHS ||
	    (req->op != KDIO_CRYPTO_ENCRYPT && req->op != KDIO_CRYPTO_DECRYPT) ||
	    (req->flags & ~KDIO_CRYPTO_F_ALL))
		return -EINVAL;
	if (req->key_len != 16 && req->key_len != 24 && req->key_len != 32)
		return -EINVAL;
	if (!req->len || req->len > KDIO_CRYPTO_MAX_LEN)
		return -EINVAL;
	if (req->alg == KDIO_CRYPTO_CBC_AES &&
	    !IS_ALIGNED(req->len, KDIO_CRYPTO_BLOCK))
		return -EINVAL;
	if (!req->queue_depth || req->queue_depth > KDIO_CRYPTO_MAX_QD)
		return -EINVAL;
	if (!req->count)
		return -EINVAL;
	if (!memchr(req->driver, '\0', sizeof(req->driver)))
		return -ENAMETOOLONG;
	if (!access_ok(u64_to_user_ptr(req->data),
		       req->queue_depth * kdio_crypto_region(req)))
		return -EFAULT;
	return 0;
}

/*
 * Why the crypto API gave no transform for name: -ENOENT if it knows no
 * such name, -EINVAL if it does, as something of another type (an aead
 * asked for as an skcipher or the reverse).
 */
static int kdio_crypto_alloc_error(const char *name, long err)
{
	if (err == -ENOENT && crypto_has_alg(name, 0, 0))
		return -EINVAL;
	return err;
}

static int kdio_crypto_alloc_cbc(struct kdio_crypto_run *run,
				 const char *name)
{
	const struct kdio_crypto_req *req = run->req;
	struct crypto_skcipher *tfm = crypto_alloc_skcipher(name, 0, 0);

	if (IS_ERR(tfm))
		return kdio_crypto_alloc_error(name, PTR_ERR(tfm));
	run->sk = tfm;
	if (strcmp(crypto_tfm_alg_name(crypto_skcipher_tfm(tfm)),
		   kdio_crypto_alg_names[KDIO_CRYPTO_CBC_AES]))
		return -EINVAL;
	return crypto_skcipher_setkey(tfm, req->key, req->key_len);
}

/* rfc4106 takes the salt as the last 4 bytes of its key. */
static int kdio_crypto_alloc_gcm(struct kdio_crypto_run *run,
				 const char *name)
{
	const struct kdio_crypto_req *req = run->req;
	u8 key[KDIO_CRYPTO_KEY_MAX + KDIO_CRYPTO_GCM_SALT];
	struct crypto_aead *tfm = crypto_alloc_aead(name, 0, 0);
	int ret;

	if (IS_ERR(tfm))
		return kdio_crypto_alloc_error(name, PTR_ERR(tfm));
	run->aead = tfm;
	if (strcmp(crypto_tfm_alg_name(crypto_aead_tfm(tfm)),
		   kdio_crypto_alg_names[KDIO_CRYPTO_GCM_AES]))
		return -EINVAL;
	memcpy(key, req->key, req->key_len);
	memcpy(key + req->key_len, req->iv, KDIO_CRYPTO_GCM_SALT);
	ret = crypto_aead_setkey(tfm, key, req->key_len + KDIO_CRYPTO_GCM_SALT);
	memzero_explicit(key, sizeof(key));
	if (ret)
		return ret;
	return crypto_aead_setauthsize(tfm, KDIO_CRYPTO_GCM_TAG);
}

static void kdio_crypto_free_tfm(struct kdio_crypto_run *run)
{
	if (run->sk)
		crypto_free_skcipher(run->sk);
	if (run->aead)
		crypto_free_aead(run->aead);
}

/*
 * The keyed transform of the request, by its driver name, or by the
 * algorithm's name if it gives none; its driver name into driver_used.
 * On error whatever was allocated stays in run for kdio_crypto_free_tfm().
 */
static int kdio_crypto_alloc_tfm(struct kdio_crypto_run *run)
{
	struct kdio_crypto_req *req = run->req;
	const char *name = req->driver[0] ? req->driver :
			   kdio_crypto_alg_names[req->alg];
	struct crypto_tfm *tfm;
	int ret;

	if (req->alg == KDIO_CRYPTO_CBC_AES)
		ret = kdio_crypto_alloc_cbc(run, name);
	else
		ret = kdio_crypto_alloc_gcm(run, name);
	tfm = run->sk ? crypto_skcipher_tfm(run->sk) :
	      run->aead ? crypto_aead_tfm(run->aead) : NULL;
	if (tfm)
		strscpy(req->driver_used, crypto_tfm_alg_driver_name(tfm),
			sizeof(req->driver_used));
	return ret;
}

/* A checked request: its run's shape, the path, the slots' sizes. */
static void kdio_crypto_init_run(struct kdio_crypto_run *run,
				 struct kdio_crypto_req *req)
{
	*run = (struct kdio_crypto_run){
		.req		= req,
		.path		= kdio_crypto_paths[array_index_nospec(req->path,
						KDIO_CRYPTO_NR_PATHS)],
		.region		= kdio_crypto_region(req),
		.hdr_len	= req->alg == KDIO_CRYPTO_GCM_AES ?
				  KDIO_CRYPTO_GCM_HDR : 0,
		.qd		= req->queue_depth,
		.corrupt_output	= READ_ONCE(corrupt_output),
	};
	/* an unaligned region touches one page more than its length says */
	run->max_pages = DIV_ROUND_UP(run->region + PAGE_SIZE - 1, PAGE_SIZE);
}

/* KDIO_IOC_CRYPTO_RUN: check, allocate, run, report. */
static long kdio_crypto_ioctl_run(struct kdio_crypto_req __user *ureq)
{
	struct kdio_crypto_run run;
	struct kdio_crypto_req req;
	int ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	ret = kdio_crypto_check(&req);
	if (ret)
		return ret;
	memset(req.driver_used, 0, sizeof(req.driver_used));
	req.bytes = req.elapsed_ns = req.requests = 0;
	req.error = 0;
	req.device_irqs = 0;
	kdio_crypto_init_run(&run, &req);

	ret = kdio_crypto_alloc_tfm(&run);
	if (ret == -ENOENT || (!run.sk && !run.aead))
		goto out_wipe_key;	/* no transform: nothing to report */
	if (!ret)
		ret = kdio_crypto_slots_alloc(&run);
	if (!ret)
		ret = kdio_crypto_run_requests(&run);
	pr_debug("%s %s: %llu x %llu bytes, %d\n", run.path->name,
		 req.driver_used, req.requests, req.len, ret);
	kdio_crypto_slots_free(&run);
	kdio_crypto_free_tfm(&run);

	req.error = ret;
	if (copy_to_user(ureq, &req, sizeof(req)))	/* in fields as they came */
		ret = -EFAULT;
out_wipe_key:
	memzero_explicit(req.key, sizeof(req.key));
	return ret;
}

static long kdio_crypto_fop_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	switch (cmd) {
	case KDIO_IOC_CRYPTO_RUN:
		return kdio_crypto_ioctl_run((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kdio_crypto_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kdio_crypto_fop_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice kdio_crypto_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kdio_crypto",
	.fops	= &kdio_crypto_fops,
	.mode	= 0600,
};

static int __init kdio_crypto_init(void)
{
	int ret;

	BUILD_BUG_ON(ARRAY_SIZE(kdio_crypto_paths) != KDIO_CRYPTO_NR_PATHS);
	BUILD_BUG_ON(ARRAY_SIZE(kdio_crypto_alg_names) != KDIO_CRYPTO_NR_ALGS);
	BUILD_BUG_ON(sizeof(struct kdio_crypto_req) % 8);
	BUILD_BUG_ON(KDIO_CRYPTO_NAME_MAX > CRYPTO_MAX_ALG_NAME);

	ret = misc_register(&kdio_crypto_misc);
	if (ret)
		pr_err("cannot register /dev/%s: %d\n", kdio_crypto_misc.name,
		       ret);
	return ret;
}

/* No /dev/kdio_crypto file is open (.owner), so no run is going on. */
static void __exit kdio_crypto_exit(void)
{
	misc_deregister(&kdio_crypto_misc);
}

module_init(kdio_crypto_init);
module_exit(kdio_crypto_exit);

MODULE_DESCRIPTION("kdio: the kernel crypto API on user data, zero-copy and bounced");
MODULE_LICENSE("GPL");
