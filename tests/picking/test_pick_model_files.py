"""The pick model files (copilot.picking.pick_model_files), shared by the MLP and PickNet: what is written, what a
reader is told about a missing, damaged or newer file, and that a failed save leaves nothing behind."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from copilot.picking import mlp_model, picknet_model  # noqa: E402
from copilot.picking.mlp_model import MLPConfig, Vocab  # noqa: E402
from copilot.picking.pick_model_files import (config_from, kind_of, read_pick_model, read_sidecar,  # noqa: E402
                                              save_pick_model)
from copilot.picking.picknet_engine import load_any  # noqa: E402
from copilot.picking.picknet_model import PickNet, PickNetConfig  # noqa: E402

NAMES = ["Split Up", "Fear of Isolation", "Glimmerburst", "Unholy Annex // Ritual Chamber"]
DECISIONS = [(NAMES, ["Glimmerburst"], 1, 2, None), (NAMES[1:], [], 2, 1, None)]


def _info(kind: str, cfg) -> dict:
    from dataclasses import asdict

    return {"kind": kind, "version": 1, "config": asdict(cfg), "metrics": {"val_top1": 0.5}}


def test_mlp_file_round_trip_scores_identically(tmp_path):
    cfg = MLPConfig(emb_dim=8, hidden=8)
    vocab = Vocab.from_names(NAMES)
    torch.manual_seed(3)
    model = mlp_model.build_model(len(vocab), cfg)
    path = tmp_path / "sub" / "m.pt"
    mlp_model.save(path, model, vocab, _info(mlp_model.MODEL_KIND, cfg))
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.pt", "m.pt.json"]  # no temporary file left
    blob = read_pick_model(path)
    assert list(blob) == ["kind", "version", "config", "metrics", "vocab", "state_dict"]
    side = read_sidecar(path)
    assert side["weights"] == "m.pt" and side["vocab"] == vocab.names and "state_dict" not in side
    assert mlp_model.read_sidecar(path) == side == json.loads((tmp_path / "sub" / "m.pt.json").read_text())
    enc = mlp_model.encode(DECISIONS, vocab)
    for loaded in (mlp_model.load(path), load_any(path)):
        assert loaded.info == {k: v for k, v in blob.items() if k not in ("vocab", "state_dict")}
        assert torch.equal(mlp_model.predict(loaded.model, enc), mlp_model.predict(model, enc))


def test_picknet_file_round_trip_scores_identically(tmp_path):
    cfg = PickNetConfig(dim=8, hidden=8, pool_hidden=8, ensemble=2)
    vocab = Vocab.from_names(NAMES)
    torch.manual_seed(4)
    from copilot.picking.card_features import N_CARD_FEATURES

    net = PickNet([picknet_model.build_member(len(vocab), cfg).eval() for _ in range(2)],
                  torch.rand((len(vocab), N_CARD_FEATURES)), cfg)
    path = tmp_path / "p.pt"
    picknet_model.save(path, net, vocab, _info(picknet_model.MODEL_KIND, cfg))
    assert list(read_pick_model(path))[-3:] == ["vocab", "feature_table", "members"]
    loaded = load_any(path)
    assert isinstance(loaded, picknet_model.LoadedPickNet) and len(loaded.net.members) == 2
    assert "members" not in loaded.info and "feature_table" not in loaded.info and loaded.info["metrics"]
    batch = picknet_model.encode(DECISIONS, vocab)
    assert torch.equal(loaded.net.logprobs(batch), net.logprobs(batch))


def test_missing_and_damaged_files_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^MLP model file not found: .*train-baseline"):
        mlp_model.load(tmp_path / "none.pt")
    with pytest.raises(FileNotFoundError, match=r"^model file not found: .*train-baseline"):
        load_any(tmp_path / "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x80\x02 half a pickle")
    with pytest.raises(ValueError, match="is not a readable MLP pick model"):
        mlp_model.load(junk)
    torch.save({"kind": picknet_model.MODEL_KIND}, tmp_path / "wrong.pt")
    with pytest.raises(ValueError, match=r"is not an MLP pick model \(kind=magic-copilot.picknet"):
        mlp_model.load(tmp_path / "wrong.pt")
    assert kind_of(read_pick_model(tmp_path / "wrong.pt")) == picknet_model.MODEL_KIND and kind_of([1]) is None


def test_a_newer_file_version_is_refused(tmp_path):
    blob = {"version": 2, "config": {"emb_dim": 8, "from_a_later_build": True}}
    with pytest.raises(ValueError, match=r"m.pt: PickNet file version 2 is not supported .*reads version 1"):
        config_from(blob, tmp_path / "m.pt", 1, PickNetConfig, "PickNet file")
    cfg = config_from(dict(blob, version=1), tmp_path / "m.pt", 1, MLPConfig)  # unknown fields are ignored
    assert cfg.emb_dim == 8 and cfg.hidden == MLPConfig().hidden


def test_a_failed_save_leaves_the_old_files_alone(tmp_path):
    path = tmp_path / "m.pt"
    save_pick_model(path, {"kind": "k", "version": 1}, ["<unk>", "<pad>"], {"state_dict": {"w": torch.ones(2)}})
    before = path.read_bytes(), read_sidecar(path)
    with pytest.raises(Exception):
        save_pick_model(path, {"kind": "k", "version": 2}, ["<unk>"], {"state_dict": {"w": lambda: 0}})
    assert (path.read_bytes(), read_sidecar(path)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt", "m.pt.json"]
