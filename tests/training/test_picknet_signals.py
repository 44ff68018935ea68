"""PickNet with draft signals and the drafter's style (options `signals`, `style`, measured in bench/picknet_sweep.py):
the engine rebuilds them from a PickContext's history exactly as training built them from the dataset, so its
answers on held-out drafts are the training run's validation figures, and the history changes them."""
from __future__ import annotations

import dataclasses

import pytest

torch = pytest.importorskip("torch")

from copilot.datasets.picks import context_from_row, iter_pick_rows  # noqa: E402
from copilot.picking.mlp_model import read_sidecar  # noqa: E402
from copilot.picking.picknet_engine import PickNetEngine, load_any  # noqa: E402
from copilot.picking.picknet_model import PickNetConfig  # noqa: E402
from copilot.training.dataset import DatasetConfig, build_dataset  # noqa: E402
from copilot.training.picknet_train import train  # noqa: E402


@pytest.fixture(scope="module")
def signals_model(shared_data, tmp_path_factory):
    src = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not src.is_file():
        pytest.skip(f"{src} missing")
    root = tmp_path_factory.mktemp("picknet-signals")
    build_dataset(DatasetConfig(picks=src, out=root / "ds", max_drafts=40, val_frac=0.25, seed=0, catalog="none"))
    cfg = PickNetConfig(dim=16, hidden=32, pool_hidden=32, epochs=2, signals=True, style=True, ema=0.99, seed=3)
    res = train(root / "ds", root / "sig.pt", cfg)
    return root / "ds", res.path


def test_engine_rebuilds_signals_from_history_like_training(signals_model):
    ds, path = signals_model
    lm = load_any(path)
    assert lm.net.cfg.signals and lm.net.cfg.style and lm.info["config"]["ema"] == 0.99
    hist: dict[str, list] = {}
    pairs = []
    for r in iter_pick_rows(ds / "val.picks.jsonl"):
        past = hist.setdefault(r.draft_id, [])
        pairs.append((r, context_from_row(r, None, past)))
        past.append(r)
    engine = PickNetEngine(path)
    recs = engine.rank_many([c for _, c in pairs])
    hits = sum(rec.best.name == row.pick for rec, (row, _) in zip(recs, pairs))
    assert hits / len(pairs) == pytest.approx(read_sidecar(path)["metrics"]["val_top1"], abs=1e-6)
    # a late pick without its history (a log that began mid-draft) gets other probabilities, still a full ranking
    row, ctx = next((r, c) for r, c in pairs if r.pick_number >= 10 and len(c.pack) >= 3)
    bare = engine.rank(dataclasses.replace(ctx, history=()))
    full = engine.rank(ctx)
    assert bare.ok and len(bare.ranked) == len(ctx.pack)
    p_bare = {s.card.name: s.probability for s in bare.ranked}
    p_full = {s.card.name: s.probability for s in full.ranked}
    assert max(abs(p_bare[n] - p_full[n]) for n in p_full) > 1e-4
