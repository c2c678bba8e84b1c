"""The null syscall's rate (family syscall): base.syscall, kdio-membench's
other mode, the floor of every channel's per-message cost.
"""

from kdio.paths.channel import membench_parse
from kdio.paths.pathdef import MeasuredPath

PATHS = (
    MeasuredPath("base.syscall", "ops/s", True,
                 lambda p, env: [env.tool("kdio-membench"), "-m", "syscall",
                                 "-n", str(p["count"])],
                 lambda raw, p: membench_parse(raw, p, unit_ops=True), family="syscall",
                 user_code=("glibc",)),
)
