"""What a drafter has seen besides what they took: the cards they passed and, at a wheel, the cards others took.

Humans read signals: a good card of one colour still in a pack at pick 7 says the players upstream are not in it,
and the cards missing from a pack that comes back (pick 9 and later in an 8-player pod: the pack of pick k was the
pack of pick k-8) are what the other seats took. `seen_cards` splits a draft's earlier decisions into three
multisets of card names for a learned model to pool (copilot.picking.picknet_model, `signals`):

    round    cards passed in the current pack round (each earlier pack of this round, less the card(s) taken)
    earlier  cards passed in earlier rounds
    taken    at pick >= WHEEL + 1: the pack of pick k - WHEEL, less my pick from it and less the current pack

and `drafter_style` sums up how this drafter has picked so far (N_STYLE numbers): how closely they follow the
17lands rating, whether they take rares over better cards, whether they stay in their colours. People differ (a
rare-drafter for the collection, a ratings follower), and a model sees it from the draft's first picks.

No torch here. The history is the draft's earlier decisions as (pack_number, pick_number, pack names, picked names),
from the dataset's rows (training) or a PickContext's `history` (live, simulator, eval).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from copilot.picking.card_features import COLOUR_SLICE, FEATURE_NAMES, RARITY_SLOTS

WHEEL = 8  # seats in a pod: the pack of pick k returns at pick k + 8
GROUPS = ("round", "earlier", "taken")

Past = tuple  # (pack_number, pick_number, pack names, picked names)


@dataclass(frozen=True)
class SeenCards:
    round: tuple[str, ...] = ()
    earlier: tuple[str, ...] = ()
    taken: tuple[str, ...] = ()
    style: tuple[float, ...] | None = None  # drafter_style, where the caller knew the cards' features

    def groups(self) -> tuple[tuple[str, ...], ...]:
        return (self.round, self.earlier, self.taken)


Features = Callable[[str], Sequence[float] | None]
_Z, _HAS_Z = FEATURE_NAMES.index("gih_z"), FEATURE_NAMES.index("has_gih")
_RARITY = [FEATURE_NAMES.index(f"rarity_{r}") for r in RARITY_SLOTS]
STYLE_NAMES = ("rating_gap", "took_best_rated", "rarity_gap", "took_rare", "in_colours", "picks_seen")
N_STYLE = len(STYLE_NAMES)
_PRIOR = (-0.5, 0.5, -0.2, 0.5, 0.7)  # what a drafter is assumed to do before any evidence (weight _PRIOR_N)
_PRIOR_N = 2.0


def _rarity(row: Sequence[float]) -> int:
    return max((i for i, j in enumerate(_RARITY) if row[j] > 0), default=0)


class _StyleSums:
    """The running evidence of drafter_style, one decision at a time in pick order."""

    def __init__(self):
        self.sums, self.counts, self.colours, self.n = [0.0] * 5, [0.0] * 5, [0.0] * 5, 0

    def add(self, pack: Sequence[str], picked: Sequence[str], features_of: Features) -> None:
        self.n += 1
        rows = {n: features_of(n) for n in pack}
        took = rows.get(picked[0]) if picked else None
        if took is None or any(r is None for r in rows.values()):
            return
        sums, counts = self.sums, self.counts
        if took[_HAS_Z] and all(r[_HAS_Z] for r in rows.values()):
            best = max(r[_Z] for r in rows.values())
            for i, v in ((0, max(-4.0, took[_Z] - best)), (1, float(took[_Z] >= best - 1e-9))):
                sums[i] += v
                counts[i] += 1
        top = max(_rarity(r) for r in rows.values())
        sums[2] += _rarity(took) - top
        counts[2] += 1
        if top >= 2:
            sums[3] += float(_rarity(took) >= 2)
            counts[3] += 1
        card_colours = took[COLOUR_SLICE]
        if sum(self.colours) >= 5 and any(card_colours):
            main = sorted(range(5), key=lambda c: -self.colours[c])[:2]
            sums[4] += float(any(card_colours[c] for c in main))
            counts[4] += 1
        self.colours = [a + b for a, b in zip(self.colours, card_colours)]

    def value(self) -> tuple[float, ...]:
        shrunk = ((s + m * _PRIOR_N) / (c + _PRIOR_N) for s, c, m in zip(self.sums, self.counts, _PRIOR))
        return tuple(shrunk) + (self.n / 42.0,)


def drafter_style(history: Sequence[Past], pack_number: int, pick_number: int, features_of: Features) -> tuple:
    """N_STYLE numbers from the draft's earlier decisions, each a mean shrunk toward a prior (`STYLE_NAMES`):
    rating of the pick minus the pack's best, took the best-rated card, rarity of the pick minus the pack's rarest
    (0-3 scale), took a rare/mythic when the pack had one, the pick shares a colour with the two main colours of
    the picks before it (from the draft's sixth pick), and the number of decisions seen / 42."""
    acc = _StyleSums()
    for _p, _k, pack, picked in sorted(h for h in history if (h[0], h[1]) < (pack_number, pick_number)):
        acc.add(pack, picked, features_of)
    return acc.value()


def _passed(pack: Sequence[str], picked: Sequence[str]) -> list[str]:
    rest = list(pack)
    for name in picked:  # one copy less per card taken
        if name in rest:
            rest.remove(name)
    return rest


def seen_cards(history: Sequence[Past], pack_number: int, pick_number: int, pack: Sequence[str],
               features_of: Features | None = None) -> SeenCards:
    """The passed and taken-by-others cards before the decision (pack_number, pick_number) with `pack` in front
    (and the drafter's style when `features_of` gives card features). Decisions of the history at or after this one
    are ignored; a missing earlier pick just leaves its cards out."""
    round_, earlier, taken = [], [], []
    first_sight = None
    for p, k, past_pack, picked in history:
        if (p, k) >= (pack_number, pick_number):
            continue
        rest = _passed(past_pack, picked)
        if p == pack_number:
            round_.extend(rest)
            if k == pick_number - WHEEL:
                first_sight = rest
        else:
            earlier.extend(rest)
    if first_sight is not None:
        left = Counter(first_sight)
        left.subtract(pack)
        taken = sorted(left.elements())
    style = drafter_style(history, pack_number, pick_number, features_of) if features_of is not None else None
    return SeenCards(tuple(round_), tuple(earlier), tuple(taken), style)


def draft_histories(decisions: Sequence[tuple], drafts: Sequence[str],
                    features_of: Features | None = None) -> list[tuple]:
    """For dataset decisions (candidates, pool, pack, pick, picked) and each one's draft id: the same decisions
    with a sixth element, the SeenCards before it (from the draft's other decisions in the list)."""
    by_draft: dict[str, list[Past]] = {}
    for (cands, _pool, p, k, picked, *_), draft in zip(decisions, drafts):
        by_draft.setdefault(draft, []).append((p, k, tuple(cands), (picked,)))
    styles: dict[tuple[str, int, int], tuple] = {}  # the style before each decision, one pass per draft
    if features_of is not None:
        for draft, past in by_draft.items():
            acc = _StyleSums()
            for p, k, pack, picked in sorted(past):
                styles[(draft, p, k)] = acc.value()
                acc.add(pack, picked, features_of)
    out = []
    for dec, draft in zip(decisions, drafts):
        cands, pool, p, k, picked = dec[:5]
        seen = seen_cards(by_draft[draft], p, k, cands)
        out.append((cands, pool, p, k, picked,
                    SeenCards(seen.round, seen.earlier, seen.taken, styles.get((draft, p, k)))))
    return out
