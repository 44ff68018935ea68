"""Plain-text rendering of a Recommendation (CLI, logs; the GUI has its own widgets)."""
from __future__ import annotations

from copilot.picking.engine import Recommendation


def _score(s) -> str:
    text = f"{s.score:.2f}"
    if s.probability is not None:
        text += f", p={s.probability:.0%}"
    return text


def format_recommendation(rec: Recommendation, top: int = 3) -> str:
    """'Pick: Name (score)' then the runner-ups, then 'engine · model · latency'; errors stated plainly."""
    lines: list[str] = []
    meta = [rec.engine] + ([rec.model] if rec.model else []) + [f"{rec.latency_ms:.0f} ms"]
    if rec.tokens_evaluated:
        meta.append(f"{rec.tokens_evaluated} tokens")
    if rec.error and not rec.ranked:
        lines.append(f"No recommendation: {rec.engine} failed: {rec.error}")
    elif not rec.ranked:
        lines.append(f"No recommendation: {rec.engine} ranked no card")
    else:
        best = rec.ranked[0]
        lines.append(f"Pick: {best.card.name} ({_score(best)})")
        for i, s in enumerate(rec.ranked[1:max(1, top)], start=2):
            lines.append(f"  {i}. {s.card.name} ({_score(s)})")
        if rec.error:
            lines.append(f"Warning: {rec.error}")
    lines.append("  " + " · ".join(meta))
    if rec.note:
        lines.append(f"  note: {rec.note}")
    return "\n".join(lines)


def format_advice(advice, top: int = 3) -> str:
    """format_recommendation, with the best pairs first when the event takes two cards (Pick-Two)."""
    text = format_recommendation(advice.recommendation, top=top)
    if not advice.pairs:
        return text
    best = advice.pairs[0]
    lines = [f"Take two: {best.first.card.name} + {best.second.card.name}"]
    lines += [f"  or {p.first.card.name} + {p.second.card.name}" for p in advice.pairs[1:max(1, top)]]
    return "\n".join(lines) + "\n" + text
