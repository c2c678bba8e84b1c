"""A differential profile: where a case's instructions changed between two
profiled runs, function by function, per sample (each sample is the same
work in both runs), and how much of the case's change the functions shown
account for."""

import json
from dataclasses import dataclass
from pathlib import Path

from kdio.errors import ProfileError
from kdio.profile import profile


@dataclass(frozen=True)
class Change:
    symbol: str
    module: str
    layer: str
    base: float         # instructions per sample in the base run
    new: float
    delta: float


def home(result_path):
    """Where the profile of the run in result_path is: RUN/profile for a
    run's result.json, <name>-profile beside any other result file (a
    committed baseline, ci/baselines/ci.json: ci/baselines/ci-profile)."""
    result_path = Path(result_path)
    if result_path.is_dir():
        return result_path / profile.PROFILE_DIR
    if result_path.name == "result.json":
        return result_path.parent / profile.PROFILE_DIR
    return result_path.with_name(f"{result_path.stem}-profile")


def load(profile_dir):
    """A profile summary, or None where there is none."""
    path = profile_dir / "profile.json"
    return json.loads(path.read_text()) if path.exists() else None


def _per_sample(profile_dir, entry):
    rows = profile.read_rows(profile_dir / entry["file"])
    n = entry["samples"] or 1
    return {(r.symbol, r.module): (r.layer, r.insns / n) for r in rows}


def _fold(rows, kept):
    """rows with every function not in kept folded into the OTHER row, as a
    trimmed profile (profile.trim) holds them."""
    out = {}
    for key, (layer, insns) in rows.items():
        if key not in kept:
            key, layer = profile.OTHER, profile.OTHER_LAYER
        out[key] = (layer, out.get(key, (layer, 0.0))[1] + insns)
    return out


def explain(base_dir, new_dir, case, top=8):
    """The functions whose instructions per sample changed most in case
    between the profiles in base_dir and new_dir (home()): {"case",
    "base", "new", "delta", "changes" (the top ones), "explained" (their
    share of delta)}."""
    sides, kept = [], None
    for pdir in (base_dir, new_dir):
        summary = load(pdir)
        if summary is None:
            raise ProfileError(f"{pdir} holds no profile", "run it with --profile")
        if case not in summary["cases"]:
            raise ProfileError(f"{pdir} has no profile of {case}",
                               "compare two profiled runs of the same suite")
        rows = _per_sample(pdir, summary["cases"][case])
        if summary.get("trimmed"):      # a committed baseline's: the functions it kept
            own = set(rows) - {profile.OTHER}
            kept = own if kept is None else kept & own
        sides.append((summary["cases"][case], rows))
    (eb, rb), (en, rn) = sides
    if kept is not None:
        rb, rn = _fold(rb, kept), _fold(rn, kept)
    changes = []
    for key in set(rb) | set(rn):
        layer = (rn.get(key) or rb.get(key))[0]
        b, n = rb.get(key, (layer, 0.0))[1], rn.get(key, (layer, 0.0))[1]
        if abs(n - b) > 1e-6:
            changes.append(Change(key[0], key[1], layer, b, n, n - b))
    changes.sort(key=lambda c: (-abs(c.delta), c.symbol))
    base = eb["in_insns"] / (eb["samples"] or 1)
    new = en["in_insns"] / (en["samples"] or 1)
    shown = changes[:top]
    delta = new - base
    return {"case": case, "base": base, "new": new, "delta": delta, "changes": shown,
            "explained": sum(c.delta for c in shown) / delta if delta else None}
