"""A profiled run's profiles as text: per case, its windows' instructions
split by layer, then its top functions (kdio profile RUN [CASE])."""

from kdio.model import measure
from kdio.profile import layers, profile


def _pct(part, whole):
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def render_case(case_id, entry, rows, top=15):
    """One case: totals, the layer split and the top functions."""
    total = entry["in_insns"]
    windows = entry["windows"]
    lines = [f"{case_id}",
             f"  {entry['samples']} sample(s), {windows} window(s), "
             f"{measure.fmt_cost(total / windows) if windows else '-'} instructions per window "
             f"(counted: guest instructions, not time), "
             f"{entry['rep_bytes']} bytes moved by rep movs/stos"]
    if not windows:
        lines.append("  no timed window marked in this path: nothing to attribute")
        return "\n".join(lines)
    lines.append("  by layer:")
    for name, n in entry["layers"].items():
        lines.append(f"    {name:<8} {n:>14} {_pct(n, total)}  {layers.DESCRIPTION.get(name, '')}")
    lines.append("  top functions (self instructions in the windows; [rep]: the copy's "
                 "iterations):")
    width = max([len(r.symbol) for r in rows[:top]] + [8])
    for r in rows[:top]:
        moved = f"  {r.rep_bytes} B" if r.rep_bytes else ""
        lines.append(f"    {r.symbol:<{width}} {r.module:<12} {r.layer:<8} {r.insns:>12} "
                     f"{_pct(r.insns, total)}{moved}")
    return "\n".join(lines)


def render(summary, profile_dir, case=None, top=15):
    """Every case of summary (or those whose id contains case)."""
    chosen = {k: v for k, v in summary["cases"].items() if case is None or case in k}
    out = []
    for case_id, entry in chosen.items():
        rows = profile.read_rows(profile_dir / entry["file"])
        out.append(render_case(case_id, entry, rows, top))
    verdict = ("profile checks: ok" if summary["ok"] else
               f"profile checks FAILED: {'; '.join(summary['problems'][:3])}")
    return "\n\n".join(out + [verdict])


def render_explain(d):
    """A differential profile (kdio.profile.diff.explain) as text."""
    pct = f"{100 * d['delta'] / d['base']:+.2f} %" if d["base"] else "-"
    lines = [f"where {d['case']} changed: {d['base']:.0f} -> {d['new']:.0f} instructions per "
             f"sample in its windows ({d['delta']:+.0f}, {pct}; counted, not time)"]
    if not d["changes"]:
        lines.append("  no function's count changed")
        return "\n".join(lines)
    width = max(len(c.symbol) for c in d["changes"])
    for c in d["changes"]:
        lines.append(f"    {c.symbol:<{width}} {c.module:<10} {c.layer:<8} {c.base:>12.0f} -> "
                     f"{c.new:>12.0f}  {c.delta:+12.0f}")
    if d["explained"] is not None:
        lines.append(f"  these {len(d['changes'])} function(s) account for "
                     f"{100 * d['explained']:.0f} % of the change")
    return "\n".join(lines)
