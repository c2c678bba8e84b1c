"""The families of cases: the kind of case a path measures, and what follows
from that kind.

Every measured path (kdio.paths) declares its family, and the harness asks
a case's or a result record's family (of_case, of) instead of reading the
kind from its parameter keys. A baseline belongs to the family it is a
yardstick for (fio to storage, memcpy to channels, AF_ALG to crypto): it
takes the same parameters and is the reference of the family's ratios.

A family owns:
- its parameter keys: those a case must give (required) and the defaults
  of those it may leave out (the storage backend is "ext4" here and only
  here);
- its ratio columns, and the one that is its reference: the ratio a case
  is judged by in plots and normalized comparisons;
- its plot axes: which parameters make one plot, the x axis, the lines;
- the wording of its figures: the counted unit of its byte rates (per
  byte or per message), and the parameter that names what its cases wait
  on (backend, driver) for counted runs;
- whether its cases do I/O on a backend (and so need regions laid out).

Adding a family (the IPsec suite's net.ipsec, say): write its Family below
and add it to FAMILIES (in the order its ratio columns are to appear in
the table), then name it in each of its paths: MeasuredPath(..., family=
"ipsec"). The table, plots, compare, plan checks and counted units follow
from it with no other edit; a path that names a family not in FAMILIES is
refused when kdio.paths is imported (UnknownFamily).
"""

from dataclasses import dataclass

from kdio.errors import KdioError


class FamilyError(KdioError):
    """A family is declared wrong (a reference that is none of its ratios, a
    ratio label another family has)."""


class UnknownFamily(FamilyError):
    """A path declares a family that is not in FAMILIES."""


class UnknownPath(KdioError):
    """A result record names a path this harness does not know."""


@dataclass(frozen=True)
class Ratio:
    """A ratio column: each case of the family is divided by the reference
    case of the same run: `path` (None: the case's own path) with the same
    values of `keys` and the values in `fixed`."""
    label: str
    path: str
    keys: tuple
    fixed: tuple = ()


@dataclass(frozen=True)
class Plot:
    """How a family's cases are drawn: one plot per key that group(value)
    gives (value: a parameter with the family's default), `x` on the x axis,
    one line per path and per value of the `series` parameters. A key must
    differ from every other family's (the plots are kept by key)."""
    x: str
    xlabel: str
    group: object           # (value: key -> parameter) -> tuple
    title: object           # group key -> the title after "<suite>: "
    name: object = None     # group key -> file-name part; None: the key joined by "-"
    series: tuple = ()


@dataclass(frozen=True, eq=False)
class Family:
    name: str
    required: tuple                 # the parameters every case gives
    defaults: dict                  # the values of those it may leave out
    ratios: tuple = ()
    reference: object = None        # a ratio label, or (value) -> label; None: no reference
    plot: Plot = None               # None: not drawn
    cost_unit: str = "insn/byte"    # the counted unit of its bytes/s figures
    waits_on: str = None            # the parameter naming what a case waits on
    uses_backend: bool = False      # does I/O on a backend

    def __post_init__(self):
        labels = [r.label for r in self.ratios]
        if isinstance(self.reference, str) and self.reference not in labels:
            raise FamilyError(f"family {self.name}: reference '{self.reference}' is none of "
                                f"its ratios ({', '.join(labels) or 'none'})",
                                "name one of the family's own Ratio labels")

    def value(self, params, key):
        """A case's parameter, or the family's default for it."""
        return params.get(key, self.defaults.get(key))

    def _values(self, params):
        return lambda key: self.value(params, key)

    def reference_ratio(self, params):
        """The Ratio a case of these parameters is judged against, or None."""
        label = self.reference(self._values(params)) if callable(self.reference) \
            else self.reference
        return next((r for r in self.ratios if r.label == label), None)

    def plot_key(self, params):
        """The key of the plot a case of these parameters is drawn in."""
        return self.plot.group(self._values(params))

    def plot_name(self, key):
        return self.plot.name(key) if self.plot.name else "-".join(str(k) for k in key)


STORAGE_KEYS = ("op", "bs", "size", "backend")
CRYPTO_KEYS = ("alg", "key", "msg", "qd")

STORAGE = Family(
    "storage", required=("op", "bs", "size"), defaults={"backend": "ext4", "qd": 1},
    ratios=(Ratio("fio.psync", "fio.psync", STORAGE_KEYS),
            Ratio("fio.io_uring", "fio.io_uring", STORAGE_KEYS + ("qd",))),
    reference=lambda v: "fio.psync" if v("qd") == 1 else "fio.io_uring",
    plot=Plot("bs", "block size", group=lambda v: (v("op"), v("backend"), v("qd")),
              title=lambda k: f"{k[0]}, {k[1]}, qd {k[2]}",
              name=lambda k: f"{k[0]}-{k[1]}-qd{k[2]}"),
    waits_on="backend", uses_backend=True)

CHANNEL = Family(
    "channel", required=("msg", "count"), defaults={},
    ratios=(Ratio("base.memcpy", "base.memcpy", ("msg",)),), reference="base.memcpy",
    plot=Plot("msg", "message size", group=lambda v: ("channels",),
              title=lambda k: "kernel-to-user channels"),
    cost_unit="insn/msg")

CRYPTO = Family(
    "crypto", required=("alg", "driver", "key", "msg", "count"), defaults={"qd": 1},
    ratios=(Ratio("aesni", None, CRYPTO_KEYS, (("driver", "aesni"),)),
            Ratio("base.afalg", "base.afalg", CRYPTO_KEYS + ("driver",))),
    reference="aesni",
    plot=Plot("msg", "message size",
              group=lambda v: ("crypto", v("alg"), f"{v('key')}bit", f"qd{v('qd')}"),
              title=lambda k: f"{k[1]}(aes) {k[2]}, {k[3]}", series=("driver",)),
    waits_on="driver")

# The null system call: the cost of entering the kernel and coming back.
SYSCALL = Family("syscall", required=("count",), defaults={})



def registry(*families):
    """{name: family}, refusing two families of one name or one ratio label
    in two families (the table's columns are keyed by label)."""
    out, labels = {}, {}
    for f in families:
        if f.name in out:
            raise FamilyError(f"two families are called {f.name}", "rename one of them")
        for r in f.ratios:
            if labels.setdefault(r.label, f.name) != f.name or \
                    sum(x.label == r.label for x in f.ratios) > 1:
                raise FamilyError(f"ratio label {r.label} is used twice ({labels[r.label]}, "
                                  f"{f.name})", "give each ratio column a label of its own")
        out[f.name] = f
    return out


FAMILIES = registry(STORAGE, CHANNEL, CRYPTO, SYSCALL)
# Every ratio column, in the table's order.
RATIOS = tuple(r for f in FAMILIES.values() for r in f.ratios)


def get(name):
    """The family called name; UnknownFamily if there is none."""
    if name not in FAMILIES:
        raise UnknownFamily(f"unknown family '{name}'",
                            f"use one of: {', '.join(FAMILIES)}, or add it to "
                            "kdio.family.FAMILIES")
    return FAMILIES[name]


def of_path(path):
    """The family of a MeasuredPath."""
    return get(path.family)


def of_case(case):
    """The family of a suite's case, by its path."""
    return _of_path_name(case.path, f"case {case.case_id}")


def of(record):
    """The family of a result record, by its path."""
    return _of_path_name(record["path"], f"result {record['case']}")


def _of_path_name(name, what):
    from kdio import paths  # paths declares each path's family: it imports this module
    if name not in paths.PATHS:
        raise UnknownPath(f"{what} names path '{name}', which this kdio does not know",
                          "read it with the kdio version that wrote it")
    return of_path(paths.PATHS[name])


def reference(record):
    """The Ratio a result is judged against in plots and normalized
    comparisons: fio psync at qd 1 and fio io_uring at the same qd above it
    for storage, memcpy at the same size for channels, AES-NI for crypto;
    None for a family without one."""
    return of(record).reference_ratio(record["params"])
