"""Running many simulated drafts: seats from specs, boosters from set data, statistics at the end.

Used by `copilot simulate`, the benchmark and the GUI's practice mode. No Qt, no heavy imports at module level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from copilot.cards.model import Card
from copilot.sim.boosters import BoosterGenerator, SetCards, make_generator
from copilot.picking.personality import PersonalityEngine, SeatSpec, parse_seat
from copilot.sim.simstats import card_pool_stats, summarize
from copilot.sim.table import DraftResult, DraftTable, HumanCallback, HumanSeat, Seat, seat_to_dict

SEATS = 8
DEFAULT_ENGINE = "ratings"


def create_engine(name: str, options: dict, set_code: str | None):
    """An engine by registry name; engines that need the set read it from each PickContext."""
    from copilot.picking import registry

    return registry.create_engine(name, dict(options))


def default_engine_name(set_code: str) -> str:
    """'ratings' when a ratings file exists for the set, else 'heuristic'."""
    from copilot.picking.ratings import find_ratings

    return "ratings" if find_ratings(set_code) else "heuristic"


def build_seats(specs: Sequence[str | SeatSpec], set_code: str, n_seats: int = SEATS,
                human: HumanCallback | None = None) -> tuple[list[Seat], list[str]]:
    """Seats for the table: identical specs share one engine object (so they are batched with rank_many and an
    LLM is loaded once); `share=0` in a spec gives that seat its own engine object (an LLM engine then keeps the
    seat's own KV cache between its picks, at the cost of one model load per seat); an engine whose prompt format is a
    conversation (`conversational`) always gets one object per seat: each seat drafts its own conversation. Missing
    seats get the default engine. Returns (seats, labels)."""
    parsed = [parse_seat(s) if isinstance(s, str) else s for s in specs]
    if len(parsed) > n_seats:
        raise ValueError(f"{len(parsed)} seats given for a table of {n_seats}")
    parsed += [SeatSpec(default_engine_name(set_code))] * (n_seats - len(parsed))
    inner_cache: dict[tuple, object] = {}
    seat_cache: dict[str, Seat] = {}
    seats: list[Seat] = []
    for i, spec in enumerate(parsed):
        if spec.engine == "human":
            seats.append(HumanSeat(callback=human))
            continue
        own = str(spec.personality.get("share", "1")).lower() in ("0", "false", "no", "off")
        shared_key = (spec.engine, tuple(sorted(spec.options.items())))
        if not own:  # an LLM engine in a conversation format holds one seat's conversation: one engine per seat
            if shared_key not in inner_cache:
                inner_cache[shared_key] = create_engine(spec.engine, spec.options, set_code)
            own = bool(getattr(inner_cache[shared_key], "conversational", False))
        key = spec.text + (f"#seat{i}" if own else "")
        if key not in seat_cache:
            ikey = shared_key + ((i,) if own else ())
            if ikey not in inner_cache:
                inner_cache[ikey] = create_engine(spec.engine, spec.options, set_code)
            engine = PersonalityEngine.from_options(inner_cache[ikey], spec.personality)
            if not spec.personality:
                try:
                    engine.label = spec.text  # type: ignore[attr-defined]
                except AttributeError:
                    pass
            seat_cache[key] = engine
        seats.append(seat_cache[key])
    return seats, [s.name if isinstance(s, HumanSeat) else spec.text for s, spec in zip(seats, parsed)]


@dataclass
class SimulationReport:
    drafts: list[DraftResult] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    collation: str = ""
    seats: list = field(default_factory=list)  # the seat engines (not serialised)

    def deck(self, draft: int, seat: int):
        """Suggested 40-card deck for a seat, scored by that seat's engine (a human seat: the first bot's)."""
        from copilot.draft.deckbuild import suggest_deck
        from copilot.picking.pool_scores import engine_scores

        bots = [s for s in self.seats if not isinstance(s, HumanSeat)]
        engine = self.seats[seat] if self.seats and not isinstance(self.seats[seat], HumanSeat) else \
            (bots[0] if bots else None)
        pool = self.drafts[draft].seats[seat].pool
        return suggest_deck(pool, engine_scores(engine, pool, self.drafts[draft].set_code))

    def stats(self) -> dict:
        """Per engine label and overall: colour statistics of the finished pools (see simstats)."""
        per_label: dict[str, list] = {}
        tables = []
        for d in self.drafts:
            table = []
            for label, seat in zip(self.labels, d.seats):
                ps = card_pool_stats(seat.pool)
                per_label.setdefault(label, []).append(ps)
                table.append(ps)
            tables.append(table)
        everyone = [p for t in tables for p in t]
        fallback_picks = sum(1 for d in self.drafts for s in d.seats for e in s.picks if e.note)
        return {"collation": self.collation, "drafts": len(self.drafts), "fallback_picks": fallback_picks,
                "all_seats": summarize(everyone, tables),
                "by_engine": {label: summarize(pools) for label, pools in per_label.items()},
                "per_draft": [[p.to_dict() for p in t] for t in tables]}

    def to_dict(self, with_decks: bool = False) -> dict:
        drafts = []
        for d in self.drafts:
            seats = []
            for label, s in zip(self.labels, d.seats):
                item = seat_to_dict(s)
                item["engine"] = label
                if with_decks:
                    item["deck"] = self.deck(self.drafts.index(d), s.index).to_dict()
                seats.append(item)
            drafts.append({"seed": d.seed, "seats": seats})
        return {"set": self.drafts[0].set_code if self.drafts else None, "drafts": drafts, "stats": self.stats()}


def run_simulation(set_code: str, cards_file: Path, specs: Sequence[str | SeatSpec] = (), drafts: int = 1,
                   seed: int = 0, shared_data: Path | None = None, booster_kind: str | None = None,
                   cards_to_pick: int = 1, human: HumanCallback | None = None, n_seats: int = SEATS,
                   on_draft: Callable[[int, DraftResult], None] | None = None,
                   generator: BoosterGenerator | None = None, seats: Sequence[Seat] | None = None,
                   labels: Sequence[str] | None = None) -> SimulationReport:
    """Draft `drafts` times; draft i uses seed `seed + i` for its boosters (so each draft is reproducible alone)."""
    set_code = set_code.upper()
    if generator is None:
        generator = make_generator(set_code, SetCards.from_file(cards_file), shared_data, kind=booster_kind)
    if seats is None:
        seats, labels = build_seats(specs, set_code, n_seats, human)
    labels = list(labels or [getattr(s, "name", "?") for s in seats])
    report = SimulationReport(labels=labels, collation=generator.source, seats=list(seats))
    for i in range(drafts):
        table = DraftTable.deal(generator, seats, seed + i, set_code=set_code, cards_to_pick=cards_to_pick,
                                draft_key=f"sim-{seed + i}")
        result = table.run()
        report.drafts.append(result)
        if on_draft:
            on_draft(i, result)
    return report


def pool_cards(report: SimulationReport, draft: int, seat: int) -> list[Card]:
    return list(report.drafts[draft].seats[seat].pool)
