"""Turn a suite into the plan the guest runner executes.

The plan is plain JSON: setup steps (write the data files every path uses),
then every case's command line. The runner repeats the case list
`repetitions` times, so repetitions of different cases interleave.
"""

from kdio import paths
from kdio.errors import ConfigError

CASE_TIMEOUT_S = 300


def _check_data(suite, env):
    """Read the kdio data file back from user space (O_DIRECT, no module
    involved) and compare it with the pattern the module wrote."""
    return [env.tool("kdio-verify"), "-c", "-f", env.dio_file, "-s", str(suite.file_size),
            "-S", str(env.seed), "-b", "1m"]


def _check_badinput(suite, env):
    """Every invalid ioctl request gives its documented errno."""
    return [env.tool("kdio-badinput"), "-d", env.scratch]


# Correctness checks a suite may run after its cases: name -> argv maker.
CHECKS = {"data": _check_data, "badinput": _check_badinput}


def check_cases(suite):
    """Every case names a known path and fits in the suite's data files."""
    for name in suite.checks:
        if name not in CHECKS:
            raise ConfigError(f"suite {suite.name}: unknown check '{name}'",
                              f"use one of: {', '.join(sorted(CHECKS))}")
    for case in suite.cases:
        if case.path not in paths.PATHS:
            raise ConfigError(f"suite {suite.name}: unknown path '{case.path}'",
                              f"use one of: {', '.join(sorted(paths.PATHS))}")
        p = case.param_dict
        for key in ("op", "bs", "size"):
            if key not in p:
                raise ConfigError(f"suite {suite.name}: case {case.case_id} has no '{key}'",
                                  f"add '{key}' to its [[matrix]] entry")
        if p["size"] > suite.file_size:
            raise ConfigError(f"suite {suite.name}: case {case.case_id} moves more than "
                              f"file_size ({suite.file_size} bytes)",
                              "raise file_size or lower the case's size")
        if p["size"] % p["bs"]:
            raise ConfigError(f"suite {suite.name}: case {case.case_id}: size is not a "
                              "multiple of bs", "make size a multiple of every bs")


def setup_steps(suite, env):
    """Write the pattern into each data file once, so reads read real data
    and writes overwrite allocated blocks, for kdio paths and fio alike."""
    size = str(suite.file_size)
    write = [env.tool("kdio-verify"), "-w", "-s", size, "-S", str(env.seed), "-b", "1m"]
    return [{"name": "write kdio data file", "argv": write + ["-f", env.dio_file]},
            {"name": "write fio data file", "argv": write + ["-f", env.fio_file]}]


def build(suite, env, run_id):
    check_cases(suite)
    cases = []
    for case in suite.cases:
        path = paths.PATHS[case.path]
        cases.append({"case": case.case_id, "argv": path.argv(case.param_dict, env),
                      "timeout_s": CASE_TIMEOUT_S})
    return {"run_id": run_id, "suite": suite.name, "repetitions": suite.repetitions,
            "setup": setup_steps(suite, env), "cases": cases,
            "checks": [{"name": n, "argv": CHECKS[n](suite, env)} for n in suite.checks]}
