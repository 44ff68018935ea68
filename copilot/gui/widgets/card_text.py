"""Card details as tooltip HTML (only the fields the card data has)."""
from __future__ import annotations

import html

from copilot.cards.model import Card


def card_tooltip(card: Card) -> str:
    parts = [f"<b>{html.escape(card.name)}</b>"]
    if card.mana_cost:
        parts[0] += f" &nbsp; {html.escape(card.mana_cost)}"
    line = " · ".join(x for x in (card.type_line, (card.rarity or "").capitalize(), card.set_code) if x)
    if line:
        parts.append(f"<i>{html.escape(line)}</i>")
    if card.text:
        parts.append(html.escape(card.text).replace("\n", "<br>"))
    if card.power is not None and card.toughness is not None:
        parts.append(f"<b>{html.escape(card.power)}/{html.escape(card.toughness)}</b>")
    if card.arena_id:
        parts.append(f"<span style='color:gray'>Arena id {card.arena_id}</span>")
    from copilot.fetch.images import find_image

    image = find_image(card)  # fetched on request (copilot data cards --images)
    if image is not None:
        parts.insert(0, f"<img src='{html.escape(image.as_uri())}' width='244'>")
    return "<qt>" + "<br>".join(parts) + "</qt>"


def color_key(card: Card) -> str:
    """'W'..'G' for mono, 'M' for multicolour, 'C' for colourless (by colour identity)."""
    ident = card.color_identity or card.colors
    if not ident:
        return "C"
    return ident[0] if len(ident) == 1 else "M"
