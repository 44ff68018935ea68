"""Versioned prompt formats: one registry for training data, the LLM engines and the evaluation.

Format ``v1`` follows the public Mistral-7B drafting experiment ("DraftGPT", see shared/docs/prior-art.md §1.3):
a fixed system prompt, a user message with the pool (``Name -- {cost} (rarity)``), the colour identities of the
cards seen in the last five packs, the pack (cost, type line, rarity, rules text, P/T) and the question; the
assistant answers with the card name.

Layout for KV-cache reuse (a deliberate change of order, the v1 wording is kept)::

    [system]  fixed
    [user]    In our Magic the Gathering draft, these are the contents of our pool so far:
              -------------------------
              <one line per pool card, in pick order>      <- only grows at its end between consecutive picks
              -------------------------
              We're on pack 2 pick 13.                      <- volatile from here on
              Colour identities of the cards we saw in the last 5 packs: W 10, U 4, ...
              These are the contents of the pack:
              -------------------------
              <pack cards>
              -------------------------
              What card would you pick from this pack?
    [assistant] <card name>

The original put "we're on pack X pick Y" in the first sentence; that line changes at every pick, so a llama.cpp
context would have to re-evaluate the whole pool each time. Moving it after the pool makes the system prompt, the
header and the pool of pick N a token prefix of pick N+1's prompt (the pool is in pick order), so only the new pool
line and the volatile tail are evaluated. ``v1-compact`` has the same layout with names, costs and types only.

Format ``conversation`` (version 2, `copilot.picking.conversation`): the whole draft as one chat, one user turn per
pick with only what is new; its options (card knowledge: names, basic fields, rules text, 17lands statistics) go after
a colon: ``conversation:knowledge=text``. `get_format` returns either kind; both have ``name``, ``version``,
``system``, ``conversational``, ``messages(ctx)``, ``answer(card)`` and ``example(ctx, card)``.

Missing card data is left out: an unknown mana cost, type line, rarity, text or P/T is simply not written (no
"None", no empty braces). A known empty cost (lands) is written as in the original: ``Evolving Wilds -- (common)``.
"""
from __future__ import annotations

from dataclasses import dataclass

from copilot.cards.model import COLOR_ORDER, Card
from copilot.picking.engine import PickContext

SYSTEM_V1 = (
    "You are DraftGPT, a Magic the Gathering Hall of Famer and helpful AI assistant that helps players choose what "
    "card to pick during a draft. You are a master of the current draft set, and know every card well.\n\n"
    "When asked for a draft pick, respond with the card's name first."
)
RULE = "-" * 25
SIGNAL_PACKS = 5


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.replace("\r", "").split())
    return value or None


def _text(card: Card) -> str | None:
    """Rules text on one line; faces of multi-face cards stay separated by ' // '."""
    if not card.text:
        return None
    faces = [" ".join(line.strip() for line in face.strip().splitlines() if line.strip())
             for face in card.text.split("\n//\n")]
    joined = " // ".join(f for f in faces if f)
    return joined or None


def _pt(card: Card) -> str | None:
    if card.power is None or card.toughness is None:
        return None
    return f"{card.power}/{card.toughness}"


def pool_line(card: Card, rarity: bool = True) -> str:
    """'Rat Out -- {B} (common)', 'Evolving Wilds -- (common)'; unknown cost -> 'Name (common)'."""
    line = card.name
    tail = [card.mana_cost] if card.mana_cost else []
    if rarity and card.rarity:
        tail.append(f"({card.rarity})")
    if card.mana_cost is not None and tail:  # cost known (possibly empty, lands): 'Name -- {cost} (rarity)'
        return f"{line} -- {' '.join(tail)}"
    return f"{line} {' '.join(tail)}".rstrip()


def pack_line_full(card: Card) -> str:
    """'Name -- {1}{B} -- Creature — Rat 2/1 (common) -- rules text' with unknown fields left out."""
    fields = [card.name]
    if card.mana_cost:
        fields.append(card.mana_cost)
    kind = _clean(card.type_line)
    pt = _pt(card)
    if kind and pt:
        kind = f"{kind} {pt}"
    elif pt:
        kind = pt
    if kind and card.rarity:
        kind = f"{kind} ({card.rarity})"
    elif card.rarity:
        kind = f"({card.rarity})"
    if kind:
        fields.append(kind)
    text = _text(card)
    if text:
        fields.append(text)
    return " -- ".join(fields)


def pack_line_compact(card: Card) -> str:
    fields = [card.name]
    if card.mana_cost:
        fields.append(card.mana_cost)
    kind = _clean(card.type_line)
    if kind:
        fields.append(kind)
    return " -- ".join(fields)


def signal_line(ctx: PickContext) -> str | None:
    """'Colour identities of the cards we saw in the last 5 packs: W 10, U 4, B 12, R 3, G 9, colourless 2.'"""
    if not ctx.seen:
        return None
    counts = ctx.seen_color_counts()
    parts = [f"{c} {counts[c]}" for c in COLOR_ORDER] + [f"colourless {counts['C']}"]
    n = min(len(ctx.seen), SIGNAL_PACKS)
    packs = "pack" if n == 1 else f"{n} packs"
    return f"Colour identities of the cards we saw in the last {packs}: {', '.join(parts)}."


@dataclass(frozen=True)
class PromptFormat:
    name: str
    system: str
    compact: bool = False
    description: str = ""
    version: int = 1
    conversational = False  # one prompt per pick (the conversation format replays the draft instead)
    answers_differ_from_names = False  # an answer is the card's name

    def user(self, ctx: PickContext) -> str:
        lines = ["In our Magic the Gathering draft, these are the contents of our pool so far:", RULE]
        if ctx.pool:
            lines += [pool_line(c, rarity=not self.compact) for c in ctx.pool]
        else:
            lines.append("(no cards yet)")
        lines += [RULE, f"We're on pack {ctx.pack_number} pick {ctx.pick_number}."]
        sig = signal_line(ctx)
        if sig:
            lines.append(sig)
        lines += ["These are the contents of the pack:", RULE]
        render = pack_line_compact if self.compact else pack_line_full
        lines += [render(c) for c in ctx.pack]
        lines.append(RULE)
        if ctx.cards_to_pick > 1:
            lines.append(f"What {ctx.cards_to_pick} cards would you pick from this pack?")
        else:
            lines.append("What card would you pick from this pack?")
        return "\n".join(lines)

    def messages(self, ctx: PickContext) -> list[dict]:
        """[system, user]: the chat to send (append the assistant turn to score or train)."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.user(ctx)}]

    def answer(self, card: Card, ctx: PickContext | None = None) -> str:
        """The assistant's answer for picking `card` (from the pack of `ctx`): its name (as the pack lists it)."""
        return card.name

    def answers(self, ctx: PickContext) -> dict[str, Card]:
        """{answer text: card} for the pack's distinct cards (the first copy): the candidates an engine scores."""
        out: dict[str, Card] = {}
        for card in ctx.pack:
            out.setdefault(self.answer(card, ctx), card)
        return out

    def example(self, ctx: PickContext, picked_card: Card) -> dict:
        """One training example: {"messages": [system, user, assistant]}."""
        return {"messages": self.messages(ctx) + [{"role": "assistant", "content": self.answer(picked_card)}]}


V1 = PromptFormat("v1", SYSTEM_V1, compact=False,
                  description="DraftGPT prompt: pool with costs and rarity, colour signals, full pack card text")
V1_COMPACT = PromptFormat("v1-compact", SYSTEM_V1, compact=True,
                          description="v1 layout with names, costs and types only (shorter prompts)")

FORMATS: dict[str, PromptFormat] = {f.name: f for f in (V1, V1_COMPACT)}
DEFAULT_FORMAT = "v1"


class UnknownPromptFormat(ValueError):
    pass


def format_names() -> list[str]:
    """The formats `get_format` knows (conversation options not expanded)."""
    return sorted(FORMATS) + ["conversation"]


def get_format(name: str | None):
    """The format called `name` (None -> the default, v1): a PromptFormat, or a ConversationFormat for
    'conversation[:options]'. Unknown names or options raise UnknownPromptFormat saying what is known."""
    if name is None:
        name = DEFAULT_FORMAT
    key = name.strip().lower()
    if key.split(":")[0] in ("conversation", "v2"):
        from copilot.picking.conversation import ConversationFormat, FormatOptionError

        try:
            return ConversationFormat.parse(key)
        except FormatOptionError as exc:
            raise UnknownPromptFormat(f"prompt format {name!r}: {exc}") from None
    fmt = FORMATS.get(key)
    if fmt is None:
        raise UnknownPromptFormat(f"unknown prompt format {name!r}; known formats: {', '.join(format_names())} "
                                  "(conversation takes options, e.g. conversation:knowledge=text)")
    return fmt
