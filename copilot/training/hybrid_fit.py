"""Fit the hybrid engine's weights on validation picks, and measure it against its parts on other picks.

`collect` runs every part once over whole drafts of a picks file (the dataset's val.picks.jsonl: drafts no part was
trained on) and keeps, per pick, each part's log-probabilities over the pack's distinct cards
(`copilot.picking.hybrid_engine.part_logprobs`) and the human's pick. The drafts are split in two halves by a hash
of their id (`copilot.datasets.evaluate.draft_half`): `fit_weights` maximises the log-likelihood of the human picks
of the fit half (Newton's method on the convex multinomial-logit likelihood, a small L2 term; numpy only), and
`score` measures every part alone, the hybrid with equal weights and the fitted hybrid on the other half, all on
the same picks from the same part outputs (the LLM runs once). `write_weights` writes the JSON the engine reads.

The collected scores can be saved (`save_scores`) and refitted without running the parts again (`load_scores`).
A collection can also write each draft as it finishes (`ScoresFile`): an interrupted run (an hour and a half of LLM
time for a dataset's 203 validation drafts on 2 cores) loses at most the draft it was on, and the next run with the
same file scores only the drafts that are not in it.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from copilot.fileio import atomic_write_json, utc_now
from copilot.picking.engine import safe_rank
from copilot.picking.hybrid_engine import HybridWeights, combine, part_logprobs

L2 = 1.0  # on the weights, in units of the summed negative log-likelihood (hundreds of picks)


@dataclass
class PickScores:
    draft_id: str
    half: int
    pick_number: int
    names: list[str]  # the pack's distinct cards, pack order
    picked: str
    parts: dict[str, list[float] | None]  # per part: log-probabilities aligned with names; None when it failed

    @property
    def target(self) -> int | None:
        return self.names.index(self.picked) if self.picked in self.names else None


def selected_drafts(picks: Path, sample: int | None = None, seed: int = 0) -> list[str]:
    """The drafts a collection covers: `sample` drawn with `seed`, or every draft of the file."""
    from copilot.datasets.evaluate import draft_ids, sample_drafts

    return sample_drafts(picks, sample, seed) if sample else draft_ids(picks)


def collect(picks: Path, parts: dict[str, object], catalog=None, sample: int | None = None, seed: int = 0,
            progress: Callable[[str], None] | None = None, draft_ids: set[str] | None = None,
            on_draft: Callable[[list[PickScores]], None] | None = None) -> list[PickScores]:
    """Every part's log-probabilities on every pick of the selected drafts (whole drafts, file order): `draft_ids`
    when given (the caller has selected them), else `sample` drawn with `seed`, else all; `on_draft` gets each
    draft's scores once the draft is done."""
    from copilot.datasets.evaluate import draft_half
    from copilot.datasets.picks import iter_contexts

    wanted = draft_ids if draft_ids is not None else set(selected_drafts(picks, sample, seed)) if sample else None
    out: list[PickScores] = []
    current: list[PickScores] = []

    def finish_draft() -> None:
        if current and on_draft is not None:
            on_draft(list(current))
        current.clear()

    start = last = time.perf_counter()
    for row, ctx in iter_contexts(picks, catalog, draft_ids=wanted):
        if current and current[-1].draft_id != row.draft_id:
            finish_draft()
        names = list(dict.fromkeys(c.name for c in ctx.pack))
        lps = {}
        for name, part in parts.items():
            lp = part_logprobs(safe_rank(part, ctx), names)
            lps[name] = None if lp is None else [lp[n] for n in names]
        current.append(PickScores(row.draft_id, draft_half(row.draft_id), row.pick_number, names, row.pick, lps))
        out.append(current[-1])
        if progress and time.perf_counter() - last > 10:
            last = time.perf_counter()
            progress(f"hybrid fit: {len(out)} picks scored by {', '.join(parts)} ({last - start:.0f} s)")
    finish_draft()
    return out


def usable(data: Sequence[PickScores], parts: Sequence[str]) -> list[PickScores]:
    """Picks where every part answered and the human's pick is in the pack."""
    return [d for d in data if d.target is not None and all(d.parts.get(p) is not None for p in parts)]


def _arrays(data: Sequence[PickScores], parts: Sequence[str]):
    import numpy as np

    n, c = len(data), max(len(d.names) for d in data)
    z = np.zeros((n, len(parts), c))
    mask = np.zeros((n, c), dtype=bool)
    target = np.zeros(n, dtype=int)
    for i, d in enumerate(data):
        k = len(d.names)
        mask[i, :k] = True
        target[i] = d.target
        for j, p in enumerate(parts):
            z[i, j, :k] = d.parts[p]
    return z, mask, target


def _nll(w, z, mask, target, l2):
    import numpy as np

    s = np.einsum("npc,p->nc", z, w)
    s = np.where(mask, s, -np.inf)
    m = s.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
    nll = float((lse - s[np.arange(len(target)), target]).sum() + 0.5 * l2 * w @ w)
    return nll, np.exp(s - lse[:, None])


def fit_weights(data: Sequence[PickScores], parts: Sequence[str], l2: float = L2, iters: int = 100
                ) -> tuple[dict[str, float], dict]:
    """Maximum-likelihood weights (Newton with backtracking); returns (weights, fit info)."""
    import numpy as np

    rows = usable(data, parts)
    if len(rows) < 10:
        raise ValueError(f"only {len(rows)} picks where every part ({', '.join(parts)}) answered: too few to fit")
    z, mask, target = _arrays(rows, parts)
    w = np.ones(len(parts))
    nll, p = _nll(w, z, mask, target, l2)
    start_nll = _nll(np.ones(len(parts)), z, mask, target, 0.0)[0]
    steps = 0
    for steps in range(1, iters + 1):
        mu = np.einsum("nc,npc->np", p, z)
        grad = (mu - z[np.arange(len(target)), :, target]).sum(axis=0) + l2 * w
        second = np.einsum("nc,npc,nqc->pq", p, z, z) - np.einsum("np,nq->pq", mu, mu)
        step = np.linalg.solve(second + l2 * np.eye(len(parts)), grad)
        t = 1.0
        while True:
            cand = w - t * step
            cand_nll, cand_p = _nll(cand, z, mask, target, l2)
            if cand_nll <= nll or t < 1e-6:
                break
            t /= 2
        done = nll - cand_nll < 1e-9
        w, nll, p = cand, cand_nll, cand_p
        if done or float(np.abs(grad).max()) < 1e-7:
            break
    info = {"picks": len(rows), "dropped": len(data) - len(rows), "newton_steps": steps, "l2": l2,
            "nll_per_pick": round(_nll(w, z, mask, target, 0.0)[0] / len(rows), 4),
            "nll_per_pick_equal_weights": round(start_nll / len(rows), 4)}
    return {p_: round(float(x), 4) for p_, x in zip(parts, w)}, info


def score(data: Sequence[PickScores], parts: Sequence[str], weights: dict[str, float] | None = None,
          part: str | None = None) -> dict:
    """top-1 / top-3 / mean log-likelihood of one part (`part`) or of the hybrid (`weights`) on `data`."""
    rows = usable(data, parts)
    top1 = top3 = 0
    ll = 0.0
    for d in rows:
        if part is not None:
            s = dict(zip(d.names, d.parts[part]))
        else:
            s = combine({p: dict(zip(d.names, d.parts[p])) for p in parts}, weights or {}, d.names)
        order = sorted(d.names, key=lambda n: -s[n])  # stable: ties keep pack order, as the engines rank
        top1 += order[0] == d.picked
        top3 += d.picked in order[:3]
        m = max(s.values())
        ll += s[d.picked] - (m + math.log(sum(math.exp(v - m) for v in s.values())))
    n = len(rows)
    return {"n": n, "top1": round(top1 / n, 4) if n else None, "top3": round(top3 / n, 4) if n else None,
            "loglik_per_pick": round(ll / n, 4) if n else None}


def report(data: Sequence[PickScores], parts: Sequence[str], weights: dict[str, float], half: int) -> list[dict]:
    """Every part alone, the equal-weight hybrid and the fitted hybrid on the picks of `half`."""
    held = [d for d in data if d.half == half]
    rows = [{"engine": p, **score(held, parts, part=p)} for p in parts]
    rows.append({"engine": "hybrid (equal weights)", **score(held, parts, {p: 1.0 for p in parts})})
    rows.append({"engine": "hybrid (fitted)", **score(held, parts, weights)})
    return rows


def format_report(rows: list[dict], title: str) -> str:
    lines = [title, f"{'engine':26s}{'n':>6s}{'top1':>8s}{'top3':>8s}{'loglik/pick':>13s}"]
    for r in rows:
        lines.append(f"{r['engine']:26s}{r['n']:6d}{100 * (r['top1'] or 0):7.1f}%{100 * (r['top3'] or 0):7.1f}%"
                     f"{r['loglik_per_pick'] if r['loglik_per_pick'] is not None else float('nan'):13.3f}")
    return "\n".join(lines)


def write_weights(path: Path, weights: dict[str, float], part_options: dict[str, dict], info: dict) -> HybridWeights:
    hw = HybridWeights(weights, {k: dict(v) for k, v in part_options.items()}, True, str(path),
                       {**info, "created": utc_now()})
    atomic_write_json(Path(path), hw.to_dict())
    return hw


def save_scores(path: Path, data: Sequence[PickScores]) -> None:
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for d in data:
            fh.write(json.dumps(asdict(d)) + "\n")
    tmp.replace(path)


def load_scores(path: Path) -> list[PickScores]:
    """Saved scores; a last line cut short by an interrupted run drops that line's draft (it is scored again)."""
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    for i, line in enumerate(lines):
        try:
            out.append(PickScores(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            if i < len(lines) - 1:
                raise ValueError(f"{path}, line {i + 1}: not a saved pick score ({exc}); the file is damaged: "
                                 f"remove it to score the drafts again") from exc
            return _without_cut_draft(out, line)
    return out


def _without_cut_draft(data: list[PickScores], cut_line: str) -> list[PickScores]:
    """The scores before a line cut short, less the draft that line belongs to: its id when the cut left it, else
    the last draft (perhaps whole; it is scored again)."""
    found = re.match(r'\{"draft_id": "([^"]*)"', cut_line)
    cut = found.group(1) if found else (data[-1].draft_id if data else None)
    return [d for d in data if d.draft_id != cut]


class ScoresFile:
    """Scores saved draft by draft while they are collected, for `copilot hybrid fit --scores FILE` to resume.

    A sidecar (`FILE.parts.json`) records the parts and their options; a run with other parts or options is
    refused rather than mixing two models' scores in one file.
    """

    def __init__(self, path: Path, parts: Sequence[str], options: dict[str, dict], ratings_hidden: Sequence[str] = ()):
        self.path = Path(path)
        self.sidecar = self.path.with_name(self.path.name + ".parts.json")
        self.setup = {"parts": list(parts), "options": {p: dict(options.get(p, {})) for p in parts}}
        if ratings_hidden:  # scores of a day-one measurement (`--hide-ratings`) are another setup's
            self.setup["ratings_hidden"] = sorted(s.upper() for s in ratings_hidden)

    def resume(self) -> list[PickScores]:
        """The scores already saved (whole drafts only, rewritten clean); ValueError when they are another setup's."""
        if not self.path.exists():
            return []
        saved = json.loads(self.sidecar.read_text(encoding="utf-8")) if self.sidecar.exists() else None
        data = load_scores(self.path)
        kept_parts = {p for d in data for p in d.parts}
        if (saved is not None and saved != self.setup) or (data and kept_parts != set(self.setup["parts"])):
            was = saved or {"parts": sorted(kept_parts)}
            raise ValueError(f"{self.path} holds scores of another setup ({json.dumps(was)}); pass the same --parts "
                             f"and --opt, or another --scores file")
        save_scores(self.path, data)
        return data

    def start(self) -> None:
        atomic_write_json(self.sidecar, self.setup)
        self.path.touch()

    def append(self, draft: list[PickScores]) -> None:
        import os

        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(asdict(d)) + "\n" for d in draft))
            fh.flush()
            os.fsync(fh.fileno())
