"""CardCatalog: every card the app knows, merged from several sources by Arena id and by name.

- `add(card)` merges by arena_id first; a card without an id merges into the printings of the same name in the
  same set (any set when it has none), else it is kept as a name-only card. Merging fills missing fields only
  (`Card.merged`): the first source to give a field wins, nothing is invented, provenance is in `Card.sources`.
- Name lookups tolerate the naming conventions: 17lands names transform/modal DFCs and adventurers by the front
  face only, Scryfall/MTGJSON use "Front // Back"; Rooms and split cards are "A // B" everywhere
  (Arena: "A /// B"). Case and punctuation are ignored (`name_key`).
- `card(id)` never fails: an unknown grpId gives `unknown_card(id)` and is recorded in `unknown_ids`.

`load_catalog(paths)` reads given files/folders; `default_catalog()` reads the shared data, user card files and
the Arena database, through a pickle cache in `user_cache_dir()` keyed by the input files' sizes and mtimes.
"""
from __future__ import annotations

import functools
import logging
import os
import pickle
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from copilot.cards.model import Card, front_face, unknown_card
from copilot.cards.model import name_key as _name_key
from copilot.cards.sources import KIND_PRIORITY, CardSourceError, detect_kind, json_kind, load_file, norm_set_code

log = logging.getLogger(__name__)
name_key = functools.lru_cache(maxsize=1 << 16)(_name_key)

CACHE_VERSION = 1
CARD_SUFFIXES = (".csv", ".json", ".mtga", ".sqlite", ".db", ".gz")


def _is_booster_rank(card: Card) -> tuple:
    """Sort key for choosing one printing: booster printings, then ones with more data, then lowest id."""
    return (card.is_booster is not True, card.arena_id is None, card.text is None,
            card.arena_id if card.arena_id is not None else 1 << 62)


class CardCatalog:
    def __init__(self, cards: Iterable[Card] = ()):
        self._by_id: dict[int, Card] = {}
        self._nameless: dict[tuple[str, str | None], Card] = {}
        self._full: dict[str, list[int]] = {}  # name_key(full name) -> arena ids
        self._front: dict[str, list[int]] = {}  # name_key(front face) -> arena ids
        self._nl_full: dict[str, list[tuple[str, str | None]]] = {}
        self._nl_front: dict[str, list[tuple[str, str | None]]] = {}
        self.unknown_ids: set[int] = set()
        self.problems: list[str] = []  # files that could not be read (default_catalog keeps going)
        self.loaded_files: list[tuple[str, str, int]] = []  # (path, kind, cards read)
        self._visible: list[Card] | None = None
        self.extend(cards)

    def __getstate__(self) -> dict:  # the cache file keeps the merged data, not derived views or lookups made
        state = dict(self.__dict__)
        state["_visible"] = None
        state["unknown_ids"] = set()
        return state

    # ---- building -------------------------------------------------------------------------------------------
    def _index(self, card: Card, ref, full: dict, front: dict) -> None:
        for idx, key in ((full, name_key(card.name)), (front, name_key(front_face(card.name)))):
            bucket = idx.setdefault(key, [])
            if ref not in bucket:
                bucket.append(ref)

    def _put(self, card: Card) -> None:
        self._by_id[card.arena_id] = card
        self._index(card, card.arena_id, self._full, self._front)

    def _name_matches(self, name: str, set_code: str | None, full_idx, front_idx, get,
                      setless_ok: bool = False) -> list:
        """Refs of cards with this name, exact full name first, then the DFC front-face conventions.

        Only cards of `set_code` count (any set when it is None); setless_ok also accepts cards without a set.
        """
        fk, ffk = name_key(name), name_key(front_face(name))

        def ok(ref):
            c = get(ref)
            if c is None:
                return False
            return set_code is None or c.set_code == set_code or (setless_ok and c.set_code is None)

        refs = [r for r in full_idx.get(fk, ()) if ok(r)]
        if refs:
            return refs
        if " // " in name:  # "Front // Back" against a front-only name (17lands' DFC naming)
            refs = [r for r in full_idx.get(ffk, ()) if ok(r) and " // " not in get(r).name]
            if refs:
                return refs
        # "Front" against "Front // Back" (Scryfall/MTGJSON DFC naming)
        return [r for r in front_idx.get(fk, ()) if ok(r) and " // " in get(r).name]

    def add(self, card: Card) -> Card:
        """Merge `card` into the catalog; returns the stored (merged) card."""
        self._visible = None
        if card.arena_id is not None:
            existing = self._by_id.get(card.arena_id)
            merged = existing.merged(card) if existing is not None else card
            # name-only cards of the same name (same set, or no set) fill what is still missing
            fk = name_key(merged.name)
            nl_hit = bool(self._nameless) and (fk in self._nl_full or fk in self._nl_front
                                               or name_key(front_face(merged.name)) in self._nl_full)
            refs = self._name_matches(merged.name, merged.set_code, self._nl_full, self._nl_front,
                                      self._nameless.get, setless_ok=True) if nl_hit else []
            for ref in refs:
                other = self._nameless[ref]
                ok = name_key(other.name)
                if ok != fk and any(self._by_id[r].set_code == merged.set_code for r in self._full.get(ok, ())):
                    continue  # this "A // B" belongs to the printing named exactly so (a Room, a split card)
                if other.set_code is None:
                    other = replace(other, rarity=None, is_booster=None)
                merged = merged.merged(other)
            self._put(merged)
            return merged
        targets = self._name_matches(card.name, card.set_code, self._full, self._front, self._by_id.get)
        fill = card if card.set_code is not None else replace(card, rarity=None, is_booster=None)
        for ref in targets:
            self._put(self._by_id[ref].merged(fill))
        key = (name_key(card.name), card.set_code)
        existing = self._nameless.get(key)
        stored = existing.merged(card) if existing is not None else card
        self._nameless[key] = stored
        self._index(stored, key, self._nl_full, self._nl_front)
        return self._by_id[targets[0]] if targets else stored

    def extend(self, cards: Iterable[Card]) -> None:
        """Add many cards: those with an Arena id first, then name-only ones, so that a name-only "A // B" finds
        the printing named exactly "A // B" (a Room) before the door/half row named "A"."""
        cards = list(cards)
        for c in cards:
            if c.arena_id is not None:
                self.add(c)
        for c in cards:
            if c.arena_id is None:
                self.add(c)

    # ---- lookups --------------------------------------------------------------------------------------------
    def get(self, arena_id) -> Card | None:
        try:
            return self._by_id.get(int(arena_id))
        except (TypeError, ValueError):
            return None

    def card(self, arena_id) -> Card:
        """The card for a grpId; an unknown id gives a visibly unknown card and is recorded in `unknown_ids`."""
        found = self.get(arena_id)
        if found is not None:
            return found
        try:
            grp = int(arena_id)
        except (TypeError, ValueError):
            grp = -1
        if grp not in self.unknown_ids:
            log.warning("unknown Arena card id %s (not in any loaded card source)", arena_id)
        self.unknown_ids.add(grp)
        return unknown_card(grp)

    def by_name(self, name: str, set_code: str | None = None) -> Card | None:
        """Tolerant name lookup: exact, then front face of "A // B" either way; case/punctuation-insensitive.

        With several printings, a booster printing is preferred, then the lowest Arena id.
        """
        if not name:
            return None
        name = " ".join(str(name).split()).replace(" /// ", " // ")
        set_code = norm_set_code(set_code)
        refs = self._name_matches(name, set_code, self._full, self._front, self._by_id.get)
        cands = [self._by_id[r] for r in refs]
        if not cands:
            nl = self._name_matches(name, set_code, self._nl_full, self._nl_front, self._nameless.get)
            cands = [self._nameless[r] for r in nl]
        if not cands:
            return None
        return min(cands, key=_is_booster_rank)

    def cards(self) -> list[Card]:
        """All cards: every Arena printing, plus name-only cards that match no printing."""
        if self._visible is None:
            vis = list(self._by_id.values())
            for key, c in self._nameless.items():
                if not self._name_matches(c.name, c.set_code, self._full, self._front, self._by_id.get):
                    vis.append(c)
            self._visible = vis
        return self._visible

    def cards_in_set(self, set_code: str, booster_only: bool = True, include_basics: bool = False) -> list[Card]:
        """One Card per distinct card name in a set, preferring the booster printing; sorted by name.

        booster_only keeps printings a source marks as opened in boosters (17lands `is_booster`); when no source
        says anything about boosters for the set, all its printings are used (logged). Basic lands are left out
        unless include_basics.
        """
        code = norm_set_code(set_code)
        in_set = [c for c in self.cards() if c.set_code == code]
        if booster_only and in_set and all(c.is_booster is None for c in in_set):
            # no loaded source says which printings are in boosters (e.g. a new set known only from the
            # Arena database): use every printing of the set rather than nothing, and say so
            log.warning("no booster information for set %s: using all %d printings", code, len(in_set))
            booster_only = False
        best: dict[str, Card] = {}
        for c in in_set:
            if booster_only and c.is_booster is not True:
                continue
            if not include_basics and c.is_basic_land:
                continue
            k = name_key(c.name)
            if k not in best or _is_booster_rank(c) < _is_booster_rank(best[k]):
                best[k] = c
        return sorted(best.values(), key=lambda c: c.name)

    def sets(self) -> list[str]:
        return sorted({c.set_code for c in self.cards() if c.set_code})

    def set_counts(self) -> dict[str, tuple[int, int]]:
        """set -> (printings, booster printings)."""
        out: dict[str, list[int]] = {}
        for c in self.cards():
            if c.set_code:
                n = out.setdefault(c.set_code, [0, 0])
                n[0] += 1
                n[1] += c.is_booster is True
        return {k: (v[0], v[1]) for k, v in sorted(out.items())}

    def __len__(self) -> int:
        return len(self.cards())

    def __contains__(self, item) -> bool:
        if isinstance(item, Card):
            return (item.arena_id is not None and item.arena_id in self._by_id) or self.by_name(
                item.name, item.set_code) is not None
        if isinstance(item, str) and not item.strip().isdigit():
            return self.by_name(item) is not None
        return self.get(item) is not None

    def __iter__(self) -> Iterator[Card]:
        return iter(self.cards())

    def describe(self) -> str:
        """One line for manifests and logs: how many cards, from which files."""
        kinds: dict[str, int] = {}
        for _, kind, _n in self.loaded_files:
            kinds[kind] = kinds.get(kind, 0) + 1
        files = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no files"
        with_text = sum(c.text is not None for c in self.cards())
        extra = f"; {len(self.problems)} unreadable file(s)" if self.problems else ""
        return (f"CardCatalog: {len(self)} cards ({len(self._by_id)} Arena printings, {with_text} with rules text), "
                f"{len(self.sets())} sets, from {files}{extra}")

    def __repr__(self) -> str:
        return f"CardCatalog({len(self._by_id)} printings, {len(self.sets())} sets)"

    # ---- loading --------------------------------------------------------------------------------------------
    def load_files(self, paths: Iterable[Path], strict: bool = True) -> None:
        """Read card files (or folders of them) in source-priority order. strict: raise on a bad file;
        otherwise record it in `problems` and go on."""
        loaded = []
        for p in _expand(paths, strict, self.problems):
            try:
                kind, cards = load_file(p)
            except CardSourceError as e:
                if strict:
                    raise
                self.problems.append(str(e))
                log.warning("%s", e)
                continue
            loaded.append((kind, p, cards))
        loaded.sort(key=lambda t: KIND_PRIORITY.index(t[0]) if t[0] in KIND_PRIORITY else len(KIND_PRIORITY))
        for kind, p, cards in loaded:  # printings (with Arena ids) of every file first, name-only cards after
            self.extend(c for c in cards if c.arena_id is not None)
        for kind, p, cards in loaded:
            self.extend(c for c in cards if c.arena_id is None)
            self.loaded_files.append((str(p), kind, len(cards)))


def _expand(paths: Iterable[Path], strict: bool, problems: list[str]) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and (f.suffix.lower() in CARD_SUFFIXES) and not f.name.startswith("."):
                    try:
                        kind = detect_kind(f)
                    except CardSourceError as e:
                        problems.append(str(e))
                        continue
                    if kind is not None:
                        out.append(f)
        elif p.exists():
            out.append(p)
        else:
            msg = f"{p}: no such card file or folder"
            if strict:
                raise CardSourceError(msg)
            problems.append(msg)
    return out


def load_catalog(paths: Iterable[Path], arena_install_dir: Path | None = None) -> CardCatalog:
    """A catalog from explicit files/folders (raises CardSourceError naming a bad file) plus, when given, the
    Arena card database found under `arena_install_dir`."""
    paths = list(paths)
    if arena_install_dir is not None:
        from copilot.cards.sources.arena_db import find_card_database
        db = find_card_database(Path(arena_install_dir))
        if db is None:
            raise CardSourceError(f"{arena_install_dir}: no Raw_CardDatabase_*.mtga found under this Arena folder "
                                  "(expected MTGA_Data/Downloads/Raw/)")
        paths.append(db)
    cat = CardCatalog()
    cat.load_files(paths, strict=True)
    return cat


# ---- the app's default catalog -------------------------------------------------------------------------------
def shared_card_files() -> list[Path]:
    """Card files in the shared data folder, when it exists: 17lands cards.csv (every Arena card) and the
    text-bearing files (MTGJSON, Scryfall cache, MTGA_Draft_17Lands set files, flattened Arena data)."""
    from copilot.paths import shared_dir

    root = shared_dir()
    if root is None:
        return []
    data = root / "data"
    out = []
    for sub in ("cards", "ratings/mtga_draft_17lands_format"):
        d = data / sub
        if d.is_dir():
            out += sorted(f for f in d.rglob("*") if f.is_file() and f.suffix.lower() in CARD_SUFFIXES)
    return out


def _settings():
    try:
        from copilot.settings import Settings
        return Settings.load()
    except Exception as e:  # settings are optional here; a broken settings file must not hide the cards
        log.info("settings not readable (%s); using no user card files", e)
        return None


def user_card_files() -> list[Path]:
    """Card files the user added: Settings.card_files, everything in `<user_data_dir>/cards/` and
    $COPILOT_CARD_FILES (os.pathsep-separated files or folders)."""
    from copilot.paths import user_data_dir

    settings = _settings()
    out = [Path(p) for p in (getattr(settings, "card_files", None) or []) if str(p).strip()]
    d = user_data_dir() / "cards"
    if d.is_dir():
        out.append(d)
    env = os.environ.get("COPILOT_CARD_FILES", "")
    out += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    return out


def _fingerprint(paths: list[Path]) -> list[tuple[str, int, int]]:
    fp = []
    for p in paths:
        try:
            files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            for f in files:
                st = f.stat()
                fp.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
        except OSError:
            fp.append((str(p), -1, -1))
    return fp


def _write_cache(cache_file: Path, key, cat: CardCatalog) -> None:
    tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")  # concurrent builders never clash
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump((key, cat), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
    except OSError as e:  # no cache is slower, never wrong
        log.info("cannot write card cache %s (%s)", cache_file, e)
        tmp.unlink(missing_ok=True)


def default_catalog(extra: Iterable[Path] = (), install_dir: Path | None = None, use_cache: bool = True) -> CardCatalog:
    """The app's catalog: shared data cards + user card files + `extra` + the Arena DB under `install_dir`
    (else Settings.arena_install_dir, else Arena's usual install folders).

    Unreadable files are recorded in `catalog.problems`, never fatal. The merged result is cached (pickle in
    user_cache_dir(), keyed by every input file's path, size and mtime), so later loads are fast.
    """
    from copilot.paths import user_cache_dir

    paths = shared_card_files() + user_card_files() + [Path(p) for p in extra]
    problems = []
    if install_dir is None:
        settings = _settings()
        install_dir = (getattr(settings, "arena_install_dir", "") or None) if settings else None
    from copilot.cards.sources.arena_db import find_card_database
    db = find_card_database(Path(install_dir) if install_dir else None)  # None: Arena's usual folders
    if db is not None:
        paths.append(db)
    elif install_dir is not None:
        problems.append(f"{install_dir}: no Raw_CardDatabase_*.mtga under this Arena folder")
    code = Path(__file__).resolve().parent
    code_files = sorted(code.glob("*.py")) + sorted((code / "sources").glob("*.py"))
    key = (CACHE_VERSION, _fingerprint(paths), _fingerprint(code_files))  # new code also rebuilds
    cache_file = user_cache_dir() / "card-catalog.pickle"
    if use_cache and cache_file.is_file():
        try:
            with open(cache_file, "rb") as fh:
                cached_key, cat = pickle.load(fh)
            if cached_key == key and isinstance(cat, CardCatalog):
                cat.problems = problems + cat.problems
                return cat
        except Exception as e:  # a stale or damaged cache is rebuilt, never fatal
            log.info("card cache %s unusable (%s); rebuilding", cache_file, e)
    t0 = time.perf_counter()
    cat = CardCatalog()
    cat.load_files(paths, strict=False)
    log.info("card catalog built from %d files in %.2fs", len(cat.loaded_files), time.perf_counter() - t0)
    if use_cache:
        _write_cache(cache_file, key, cat)
    cat.problems = problems + cat.problems
    return cat


__all__ = ["CardCatalog", "CardSourceError", "load_catalog", "default_catalog", "shared_card_files",
           "user_card_files", "json_kind"]


def catalog_or_note(cards: Iterable[str | Path] | None = None,
                    install_dir: str | Path | None = None) -> tuple[CardCatalog | None, str | None]:
    """The catalog for a command (`cards` files, else the default sources), or (None, why) when it cannot be built:
    a bad card file must not stop a replay or the live view, which then print Arena ids. The Arena install folder is
    used only when it exists on this machine."""
    install = Path(install_dir) if install_dir and Path(install_dir).is_dir() else None
    files = [Path(c) for c in cards or ()]
    for f in files:
        if not f.is_file():
            return None, f"card file {f} not found"
    try:
        if files:
            return load_catalog(files, arena_install_dir=install), None
        return default_catalog(install_dir=install), None
    except Exception as exc:  # noqa: BLE001 - any unreadable card data becomes a note, never a traceback
        return None, f"could not load card data ({type(exc).__name__}: {exc}); printing Arena ids"
