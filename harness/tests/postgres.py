"""A PostgreSQL server of the tests' own: a temporary cluster made with
Debian's initdb and pg_ctl as an unprivileged user (initdb refuses root:
as root, the cluster is nobody's), listening only on a Unix socket in its
temporary folder, stopped and removed at the end."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

USER = "kdio"           # the cluster's superuser; trust on its own socket


def bindir():
    """Debian's PostgreSQL programs (postgresql-NN: /usr/lib/postgresql/NN/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL's initdb is not installed: sh ci/bootstrap.sh test "
                           "installs it (package postgresql)")
    return Path(found[-1]).parent


class Cluster:
    def __init__(self):
        self.bin = bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="kdio-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.owner = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.owner = nobody
        self.made = 0

    def _as_owner(self, argv):
        if self.owner is None:
            return argv
        return ["setpriv", f"--reuid={self.owner.pw_uid}", f"--regid={self.owner.pw_gid}",
                "--clear-groups", *argv]

    def _run(self, *argv):
        r = subprocess.run(self._as_owner([str(self.bin / argv[0]), *argv[1:]]),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120, cwd=self.dir)
        if r.returncode:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}\n{r.stdout}\n{log}")
        return r

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        return self

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-k {self.dir} -c listen_addresses= -c fsync=off", "start")

    def stop(self, mode="fast"):
        """mode "immediate": the server goes away as in a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, db):
        return f"postgresql:///{db}?host={self.dir}&user={USER}"

    def database(self):
        """A new empty database's URL."""
        import psycopg2
        self.made += 1
        name = f"kdio_{self.made}"
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return self.url(name)

    def remove(self):
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
