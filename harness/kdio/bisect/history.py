"""The git side of a bisect: the user's repository only read, a clone of it
to bisect in, and what a commit is.

The clone (git clone --shared: it borrows the user's objects, copies none)
lives in kdio's cache, one per repository, and is reused by the next bisect
of it, with its build folder, so a step rebuilds only what changed. Nothing
is ever written in the user's repository: not its HEAD, index, working tree,
stash or bisect state; state() reads all of them so the tests can say so.
"""

import hashlib
import subprocess
from pathlib import Path

from kdio.errors import ConfigError, KdioError


def git(repo, *args, check=True):
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise KdioError(f"git {' '.join(args)} in {repo} failed: "
                        f"{(r.stderr or r.stdout).strip()[-400:]}",
                        "check the repository and the revisions given")
    return r.stdout


def top(repo):
    """The top folder of the git repository repo is in, or a refusal."""
    r = subprocess.run(["git", "-C", str(repo), "rev-parse", "--show-toplevel"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ConfigError(f"{repo} is not in a git repository",
                          "give the top folder of a git checkout (git clone, or git init "
                          "and commit)")
    return Path(r.stdout.strip())


def state(repo):
    """Everything of the user's repository a bisect must leave as it was:
    HEAD (symbolic and resolved), the index and working tree (git status),
    the stash, and git bisect's log."""
    bisect = subprocess.run(["git", "-C", str(repo), "bisect", "log"], capture_output=True,
                            text=True)
    return {"head": git(repo, "rev-parse", "HEAD").strip(),
            "branch": git(repo, "symbolic-ref", "-q", "HEAD", check=False).strip(),
            "status": git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
            "stash": git(repo, "stash", "list"),
            "bisect_log": bisect.stdout if bisect.returncode == 0 else None}


def commit_of(repo, rev):
    """The full commit id rev names in repo, or a refusal naming rev."""
    r = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ConfigError(f"{rev} is not a commit of {repo}",
                          f"give a commit, tag or branch of it (git -C {repo} log --oneline)")
    return r.stdout.strip()


def describe(repo, commit):
    """{commit, short, subject, author, date} of a commit."""
    out = git(repo, "show", "-s", "--format=%H%n%h%n%s%n%an <%ae>%n%ad", "--date=short", commit)
    full, short, subject, author, date = (out.splitlines() + [""] * 5)[:5]
    return {"commit": full, "short": short, "subject": subject, "author": author, "date": date}


def diffstat(repo, commit):
    return git(repo, "show", "--stat", "--format=", commit).rstrip()


def clone_home(repo, cache):
    """(the folder of repo's bisect clone and build, the clone) under cache."""
    key = hashlib.sha256(str(repo).encode()).hexdigest()[:12]
    home = Path(cache) / "bisect" / f"{Path(repo).name}-{key}"
    return home, home / "src"


def clone_for(repo, cache):
    """The bisect clone of repo under cache (made once, fetched after):
    a shared clone, with no bisect in progress, of repo's every commit."""
    home, src = clone_home(repo, cache)
    if not (src / ".git").exists():
        home.mkdir(parents=True, exist_ok=True)
        partial = home / "src.partial"
        subprocess.run(["rm", "-rf", str(partial)], check=True)
        git(home, "clone", "--quiet", "--shared", "--no-checkout", str(repo), str(partial))
        partial.rename(src)
    else:
        git(src, "bisect", "reset", check=False)
        # every ref of the user's (branches, tags, remotes), fetched from the shared objects
        git(src, "fetch", "--quiet", "--force", "--tags", str(repo),
            "+refs/heads/*:refs/remotes/origin/*")
    return home, src


def commits_between(repo, good, bad):
    """The commits in good..bad, newest first, or a refusal if good is not
    an ancestor of bad."""
    ancestor = subprocess.run(["git", "-C", str(repo), "merge-base", "--is-ancestor", good, bad])
    if ancestor.returncode:
        raise ConfigError(f"--good {good[:12]} is not an ancestor of --bad {bad[:12]}",
                          "give the older, good commit as --good and the newer, bad one as --bad")
    return git(repo, "rev-list", f"{good}..{bad}").split()


def left(clone):
    """How many commits a bisect in progress in clone has still to test."""
    goods = git(clone, "for-each-ref", "--format=%(objectname)", "refs/bisect/good-*").split()
    skips = set(git(clone, "for-each-ref", "--format=%(objectname)",
                    "refs/bisect/skip-*").split())
    listed = git(clone, "rev-list", "refs/bisect/bad", "--not", *goods).split()
    return len([c for c in listed if c not in skips]) - 1  # not the known bad one
