"""Statistics on repetition samples: pure functions, no I/O."""

import statistics


def summary(samples):
    """median, min, max and coefficient of variation (stdev/mean) of samples."""
    if not samples:
        return None
    mean = statistics.fmean(samples)
    cv = statistics.stdev(samples) / mean if len(samples) > 1 and mean else 0.0
    return {"n": len(samples), "median": statistics.median(samples), "min": min(samples),
            "max": max(samples), "mean": mean, "cv": cv}


def spread(summ):
    """(max - min) / median: the spread printed beside a median."""
    if not summ or not summ["median"]:
        return None
    return (summ["max"] - summ["min"]) / summ["median"]


def ratio(a, b):
    """a / b, or None when either is missing or b is zero."""
    if a is None or b in (None, 0):
        return None
    return a / b
