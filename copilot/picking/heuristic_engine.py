"""Heuristic engine for sets without ratings: card attributes plus colour commitment.

score = rarity value + type value (creatures; removal, card draw and evasion read from the rules text when the card
data has it) + mana-value curve term (cheap-to-mid costs preferred, expensive cards discounted) + colour bonus from
the pool (`copilot.picking.colors`). Fields the card data lacks contribute nothing, so the engine still orders a
pack of name-only cards (all scores equal apart from the colour terms) rather than failing.
"""
from __future__ import annotations

import re
import time

from copilot.cards.model import Card
from copilot.picking.colors import ColorModel, ColorParams
from copilot.picking.engine import CardScore, EngineBase, PickContext, Recommendation

RARITY_VALUE = {"mythic": 2.0, "rare": 1.7, "special": 1.7, "uncommon": 0.9, "common": 0.0, "basic": -6.0,
                "token": -6.0}
REMOVAL = re.compile(
    r"destroy target|exile target|deals? (\d+|x) damage to (target|any|each creature)|gets -\d+/-\d+|"
    r"target creature gets -|fights? (another )?target|return target (creature|nonland permanent) to its owner|"
    r"tap target creature.*doesn'?t untap|-\d+/-\d+ until end of turn", re.IGNORECASE)
CARD_ADVANTAGE = re.compile(r"\bdraws? (a|two|three|\d+) cards?\b|create (a|two|\d+) .*token", re.IGNORECASE)
EVASION = re.compile(r"\b(flying|menace|trample|deathtouch|lifelink|can't be blocked)\b", re.IGNORECASE)
COUNTER = re.compile(r"counter target spell", re.IGNORECASE)

# Tuned on the DSK dev picks (bench/tune_colour_weights.py --engine heuristic; DSK card data has no rules text, so
# rarity, type and mana value only): top-1 34.8% without the colour term; with these weights 51.4% on half 0,
# 51.9% on the held-out half 1, 51.6% on all 77,532 picks (on 0.8-6 x off 0.8-3 x ramp 6/10 tried; ramp 10 and
# on >= 6 were worse).
DEFAULT_PARAMS = ColorParams(on_bonus=4.5, off_penalty=0.8, colorless=0.4, ramp=6.0)


def card_value(card: Card) -> float:
    v = RARITY_VALUE.get(card.rarity or "", 0.0)
    if card.is_basic_land:
        return RARITY_VALUE["basic"]
    text = card.text or ""
    if card.is_creature:
        v += 0.6
        if card.power and card.toughness and card.mana_value is not None:
            try:
                stats = int(card.power) + int(card.toughness)
                v += max(-0.6, min(0.6, 0.15 * (stats - 2 * card.mana_value - 1)))
            except ValueError:
                pass
    elif card.is_land:
        v -= 0.8
    if text:
        if REMOVAL.search(text):
            v += 1.3
        if CARD_ADVANTAGE.search(text):
            v += 0.4
        if card.is_creature and EVASION.search(text):
            v += 0.3
        if COUNTER.search(text):
            v += 0.2
    if card.mana_value is not None and not card.is_land:
        mv = card.mana_value
        if mv >= 6:
            v -= 0.35 * (mv - 5)
        elif mv == 0:
            v -= 0.3
    ci = card.color_identity or card.colors
    if len(ci) > 1:
        v -= 0.25 * (len(ci) - 1)  # harder to play; the colour bonus adds it back once in the colours
    return v


class HeuristicEngine(EngineBase):
    name = "heuristic"

    def __init__(self, params: ColorParams = DEFAULT_PARAMS):
        self.params = params

    @classmethod
    def from_options(cls, options: dict | None = None) -> "HeuristicEngine":
        options = dict(options or {})
        fields = {k: float(options[k]) for k in ("on_bonus", "off_penalty", "colorless", "ramp") if k in options}
        return cls(ColorParams(**{**DEFAULT_PARAMS.__dict__, **fields}))

    def rank(self, ctx: PickContext) -> Recommendation:
        start = time.perf_counter()
        colors = ColorModel(ctx.pool, self.params)
        scored = [CardScore(card=c, score=round(card_value(c) + colors.bonus(c), 4)) for c in ctx.pack]
        scored.sort(key=lambda s: -s.score)
        return Recommendation(engine=self.name, ranked=scored, model="card attributes", note=colors.describe(),
                              latency_ms=(time.perf_counter() - start) * 1000.0)
