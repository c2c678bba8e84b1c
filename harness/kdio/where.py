"""Where kdio's files are: the one module that computes a path from its own
location. The checkout's top, the harness and its data folders, the guest
side's files, the build folder and the download cache; every other module
takes its paths from here, so moving a file means editing one line here.
"""

import os
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]        # the checkout
HARNESS = TOP / "harness"
PACKAGE = HARNESS / "kdio"                        # this package
SUITES = HARNESS / "suites"
KERNELS = HARNESS / "kernels"
GUEST = PACKAGE / "guest"                         # the guest side: /init, the runners
KCONFIG_FRAGMENT = HARNESS / "kconfig" / "fragment.toml"
SCHEMA = PACKAGE / "results" / "schema" / "result-v1.schema.json"
GUEST_RUNNER = GUEST / "guestrun.py"              # runs the plan in a guest
IPSEC_GUEST = GUEST / "ipsecguest.py"             # one ESP case, in a guest
HOST_JOB = PACKAGE / "remote" / "hostjob.sh"      # kdio hosts' job on each host
BUILD = TOP / "build"                             # modules, tools, initramfs
CI = TOP / "ci"
PACKAGES = CI / "packages.txt"                    # what the bootstrap installs


def store():
    """The store of runs: $KDIO_STORE as given (a file, or a PostgreSQL
    server's postgresql:// URL, which a Path would spoil), else
    results/store.sqlite."""
    return os.environ.get("KDIO_STORE") or TOP / "results" / "store.sqlite"


def cache():
    """The download cache: $KDIO_CACHE, else .cache/ at the top of the checkout."""
    env = os.environ.get("KDIO_CACHE")
    return Path(env) if env else TOP / ".cache"
