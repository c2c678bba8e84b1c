"""Histories for the bisect tests: a driver's repository made from the
test driver (tests/fixtures/testdrv), nine commits of which one adds
per-request work and one does not build; and a few commits on a kernel
tree."""

import shutil
import subprocess
from pathlib import Path

FIX = Path(__file__).parent / "fixtures"
DRIVER = "kdio_testcbc.c"
CALL = "\treturn encrypt ? crypto_skcipher_encrypt(sub) : crypto_skcipher_decrypt(sub);\n"
# The added work: a loop the compiler must run (each round reads and writes
# memory), rounds per request; 100 rounds are about 1 % of a 1424-byte
# request's counted cost through this driver (measured: docs/bisect.md).
AUDIT = """
/* Per-request audit: mixes the request's length into a running value. */
static void testcbc_audit(struct testcbc_ctx *ctx, unsigned int len)
{
\tunsigned int i;

\tfor (i = 0; i < TESTCBC_AUDIT_ROUNDS; i++)
\t\tWRITE_ONCE(ctx->audit, READ_ONCE(ctx->audit) * 31 + len + i);
}
"""


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test Author",
                           "-c", "user.email=author@example.org", *args],
                          check=True, capture_output=True, text=True).stdout


def commit(repo, message):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def driver_repo(where, rounds=100):
    """A git repository of the test driver: returns (folder, {name: commit})
    with names good, broken, fixed, culprit, bad. The culprit adds `rounds`
    rounds of work per request; `broken` does not compile and `fixed`
    mends it; git's first bisect step is `broken` (asserted by the test)."""
    repo = Path(where) / "mydrv"
    shutil.copytree(FIX / "testdrv", repo)
    git(repo, "init", "-q", "-b", "main")
    c = {"good": commit(repo, "testcbc: a cbc(aes) driver with a software fallback")}
    src = repo / DRIVER
    (repo / "README").write_text("kdio_testcbc: cbc(aes) by a synchronous fallback.\n")
    commit(repo, "Add a README")
    _edit(src, "/* One request, handed whole", "/* One request, passed whole")
    commit(repo, "testcbc: reword a comment")
    _edit(src, '#define TESTCBC_FALLBACK\t"cbc(aes-generic)"',
          '#define TESTCBC_FALLBACK\t"cbc(aes-generic)"\t/* the software one */')
    commit(repo, "testcbc: say which fallback")
    _edit(src, "struct testcbc_ctx {\n", "struct testcbc_ctx {\n\tunsigned int audit;\n")
    _edit(src, "static int testcbc_setkey", "static int testcbc_setkey(struct broken\n"
          "static int testcbc_setkey_unused")
    c["broken"] = commit(repo, "testcbc: keep an audit value per transform (does not build)")
    _edit(src, "static int testcbc_setkey(struct broken\nstatic int testcbc_setkey_unused",
          "static int testcbc_setkey")
    c["fixed"] = commit(repo, "testcbc: fix the build")
    _edit(src, "#define TESTCBC_FALLBACK", f"#define TESTCBC_AUDIT_ROUNDS\t{rounds}\n"
          "#define TESTCBC_FALLBACK")
    whole = "/* One request, passed whole"
    _edit(src, whole, AUDIT.lstrip("\n") + "\n" + whole)
    _edit(src, CALL, "\ttestcbc_audit(ctx, req->cryptlen);\n" + CALL)
    c["culprit"] = commit(repo, "testcbc: audit every request")
    (repo / "README").write_text((repo / "README").read_text() + "Priority 50: below all.\n")
    commit(repo, "README: say the priority")
    _edit(src, "MODULE_DESCRIPTION(", "/* the end */\nMODULE_DESCRIPTION(")
    c["bad"] = commit(repo, "testcbc: mark the end")
    return repo, c


BRD_WORK = """
/* Per-page accounting: mixes each page's sector into a running value. */
static unsigned long brd_mix;

static void brd_account(sector_t sector, unsigned int len)
{
\tunsigned int i;

\tfor (i = 0; i < BRD_ACCOUNT_ROUNDS; i++)
\t\tWRITE_ONCE(brd_mix, READ_ONCE(brd_mix) * 31 + sector + len + i);
}

static int brd_do_bvec("""


def kernel_repo(where, source, rounds=10):
    """A git repository of a kernel source folder (its unpacked files
    committed as they are, read in place), then four commits: a
    documentation edit, the culprit (work per page in brd's request path,
    `rounds` rounds), a comment in brd.c and another documentation edit.
    The repository's own working tree is checked out from it. Returns
    (folder, {name: commit}) with names good, culprit, bad."""
    repo = Path(where) / "linux"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "master")
    there = ["git", f"--git-dir={repo / '.git'}", f"--work-tree={source}", "-c",
             "user.name=Test Author", "-c", "user.email=author@example.org"]
    subprocess.run([*there, "add", "-A", "-f"], check=True, capture_output=True)
    subprocess.run([*there, "commit", "-q", "-m", "Linux as unpacked"], check=True,
                   capture_output=True)
    git(repo, "reset", "-q", "--hard")
    c = {"good": git(repo, "rev-parse", "HEAD").strip()}
    doc = repo / "Documentation/admin-guide/blockdev/ramdisk.rst"
    doc.write_text(doc.read_text() + "\n.. the RAM disk, as kdio uses it\n")
    commit(repo, "Documentation: a note on the RAM disk")
    brd = repo / "drivers/block/brd.c"
    _edit(brd, "static int brd_do_bvec(", f"#define BRD_ACCOUNT_ROUNDS {rounds}\n"
          + BRD_WORK.lstrip("\n"))
    _edit(brd, "\tmem = kmap_atomic(page);\n", "\tbrd_account(sector, len);\n"
          "\tmem = kmap_atomic(page);\n")
    c["culprit"] = commit(repo, "brd: account every page")
    _edit(brd, "/* Per-page accounting:", "/* Per-page accounting (cheap):")
    commit(repo, "brd: say it is cheap")
    doc.write_text(doc.read_text() + "\n.. and again\n")
    c["bad"] = commit(repo, "Documentation: another note")
    return repo, c
