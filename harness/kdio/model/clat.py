"""Per-I/O latency histograms: fio's clat bins, their percentiles, and the
check that a histogram holds one sample per I/O.

The bins are fio's (its stat.h, FIO_IO_U_PLAT_*), which the kdio_dio
module fills for every call it times (kdio/dio.h, struct kdio_clat):
groups of VAL bins, one group per power of two, so that a bin is at most
1/VAL of its value wide. A histogram is kept as fio's json+ output keeps
it, {"<ns the bin stands for>": count} of the bins in use, and a latency
record in fio's clat_ns shape: N, min, max, mean, percentile
({"50.000000": ns, ...}) and bins.

Pure functions, no I/O.
"""

from fractions import Fraction

BITS = 6
VAL = 1 << BITS
GROUPS = 29
NR_BINS = GROUPS * VAL          # 1856

# The percentiles recorded for every storage case, kdio's and fio's alike
# (fio is asked for them with --percentile_list).
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def index(ns):
    """The bin a latency of ns nanoseconds goes into."""
    if ns < 2 * VAL:
        return ns
    shift = ns.bit_length() - 1 - BITS
    return min(((shift + 1) << BITS) + ((ns >> shift) & (VAL - 1)), NR_BINS - 1)


def value(i):
    """The nanoseconds bin i stands for: i itself in the first two groups,
    else the middle of its range."""
    if not 0 <= i < NR_BINS:
        raise ValueError(f"bin {i} is outside 0..{NR_BINS - 1}")
    if i < 2 * VAL:
        return i
    shift = (i >> BITS) - 1
    return (1 << (shift + BITS)) + (i % VAL << shift) + (1 << (shift - 1))


def key(p):
    """fio's name of percentile p: "99.900000"."""
    return f"{p:f}"


def metric_name(p):
    """The metric of percentile p in a result record: clat_ns_p99.9."""
    return f"clat_ns_p{p:g}"


def percentiles(bins, n, plist=PERCENTILES):
    """{key(p): ns} as fio computes them (stat.c, calc_clat_percentiles):
    for each p, the value of the first bin, in order of value, at which
    the running count reaches p % of n. Exact arithmetic on p as fio holds
    it (a double); a percentile the bins do not reach is left out."""
    counts = sorted((int(k), c) for k, c in bins.items())
    wanted = sorted(plist)
    out, seen, j = {}, 0, 0
    for ns, count in counts:
        seen += count
        while j < len(wanted) and seen >= Fraction(wanted[j]) / 100 * n:
            out[key(wanted[j])] = ns
            j += 1
    return out


def clamped(pct, min_ns, max_ns):
    """Percentiles within [min_ns, max_ns]: a bin's value is the middle of
    its range, which can lie beyond the extreme samples in it (p99.9 above
    max), and the samples are known to lie within."""
    return {k: min(max(v, min_ns), max_ns) for k, v in pct.items()}


def from_counts(samples, min_ns, max_ns, sum_ns, bins, plist=PERCENTILES):
    """A latency record in fio's clat_ns shape from a tool's counters, its
    percentiles fio's, clamped to the samples' range."""
    pct = clamped(percentiles(bins, samples, plist), min_ns, max_ns) if samples else {}
    return {"N": samples, "min": min_ns, "max": max_ns,
            "mean": sum_ns / samples if samples else 0.0, "percentile": pct,
            "bins": {str(k): v for k, v in bins.items()}}


def _bins_problem(bins):
    """Why bins is not a histogram of fio's bins, or None."""
    for k, count in bins.items():
        if not (isinstance(k, str) and k.isdigit()):
            return f"bin key {k!r} is not a number of nanoseconds"
        if not isinstance(count, int) or count <= 0:
            return f"bin {k} holds {count!r}, not a positive count"
        if value(index(int(k))) != int(k):
            return f"bin key {k} is not the value of a bin (the nearest is {value(index(int(k)))})"
    return None


def _extremes_problem(clat):
    """Why min and max do not fall in the lowest and highest bins in use."""
    used = sorted(int(k) for k in clat["bins"])
    if clat["min"] > clat["max"]:
        return f"min {clat['min']} ns is above max {clat['max']} ns"
    if index(clat["min"]) != index(used[0]) or index(clat["max"]) != index(used[-1]):
        return (f"min {clat['min']} and max {clat['max']} ns are not in the lowest and highest "
                f"bins in use ({used[0]} and {used[-1]} ns)")
    return None


def problem(clat, ios):
    """Why clat is not the latency histogram of ios I/Os, or None: its bins
    must be fio's, hold N samples, N must be ios, and min and max must be
    in the lowest and highest bins in use."""
    if not clat or not isinstance(clat.get("bins"), dict):
        return "no latency histogram (clat bins) in the record"
    why = _bins_problem(clat["bins"])
    if why:
        return why
    held = sum(clat["bins"].values())
    if held != clat.get("N") or clat.get("N") != ios:
        return (f"the latency histogram holds {held} sample(s) and says N={clat.get('N')}, "
                f"for {ios} I/O(s): it must hold one sample per I/O")
    return _extremes_problem(clat) if ios else None


def metrics(clat, plist=PERCENTILES):
    """The figures of a latency record as result metrics: clat_ns_n,
    clat_ns_min, clat_ns_mean, clat_ns_p50 ... clat_ns_max."""
    pct = clat.get("percentile") or {}
    out = {"clat_ns_n": clat.get("N"), "clat_ns_min": clat.get("min"),
           "clat_ns_mean": clat.get("mean")}
    out.update({metric_name(p): pct.get(key(p)) for p in plist})
    out["clat_ns_max"] = clat.get("max")
    return out
