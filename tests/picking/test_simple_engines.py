"""Random, ratings and heuristic engines, ratings loaders, registry/fallback and rendering, on real DSK data."""
from __future__ import annotations

import gzip
import json

import pytest

from copilot.cards.model import Card
from copilot.datasets import iter_contexts
from copilot.picking.engine import PickContext, Recommendation
from copilot.picking.heuristic_engine import HeuristicEngine, card_value
from copilot.picking.random_engine import RandomEngine
from copilot.picking.ratings import RatingsError, find_ratings, load_ratings
from copilot.picking.ratings_engine import RatingsEngine
from copilot.picking.registry import (ENGINES, FALLBACK_ORDER, EngineUnavailable, create_engine, engine_status,
                                      fallback_chain, rank_with_fallback)
from copilot.picking.render import format_recommendation

from dsk_cards import NameCatalog, load_dsk_cards


@pytest.fixture(scope="module")
def dsk(shared_data):
    return load_dsk_cards(shared_data)


@pytest.fixture(scope="module")
def dsk_gih(shared_data):
    return shared_data / "ratings" / "derived_gih_28d" / "DSK_gih_28d.csv"


@pytest.fixture(scope="module")
def contexts(shared_data, dsk):
    path = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    return list(iter_contexts(path, NameCatalog(dsk), limit=42))


# --- ratings files ------------------------------------------------------------------------------------------
def test_load_derived_csv(dsk_gih):
    r = load_ratings(dsk_gih)
    assert r.set_code == "DSK" and len(r) == 276
    assert r.gih("Abhorrent Oculus") == pytest.approx(59.5692, abs=1e-3)  # percent
    assert r.gih("Derelict Attic // Widow's Walk") is not None
    assert r.gih("Derelict Attic") == r.gih("Derelict Attic // Widow's Walk")  # front-face tolerant
    assert r.gih("Marina Vendrell's Grimoire") is None  # below the 500-game cut


def test_load_mtga_draft_17lands_file_treats_zero_as_missing(shared_data):
    path = shared_data / "ratings" / "mtga_draft_17lands_format" / "BLB_PremierDraft_All_Data.json.gz"
    r = load_ratings(path)
    raw = json.loads(gzip.decompress(path.read_bytes()))
    zero = next(c["name"] for c in raw["card_ratings"].values()
                if all((v or {}).get("gihwr", 0) == 0 for v in (c.get("deck_colors") or {}).values()))
    assert r.set_code == "BLB"
    assert r.gih("Caretaker's Talent") == pytest.approx(58.31)
    assert r.get("Caretaker's Talent").by_colors  # per-colour GIH WR kept
    assert r.get(zero) is None or r.gih(zero) is None
    assert r.color_ratings["W"] == pytest.approx(60.9)


def test_load_endpoint_json(tmp_path, dsk_gih):
    """The card_ratings endpoint shape, written from the real DSK numbers (fractions, nulls below threshold)."""
    src = load_ratings(dsk_gih)
    data = [{"name": c.name, "ever_drawn_win_rate": c.gih_wr / 100, "ever_drawn_game_count": c.games,
             "avg_seen": None, "avg_pick": None, "color": "", "rarity": "common"} for c in src.cards.values()]
    data.append({"name": "Soul Warden", "ever_drawn_win_rate": None, "ever_drawn_game_count": 12})
    p = tmp_path / "DSK_card_ratings.json"
    p.write_text(json.dumps(data))
    r = load_ratings(p)
    assert r.set_code == "DSK" and r.gih("Abhorrent Oculus") == pytest.approx(59.5692, abs=1e-3)
    assert r.gih("Soul Warden") is None


def test_bad_ratings_files_say_why(tmp_path):
    p = tmp_path / "X_bad.csv"
    p.write_text("foo,bar\n1,2\n")
    with pytest.raises(RatingsError, match="needs a name column"):
        load_ratings(p)
    with pytest.raises(RatingsError, match="not found"):
        load_ratings(tmp_path / "nope.csv")
    q = tmp_path / "X.json"
    q.write_text('{"a": 1}')
    with pytest.raises(RatingsError, match="card_ratings"):
        load_ratings(q)


def test_find_ratings(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    assert find_ratings("DSK").name == "DSK_gih_28d.csv"
    assert find_ratings("blb").name == "BLB_PremierDraft_All_Data.json.gz"
    assert find_ratings("ZZZ") is None
    (tmp_path / "ratings").mkdir()
    mine = tmp_path / "ratings" / "DSK_mine.csv"
    mine.write_text("name,gih_wr\nMurder,0.6\n")
    assert find_ratings("DSK") == mine  # user data first


# --- engines ------------------------------------------------------------------------------------------------
def test_random_is_seeded_and_complete(contexts):
    ctx = contexts[0][1]
    a, b = RandomEngine(1).rank(ctx), RandomEngine(1).rank(ctx)
    assert [s.card.name for s in a.ranked] == [s.card.name for s in b.ranked]
    assert sorted(s.card.name for s in a.ranked) == sorted(c.name for c in ctx.pack)
    orders = {tuple(s.card.name for s in RandomEngine(seed).rank(ctx).ranked) for seed in range(6)}
    assert len(orders) > 1


def test_ratings_engine_p1p1_follows_gih(contexts, dsk_gih):
    r = load_ratings(dsk_gih)
    ctx = contexts[0][1]
    rec = RatingsEngine.from_options({"ratings": str(dsk_gih)}).rank(ctx)
    best = max((c for c in ctx.pack if r.gih(c) is not None), key=r.gih)
    assert rec.ok and rec.best == best  # empty pool: no colour term
    assert rec.ranked[-1].card.is_basic_land or not any(c.is_basic_land for c in ctx.pack)
    assert rec.ranked[0].score == pytest.approx(r.gih(best))


def test_ratings_engine_colour_commitment(dsk, dsk_gih):
    black = [dsk[n] for n in ("Murder", "Miasma Demon", "Rat Out", "Fear of Exposure", "Cynical Loner")
             if n in dsk and dsk[n].color_identity == ("B",)]
    assert len(black) >= 3
    eng = RatingsEngine.from_options({"ratings": str(dsk_gih)})
    r = eng.ratings_for("DSK")
    # an off-colour card rated a little better than an on-colour one
    on = max((c for c in dsk.values() if c.color_identity == ("B",) and r.gih(c)), key=lambda c: r.gih(c))
    off = min((c for c in dsk.values() if c.color_identity == ("W",) and r.gih(c) and r.gih(c) > r.gih(on)),
              key=lambda c: r.gih(c))
    pool = tuple(black * 4)
    early = PickContext(pack=(on, off), pool=(), pack_number=1, pick_number=1, set_code="DSK")
    late = PickContext(pack=(on, off), pool=pool, pack_number=2, pick_number=3, set_code="DSK")
    assert eng.rank(early).best == off
    rec = eng.rank(late)
    assert rec.best == on and "main colours B" in rec.note


def test_ratings_engine_without_ratings_for_set(dsk, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    eng = RatingsEngine.from_options({})
    ok, why = eng.available("ZZZ")
    assert not ok and "no 17lands ratings for set ZZZ" in why and "--ratings" in why
    ctx = PickContext(pack=(dsk["Murder"],), pool=(), pack_number=1, pick_number=1, set_code="ZZZ")
    with pytest.raises(RuntimeError, match="ZZZ"):
        eng.rank(ctx)
    assert eng.available("DSK") == (True, "")


def test_heuristic_engine(contexts, dsk):
    rec = HeuristicEngine.from_options({}).rank(contexts[0][1])
    assert rec.ok and len(rec.ranked) == 14
    basics = [s for s in rec.ranked if s.card.is_basic_land]
    if basics:
        assert rec.ranked[-1].card.is_basic_land
    removal = Card(name="Test Removal", mana_value=2, rarity="common", type_line="Instant",
                   text="Destroy target creature.")
    vanilla = Card(name="Test Spell", mana_value=2, rarity="common", type_line="Instant", text="Scry 1.")
    assert card_value(removal) > card_value(vanilla)
    names_only = PickContext(pack=(Card(name="A"), Card(name="B")), pool=(), pack_number=1, pick_number=1)
    assert HeuristicEngine().rank(names_only).ok


# --- registry, fallback, rendering --------------------------------------------------------------------------
def test_create_engine_and_status(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    assert {"ratings", "heuristic", "random", "gguf", "hf", "openai", "mlp"} <= set(ENGINES)
    assert FALLBACK_ORDER == ("ratings", "heuristic", "random")
    with pytest.raises(EngineUnavailable, match="known engines: ratings, heuristic, random"):
        create_engine("nope")
    assert create_engine("random", {"seed": 3}).seed == 3
    status = engine_status({"gguf": {"model": str(tmp_path / "missing.gguf")}}, set_code="ZZZ",
                           names=["ratings", "heuristic", "random", "gguf", "mlp"])  # hf/openai import their libs
    assert status["random"] == "available" and status["heuristic"] == "available"
    assert status["ratings"].startswith("unavailable: no 17lands ratings for set ZZZ")
    assert status["gguf"].startswith("unavailable:")


def test_rank_with_fallback_keeps_the_failure(dsk, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    chain = fallback_chain("ratings")
    assert [e.name for e in chain] == ["ratings", "heuristic", "random"]
    ctx = PickContext(pack=(dsk["Murder"], dsk["Plains"]), pool=(), pack_number=1, pick_number=1, set_code="ZZZ")
    rec = rank_with_fallback(chain, ctx)
    assert rec.ok and rec.engine == "heuristic" and rec.best.name == "Murder"
    assert "fallback from ratings: no 17lands ratings for set ZZZ" in rec.note
    ctx_dsk = PickContext(pack=(dsk["Murder"], dsk["Plains"]), pool=(), pack_number=1, pick_number=1, set_code="DSK")
    assert rank_with_fallback(chain, ctx_dsk).engine == "ratings"

    class Broken(RandomEngine):
        name = "broken"

        def rank(self, ctx):
            raise RuntimeError("model crashed")

    rec = rank_with_fallback([Broken(), RandomEngine()], ctx)
    assert rec.engine == "random" and "broken: RuntimeError: model crashed" in rec.note
    rec = rank_with_fallback([Broken()], ctx)
    assert not rec.ok and "model crashed" in rec.note


def test_format_recommendation(contexts, dsk_gih):
    rec = RatingsEngine.from_options({"ratings": str(dsk_gih)}).rank(contexts[5][1])
    text = format_recommendation(rec, top=3)
    lines = text.splitlines()
    assert lines[0] == f"Pick: {rec.ranked[0].card.name} ({rec.ranked[0].score:.2f})"
    assert lines[1].startswith(f"  2. {rec.ranked[1].card.name}") and lines[2].startswith("  3. ")
    assert "ratings · DSK_gih_28d.csv · " in text and " ms" in text
    err = Recommendation(engine="gguf", error="model file not found: /x.gguf", latency_ms=3)
    assert format_recommendation(err).splitlines()[0] == "No recommendation: gguf failed: model file not found: /x.gguf"


def test_engines_command(tmp_path, monkeypatch, capsys):
    from copilot.cli import main

    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    cheap = ["--engine", "ratings", "--engine", "heuristic", "--engine", "random", "--engine", "mlp"]
    assert main(["engines", "--set", "ZZZ", "--json", *cheap]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["fallback_order"] == ["ratings", "heuristic", "random"]
    assert doc["engines"]["random"] == "available"
    assert doc["engines"]["ratings"].startswith("unavailable: no 17lands ratings for set ZZZ")
    assert doc["engines"]["mlp"].startswith("unavailable:") and "--model" in doc["engines"]["mlp"]
    assert main(["engines", "--set", "DSK", *cheap]) == 0
    out = capsys.readouterr().out
    assert "fallback order: ratings -> heuristic -> random" in out
    from copilot.paths import shared_dir

    if shared_dir() is not None:  # the DSK ratings file is in the shared data
        assert "ratings    available" in out
    else:
        assert "ratings    unavailable: no 17lands ratings for set DSK" in out
