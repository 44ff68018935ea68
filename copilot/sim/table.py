"""An 8-seat booster draft table: packs pass left, right, left; every seat is a PickEngine or a human.

Seat state is kept as Cards (`SeatState`), not as the live path's grpId-based `DraftState`: engines consume Cards
through `PickContext`, and simulated cards may lack a grpId (MTGJSON-only printings). `SeatState.to_draft_state()`
gives the grpId view for code that wants it.

Step-wise use (the GUI): `table.pending()` lists the decisions of the current turn, `table.step(choices)` plays one
turn (every seat picks once) and returns its `PickEvent`s; `table.events()` iterates over all of them; `table.run()`
plays to the end. A human seat is a `HumanSeat`: its callback is asked for the indices to take, or `step()` gets
them in `choices={seat: [index, ...]}` when it has no callback.

Seats whose engines are the same object are ranked together with one `rank_many` call (engines that batch, such as
LLM engines sharing one loaded model, do so there).
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from copilot.cards.model import Card
from copilot.draft.state import SIGNAL_WINDOW, DraftState, PickRecord
from copilot.picking.engine import PastPick, PickContext, PickEngine, Recommendation, safe_rank

LEFT, RIGHT = 1, -1
DEFAULT_DIRECTIONS = (LEFT, RIGHT, LEFT)
SEEN_WINDOW = SIGNAL_WINDOW  # the same signal window as the live path

HumanCallback = Callable[[PickContext], Sequence[int]]


@dataclass
class HumanSeat:
    """A seat for a person. `callback(ctx)` returns the indices into ctx.pack to take (ctx.cards_to_pick of them)."""

    callback: HumanCallback | None = None
    name: str = "human"


Seat = PickEngine | HumanSeat


@dataclass(frozen=True)
class PickEvent:
    seat: int
    pack: int  # 1-based
    pick: int  # 1-based pick number within the pack (Pick-Two: 1, 3, 5, ... counts cards taken before + 1)
    pack_cards: tuple[Card, ...]  # the pack in front of the seat, before this pick
    picked: tuple[Card, ...]
    engine: str
    recommendation: Recommendation | None = None
    note: str | None = None  # e.g. "engine failed: ...; random pick"


@dataclass
class SeatState:
    index: int
    engine: str
    picks: list[PickEvent] = field(default_factory=list)
    pool: list[Card] = field(default_factory=list)
    seen: deque = field(default_factory=lambda: deque(maxlen=SEEN_WINDOW))

    def to_draft_state(self, set_code: str | None = None, cards_per_pick: int = 1) -> DraftState:
        """The live path's grpId view (cards without a grpId are left out of it)."""
        def ids(cards):
            return [c.arena_id for c in cards if c.arena_id is not None]

        recs = [PickRecord(pack=e.pack, pick=e.pick, pack_cards=ids(e.pack_cards), picked=ids(e.picked))
                for e in self.picks]
        last = self.picks[-1] if self.picks else None
        return DraftState(event_name="Simulated", set_code=set_code, format="SimulatedDraft",
                          draft_id=None, pack_number=last.pack if last else 0, pick_number=last.pick if last else 0,
                          picks=recs, pool=ids(self.pool), cards_per_pick=cards_per_pick, complete=True)


@dataclass
class DraftResult:
    seed: int | None
    set_code: str | None
    seats: list[SeatState]
    opened: list[list[list[Card]]]  # opened[round][seat] = the pack that seat opened

    def to_dict(self) -> dict:
        return {"seed": self.seed, "set": self.set_code, "seats": [seat_to_dict(s) for s in self.seats]}


def seat_to_dict(s: SeatState) -> dict:
    return {"engine": s.engine,
            "picks": [{"pack": e.pack, "pick": e.pick, "pack_cards": [c.name for c in e.pack_cards],
                       "picked": [c.name for c in e.picked], **({"note": e.note} if e.note else {})}
                      for e in s.picks],
            "pool": [c.name for c in s.pool]}


def engine_label(seat: Seat) -> str:
    if isinstance(seat, HumanSeat):
        return seat.name
    return str(getattr(seat, "label", None) or getattr(seat, "name", type(seat).__name__))


class DraftTable:
    def __init__(self, packs: Sequence[Sequence[Sequence[Card]]], seats: Sequence[Seat], *,
                 set_code: str | None = None, cards_to_pick: int = 1, directions: Sequence[int] = DEFAULT_DIRECTIONS,
                 seed: int | None = None, draft_key: str | None = None):
        """packs[round][seat] is the booster seat `seat` opens in round `round` (see `DraftTable.deal`)."""
        if not seats:
            raise ValueError("a table needs seats")
        if len(packs) != len(directions):
            raise ValueError(f"{len(packs)} rounds of packs but {len(directions)} pass directions")
        for r, rnd in enumerate(packs):
            if len(rnd) != len(seats):
                raise ValueError(f"round {r + 1}: {len(rnd)} packs for {len(seats)} seats")
        self.opened = [[list(p) for p in rnd] for rnd in packs]
        self.seats = list(seats)
        self.n = len(self.seats)
        self.set_code = set_code
        self.cards_to_pick = cards_to_pick
        self.directions = list(directions)
        self.seed = seed
        self.draft_key = draft_key or f"sim-{seed}"
        self.state = [SeatState(i, engine_label(s)) for i, s in enumerate(self.seats)]
        self._rng = random.Random(f"{seed}-fallback")
        self.round = 0
        self.taken_in_round = 0
        self.current: list[list[Card]] = [list(p) for p in self.opened[0]]

    @classmethod
    def deal(cls, generator, seats: Sequence[Seat], seed: int, rounds: int = 3, **kw) -> "DraftTable":
        """Open `rounds` boosters per seat from a generator (boosters.BoosterGenerator), seeded."""
        rng = random.Random(seed)
        packs = [[generator.pack(rng) for _ in seats] for _ in range(rounds)]
        if kw.get("directions") is None:
            kw["directions"] = [DEFAULT_DIRECTIONS[r % 3] for r in range(rounds)]
        return cls(packs, seats, seed=seed, **kw)

    # ------------------------------------------------------------------------------------------------ state
    @property
    def done(self) -> bool:
        return self.round >= len(self.opened)

    @property
    def pack_number(self) -> int:
        return self.round + 1

    @property
    def pick_number(self) -> int:
        return self.taken_in_round + 1

    def picks_per_pack(self) -> int:
        return len(self.opened[min(self.round, len(self.opened) - 1)][0])

    def context(self, seat: int) -> PickContext:
        st = self.state[seat]
        pack = tuple(self.current[seat])
        return PickContext(pack=pack, pool=tuple(st.pool), pack_number=self.pack_number,
                           pick_number=self.pick_number, set_code=self.set_code,
                           seen=(tuple(st.seen) + (pack,))[-SEEN_WINDOW:], picks_per_pack=self.picks_per_pack(),
                           cards_to_pick=min(self.cards_to_pick, len(pack)),
                           draft_key=f"{self.draft_key}-seat{seat}",
                           history=tuple(PastPick(e.pack, e.pick, e.pack_cards, e.picked) for e in st.picks))

    def pending(self) -> list[tuple[int, PickContext]]:
        """The decisions of the current turn: (seat, context) for every seat."""
        return [] if self.done else [(i, self.context(i)) for i in range(self.n)]

    def human_seats(self) -> list[int]:
        return [i for i, s in enumerate(self.seats) if isinstance(s, HumanSeat)]

    # ------------------------------------------------------------------------------------------------ play
    def step(self, choices: dict[int, Sequence[int]] | None = None) -> list[PickEvent]:
        """Every seat picks once from the pack in front of it; then the packs pass."""
        if self.done:
            raise RuntimeError("the draft is over")
        choices = choices or {}
        ctxs = [self.context(i) for i in range(self.n)]
        recs: dict[int, Recommendation] = {}
        groups: dict[int, list[int]] = {}
        for i, seat in enumerate(self.seats):
            if not isinstance(seat, HumanSeat):
                groups.setdefault(id(seat), []).append(i)
        for members in groups.values():
            engine = self.seats[members[0]]
            if len(members) == 1:
                out = [safe_rank(engine, ctxs[members[0]])]
            else:
                try:
                    out = list(engine.rank_many([ctxs[i] for i in members]))
                except Exception as exc:  # noqa: BLE001 - engines never raise into the table
                    out = [Recommendation(engine=engine_label(engine), error=f"{type(exc).__name__}: {exc}")
                           for _ in members]
            for i, rec in zip(members, out):
                recs[i] = rec

        events = []
        for i, seat in enumerate(self.seats):
            ctx = ctxs[i]
            k = ctx.cards_to_pick
            note = None
            if isinstance(seat, HumanSeat):
                idx = choices.get(i)
                if idx is None:
                    if seat.callback is None:
                        raise ValueError(f"seat {i} is a human seat without a callback: pass choices={{{i}: [...]}}")
                    idx = seat.callback(ctx)
                idx = _check_indices(idx, len(ctx.pack), k)
                rec = None
            else:
                rec = recs.get(i)
                idx = _indices_from_rec(rec, ctx.pack, k)
                if idx is None:
                    why = rec.error if rec is not None and rec.error else "no usable ranking"
                    idx = self._rng.sample(range(len(ctx.pack)), k)
                    note = f"engine failed ({why}); random pick"
            picked = tuple(ctx.pack[j] for j in idx)
            ev = PickEvent(seat=i, pack=ctx.pack_number, pick=ctx.pick_number, pack_cards=ctx.pack,
                           picked=picked, engine=self.state[i].engine, recommendation=rec, note=note)
            events.append(ev)
            st = self.state[i]
            st.picks.append(ev)
            st.pool.extend(picked)
            st.seen.append(ctx.pack)
            remaining = list(ctx.pack)
            for j in sorted(idx, reverse=True):
                del remaining[j]
            self.current[i] = remaining
        self._pass()
        return events

    def _pass(self) -> None:
        d = self.directions[self.round]
        passed: list[list[Card]] = [[] for _ in range(self.n)]
        for i, pack in enumerate(self.current):
            passed[(i + d) % self.n] = pack
        self.current = passed
        self.taken_in_round += self.cards_to_pick
        if all(not p for p in self.current):
            self.round += 1
            self.taken_in_round = 0
            if not self.done:
                self.current = [list(p) for p in self.opened[self.round]]

    def events(self, choices_for: Callable[[list[tuple[int, PickContext]]], dict[int, Sequence[int]]] | None = None
               ) -> Iterator[PickEvent]:
        while not self.done:
            choices = choices_for(self.pending()) if choices_for else None
            yield from self.step(choices)

    def run(self) -> DraftResult:
        for _ in self.events():
            pass
        return self.result()

    def result(self) -> DraftResult:
        return DraftResult(seed=self.seed, set_code=self.set_code, seats=self.state, opened=self.opened)


def _check_indices(idx: Sequence[int], n: int, k: int) -> list[int]:
    idx = [int(i) for i in idx]
    if len(idx) != k or len(set(idx)) != k or any(not 0 <= i < n for i in idx):
        raise ValueError(f"expected {k} distinct card indices in 0..{n - 1}, got {idx}")
    return idx


def _indices_from_rec(rec: Recommendation | None, pack: Sequence[Card], k: int) -> list[int] | None:
    """Indices of the k best-ranked cards that are in the pack (a duplicate card is taken once per ranking entry)."""
    if rec is None or not rec.ranked:
        return None
    free = list(range(len(pack)))
    out: list[int] = []
    for cs in rec.ranked:
        j = next((j for j in free if pack[j] is cs.card), None)
        if j is None:
            j = next((j for j in free if pack[j] == cs.card), None)
        if j is None:
            continue
        free.remove(j)
        out.append(j)
        if len(out) == k:
            return out
    return None
