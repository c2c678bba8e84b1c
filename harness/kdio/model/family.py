"""The families of cases: the kind of case a path measures, and what follows
from that kind.

Every measured path (kdio.paths.paths) declares its family, and the harness asks
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
refused when kdio.paths.paths is imported (UnknownFamily).
"""

from dataclasses import dataclass

from kdio.errors import KdioError


class FamilyError(KdioError):
    """A family is declared wrong (a reference that is none of its ratios, a
    ratio label another family has)."""


class UnknownFamily(FamilyError):
    """A path declares a family that is not in FAMILIES."""




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
    not_countable: str = None       # why none of its cases can be counted, if so

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

# Traffic between two network namespaces (kdio.paths.ipsec): iperf3's protocol,
# payload length, flows and seconds. NET is the plain veth, the baseline;
# IPSEC the same traffic over ESP SAs of one algorithm and mode, on the
# driver named. Both are drawn by kdio.paths.ipsec's own plots (throughput
# against payload, one line per driver), not by size.
TRAFFIC_KEYS = ("proto", "len", "flows", "time")
_IPERF_TIMED = ("iperf3 runs for a time on the guest clock, which icount with sleep=off "
                "warps over every wait (IPsec cases are wall-clock only)")

NET = Family("net", required=("proto", "len", "time"), defaults={"flows": 1},
             not_countable=_IPERF_TIMED)

IPSEC = Family(
    "ipsec", required=("alg", "mode", "driver", "proto", "len", "time"), defaults={"flows": 1},
    ratios=(Ratio("ESP aesni", None, ("alg", "mode") + TRAFFIC_KEYS, (("driver", "aesni"),)),
            Ratio("ipsec.none", "ipsec.none", TRAFFIC_KEYS)),
    reference="ipsec.none", not_countable=_IPERF_TIMED)



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


FAMILIES = registry(STORAGE, CHANNEL, CRYPTO, SYSCALL, IPSEC, NET)
# Every ratio column, in the table's order.
RATIOS = tuple(r for f in FAMILIES.values() for r in f.ratios)


def get(name):
    """The family called name; UnknownFamily if there is none."""
    if name not in FAMILIES:
        raise UnknownFamily(f"unknown family '{name}'",
                            f"use one of: {', '.join(FAMILIES)}, or add it to "
                            "kdio.model.family.FAMILIES")
    return FAMILIES[name]


def of_path(path):
    """The family of a MeasuredPath."""
    return get(path.family)
