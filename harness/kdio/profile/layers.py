"""Each function's layer, for the split of a case's cost: the copy (the
rep movs/stos iterations, and the copy routines), the block layer, the
file system, page pinning, syscall entry and exit, crypto, kdio's own
code, user space, and the rest of the kernel. The first rule that
matches a function's module or name decides; the order matters (ext4's
direct-I/O pinning is pinning, not the file system)."""

import re

COPY = "copy"
LAYERS = (COPY, "pinning", "block", "fs", "syscall", "crypto", "kdio", "clock", "user",
          "kernel")
DESCRIPTION = {
    COPY: "the data copy: rep movs/stos iterations, memcpy and copy_*_user",
    "pinning": "page pinning and the iov_iter's pages (gup, pin_user_pages, bio_iov_iter)",
    "block": "the block layer and block drivers (bio, blk-mq, brd)",
    "fs": "the VFS, the page cache and file systems (ext4, iomap, jbd2)",
    "syscall": "system call entry and exit",
    "crypto": "the crypto API and ciphers",
    "kdio": "kdio's own modules",
    "clock": "the clock reads around each window (ktime_get): mostly outside the counted "
             "figure, inside the region the markers bracket",
    "user": "user space (the tool or fio)",
    "kernel": "the rest of the kernel (scheduler, memory, locks, time)",
}

# User-space modules: kdio's tools, and the files of a process's memory map
# (fio, its shared libraries, the dynamic loader).
USER_MODULES = r"^(user space|kdio-[\w-]+|fio|[\w.+-]+\.so(\.[\w.]+)?|ld-linux[\w.-]*)$"
# (layer, rule on the module, rule on the function name)
RULES = (
    (COPY, USER_MODULES, r"^(__)?mem(cpy|move|set)\w*$"),
    ("user", USER_MODULES, None),
    ("kdio", r"^kdio_", None),
    ("block", r"^(brd|virtio_blk|loop|null_blk)$", None),
    ("crypto", r"^(aesni_intel|virtio_crypto|af_alg|algif_\w+|gcm|ctr|ghash_generic|cbc)$", None),
    (COPY, None, r"^(memcpy|__memcpy|memmove|memset|__memset|copy_user\w*|rep_movs\w*|"
                 r"copy_page\w*|clear_page\w*|_copy_(to|from)_user\w*|copy_(to|from)_iter\w*|"
                 r"copy_page_(to|from)_iter\w*|__copy_user\w*|memcpy_\w+|copyin|copyout)$"),
    ("clock", None, r"^(ktime_get\w*|read_tsc|native_sched_clock|rdtsc\w*)$"),
    ("pinning", None, r"^(pin_user_pages\w*|unpin_user\w*|__get_user_pages\w*|get_user_pages\w*|"
                      r"gup_\w+|internal_get_user_pages\w*|try_grab_\w+|follow_\w*page\w*|"
                      r"iov_iter_get_pages\w*|__iov_iter_get_pages\w*|bio_iov_iter_get_pages\w*|"
                      r"__bio_iov_iter_get_pages|bio_release_pages|__bio_release_pages|"
                      r"gup_put_folio|folio_add_pin|try_get_folio|lockless_pages_from_mm)$"),
    ("syscall", None, r"^(entry_SYSCALL\w*|do_syscall_64|syscall_\w+|__x64_sys_\w+|__do_sys_\w+|"
                      r"__se_sys_\w+|ksys_\w+|exit_to_user_mode\w*|syscall_exit\w*|"
                      r"__fdget\w*|fdget\w*|__fget_light|fput|do_vfs_ioctl|__x64_sys_ioctl|"
                      r"irqentry_\w+|error_entry|error_return|swapgs_restore\w*|"
                      r"native_irq_return_iret|entry_\w+)$"),
    ("block", None, r"^(blk_\w+|__blk_\w+|bio_\w+|__bio_\w+|submit_bio\w*|__submit_bio\w*|"
                    r"bvec_\w+|bdev_\w+|blkdev_\w+|__blkdev_\w+|disk_\w+|part_\w+|rq_qos_\w+|"
                    r"should_fail_bio|update_io_ticks)$"),
    ("fs", None, r"^(ext4_\w+|__ext4_\w+|jbd2_\w+|iomap_\w+|__iomap_\w+|generic_file_\w+|"
                 r"generic_write_\w+|filemap_\w+|__filemap_\w+|file_\w+|vfs_\w+|rw_verify_area|"
                 r"__generic_file_\w+|kiocb_\w+|touch_atime|atime_needs_update|"
                 r"inode_\w+|__mark_inode_dirty|generic_update_time|security_file_\w+|"
                 r"fsnotify\w*|__fsnotify_\w+|invalidate_\w+|folio_\w+|truncate_\w+|"
                 r"do_iter_\w+|current_time)$"),
    ("crypto", None, r"^(crypto_\w+|__crypto_\w+|aes\w*|cbc_\w+|skcipher_\w+|aead_\w+|"
                     r"scatterwalk_\w+|gf128mul_\w+|ghash_\w+|_aesni_\w+)$"),
)
_COMPILED = tuple((layer, re.compile(m) if m else None, re.compile(n) if n else None)
                  for layer, m, n in RULES)


def layer_of(name, module):
    """The layer of function name in module."""
    for layer, m, n in _COMPILED:
        if (m is None or m.match(module)) and (n is None or n.match(name)):
            return layer
    return "kernel"
