"""What the MLP and PickNet trainers share (copilot.training.pick_training), on small real inputs."""
from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from copilot.picking.mlp_model import PAD, UNK, Vocab, encode  # noqa: E402
from copilot.training import mlp_train, picknet_train  # noqa: E402
from copilot.training.pick_training import (drop_cards, random_baseline, read_decisions, shuffled_batches,  # noqa: E402
                                            topk_accuracy, val_row)


def test_topk_accuracy_counts_ties_in_pack_order_and_skips_unknown_targets():
    inf = float("-inf")
    logits = torch.tensor([[3.0, 1.0, 2.0, inf], [1.0, 1.0, 0.0, 0.5], [0.0, 5.0, 4.0, 3.0], [9.0, 0.0, inf, inf]])
    target = torch.tensor([2, 1, 3, -1])
    # row 0: target 2nd; row 1: a tie with slot 0, which comes first (stable), so 2nd; row 2: target 3rd
    assert topk_accuracy(logits, target) == {"n": 3, "top1": 0.0, "top3": 1.0}
    assert topk_accuracy(logits, torch.tensor([0, 0, 1, -1]), ks=(1, 2)) == {"n": 3, "top1": 1.0, "top2": 1.0}
    assert val_row(logits, torch.tensor([0, 1, 1, 0])) == {"val_n": 4, "val_top1": 0.75, "val_top3": 1.0}
    assert topk_accuracy(logits, torch.full((4,), -1)) == {"n": 0, "top1": 0.0, "top3": 0.0}
    # the old import paths still give the shared functions
    assert mlp_train.topk_accuracy is topk_accuracy and picknet_train.topk_accuracy is topk_accuracy
    assert mlp_train.TrainResult is picknet_train.TrainResult


def test_random_baseline_over_distinct_candidates():
    names = ["A", "B", "C", "D"]
    enc = encode([(names, [], 1, 1, "A"), (["A", "A", "B"], [], 1, 14, "B"), (["C"], [], 1, 15, "Z")],
                 Vocab.from_names(names))
    # 1/4 and 1/2 (the duplicate A counts once); the third decision's pick is not in its pack: skipped
    assert random_baseline(enc) == {"top1": (1 / 4 + 1 / 2) / 2, "top3": (3 / 4 + 1) / 2}


def test_card_dropout_never_touches_padding_and_follows_the_generator():
    ids = torch.tensor([[5, 6, 7, PAD, PAD]] * 400)
    a = drop_cards(ids, 0.3, torch.Generator().manual_seed(1))
    b = drop_cards(ids, 0.3, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and torch.equal(a[:, 3:], ids[:, 3:])
    dropped = (a[:, :3] == UNK).float().mean().item()
    assert 0.25 < dropped < 0.35 and torch.equal(a[a != UNK], ids[a != UNK])
    assert torch.equal(drop_cards(ids, 0.0, torch.Generator()), ids)


def test_an_epoch_visits_every_decision_once_in_a_seeded_order():
    batches = list(shuffled_batches(10, 4, torch.Generator().manual_seed(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    again = torch.cat(list(shuffled_batches(10, 4, torch.Generator().manual_seed(0))))
    assert torch.equal(torch.cat(batches), again) and torch.cat(batches).tolist() != list(range(10))


def test_read_decisions_names_the_model_that_needs_the_meta(tmp_path, shared_data):
    from copilot.training.dataset import DatasetConfig, build_dataset

    src = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not src.is_file():
        pytest.skip(f"{src} missing")
    ds = tmp_path / "ds"
    build_dataset(DatasetConfig(picks=src, out=ds, max_drafts=4, val_frac=0.25, seed=0, catalog="none"))
    decisions, drafts = read_decisions(ds, "train", "PickNet")
    assert len(decisions) == len(drafts) and len(decisions) % 42 == 0 and len(set(drafts)) == len(decisions) // 42
    cands, pool, pack, pick, picked = decisions[1]
    assert picked in cands and (pack, pick) == (1, 2) and len(pool) == 1
    assert mlp_train.decisions_from_dataset(ds, "train") == decisions
    lines = (ds / "train.jsonl").read_text().splitlines()
    ex = json.loads(lines[0])
    del ex["meta"]["picked"]
    (ds / "train.jsonl").write_text("\n".join([json.dumps(ex)] + lines[1:]) + "\n")
    with pytest.raises(ValueError, match=r"example without the meta PickNet needs .*copilot dataset build"):
        picknet_train.read_split(ds, "train")
    with pytest.raises(ValueError, match="example without the meta the baseline needs"):
        mlp_train.decisions_from_dataset(ds, "train")
