"""The registry of measured paths, as fio's engines/ with its struct
ioengine_ops: one module per kind of path (storage, channel, crypto,
syscall, ipsec) declares its MeasuredPaths (kdio.paths.pathdef), and this
module gathers them into PATHS, refusing at import a path that is not
complete (pathdef.check_path) or a name declared twice. Each path names its
family (kdio.model.family): the kind of case it is, which gives its
parameters, defaults, ratios and plots.
"""

from kdio.errors import KdioError
from kdio.model import backends, family
from kdio.paths import channel, crypto, ipsec, storage, syscall
from kdio.paths.pathdef import PathError, check_path


def register(*groups):
    """{name: path} of every group's paths, each checked, names unique."""
    out = {}
    for path in (p for g in groups for p in g):
        check_path(path)
        if path.name in out:
            raise PathError(f"path {path.name} is declared twice",
                            "give each path a name of its own")
        out[path.name] = path
    return out


PATHS = register(storage.PATHS, channel.PATHS, crypto.PATHS, syscall.PATHS, ipsec.PATHS)


class UnknownPath(KdioError):
    """A result record names a path this harness does not know."""


def family_of_case(case):
    """The family of a suite's case, by its path."""
    return _of_path_name(case.path, f"case {case.case_id}")


def family_of(record):
    """The family of a result record, by its path."""
    return _of_path_name(record["path"], f"result {record['case']}")


def _of_path_name(name, what):
    if name not in PATHS:
        raise UnknownPath(f"{what} names path '{name}', which this kdio does not know",
                          "read it with the kdio version that wrote it")
    return family.of_path(PATHS[name])


def reference(record):
    """The Ratio a result is judged against in plots and normalized
    comparisons: fio psync at qd 1 and fio io_uring at the same qd above it
    for storage, memcpy at the same size for channels, AES-NI for crypto;
    None for a family without one."""
    return family_of(record).reference_ratio(record["params"])


def used_backends(suite):
    """The backends a suite's storage cases use, in first-use order."""
    names = dict.fromkeys(family.STORAGE.value(c.param_dict, "backend") for c in suite.cases
                          if c.path in PATHS and PATHS[c.path].storage)
    return [backends.BACKENDS[n] for n in names if n in backends.BACKENDS]
