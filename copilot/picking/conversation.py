"""Prompt format ``conversation`` (version 2): the draft as one chat.

The system prompt comes once; every pick is a user turn with only what is new, answered by an assistant turn with
the card taken. The pool is the conversation so far: nothing is repeated (v1 repeats the system prompt, the whole
pool and the question at every pick). Layout (the model's own chat template renders the turns)::

    [system]     who the assistant is, how to answer                               (once per draft)
    [user]       Pack 1 pick 1:
                 Hand That Hurts -- {2}{B} -- Creature — Spirit (common)       <- one line per card of the pack
                 ...
    [assistant]  Hand That Hurts                                               <- the card taken (Pick-Two: two
    [user]       Pack 1 pick 2:                                                   names, one per line)
                 ...
    [user]       Pack 1 pick 9 (back from pick 1; taken since: A, B, C, D, E, F, G):
                 <the cards that wheeled>
    [assistant]  ...
    [user]       Pack 2 pick 1:                                                <- the pick to make: the generation
                 ...                                                              prompt follows

A wheel is recognised when the pack in front of us is what was left of the pack we saw 8 picks earlier (verified on
the cards; an 8-player table); the cards the others took from it in between are named in the header.

Options (``conversation:knowledge=text,signals=1``; the canonical name lists only non-default options, and is what
datasets, model manifests and engines record):

- ``knowledge``: what a pack line says about a card. ``name``: the name only; ``basic`` (default): name, mana cost,
  type line and rarity; ``text``: ``basic`` plus power/toughness and the full rules text; ``stats``: ``basic`` plus
  the set's 17lands GIH win rate and ALSA (found with `copilot.picking.ratings.find_ratings`; cards or sets without
  ratings get the ``basic`` line); ``rated``: name, rarity and GIH WR only (about a third of ``stats``' tokens).
- ``repeat``: ``0`` (default): a card's details are given at its first mention in the conversation, later mentions
  (a wheel, a second copy, the next pack) give its name only: the model can look back; ``1``: at every mention.
- ``signals``: ``1`` adds v1's colour-signal line (colour identities seen in the last 5 packs) to every pick.
- ``reminder``: ``auto`` (default): a compact "Our pool so far" line only where earlier picks are not in the
  conversation (a conversation cut to its current pack, a log that began mid-draft); ``pack``: also at the first
  pick of packs 2 and 3.
- ``order``: ``pack`` (default): the pack's cards in the order given; ``rating``: best 17lands GIH WR first (unrated
  cards last); ``pick``: in the ratings engine's order for this pool (GIH WR plus its colour bonus: the engine's pick
  first), so that a small model starts from the ratings engine's answer in first place and learns where to differ;
  ``picknet``: in the store's newest pick model's order for the set (``pick``'s without one; `pack_order.py`):
  a 66%-top-1 first line instead of 55% (the pick model must not have seen the drafts a model is measured on).
- ``colours``: ``1`` adds "Our colours: B 5, G 3 (9 cards)." to every pick and tags each coloured card ``[ours]``
  (within the pool's two main colours) or ``[off]``, once the pool holds OUR_COLOURS_FROM coloured cards.
- ``answer``: ``name`` (default): the assistant answers with the card's name; ``label``: every pack line starts with
  a letter (``A) ``, ``B) ``, ... in the listed order) and the answer is the letter and the name (``C) Hand That
  Hurts``). The decision is then the answer's first token, the name after it a copy of the line: with
  ``order=pick`` a small model learns "A (the ratings engine's pick) unless another card suits us better" from a
  thousand picks (SmolLM2-135M: 54% top-1 after 99 steps, against 36% with name answers) instead of learning every
  card's name as an answer. A card's answer depends on its pack (`answer(card, ctx)`).

Every turn's text depends only on that pick and the ones before it, so the conversation of pick N is a prefix of the
conversation of pick N+1: a KV cache kept between picks evaluates only the new answer and the new user turn.
``messages(ctx, since_pack=P)`` renders the conversation cut to pack P (with the pool reminder): the unit of
per-pack training sequences, and what an engine falls back to when a whole draft exceeds the model's context.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Iterable, Sequence

from copilot.cards.model import COLOR_ORDER, Card
from copilot.picking.colors import main_colors, pool_color_weights
from copilot.picking.engine import PickContext
from copilot.picking.pack_order import PickModelOrder, decision, ranking_positions
from copilot.picking.prompts import SIGNAL_PACKS, pack_line_compact, pack_line_full, signal_line

NAME = "conversation"
VERSION = 2
TABLE_SIZE = 8  # seats at an Arena draft table: a pack comes back after 8 picks

SYSTEM_V2 = (
    "You are DraftGPT, a Magic the Gathering Hall of Famer and helpful AI assistant that helps players choose what "
    "card to pick during a draft. You are a master of the current draft set, and know every card well.\n\n"
    "We draft one pick at a time: each message shows the pack in front of us, and the cards you chose earlier in "
    "this conversation are our pool. Answer with the card's name only (two names, one per line, when asked for two)."
)
SYSTEM_V2_LABEL = SYSTEM_V2.replace(
    "Answer with the card's name only (two names, one per line, when asked for two).",
    "Answer with the card's letter and name as the pack lists them, e.g. \"B) Name\" (two, one per line, when "
    "asked for two).")


class Knowledge(str, Enum):
    NAME = "name"
    BASIC = "basic"
    TEXT = "text"
    STATS = "stats"
    RATED = "rated"


class Reminder(str, Enum):
    AUTO = "auto"
    PACK = "pack"


class FormatOptionError(ValueError):
    pass


class Order(str, Enum):
    PACK = "pack"
    RATING = "rating"
    PICK = "pick"
    PICKNET = "picknet"


class Answer(str, Enum):
    NAME = "name"
    LABEL = "label"


LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # a pack has at most 15 cards (a Pick-Two pack, 14 + a few in cubes)


_DEFAULTS = {"knowledge": Knowledge.BASIC.value, "repeat": "0", "signals": "0", "reminder": Reminder.AUTO.value,
             "order": Order.PACK.value, "colours": "0", "answer": Answer.NAME.value}
OUR_COLOURS_FROM = 2  # coloured pool cards before "our colours" (the two most common) are named


def _flag(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise FormatOptionError(f"conversation format option {key}={value!r}: expected 0 or 1")


@dataclass(frozen=True)
class Turn:
    """One pick of the conversation: the pack shown and, for past picks, what was taken."""

    pack_number: int
    pick_number: int
    pack: tuple[Card, ...]
    picked: tuple[Card, ...] = ()  # empty for the pick to make
    to_pick: int = 1


@dataclass(frozen=True)
class ConversationFormat:
    knowledge: Knowledge = Knowledge.BASIC
    repeat: bool = False
    signals: bool = False
    reminder: Reminder = Reminder.AUTO
    order: Order = Order.PACK
    colours: bool = False
    answer_kind: Answer = Answer.NAME
    system: str = SYSTEM_V2
    version: int = VERSION
    conversational: bool = True
    # the engines ordering the pack (made lazily) and their orders by decision (asked for by turn, answer, candidates)
    _engines: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    _orders: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        opts = self.options()
        extra = ",".join(f"{k}={v}" for k, v in sorted(opts.items()) if _DEFAULTS[k] != v)
        return f"{NAME}:{extra}" if extra else NAME

    @property
    def description(self) -> str:
        what = {Knowledge.NAME: "card names only", Knowledge.BASIC: "name, cost, type and rarity",
                Knowledge.TEXT: "name, cost, type, rarity, P/T and rules text",
                Knowledge.STATS: "name, cost, type, rarity and 17lands GIH WR / ALSA",
                Knowledge.RATED: "name, rarity and 17lands GIH WR"}[self.knowledge]
        return (f"the draft as one chat (v{self.version}): system prompt once, one user turn per pick with only what "
                f"is new, the pick as the assistant's answer; pack lines: {what}")

    def options(self) -> dict[str, str]:
        return {"knowledge": self.knowledge.value, "repeat": str(int(self.repeat)),
                "signals": str(int(self.signals)), "reminder": self.reminder.value, "order": self.order.value,
                "colours": str(int(self.colours)), "answer": self.answer_kind.value}

    @classmethod
    def parse(cls, spec: str) -> "ConversationFormat":
        """'conversation' or 'conversation:knowledge=text,repeat=1' (also 'v2' for the default)."""
        head, _, tail = spec.strip().lower().partition(":")
        if head not in (NAME, "v2"):
            raise FormatOptionError(f"not a conversation format: {spec!r}")
        opts = dict(_DEFAULTS)
        for item in filter(None, (t.strip() for t in tail.split(","))):
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in _DEFAULTS:
                raise FormatOptionError(f"conversation format option {item!r}: expected KEY=VALUE with KEY one of "
                                        f"{', '.join(_DEFAULTS)}")
            opts[key] = value.strip()
        try:
            knowledge = Knowledge(opts["knowledge"])
        except ValueError:
            raise FormatOptionError(f"knowledge={opts['knowledge']!r}: expected one of "
                                    f"{', '.join(k.value for k in Knowledge)}") from None
        try:
            reminder = Reminder(opts["reminder"])
        except ValueError:
            raise FormatOptionError(f"reminder={opts['reminder']!r}: expected auto or pack") from None
        try:
            order = Order(opts["order"])
        except ValueError:
            raise FormatOptionError(f"order={opts['order']!r}: expected pack, rating, pick or picknet") from None
        try:
            answer = Answer(opts["answer"])
        except ValueError:
            raise FormatOptionError(f"answer={opts['answer']!r}: expected name or label") from None
        return cls(knowledge=knowledge, repeat=_flag("repeat", opts["repeat"]),
                   signals=_flag("signals", opts["signals"]), reminder=reminder, order=order,
                   colours=_flag("colours", opts["colours"]), answer_kind=answer,
                   system=SYSTEM_V2_LABEL if answer is Answer.LABEL else SYSTEM_V2)

    # ------------------------------------------------------------------ card lines
    def _ratings_engine(self):
        """The one RatingsEngine this format reads ratings through (its per-set cache; order=pick's ranking)."""
        if "ratings" not in self._engines:
            from copilot.picking.ratings_engine import RatingsEngine

            self._engines["ratings"] = RatingsEngine()
        return self._engines["ratings"]

    orders_by_pick_model = property(lambda self: self.order is Order.PICKNET)

    def pin_order_model(self, path: str | Path) -> None:
        """Order packs by this pick model file, not the store's newest (`copilot.training.order_model`)."""
        self._engines["picknet"] = PickModelOrder(Path(path))

    def _picknet_for(self, set_code: str | None):
        """The picknet engine that orders `set_code`'s packs (order=picknet), or None."""
        order = self._engines.get("picknet") or self._engines.setdefault("picknet", PickModelOrder())
        return order.engine_for(set_code, rated=self._set_ratings(set_code) is not None)

    def order_source(self, set_code: str | None) -> str | None:
        """What orders `set_code`'s packs: "picknet <file> (sha256 ...)", "ratings engine" or None (datasets say)."""
        if self.order is Order.PICKNET:
            engine = self._picknet_for(set_code)
            if engine is not None:
                from copilot.fileio import sha256_file

                return f"picknet {engine.path} (sha256 {sha256_file(engine.path)[:16]})"
        if self.order in (Order.PICK, Order.PICKNET):
            return "ratings engine" if self._set_ratings(set_code) is not None else None
        return None

    def order_note(self, set_code: str | None) -> str | None:
        """An engine's note when the pack is not in the order the format names (order=picknet, no pick model)."""
        if self.order is not Order.PICKNET:
            return None
        engine = self._picknet_for(set_code)
        return self._engines["picknet"].note(set_code, self._set_ratings(set_code) is not None, engine)

    def _set_ratings(self, set_code: str | None):
        """The 17lands ratings of the set, or None (no set, no ratings file)."""
        return self._ratings_engine().ratings_for(set_code.upper()) if set_code else None

    def _rating(self, card: Card, set_code: str | None):
        """The card's 17lands rating row for its set, or None (no ratings file, or the card is not in it)."""
        ratings = self._set_ratings(set_code or card.set_code)
        return ratings.get(card) if ratings is not None else None

    def _stats(self, card: Card, set_code: str | None) -> str | None:
        r = self._rating(card, set_code)
        if r is None:
            return None
        parts = []
        if r.gih_wr is not None:
            parts.append(f"GIH WR {r.gih_wr:.1f}%")
        if r.alsa is not None:
            parts.append(f"ALSA {r.alsa:.1f}")
        return ", ".join(parts) or None

    def pack_order(self, ctx: PickContext) -> list[Card]:
        """The pack of the decision `ctx` as its user turn lists it (the `order` option; ties keep the pack's order)."""
        pack, set_code = ctx.pack, ctx.set_code
        if self.order is Order.PACK:
            return list(pack)
        if self.order is Order.RATING:
            def key(card: Card) -> float:
                r = self._rating(card, set_code)
                return -(r.gih_wr if r is not None and r.gih_wr is not None else -1.0)

            return sorted(pack, key=key)
        picknet = self._picknet_for(set_code or (pack[0].set_code if pack else None)) \
            if self.order is Order.PICKNET else None
        key = (picknet.path if picknet is not None else None, set_code, ctx.pack_number, ctx.pick_number,
               tuple(c.name for c in pack), tuple(c.name for c in ctx.pool), len(ctx.history))
        order = self._orders.get(key)
        if order is None:
            if len(self._orders) > 4096:  # a few drafts' worth: a conversation asks again for its earlier picks
                self._orders.clear()
            ranked = ranking_positions(picknet, ctx) if picknet is not None else None
            order = self._orders[key] = ranked if ranked is not None else self._engine_order(ctx)
        return [pack[i] for i in order]

    def _engine_order(self, ctx: PickContext) -> list[int]:  # the ratings engine's ranking; without ratings, as given
        ctx = replace(ctx, set_code=ctx.set_code or (ctx.pack[0].set_code if ctx.pack else None))
        ranked = self._set_ratings(ctx.set_code) is not None and ranking_positions(self._ratings_engine(), ctx)
        return ranked or list(range(len(ctx.pack)))

    def labels(self, ctx: PickContext) -> dict[str, str]:
        """{card name: its letter} in the listed order (answer=label); a second copy's line gets its own letter and
        the name keeps the first."""
        out: dict[str, str] = {}
        for i, card in enumerate(self.pack_order(ctx)):
            out.setdefault(card.name, LABELS[i % len(LABELS)])
        return out

    @staticmethod
    def colour_summary(pool: Sequence[Card]) -> tuple[str, tuple[str, ...]]:
        """('Our colours: B 5, G 3.5, W 1 (11 cards).', the pool's two main colours) from one weighting of the pool
        (`picking.colors`: a gold card's weight split over its colours); no main colours before OUR_COLOURS_FROM
        coloured cards (colours=1, every pick)."""
        w = pool_color_weights(pool)
        ranked = sorted((c for c in w if w[c] > 0), key=lambda c: (-w[c], COLOR_ORDER.index(c)))
        line = f"Our colours: {', '.join(f'{c} {w[c]:g}' for c in ranked) or 'none yet'} ({len(pool)} cards)."
        coloured = sum(1 for c in pool if (c.color_identity or c.colors) and not c.is_basic_land)
        return line, main_colors(w) if coloured >= OUR_COLOURS_FROM else ()

    @staticmethod
    def colour_tag(card: Card, ours: tuple[str, ...]) -> str:
        """' [ours]' for a coloured card within our main colours, ' [off]' for one outside them, '' otherwise."""
        cols = set(card.color_identity or card.colors)
        if not ours or not cols or card.is_basic_land:
            return ""
        return " [ours]" if cols <= set(ours) else " [off]"

    def basic_line(self, card: Card) -> str:
        line = pack_line_compact(card)
        return f"{line} ({card.rarity})" if card.rarity else line

    def card_line(self, card: Card, first_mention: bool = True, set_code: str | None = None) -> str:
        """The card's line in a pack: its details at the first mention in the conversation, then its name."""
        if self.knowledge is Knowledge.NAME or not (first_mention or self.repeat):
            return card.name
        if self.knowledge is Knowledge.TEXT:
            return pack_line_full(card)
        if self.knowledge is Knowledge.RATED:
            r = self._rating(card, set_code)
            line = f"{card.name} ({card.rarity})" if card.rarity else card.name
            return f"{line} -- GIH {r.gih_wr:.1f}%" if r is not None and r.gih_wr is not None else line
        line = self.basic_line(card)
        if self.knowledge is Knowledge.STATS:
            stats = self._stats(card, set_code)
            if stats:
                line = f"{line} -- {stats}"
        return line

    # ------------------------------------------------------------------ turns
    @staticmethod
    def turns(ctx: PickContext) -> list[Turn]:
        """The known earlier picks (pick order) and the pick to make, last."""
        past = sorted(ctx.history, key=lambda p: (p.pack_number, p.pick_number))
        out = [Turn(p.pack_number, p.pick_number, tuple(p.pack), tuple(p.picked), max(1, len(p.picked)))
               for p in past if (p.pack_number, p.pick_number) < (ctx.pack_number, ctx.pick_number)]
        out.append(Turn(ctx.pack_number, ctx.pick_number, tuple(ctx.pack), (), max(1, ctx.cards_to_pick)))
        return out

    @staticmethod
    def wheel(turn: Turn, earlier: Sequence[Turn]) -> tuple[Turn, list[Card]] | None:
        """(the turn whose pack came back, the cards others took from it since) or None."""
        back = turn.pick_number - TABLE_SIZE * turn.to_pick
        if back < 1:
            return None
        src = next((t for t in earlier if t.pack_number == turn.pack_number and t.pick_number == back), None)
        if src is None:
            return None
        left = Counter(c.name for c in src.pack) - Counter(c.name for c in src.picked)
        now = Counter(c.name for c in turn.pack)
        if now - left:  # a card we did not leave in it: not that pack
            return None
        gone = left - now
        taken: list[Card] = []
        for c in src.pack:
            if gone[c.name] > 0:
                gone[c.name] -= 1
                taken.append(c)
        return src, taken

    def _header(self, turn: Turn, earlier: Sequence[Turn]) -> str:
        head = f"Pack {turn.pack_number} pick {turn.pick_number}"
        if turn.to_pick > 1:
            head += f", take {turn.to_pick}"
        w = self.wheel(turn, earlier)
        if w is not None:
            src, taken = w
            head += f" (back from pick {src.pick_number}"
            head += f"; taken since: {', '.join(c.name for c in taken)})" if taken else ")"
        return head + ":"

    def user_text(self, turn: Turn, earlier: Sequence[Turn], mentioned: set[str], pool: Sequence[Card],
                  remind: bool = False, set_code: str | None = None, signals: PickContext | None = None) -> str:
        """One pick's user turn. `pool`: the pool before this pick (named in full when `remind`; its colours with
        the colours option); `mentioned` (card names already in the conversation) is updated; `signals`: the
        context whose colour signals are written (signals option)."""
        lines = []
        if remind:
            names = ", ".join(c.name for c in pool) if pool else "nothing yet"
            lines.append(f"Our pool so far ({len(pool)} cards): {names}." if pool else f"Our pool so far: {names}.")
        lines.append(self._header(turn, earlier))
        if self.signals and signals is not None:
            sig = signal_line(signals)
            if sig:
                lines.append(sig)
        ours: tuple[str, ...] = ()
        if self.colours:
            line, ours = self.colour_summary(pool)
            lines.append(line)
        labelled = self.answer_kind is Answer.LABEL
        for i, card in enumerate(self.pack_order(decision(turn, earlier, pool, set_code))):
            label = f"{LABELS[i % len(LABELS)]}) " if labelled else ""
            line = self.card_line(card, card.name not in mentioned, set_code)
            lines.append(label + line + self.colour_tag(card, ours))
            mentioned.add(card.name)
        return "\n".join(lines)

    @property
    def answers_differ_from_names(self) -> bool:
        """True when an answer is not the card's name alone (answer=label): datasets then store answer texts."""
        return self.answer_kind is Answer.LABEL

    def answer(self, card: Card, ctx: PickContext | None = None) -> str:
        """The assistant's answer for taking `card` from the pack of `ctx`: its name (as the pack lists it), or with
        answer=label its letter in that pack and its name ("C) Name"; the name alone when no pack is given)."""
        if self.answer_kind is Answer.LABEL and ctx is not None:
            return self._labelled(card, ctx)
        return card.name

    def answers(self, ctx: PickContext) -> dict[str, Card]:
        """{answer text: card} for the pack's distinct cards (the first copy): the candidates an engine scores,
        with the pack's order and letters computed once."""
        labels = self.labels(ctx) if self.answer_kind is Answer.LABEL else {}
        out: dict[str, Card] = {}
        for card in ctx.pack:
            out.setdefault(f"{labels[card.name]}) {card.name}" if labels else card.name, card)
        return out

    def _labelled(self, card: Card, ctx: PickContext) -> str:
        label = self.labels(ctx).get(card.name)
        return f"{label}) {card.name}" if label else card.name

    def answer_cards(self, cards: Iterable[Card], ctx: PickContext | None = None) -> str:
        """The answer for taking `cards` (one per line) at the decision `ctx` (its pack, the pool before it)."""
        if self.answer_kind is Answer.LABEL and ctx is not None and ctx.pack:
            return "\n".join(self._labelled(c, ctx) for c in cards)
        return "\n".join(c.name for c in cards)

    # ------------------------------------------------------------------ whole conversations
    def messages(self, ctx: PickContext, since_pack: int | None = None) -> list[dict]:
        """[system, (user, assistant) per earlier pick, user]: the chat to send for the pick in front of us.
        `since_pack`: leave out the picks of earlier packs (their cards go into the pool reminder)."""
        turns = self.turns(ctx)
        shown = [t for t in turns if since_pack is None or t.pack_number >= since_pack]
        if not shown:
            shown = turns[-1:]
        skipped = turns[:len(turns) - len(shown)]
        # the pool before the first shown turn: the pool minus what the shown turns took, taken off its end (the
        # latest picks; a second copy of a card stays where it was), pool order kept
        rest = Counter(c.name for t in shown for c in t.picked)
        pool_start: list[Card] = []
        for c in reversed(ctx.pool):
            if rest[c.name] > 0:
                rest[c.name] -= 1
            else:
                pool_start.append(c)
        pool_start.reverse()
        msgs = [{"role": "system", "content": self.system}]
        mentioned: set[str] = set()
        pool = list(pool_start)
        for i, t in enumerate(shown):
            remind = bool(i == 0 and (pool_start or skipped)) or (
                self.reminder is Reminder.PACK and t.pick_number == 1 and t.pack_number > 1)
            current = t is shown[-1]
            sig = (ctx if current else _signal_ctx(ctx, t)) if self.signals else None
            msgs.append({"role": "user", "content": self.user_text(t, skipped + shown[:i], mentioned, pool, remind,
                                                                     ctx.set_code, sig)})
            if not current:
                msgs.append({"role": "assistant", "content": self.answer_cards(
                    t.picked, decision(t, skipped + shown[:i], pool, ctx.set_code))})
                pool.extend(t.picked)
        return msgs

    def example(self, ctx: PickContext, picked_card: Card) -> dict:
        """The conversation up to this pick and its answer ({"messages": [...]}); see `sequence` for drafts."""
        return {"messages": self.messages(ctx) + [{"role": "assistant", "content": self.answer(picked_card, ctx)}]}

    def sequence(self, ctx: PickContext, picked: Sequence[Card], since_pack: int | None = None) -> list[dict]:
        """A training sequence ending with the pick of `ctx`: every assistant turn is a supervised pick."""
        return self.messages(ctx, since_pack) + [{"role": "assistant", "content": self.answer_cards(picked, ctx)}]


def _signal_ctx(ctx: PickContext, turn: Turn) -> PickContext | None:
    """The signals of an earlier pick: the packs seen up to it (only built when the signals option is on)."""
    earlier = sorted((t for t in ctx.history if (t.pack_number, t.pick_number) <= (turn.pack_number, turn.pick_number)),
                     key=lambda t: (t.pack_number, t.pick_number))
    seen = tuple(tuple(p.pack) for p in earlier[-SIGNAL_PACKS:])
    return replace(ctx, pack=turn.pack, pack_number=turn.pack_number, pick_number=turn.pick_number, seen=seen,
                   history=())

