"""PickNet on real DSK picks: a short training run learns far above random on held-out drafts, the file loads back
into the same answers, the engine ranks whole packs (unknown cards from their features), and train-baseline stays
compatible with the older MLP files and engine name."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from copilot.cards.model import Card  # noqa: E402
from copilot.cli import main as cli_main  # noqa: E402
from copilot.datasets.picks import context_from_row, iter_pick_rows  # noqa: E402
from copilot.picking.engine import PickContext  # noqa: E402
from copilot.picking.mlp_model import read_sidecar  # noqa: E402
from copilot.picking.picknet_engine import PickNetEngine, load_any  # noqa: E402
from copilot.picking.picknet_model import MODEL_KIND, LoadedPickNet  # noqa: E402
from copilot.training.dataset import DatasetConfig, build_dataset  # noqa: E402

TINY = ["--dim", "32", "--hidden", "64", "--threads", "1"]


@pytest.fixture(scope="module")
def tiny(shared_data, tmp_path_factory):
    """A 120-draft DSK dataset (30 held-out drafts), a PickNet and an MLP trained on it by train-baseline."""
    src = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not src.is_file():
        pytest.skip(f"{src} missing")
    root = tmp_path_factory.mktemp("picknet")
    build_dataset(DatasetConfig(picks=src, out=root / "ds", max_drafts=120, val_frac=0.25, seed=0, catalog="none"))
    net, mlp = root / "dsk-picknet.pt", root / "dsk-mlp.pt"
    assert cli_main(["train-baseline", "--dataset", str(root / "ds"), "--out", str(net), *TINY, "--epochs", "6",
                     "--json"]) == 0
    assert cli_main(["train-baseline", "--arch", "mlp", "--dataset", str(root / "ds"), "--out", str(mlp), *TINY,
                     "--epochs", "3", "--json"]) == 0
    return root / "ds", net, mlp


def _val_contexts(ds: Path):
    hist: dict[str, list] = {}
    out = []
    for r in iter_pick_rows(ds / "val.picks.jsonl"):
        past = hist.setdefault(r.draft_id, [])
        out.append((r, context_from_row(r, None, past)))
        past.append(r)
    return out


def test_short_run_learns_far_above_random_on_heldout_drafts(tiny):
    _, net, _ = tiny
    m = read_sidecar(net)["metrics"]
    assert m["val_drafts"] >= 20 and m["val_decisions"] == m["val_drafts"] * 42
    assert m["val_top1"] > m["val_random_top1"] + 0.15, m
    assert m["val_top3"] > m["val_random_top3"] + 0.15, m


def test_model_file_saves_and_loads(tiny):
    ds, net, _ = tiny
    lm = load_any(net)
    assert isinstance(lm, LoadedPickNet) and lm.info["kind"] == MODEL_KIND
    assert lm.info["config"]["dim"] == 32 and lm.info["dataset"]["set_codes"] == ["DSK"]
    assert lm.vocab.names[:2] == ["<unk>", "<pad>"] and lm.net.ftable.shape[0] == len(lm.vocab)
    cov = lm.info["card_data"]
    assert cov["with_card_data"] == cov["cards"] and cov["with_rating"] > 0.9 * cov["cards"]  # DSK ratings found
    side = json.loads(Path(str(net) + ".json").read_text())
    assert side["weights"] == net.name and side["metrics"] == lm.info["metrics"] and "members" not in side


def test_engine_ranks_packs_like_the_training_evaluation(tiny):
    ds, net, _ = tiny
    engine = PickNetEngine.from_options({"model": str(net)})
    assert engine.available("DSK") == (True, "") and engine.available("OTJ")[0] is False
    pairs = _val_contexts(ds)
    recs = engine.rank_many([c for _, c in pairs])
    assert all(rec.ok and len(rec.ranked) == len(ctx.pack) for rec, (_, ctx) in zip(recs, pairs))
    hits = sum(rec.best.name == row.pick for rec, (row, _) in zip(recs, pairs))
    assert hits / len(pairs) == pytest.approx(read_sidecar(net)["metrics"]["val_top1"], abs=1e-6)
    for rec, (_, ctx) in list(zip(recs, pairs))[:10]:
        single = engine.rank(ctx)
        assert [s.card.name for s in single.ranked] == [s.card.name for s in rec.ranked]
        assert sum({s.card.name: s.probability for s in single.ranked}.values()) == pytest.approx(1.0, abs=1e-5)


def test_unknown_cards_are_scored_from_their_features(tiny):
    _, net, _ = tiny
    engine = PickNetEngine(net)
    rare = Card("Brand New Dragon", set_code="DSK", rarity="mythic", color_identity=("R",), mana_value=5,
                type_line="Creature — Dragon")
    land = Card("Brand New Land", set_code="DSK", rarity="common", type_line="Land")
    pack = (rare, land, Card("Fear of Surveillance"), Card("Fear of Surveillance"))
    rec = engine.rank(PickContext(pack=pack, pool=(), pack_number=1, pick_number=1, set_code="DSK"))
    assert rec.ok and "2 card(s) unknown to the model, scored from their card features" in rec.note
    score = {s.card.name: s.score for s in rec.ranked}
    assert score["Brand New Dragon"] != score["Brand New Land"]  # not one shared <unk> score
    dup = [s.score for s in rec.ranked if s.card.name == "Fear of Surveillance"]
    assert len(dup) == 2 and dup[0] == dup[1]


def test_train_baseline_and_engine_names_stay_compatible(tiny, capsys):
    from copilot.picking.mlp_model import MODEL_KIND as MLP_KIND
    from copilot.picking.registry import create_engine

    ds, net, mlp = tiny
    assert read_sidecar(mlp)["kind"] == MLP_KIND  # --arch mlp still writes the older kind
    ctx = _val_contexts(ds)[3][1]
    for name in ("mlp", "picknet"):
        for path in (net, mlp):  # both engine names read both kinds of file
            rec = create_engine(name, {"model": str(path)}).rank(ctx)
            assert rec.ok and rec.engine == name and rec.model == path.name
    capsys.readouterr()
    assert cli_main(["eval", "--picks", str(ds / "val.picks.jsonl"), "--engine", "mlp", "--model", str(net),
                     "--limit", "84", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n"] == 84 and doc["valid"] == 1.0 and doc["top1"] > 0.4


@pytest.mark.slow
def test_json_progress_and_registration_make_it_usable_at_once(tiny, tmp_path, monkeypatch, capsys):
    from copilot.store.model_store import ModelStore, StoreError

    ds, _, _ = tiny
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    engine = PickNetEngine()  # no model file: the store's newest pick model for the pick's set
    ok, why = engine.available("DSK")
    assert not ok and "no pick model for DSK" in why
    capsys.readouterr()
    assert cli_main(["train-baseline", "--dataset", str(ds), "--out", str(tmp_path / "q.pt"), "--epochs", "1",
                     "--dim", "16", "--hidden", "32", "--register", "dsk-quick", "--json-progress"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "result" and "metrics" in kinds and "progress" in kinds
    assert set(kinds) <= {"started", "progress", "metrics", "result"}  # copilot/progress.py event kinds
    fractions = [e["fraction"] for e in events if "fraction" in e]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert events[-1]["registered"] == "dsk-quick" and events[-1]["val_top1"] > 0.3
    entry = ModelStore().get("dsk-quick")
    assert entry.manifest["kind"] == "pick-model" and entry.manifest["set_codes"] == ["DSK"] and not entry.problem
    with pytest.raises(StoreError, match="pick model"):
        ModelStore().activate("dsk-quick")  # the active pointer stays the GGUF engine's
    assert engine.available("DSK") == (True, "")
    rec = engine.rank(_val_contexts(ds)[0][1])
    assert rec.ok and rec.engine == "picknet" and rec.model == "model.pt"
    assert engine.available("OTJ")[0] is False


def test_order_picknet_lists_the_stored_pick_models_ranking_first(tiny, shared_data, tmp_path, monkeypatch):
    """Prompt format conversation order=picknet: each pack of the conversation in the ranking of the store's pick
    model for the set, so "A)" is its pick at every turn; the ratings engine's order (order=pick) while the store
    has none; and a dataset built in it names the model that ordered its packs."""
    from copilot.picking.prompts import get_format
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import register_pick_model

    ds, net, _ = tiny
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    rows = _val_contexts(ds)
    draft = [ctx for r, ctx in rows if r.draft_id == rows[0][0].draft_id]
    assert len(draft) == 42
    fmt = get_format("conversation:knowledge=name,order=picknet,answer=label")
    assert fmt.name == "conversation:answer=label,knowledge=name,order=picknet"
    by_ratings = get_format("conversation:knowledge=name,order=pick,answer=label")
    assert fmt.order_source("DSK") == "ratings engine"  # no pick model yet, and an engine's note says so
    assert "ratings engine's order: no pick model for DSK" in fmt.order_note("DSK")
    for ctx in draft[::7]:
        assert fmt.messages(ctx) == by_ratings.messages(ctx)

    register_pick_model(ModelStore(), net, "dsk-tiny")
    engine = PickNetEngine(net)
    assert fmt.order_source("DSK").startswith("picknet ") and "dsk-tiny" in fmt.order_source("DSK")
    assert fmt.order_note("DSK") is None
    differ = 0
    for ctx in draft:
        ranked = list(dict.fromkeys(s.card.name for s in engine.rank(ctx).ranked))
        body = fmt.messages(ctx)[-1]["content"].splitlines()[1:]
        assert list(dict.fromkeys(ln[3:] for ln in body)) == ranked
        assert next(a for a, c in fmt.answers(ctx).items() if c.name == ranked[0]).startswith("A) ")
        differ += body != by_ratings.messages(ctx)[-1]["content"].splitlines()[1:]
    assert differ > len(draft) // 2  # not the ratings engine's order
    answers = [m["content"] for m in fmt.messages(draft[-1]) if m["role"] == "assistant"]
    for k, ctx in enumerate(draft[:-1]):  # earlier picks are lettered in their own decision's order
        taken = Counter(c.name for c in draft[k + 1].pool) - Counter(c.name for c in ctx.pool)
        assert answers[k] == fmt.answer(next(c for c in ctx.pack if c.name in taken), ctx)


def test_a_new_set_is_ordered_by_another_sets_day_one_pick_model(tiny, shared_data, tmp_path, monkeypatch):
    """order=picknet on a set with neither a pick model nor 17lands ratings (SOS, its ratings withheld as `copilot
    eval --hide-ratings SOS` does): the packs are listed in the ranking of a stored pick model of another set that
    learned to rank without ratings (rating dropout), from card data; with no such model, as they come. The notes
    say which."""
    import gzip
    from itertools import islice

    from copilot.cards.catalog import default_catalog
    from copilot.picking import ratings as ratings_module
    from copilot.picking.prompts import get_format
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import register_pick_model

    _, net, _ = tiny
    assert read_sidecar(net)["config"]["rating_dropout"] > 0
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ratings_module, "_WITHHELD", set())
    src = tmp_path / "sos-draft.jsonl"
    with gzip.open(shared_data / "picks" / "SOS" / "sos_picks.dev.jsonl.gz", "rt") as fh:
        src.write_text("".join(islice(fh, 42)))
    catalog, rows = default_catalog(), list(iter_pick_rows(src))
    draft = [context_from_row(row, catalog, rows[:i]) for i, row in enumerate(rows)]
    assert draft[0].set_code == "SOS"  # (its packs also carry bonus-sheet cards printed in other sets)
    spec = "conversation:knowledge=name,order=picknet,answer=label"
    assert get_format(spec).order_source("SOS") == "ratings engine"  # SOS has ratings in the shared data

    ratings_module.withhold_ratings(["sos"])
    assert ratings_module.find_ratings("SOS") is None and ratings_module.find_ratings("DSK") is not None
    fmt = get_format(spec)
    assert fmt.order_source("SOS") is None and "listed as they come" in fmt.order_note("SOS")
    body = fmt.messages(draft[3])[-1]["content"].splitlines()[1:]
    assert [ln[3:] for ln in body] == [c.name for c in draft[3].pack]

    register_pick_model(ModelStore(), net, "dsk-tiny")  # a DSK model: it has never seen an SOS card
    assert "dsk-tiny" in fmt.order_source("SOS")
    assert "in dsk-tiny's order, from card data: SOS has neither a pick model nor 17lands ratings" in \
        fmt.order_note("SOS")
    assert fmt.order_note("DSK") is None  # a set with its own model
    engine, differ = PickNetEngine(net), 0
    for ctx in draft[::4]:
        ranked = list(dict.fromkeys(s.card.name for s in engine.rank(ctx).ranked))
        body = fmt.messages(ctx)[-1]["content"].splitlines()[1:]
        assert list(dict.fromkeys(ln[3:] for ln in body)) == ranked
        differ += [ln[3:] for ln in body] != [c.name for c in ctx.pack]
    assert differ >= len(draft[::4]) // 2


def test_a_dataset_is_ordered_by_a_pick_model_that_never_saw_its_validation_drafts(tiny, shared_data, tmp_path,
                                                                                 monkeypatch):
    """Building an order=picknet dataset uses a stored pick model trained on the same file with the same split (the
    same validation drafts); without one it trains one on the dataset's training drafts and registers it."""
    from copilot.picking.pick_model_files import read_sidecar as sidecar_of
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import pick_model_path, pick_models, register_pick_model

    _, net, _ = tiny  # 120 DSK dev drafts, val_frac 0.25, seed 0
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    register_pick_model(ModelStore(), net, "dsk-tiny")
    src = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    spec = "conversation:knowledge=name,order=picknet,answer=label"
    logs: list[str] = []

    def build(out: str, **kw) -> dict:
        build_dataset(DatasetConfig(picks=src, out=tmp_path / out, max_drafts=8, catalog="none", segment="pack",
                                    prompt_format=spec, **kw), log=logs.append)
        return json.loads((tmp_path / out / "manifest.json").read_text())

    same = build("same-split", val_frac=0.25)
    assert "/dsk-tiny/" in same["pack_order"]["DSK"] and len(pick_models(ModelStore())) == 1
    other = build("other-split", val_frac=0.1)  # another split: dsk-tiny may have trained on its validation drafts
    made = pick_models(ModelStore())[0]
    assert made.name.startswith("other-split-order-") and len(pick_models(ModelStore())) == 2
    assert f"/{made.name}/" in other["pack_order"]["DSK"] and any("registered" in m for m in logs)
    assert sidecar_of(pick_model_path(made))["dataset"]["split"] == other["split"]
    assert not list(tmp_path.glob(".*order-model*"))  # the picks-only pass is cleaned up
    again = build("other-split-2", val_frac=0.1)  # the same file and split again: the model is reused
    assert again["pack_order"] == other["pack_order"] and len(pick_models(ModelStore())) == 2


def test_training_is_deterministic_for_a_seed(tiny):
    from copilot.picking.mlp_model import Vocab
    from copilot.picking.picknet_model import PickNetConfig, encode
    from copilot.training.mlp_train import decisions_from_dataset
    from copilot.training.picknet_train import fit

    ds, _, _ = tiny
    dec = decisions_from_dataset(ds, "train")[:600]
    vocab = Vocab.from_names(n for c, p, *_ in dec for n in list(c) + list(p))
    table = torch.zeros((len(vocab), 29))
    cfg = PickNetConfig(dim=8, hidden=16, pool_hidden=16, epochs=1, batch_size=128, seed=5)
    a, b = (fit(encode(dec, vocab), None, len(vocab), table, cfg).net.members[0].state_dict() for _ in range(2))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_bad_inputs_have_clear_messages(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable pick model"):
        load_any(junk)
    torch.save({"kind": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a pick model from `copilot train-baseline`"):
        load_any(tmp_path / "other.pt")
    rec = PickNetEngine(tmp_path / "missing.pt").rank_many(
        [PickContext(pack=(Card("X"),), pool=(), pack_number=1, pick_number=1)])[0]
    assert rec.error and "not found" in rec.error
    assert cli_main(["train-baseline", "--dataset", str(tmp_path), "--out", str(tmp_path / "m.pt")]) == 2
    assert cli_main(["train-baseline", "--dataset", str(tmp_path), "--out", str(tmp_path / "m.pt"),
                     "--ensemble", "0"]) == 2


def test_bots_draft_in_colours_and_their_draws_repeat_for_a_seed(tiny, shared_data):
    """Simulator seats: PickNet bots drawing their picks (temperature=0.5) keep to colours far more than random
    bots, draw differently from the greedy ranking, and repeat exactly for the same seed."""
    from copilot.picking.personality import PersonalityEngine, parse_seat
    from copilot.picking.random_engine import RandomEngine
    from copilot.sim.boosters import SetCards, make_generator
    from copilot.sim.simstats import card_pool_stats
    from copilot.sim.table import DraftTable

    _, net, _ = tiny
    gen = make_generator("DSK", SetCards.from_file(shared_data / "cards" / "17lands_cards.csv.gz"), shared_data)
    engine = PickNetEngine(net)
    human_like = PersonalityEngine.from_options(engine, parse_seat("picknet:temperature=0.5").personality)
    assert human_like.label == "picknet[temperature=0.5]"

    def top2(seat, seed):
        result = DraftTable.deal(gen, [seat] * 8, seed, set_code="DSK").run()
        return [card_pool_stats(s.pool).top2_share for s in result.seats], result

    bots, greedy, rand = [], [], []
    for seed in range(2):
        shares, result = top2(human_like, seed)
        bots += shares
        again = DraftTable.deal(gen, [human_like] * 8, seed, set_code="DSK").run()
        assert again.to_dict() == result.to_dict()  # seeded draws
        greedy_result = DraftTable.deal(gen, [engine] * 8, seed, set_code="DSK").run()
        greedy.append(greedy_result.to_dict() != result.to_dict())
        rand += top2(RandomEngine(seed=seed), seed)[0]
    assert all(greedy)  # the draws are not the greedy ranking
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert mean(bots) > mean(rand) + 0.1, (mean(bots), mean(rand))


def test_temperature_draws_follow_the_engine_probabilities(tiny):
    """A seat with temperature=T takes each card as often as p ** (1/T) (normalised over the pack) says."""
    from dataclasses import replace

    from copilot.picking.personality import PersonalityEngine

    ds, net, _ = tiny
    engine = PickNetEngine(net)
    ctx = next(c for _, c in _val_contexts(ds) if c.pick_number == 2)
    probs = {s.card.name: s.probability for s in engine.rank(ctx).ranked}
    for temperature in (1.0, 0.5):
        weights = {n: p ** (1 / temperature) for n, p in probs.items()}
        total = sum(weights.values())
        firsts: dict[str, int] = {}
        n = 600
        for seed in range(n):
            seat = PersonalityEngine(engine, temperature=temperature, seed=seed)
            best = seat.rank(replace(ctx, draft_key="d")).best.name
            firsts[best] = firsts.get(best, 0) + 1
        for name, w in weights.items():
            assert abs(firsts.get(name, 0) / n - w / total) < 0.06, (temperature, name, firsts, w / total)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        PersonalityEngine(engine, temperature=0)


def test_rating_dropout_trains_some_batches_as_a_set_without_ratings(tiny, tmp_path):
    from copilot.picking.card_features import FEATURE_NAMES, N_CARD_FEATURES
    from copilot.training.picknet_train import without_ratings

    table = torch.randn(6, N_CARD_FEATURES)
    unrated = without_ratings(table)
    rating = [FEATURE_NAMES.index("gih_z"), FEATURE_NAMES.index("has_gih")]
    others = [i for i in range(N_CARD_FEATURES) if i not in rating]
    assert (unrated[:, rating] == 0).all() and torch.equal(unrated[:, others], table[:, others])
    assert (table[:, rating] != 0).any()  # a copy: the model's own table keeps its ratings
    ds, _, _ = tiny
    out = tmp_path / "rd.pt"
    assert cli_main(["train-baseline", "--dataset", str(ds), "--out", str(out), "--epochs", "1", "--dim", "16",
                     "--hidden", "32", "--rating-dropout", "0.5", "--json"]) == 0
    assert read_sidecar(out)["config"]["rating_dropout"] == 0.5
