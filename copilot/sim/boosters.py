"""Seeded booster generation from real set data.

Three collation sources, best first (see shared/docs/data-formats.md section 8):

1. MTGJSON booster sheets (`data.booster.play` / `draft` of a set file, e.g. OTJ): a weighted variant, then one
   weighted card per slot from each named sheet. Sheets that point at other sets' cards (OTJ's Breaking News = OTP)
   are resolved against that set's booster cards in cards.csv when the sizes match; paper-only slots that cannot be
   resolved (The List) draw from the set's common sheet instead. Arena has no foils, so a foil slot is just a card.
2. Measured slot frequencies (`collation/<SET>_arena_premier_pack_composition.csv`): a pack composition (counts of
   common/uncommon/rare/mythic/basic/special guest) drawn with its observed share, then cards drawn uniformly by
   rarity. Other Play Booster sets use the DSK measurement as their template (the only one measured).
3. Draft Booster (sets before MKM): 10 commons, 3 uncommons, 1 rare or mythic (a mythic in 1 pack of 8) for Arena's
   14 cards; `paper=True` adds the basic land slot for 15.

A set counts as a Play Booster set when its booster grpIds start at or after MKM's (the first Play Booster set);
`kind=` overrides that guess. Everything draws from one `random.Random`, so a seed gives the same packs.
"""
from __future__ import annotations

import csv
import gzip
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from copilot.cards.model import Card, name_key, normalize_colors

RARE_SLOT = ("rare", "mythic")
MYTHIC_SHARE_DRAFT_BOOSTER = 1 / 8
FIRST_PLAY_BOOSTER_SET = "MKM"
MEASURED_TEMPLATE_SET = "DSK"


def _open_text(path: Path):
    path = Path(path)
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------- card data
def read_17lands_cards(path: Path) -> list[Card]:
    """Every row of a 17lands cards.csv(.gz) as a Card (the catalog helper does the same with more sources)."""
    cards = []
    with _open_text(path) as fh:
        for row in csv.DictReader(fh):
            try:
                arena_id = int(row["id"])
            except (KeyError, ValueError):
                arena_id = None
            try:
                mv = float(row["mana_value"]) if row.get("mana_value") not in (None, "") else None
            except ValueError:
                mv = None
            ci = normalize_colors(row.get("color_identity"))
            cards.append(Card(
                name=row["name"], arena_id=arena_id, set_code=row.get("expansion") or None, mana_value=mv,
                colors=ci, color_identity=ci, type_line=(row.get("types") or "").replace(" - ", " — ") or None,
                rarity=(row.get("rarity") or "").lower() or None,
                is_booster=str(row.get("is_booster", "")).strip().lower() == "true", sources=("17lands",)))
    return cards


class SetCards:
    """All cards of a cards file, indexed by set; booster cards deduplicated by name (alt arts share a name)."""

    def __init__(self, cards: Iterable[Card]):
        self.by_set: dict[str, list[Card]] = defaultdict(list)
        for c in cards:
            if c.set_code:
                self.by_set[c.set_code.upper()].append(c)

    @classmethod
    def from_file(cls, path: Path) -> "SetCards":
        """Cards of a card data file through the shared CardCatalog (any format it reads); the plain 17lands
        reader above when the catalog cannot load it."""
        try:
            from copilot.cards.catalog import load_catalog

            return cls.from_catalog(load_catalog([Path(path)]))
        except Exception:  # noqa: BLE001 - fall back to the plain reader
            return cls(read_17lands_cards(Path(path)))

    @classmethod
    def from_catalog(cls, catalog) -> "SetCards":
        return cls(catalog.cards())

    def booster_cards(self, set_code: str) -> list[Card]:
        seen: dict[str, Card] = {}
        for c in sorted(self.by_set.get(set_code.upper(), []), key=lambda c: (c.arena_id or 0)):
            if c.is_booster and c.rarity != "token" and c.key not in seen:
                seen[c.key] = c
        return list(seen.values())

    def min_booster_id(self, set_code: str) -> int | None:
        ids = [c.arena_id for c in self.booster_cards(set_code) if c.arena_id and c.rarity != "basic"]
        return min(ids) if ids else None

    def is_play_booster_set(self, set_code: str) -> bool:
        mine, first = self.min_booster_id(set_code), self.min_booster_id(FIRST_PLAY_BOOSTER_SET)
        return mine is not None and first is not None and mine >= first


# ---------------------------------------------------------------------------------------------------- generators
class BoosterGenerator:
    """Makes one booster (a list of Cards) per call from a shared `random.Random`."""

    source: str = "?"
    pack_size: int = 14

    def pack(self, rng: random.Random) -> list[Card]:  # pragma: no cover - abstract
        raise NotImplementedError

    def packs(self, n: int, rng: random.Random) -> list[list[Card]]:
        return [self.pack(rng) for _ in range(n)]


def _by_rarity(cards: Sequence[Card]) -> dict[str, list[Card]]:
    out: dict[str, list[Card]] = defaultdict(list)
    for c in cards:
        out["basic" if c.is_basic_land else (c.rarity or "common")].append(c)
    return out


def _sample(rng: random.Random, pool: Sequence[Card], k: int) -> list[Card]:
    if k <= 0:
        return []
    if not pool:
        raise ValueError("no cards of a rarity this collation needs")
    return rng.sample(list(pool), k) if k <= len(pool) else [rng.choice(pool) for _ in range(k)]


@dataclass
class Composition:
    common: int
    uncommon: int
    rare: int
    mythic: int
    basic: int
    special_guest: int
    weight: float


class MeasuredCollation(BoosterGenerator):
    """Pack compositions drawn with their measured shares, cards drawn uniformly within a rarity."""

    def __init__(self, cards: Sequence[Card], compositions: Sequence[Composition], guests: Sequence[Card] = (),
                 source: str = "measured"):
        self.rar = _by_rarity(cards)
        self.comps = list(compositions)
        self.weights = [c.weight for c in self.comps]
        self.guests = list(guests)
        self.source = source
        c0 = self.comps[0]
        self.pack_size = c0.common + c0.uncommon + c0.rare + c0.mythic + c0.basic + c0.special_guest

    @staticmethod
    def read_compositions(path: Path) -> list[Composition]:
        with _open_text(path) as fh:
            return [Composition(int(r["n_common"]), int(r["n_uncommon"]), int(r["n_rare"]), int(r["n_mythic"]),
                                int(r["n_basic"]), int(r["n_special_guest"]), float(r["packs"]))
                    for r in csv.DictReader(fh)]

    def pack(self, rng: random.Random) -> list[Card]:
        comp = rng.choices(self.comps, weights=self.weights)[0]
        n_common = comp.common
        guests: list[Card] = []
        if comp.special_guest:
            if self.guests:
                guests = _sample(rng, self.guests, comp.special_guest)
            else:  # guest list unknown: the guest took a common's place, so give the common back
                n_common += comp.special_guest
        basics = _sample(rng, self.rar.get("basic") or self.rar["common"], comp.basic)
        return (_sample(rng, self.rar["mythic"], comp.mythic) + _sample(rng, self.rar["rare"], comp.rare)
                + guests + _sample(rng, self.rar["uncommon"], comp.uncommon)
                + _sample(rng, self.rar["common"], n_common) + basics)


class DraftBoosterCollation(BoosterGenerator):
    """Pre-2024 Draft Booster: 10C 3U 1R/M (+1 basic on paper)."""

    def __init__(self, cards: Sequence[Card], paper: bool = False):
        self.rar = _by_rarity(cards)
        self.paper = paper
        self.pack_size = 15 if paper else 14
        self.source = "draft-booster" + (" (paper)" if paper else " (arena)")

    def pack(self, rng: random.Random) -> list[Card]:
        mythic = self.rar.get("mythic") and rng.random() < MYTHIC_SHARE_DRAFT_BOOSTER
        rare = _sample(rng, self.rar["mythic"] if mythic else self.rar["rare"], 1)
        out = rare + _sample(rng, self.rar["uncommon"], 3) + _sample(rng, self.rar["common"], 10)
        if self.paper:
            out += _sample(rng, self.rar.get("basic") or self.rar["common"], 1)
        return out


@dataclass
class Sheet:
    cards: list[Card]
    weights: list[float]
    note: str = ""


@dataclass
class SheetCollation(BoosterGenerator):
    """MTGJSON booster sheets: weighted variants, weighted card per slot."""

    variants: list[tuple[dict[str, int], float]]
    sheets: dict[str, Sheet]
    source: str = "mtgjson"
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.pack_size = max(sum(v.values()) for v, _ in self.variants)

    def pack(self, rng: random.Random) -> list[Card]:
        contents = rng.choices([v for v, _ in self.variants], weights=[w for _, w in self.variants])[0]
        out: list[Card] = []
        for sheet_name, n in contents.items():
            sheet = self.sheets[sheet_name]
            taken: set[str] = set()
            for _ in range(n):
                for _try in range(20):  # no duplicate within one slot group (six commons are six cards)
                    card = rng.choices(sheet.cards, weights=sheet.weights)[0]
                    if card.key not in taken or len(sheet.cards) <= n:
                        break
                taken.add(card.key)
                out.append(card)
        return out

    @classmethod
    def from_mtgjson(cls, path: Path, set_cards: SetCards, booster_type: str | None = None) -> "SheetCollation":
        with _open_text(path) as fh:
            data = json.load(fh)["data"]
        set_code = data["code"].upper()
        boosters = data.get("booster") or {}
        btype = booster_type or next((b for b in ("play", "draft", "default") if b in boosters), None)
        if btype is None:
            raise ValueError(f"{path} has no play/draft booster sheets")
        spec = boosters[btype]
        known = {c.key: c for c in set_cards.booster_cards(set_code)}
        known_all = {c.key: c for c in set_cards.by_set.get(set_code, [])}
        by_uuid: dict[str, Card] = {}
        for mc in data.get("cards", []):
            if mc.get("side") not in (None, "a"):
                continue
            key = name_key(mc.get("faceName") or mc["name"].split(" // ")[0])
            card = known.get(key) or known_all.get(key)
            if card is None:
                aid = (mc.get("identifiers") or {}).get("mtgArenaId")
                card = Card(name=mc.get("faceName") or mc["name"], arena_id=int(aid) if aid else None,
                            set_code=set_code, mana_cost=mc.get("manaCost"), mana_value=mc.get("manaValue"),
                            colors=normalize_colors(mc.get("colors")),
                            color_identity=normalize_colors(mc.get("colorIdentity")), type_line=mc.get("type"),
                            rarity=mc.get("rarity"), sources=("mtgjson",))
            by_uuid[mc["uuid"]] = card
        notes: list[str] = []
        sheets: dict[str, Sheet] = {}
        unresolved: list[str] = []
        other_sets = [s.upper() for s in spec.get("sourceSetCodes", []) if s.upper() != set_code]
        for sname, sh in spec["sheets"].items():
            entries = list(sh["cards"].items())
            cards = [by_uuid.get(u) for u, _ in entries]
            weights = [float(w) for _, w in entries]
            if all(cards):
                sheets[sname] = Sheet(cards, weights)  # type: ignore[arg-type]
                continue
            sheet = _resolve_other_set(sname, weights, other_sets, set_cards)
            if sheet is None:
                unresolved.append(sname)
            else:
                sheets[sname] = sheet
                notes.append(sheet.note)
        fallback = "common" if "common" in sheets else next(iter(sheets))
        for sname in unresolved:
            sheets[sname] = sheets[fallback]
            notes.append(f"sheet {sname!r}: cards of other sets not in the card data; drawn from {fallback!r}")
        variants = [(dict(b["contents"]), float(b["weight"])) for b in spec["boosters"]]
        return cls(variants=variants, sheets=sheets, source=f"mtgjson {set_code} {btype}", notes=notes)


def _resolve_other_set(sname: str, weights: list[float], other_sets: list[str], set_cards: SetCards) -> Sheet | None:
    """A sheet of another set's cards (uuids we cannot see): use that set's booster cards when the count matches,
    giving the sheet's weights to rarities in order (more copies for commoner rarities, as every sheet does)."""
    order = {"common": 0, "uncommon": 1, "rare": 2, "mythic": 3}
    for other in other_sets:
        cards = set_cards.booster_cards(other)
        if len(cards) != len(weights):
            continue
        cards = sorted(cards, key=lambda c: (order.get(c.rarity or "", 4), c.name))
        ws = sorted(weights, reverse=True)
        groups = defaultdict(list)
        for c, w in zip(cards, ws):
            groups[c.rarity].append(w)
        if any(len(set(g)) != 1 for g in groups.values()):
            continue  # the weight steps do not line up with rarities: do not guess
        return Sheet(cards, ws, note=f"sheet {sname!r}: {other} booster cards, weights by rarity "
                                     + ", ".join(f"{r}={g[0]:g}" for r, g in groups.items()))
    return None


# ---------------------------------------------------------------------------------------------------- factory
def guests_from_card_index(shared_data: Path | None, set_code: str, set_cards: SetCards) -> list[Card]:
    """Special Guests of a set as seen in real packs (picks/<SET>/<set>_card_index.csv, printing_set SPG)."""
    if shared_data is None:
        return []
    path = Path(shared_data) / "picks" / set_code.upper() / f"{set_code.lower()}_card_index.csv"
    if not path.exists():
        return []
    spg = {c.key: c for c in set_cards.by_set.get("SPG", [])}
    out = []
    with open(path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r.get("printing_set") == "SPG":
                out.append(spg.get(name_key(r["name"])) or Card(
                    name=r["name"], set_code="SPG", rarity=r.get("rarity") or None,
                    color_identity=normalize_colors(r.get("color_identity")),
                    colors=normalize_colors(r.get("color_identity")), type_line=r.get("types") or None))
    return out


def make_generator(set_code: str, set_cards: SetCards, shared_data: Path | None = None, kind: str | None = None,
                   mtgjson: Path | None = None) -> BoosterGenerator:
    """Pick the best collation for `set_code`. kind: None (auto), "sheets", "measured", "play", "draft",
    "draft-paper"."""
    set_code = set_code.upper()
    cards = set_cards.booster_cards(set_code)
    if not cards:
        raise ValueError(f"no booster cards for set {set_code!r} in the card data")
    coll = Path(shared_data) / "collation" if shared_data else None
    cards_dir = Path(shared_data) / "cards" if shared_data else None
    if mtgjson is None and cards_dir is not None and kind in (None, "sheets"):
        found = sorted(cards_dir.glob(f"{set_code}.mtgjson*.json*"))
        mtgjson = found[0] if found else None
    if kind in (None, "sheets") and mtgjson is not None:
        return SheetCollation.from_mtgjson(mtgjson, set_cards)
    if kind == "sheets":
        raise ValueError(f"no MTGJSON set file with booster sheets for {set_code}")
    if kind in ("draft", "draft-paper"):
        return DraftBoosterCollation(cards, paper=kind == "draft-paper")
    measured = coll / f"{set_code}_arena_premier_pack_composition.csv" if coll else None
    if kind in (None, "measured") and measured is not None and measured.exists():
        return MeasuredCollation(cards, MeasuredCollation.read_compositions(measured),
                                 guests_from_card_index(shared_data, set_code, set_cards),
                                 source=f"measured {set_code} Arena packs")
    if kind == "measured":
        raise ValueError(f"no measured pack composition for {set_code}")
    if kind == "play" or (kind is None and set_cards.is_play_booster_set(set_code)):
        template = coll / f"{MEASURED_TEMPLATE_SET}_arena_premier_pack_composition.csv" if coll else None
        if template is None or not template.exists():
            raise ValueError("Play Booster collation needs the measured template in shared/data/collation")
        return MeasuredCollation(cards, MeasuredCollation.read_compositions(template),
                                 source=f"play booster ({MEASURED_TEMPLATE_SET}-measured shares)")
    return DraftBoosterCollation(cards)
