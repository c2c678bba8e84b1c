// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kdio_kbuf: a kernel buffer that a process maps and then does
 * O_DIRECT from or into. This is the /dev/mem case: remap_pfn_range()
 * makes a VM_IO | VM_PFNMAP mapping, which get_user_pages() refuses, so
 * O_DIRECT on it fails with EFAULT, exactly as it does on /dev/mem; the
 * same pages mapped with vm_insert_pages() are ordinary struct pages in a
 * VM_MIXEDMAP mapping, which direct I/O pins like any user memory, with no
 * copy. KDIO_KBUF_PFN and KDIO_KBUF_PAGES choose between the two.
 *
 * Per open file: KDIO_IOC_KBUF_SETUP allocates the buffer, once, as
 * zeroed order-0 pages (nothing of the kernel's leaks to user space); mmap
 * maps all of it, MAP_SHARED, at offset 0. The pages are freed when the
 * file is released, and a mapping holds the file, so never while mapped;
 * pages inserted with vm_insert_pages() also hold a reference of their
 * own, which pins taken by direct I/O outlive. .owner keeps the module
 * loaded while any file or mapping is open.
 *
 * Locking: mmap runs under the caller's mmap_lock and takes kb->lock, so
 * setup copies from user space (which may fault and take mmap_lock)
 * before it takes kb->lock, never under it.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dio.h"
#include "common/compat.h"

#define KDIO_KBUF_GFP	(GFP_KERNEL | __GFP_ZERO | __GFP_RETRY_MAYFAIL | \
			 __GFP_NOWARN)

struct kdio_kbuf {
	struct mutex lock;	/* pages, nr, mode */
	struct page **pages;	/* NULL until set up */
	unsigned long nr;
	u32 mode;
};

static void kdio_kbuf_free_pages(struct page **pages, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr && pages[i]; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

static struct page **kdio_kbuf_alloc_pages(unsigned long nr)
{
	struct page **pages;
	unsigned long i;

	pages = kvcalloc(nr, sizeof(*pages), KDIO_KBUF_GFP);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++) {
		pages[i] = alloc_page(KDIO_KBUF_GFP);
		if (!pages[i])
			goto out_free_pages;
	}
	return pages;

out_free_pages:
	kdio_kbuf_free_pages(pages, nr);
	return NULL;
}

static int kdio_kbuf_check(const struct kdio_kbuf_req *req)
{
	if (req->abi_version != KDIO_DIO_ABI_VERSION ||
	    req->struct_size != sizeof(*req))
		return -EPROTO;
	if (!req->size || req->size > KDIO_MAX_BLOCK ||
	    !PAGE_ALIGNED(req->size))
		return -EINVAL;
	if (req->mode != KDIO_KBUF_PFN && req->mode != KDIO_KBUF_PAGES)
		return -EINVAL;
	if (req->reserved)
		return -EINVAL;
	return 0;
}

/* KDIO_IOC_KBUF_SETUP: check, allocate, then install unless already set. */
static long kdio_kbuf_setup(struct kdio_kbuf *kb,
			    const struct kdio_kbuf_req __user *ureq)
{
	struct kdio_kbuf_req req;
	struct page **pages;
	unsigned long nr;
	int ret;

	if (copy_from_user(&req, ureq, sizeof(req)))
		return -EFAULT;
	ret = kdio_kbuf_check(&req);
	if (ret)
		return ret;
	if (READ_ONCE(kb->pages))
		return -EBUSY;	/* cheap early answer; checked again below */

	nr = req.size >> PAGE_SHIFT;
	pages = kdio_kbuf_alloc_pages(nr);
	if (!pages)
		return -ENOMEM;
	mutex_lock(&kb->lock);
	if (kb->pages) {
		ret = -EBUSY;
	} else {
		kb->nr = nr;
		kb->mode = req.mode;
		WRITE_ONCE(kb->pages, pages);
	}
	mutex_unlock(&kb->lock);
	if (ret)
		kdio_kbuf_free_pages(pages, nr);
	return ret;
}

/* Each page on its own: they are not physically contiguous. */
static int kdio_kbuf_remap(struct kdio_kbuf *kb, struct vm_area_struct *vma)
{
	unsigned long i;

	for (i = 0; i < kb->nr; i++) {
		int ret = remap_pfn_range(vma, vma->vm_start + i * PAGE_SIZE,
				      page_to_pfn(kb->pages[i]), PAGE_SIZE,
				      vma->vm_page_prot);
		if (ret)
			return ret;
	}
	return 0;
}

static int kdio_kbuf_insert(struct kdio_kbuf *kb, struct vm_area_struct *vma)
{
	unsigned long num = kb->nr;

	return vm_insert_pages(vma, vma->vm_start, kb->pages, &num);
}

/*
 * Map the whole buffer, shared, at offset 0; the mapping may neither grow
 * (mremap) nor be dumped. A failure part way leaves the VMA to the caller,
 * which unmaps what was inserted.
 */
static int kdio_kbuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kdio_kbuf *kb = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	int ret = -EINVAL;

	mutex_lock(&kb->lock);
	if (!kb->pages || !(vma->vm_flags & VM_SHARED) || vma->vm_pgoff ||
	    len != kb->nr << PAGE_SHIFT)
		goto out_unlock;
	kdio_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	if (kb->mode == KDIO_KBUF_PFN)
		ret = kdio_kbuf_remap(kb, vma);
	else
		ret = kdio_kbuf_insert(kb, vma);
out_unlock:
	mutex_unlock(&kb->lock);
	return ret;
}

static long kdio_kbuf_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	if (cmd != KDIO_IOC_KBUF_SETUP)
		return -ENOTTY;
	return kdio_kbuf_setup(file->private_data,
			       (const struct kdio_kbuf_req __user *)arg);
}

static int kdio_kbuf_open(struct inode *inode, struct file *file)
{
	struct kdio_kbuf *kb;

	kb = kzalloc(sizeof(*kb), GFP_KERNEL);
	if (!kb)
		return -ENOMEM;
	mutex_init(&kb->lock);
	file->private_data = kb;	/* was the miscdevice */
	nonseekable_open(inode, file);
	return 0;
}

/* Last reference to the file: no mapping is left, nor can one be made. */
static int kdio_kbuf_release(struct inode *inode, struct file *file)
{
	struct kdio_kbuf *kb = file->private_data;

	if (kb->pages)
		kdio_kbuf_free_pages(kb->pages, kb->nr);
	mutex_destroy(&kb->lock);
	kfree(kb);
	return 0;
}

static const struct file_operations kdio_kbuf_fops = {
	.owner		= THIS_MODULE,
	.open		= kdio_kbuf_open,
	.release	= kdio_kbuf_release,
	.mmap		= kdio_kbuf_mmap,
	.unlocked_ioctl	= kdio_kbuf_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

struct miscdevice kdio_kbuf_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kdio_kbuf",
	.fops	= &kdio_kbuf_fops,
	.mode	= 0600,
};
