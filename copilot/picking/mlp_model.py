"""A learned non-LLM pick baseline: card embeddings + a small MLP, trained on CPU in minutes.

score(card | pool, pick) = bias[card] + MLP([e(card), p, e(card) * p, pick features])
    e(card): candidate embedding; p: mean of the pool embeddings (a separate table: "what goes with my cards");
    pick features: pack one-hot (3), pick / 15, pool size / 45.
Trained with softmax cross-entropy over the pack's distinct candidate names (the human's pick is the target), on the
`meta` of a dataset folder built by `copilot dataset build` (candidates, pool, picked, pack, pick).

Unknown cards: vocabulary index 0 is `<unk>`; during training a small share of card ids (`card_dropout`) is replaced by
it, so an unseen card gets a learned "average card" score instead of noise.

The saved file (torch.save of plain tensors and Python types; loads with weights_only=True) holds the weights, the
card vocabulary, the config, the dataset manifest's sha256 and summary, and the validation figures; a JSON sidecar
(`<file>.json`) repeats everything but the weights for people and tools without torch (copilot.picking.pick_model_files
writes and reads both, for PickNet too).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from copilot.cards.model import front_face, name_key
from copilot.picking import pick_model_files
from copilot.picking.pick_model_files import config_from, info_of, kind_of, read_pick_model, save_pick_model

MODEL_KIND = "magic-copilot.mlp-pick-model"
MODEL_VERSION = 1
UNK, PAD = 0, 1
SPECIALS = ("<unk>", "<pad>")
MAX_PACK = 16
MAX_POOL = 48
N_FEATURES = 5


@dataclass
class MLPConfig:
    emb_dim: int = 48
    hidden: int = 128
    epochs: int = 6
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-5
    card_dropout: float = 0.02
    seed: int = 0
    threads: int = 1  # this model is small: one thread is fastest (2 threads cost ~10x the CPU, measured)


@dataclass
class Encoded:
    """A batch of pick decisions as padded index tensors (torch), plus the target index per decision."""

    cands: object  # LongTensor [N, MAX_PACK] (PAD where empty)
    pool: object  # LongTensor [N, MAX_POOL]
    feats: object  # FloatTensor [N, N_FEATURES]
    target: object  # LongTensor [N] (-1 when unknown)
    names: list[list[str]] = field(default_factory=list)  # distinct candidate names per decision (pack order)


class Vocab:
    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.keys = {}
        for i, n in enumerate(self.names[len(SPECIALS):], len(SPECIALS)):
            self.keys.setdefault(name_key(front_face(n)), i)

    @classmethod
    def from_names(cls, names: Iterable[str]) -> "Vocab":
        return cls(list(SPECIALS) + sorted(set(names) - set(SPECIALS)))

    def __len__(self) -> int:
        return len(self.names)

    def id(self, name: str) -> int:
        """Exact name, else the same card by front face / punctuation-insensitive key, else <unk>."""
        i = self.index.get(name)
        if i is None:
            i = self.keys.get(name_key(front_face(name)), UNK)
        return i


def features(pack_number: int, pick_number: int, pool_size: int) -> list[float]:
    onehot = [1.0 if pack_number == k else 0.0 for k in (1, 2, 3)]
    return onehot + [min(pick_number, 15) / 15.0, min(pool_size, 45) / 45.0]


def distinct(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def encode(decisions: Sequence[tuple[Sequence[str], Sequence[str], int, int, str | None]], vocab: Vocab) -> Encoded:
    """decisions: (candidates, pool, pack_number, pick_number, picked or None)."""
    import torch

    cands_l, pool_l, feats_l, target_l, names_out = [], [], [], [], []
    pad_c, pad_p = [PAD] * MAX_PACK, [PAD] * MAX_POOL
    for cand_names, pool_names, pack_no, pick_no, picked in decisions:
        uniq = distinct(cand_names)[:MAX_PACK]
        names_out.append(uniq)
        ids = [vocab.id(c) for c in uniq]
        cands_l.append(ids + pad_c[len(ids):])
        pl = [vocab.id(c) for c in list(pool_names)[-MAX_POOL:]]
        pool_l.append(pl + pad_p[len(pl):])
        feats_l.append(features(pack_no, pick_no, len(pool_names)))
        target_l.append(uniq.index(picked) if picked is not None and picked in uniq else -1)
    n = len(decisions)
    cands = torch.tensor(cands_l, dtype=torch.long).reshape(n, MAX_PACK)
    pool = torch.tensor(pool_l, dtype=torch.long).reshape(n, MAX_POOL)
    feats = torch.tensor(feats_l, dtype=torch.float32).reshape(n, N_FEATURES)
    target = torch.tensor(target_l, dtype=torch.long).reshape(n)
    return Encoded(cands, pool, feats, target, names_out)


def build_model(vocab_size: int, cfg: MLPConfig):
    import torch
    from torch import nn

    class PickMLP(nn.Module):
        def __init__(self):
            super().__init__()
            d = cfg.emb_dim
            self.card = nn.Embedding(vocab_size, d, padding_idx=PAD)
            self.pool = nn.Embedding(vocab_size, d, padding_idx=PAD)
            self.bias = nn.Embedding(vocab_size, 1, padding_idx=PAD)
            self.mlp = nn.Sequential(nn.Linear(3 * d + N_FEATURES, cfg.hidden), nn.ReLU(),
                                     nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 1))
            nn.init.normal_(self.card.weight, std=0.1)
            nn.init.normal_(self.pool.weight, std=0.1)
            nn.init.zeros_(self.bias.weight)

        def forward(self, cands, pool, feats):
            """Logits [N, MAX_PACK]; padded candidates get -inf."""
            mask = cands != PAD
            pool_mask = (pool != PAD).unsqueeze(-1).float()
            p = (self.pool(pool) * pool_mask).sum(1) / pool_mask.sum(1).clamp(min=1.0)  # N, d
            # only real candidates go through the MLP (packs shrink: about half the slots are padding)
            rows = mask.nonzero(as_tuple=True)[0]
            c = cands[mask]
            e, pr = self.card(c), p[rows]
            x = torch.cat([e, pr, e * pr, feats[rows]], dim=-1)
            scores = self.mlp(x).squeeze(-1) + self.bias(c).squeeze(-1)
            logits = torch.full(cands.shape, float("-inf"), dtype=scores.dtype)
            logits[mask] = scores
            return logits

    return PickMLP()


def predict(model, enc: Encoded, batch: int = 4096, threads: int | None = None):
    """Logits for every decision. `threads`: torch intra-op threads for this call only (restored after)."""
    import torch

    model.eval()
    parts = []
    previous = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            for i in range(0, enc.cands.shape[0], batch):
                parts.append(model(enc.cands[i:i + batch], enc.pool[i:i + batch], enc.feats[i:i + batch]))
    finally:
        if threads:
            torch.set_num_threads(previous)
    return torch.cat(parts) if parts else torch.zeros((0, MAX_PACK))


def save(path: Path, model, vocab: Vocab, info: dict) -> None:
    save_pick_model(path, info, vocab.names, {"state_dict": model.state_dict()})


@dataclass
class LoadedModel:
    model: object
    vocab: Vocab
    info: dict


def load(path: str | os.PathLike) -> LoadedModel:
    path = Path(path)
    blob = read_pick_model(path, "MLP ")
    if kind_of(blob) != MODEL_KIND:
        raise ValueError(f"{path} is not an MLP pick model (kind={kind_of(blob) or '?'})")
    return load_blob(blob, path)


def load_blob(blob: dict, path: Path) -> LoadedModel:
    """An MLP from an already read model file (see `copilot.picking.picknet_engine.load_any`)."""
    cfg = config_from(blob, path, MODEL_VERSION, MLPConfig)
    vocab = Vocab(blob["vocab"])
    model = build_model(len(vocab), cfg)
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return LoadedModel(model, vocab, info_of(blob, ("state_dict",)))


read_sidecar = pick_model_files.read_sidecar  # the sidecar of a model file of either kind (kept for its callers)
