"""A fixed-length numeric description of a card for learned pick models (no torch here).

What a drafter sees on the card: colour identity (W U B R G, colourless, multicolour), mana value (scaled and in
buckets), rarity, card types, basic land; plus the set's 17lands GIH win rate as a z-score within the set where a
ratings file exists (and a flag saying whether it does). A model that mixes these with a per-card id embedding
ranks rarely seen cards from what they are, and cards it never saw (a new printing, a bonus-sheet card) from
their features alone instead of one shared `<unk>` score.
"""
from __future__ import annotations

from statistics import mean, pstdev
from typing import Mapping

from copilot.cards.model import COLOR_ORDER, Card

RARITY_SLOTS = ("common", "uncommon", "rare", "mythic")
TYPE_SLOTS = ("Creature", "Instant", "Sorcery", "Enchantment", "Artifact", "Land", "Planeswalker")
MV_BUCKETS = (1, 2, 3, 4, 5)  # <=1, 2, 3, 4, 5, 6+
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"colour_{c}" for c in COLOR_ORDER) + ("colourless", "multicolour", "mv_scaled")
    + tuple(f"mv_{b}" for b in ("le1", "2", "3", "4", "5", "ge6")) + tuple(f"rarity_{r}" for r in RARITY_SLOTS)
    + ("rarity_other",) + tuple(f"type_{t.lower()}" for t in TYPE_SLOTS) + ("basic_land", "gih_z", "has_gih")
)
N_CARD_FEATURES = len(FEATURE_NAMES)
COLOUR_SLICE = slice(0, 5)  # the W U B R G entries


def rating_zscores(gih_by_key: Mapping[str, float]) -> dict[str, float]:
    """GIH win rates (percent, by name key) -> z-scores within the set (clipped to +-4)."""
    values = [v for v in gih_by_key.values() if v is not None]
    if len(values) < 2:
        return {}
    mu, sd = mean(values), pstdev(values) or 1.0
    return {k: max(-4.0, min(4.0, (v - mu) / sd)) for k, v in gih_by_key.items() if v is not None}


def card_features(card: Card | None, gih_z: float | None = None) -> list[float]:
    """The feature vector of one card (all zeros for None: a card known by nothing but its name)."""
    if card is None:
        out = [0.0] * N_CARD_FEATURES
        if gih_z is not None:
            out[-2], out[-1] = gih_z, 1.0
        return out
    ci = set(card.color_identity)
    colours = [1.0 if c in ci else 0.0 for c in COLOR_ORDER]
    mv = card.mana_value if card.mana_value is not None else 0.0
    mv_hot = [0.0] * (len(MV_BUCKETS) + 1)
    mv_hot[next((i for i, b in enumerate(MV_BUCKETS) if mv <= b), len(MV_BUCKETS))] = 1.0
    rarity = [1.0 if card.rarity == r else 0.0 for r in RARITY_SLOTS]
    rarity.append(0.0 if card.rarity in RARITY_SLOTS else 1.0)
    front_types = (card.type_line or "").split("//")[0]
    types = [1.0 if t in front_types else 0.0 for t in TYPE_SLOTS]
    return (colours + [1.0 if not ci else 0.0, 1.0 if len(ci) > 1 else 0.0, min(mv, 10.0) / 7.0] + mv_hot + rarity
            + types + [1.0 if card.is_basic_land else 0.0,
                       gih_z if gih_z is not None else 0.0, 1.0 if gih_z is not None else 0.0])
