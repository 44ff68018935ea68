"""The learned MLP baseline on real DSK picks: it must beat random on held-out drafts, and its engine must agree
with the training-time evaluation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from copilot.cards.model import Card  # noqa: E402
from copilot.cli import main as cli_main  # noqa: E402
from copilot.datasets.picks import context_from_row, iter_pick_rows  # noqa: E402
from copilot.picking.engine import PickContext  # noqa: E402
from copilot.training.dataset import DatasetConfig, build_dataset  # noqa: E402
from copilot.fileio import sha256_file  # noqa: E402
from copilot.picking.mlp_model import MODEL_KIND, load, read_sidecar  # noqa: E402
from copilot.picking.mlp_engine import MLPEngine  # noqa: E402

JSONL_NAME = "dsk_picks.dev.jsonl.gz"


@pytest.fixture(scope="module")
def trained(shared_data, tmp_path_factory):
    src = shared_data / "picks" / "DSK" / JSONL_NAME
    if not src.is_file():
        pytest.skip(f"{src} missing")
    root = tmp_path_factory.mktemp("mlp")
    build_dataset(DatasetConfig(picks=src, out=root / "ds", max_drafts=200, val_frac=0.25, seed=0, catalog="none"))
    out = root / "dsk-mlp.pt"
    rc = cli_main(["train-baseline", "--arch", "mlp", "--dataset", str(root / "ds"), "--out", str(out),
                   "--epochs", "3",
                   "--emb-dim", "32", "--hidden", "64", "--threads", "1", "--json"])
    assert rc == 0
    return root / "ds", out


def test_learns_beyond_random_on_heldout_drafts(trained):
    ds, out = trained
    m = read_sidecar(out)["metrics"]
    assert m["val_drafts"] >= 30 and m["val_decisions"] == m["val_drafts"] * 42
    assert m["val_top1"] > m["val_random_top1"] + 0.12, m
    assert m["val_top3"] > m["val_random_top3"] + 0.12, m


def test_model_file_describes_itself(trained):
    ds, out = trained
    lm = load(out)
    info = lm.info
    assert info["kind"] == MODEL_KIND and info["dataset"]["manifest_sha256"] == sha256_file(ds / "manifest.json")
    assert info["dataset"]["set_codes"] == ["DSK"] and info["config"]["emb_dim"] == 32
    assert lm.vocab.names[:2] == ["<unk>", "<pad>"] and len(lm.vocab) > 200
    side = json.loads(Path(str(out) + ".json").read_text())
    assert side["weights"] == out.name and side["metrics"] == info["metrics"] and "state_dict" not in side


def _val_contexts(ds: Path):
    rows = list(iter_pick_rows(ds / "val.picks.jsonl"))
    hist: dict[str, list] = {}
    out = []
    for r in rows:
        past = hist.setdefault(r.draft_id, [])
        out.append((r, context_from_row(r, None, past)))
        past.append(r)
    return out


def test_engine_matches_training_eval_and_batches(trained):
    ds, out = trained
    engine = MLPEngine.from_options({"model": str(out)})
    assert engine.available() == (True, "") and engine.available("DSK") == (True, "")
    assert engine.available("OTJ")[0] is False
    pairs = _val_contexts(ds)
    recs = engine.rank_many([c for _, c in pairs])
    hits = sum(rec.best.name == row.pick for rec, (row, _) in zip(recs, pairs))
    assert all(rec.ok and len(rec.ranked) == len(ctx.pack) for rec, (_, ctx) in zip(recs, pairs))
    assert hits / len(pairs) == pytest.approx(read_sidecar(out)["metrics"]["val_top1"], abs=1e-6)
    for rec, (_, ctx) in list(zip(recs, pairs))[:20]:
        single = engine.rank(ctx)
        assert [s.card.name for s in single.ranked] == [s.card.name for s in rec.ranked]
        assert [s.score for s in single.ranked] == pytest.approx([s.score for s in rec.ranked], abs=1e-5)
        assert sum({s.card.name: s.probability for s in rec.ranked}.values()) == pytest.approx(1.0, abs=1e-5)


def test_unknown_cards_and_registry(trained):
    from copilot.picking.registry import create_engine

    ds, out = trained
    engine = create_engine("mlp", {"model": str(out)})
    pack = (Card("Brand New Card"), Card("Fear of Surveillance"), Card("Fear of Surveillance"), Card("Plains"))
    ctx = PickContext(pack=pack, pool=(Card("Another Unknown"), Card("Miasma Demon")), pack_number=1,
                      pick_number=3, set_code="DSK")
    rec = engine.rank(ctx)
    assert rec.ok and sorted(s.card.name for s in rec.ranked) == sorted(c.name for c in pack)
    assert "Brand New Card" in rec.note and "unknown" in rec.note
    dup = [s.score for s in rec.ranked if s.card.name == "Fear of Surveillance"]
    assert len(dup) == 2 and dup[0] == dup[1]
    vocab = engine.load().vocab
    assert vocab.id("Defiled Crypt") == vocab.id("Defiled Crypt // Cadaver Lab") != 0  # front face, as catalogs name it
    assert vocab.id("defiled crypt // cadaver lab") == vocab.id("Defiled Crypt // Cadaver Lab")
    assert vocab.id("Brand New Card") == 0


def test_training_is_deterministic_for_a_seed(trained, tmp_path):
    from copilot.picking.mlp_model import MLPConfig
    from copilot.training.mlp_train import train

    ds, _ = trained
    cfg = MLPConfig(emb_dim=8, hidden=16, epochs=1, batch_size=512, seed=3)
    a = train(ds, tmp_path / "a.pt", cfg)
    b = train(ds, tmp_path / "b.pt", cfg)
    sa, sb = torch.load(tmp_path / "a.pt", weights_only=True), torch.load(tmp_path / "b.pt", weights_only=True)
    assert all(torch.equal(sa["state_dict"][k], sb["state_dict"][k]) for k in sa["state_dict"])
    assert a.metrics["val_top1"] == b.metrics["val_top1"]


def test_bad_model_files(tmp_path):
    engine = MLPEngine.from_options({"model": str(tmp_path / "missing.pt")})
    ok, why = engine.available()
    assert not ok and "not found" in why
    assert engine.rank_many([PickContext(pack=(Card("X"),), pool=(), pack_number=1, pick_number=1)])[0].error
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable MLP pick model"):
        load(junk)
    with pytest.raises(ValueError, match="needs a model file"):
        MLPEngine.from_options({})
    assert cli_main(["train-baseline", "--dataset", str(tmp_path), "--out", str(tmp_path / "m.pt")]) == 2
