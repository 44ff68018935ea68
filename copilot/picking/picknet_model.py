"""PickNet: the learned pick model (engine `picknet`, and `mlp` for its files), trained in minutes on a CPU.

One member scores each distinct card c of the pack given the pool and the pick position:
    card vector   e(c) = id embedding + W_f * features(c)        (copilot.picking.card_features: colours, cost,
                                                                   rarity, types, the set's GIH win rate z-score)
    pool vector   h    = MLP([mean of pool vectors, sum / 20, pool colour shares, position])
    score(c)      = bias[c] + MLP([e(c), h, e(c) * h, position])
Position: pack one-hot (3), pick one-hot (15), pool size / 45. Trained with softmax cross-entropy over the pack
(the human's pick is the target, label smoothing over the pack's cards); card dropout replaces a share of card ids by
`<unk>` while keeping the card's features, so a card the model never saw is scored from what it is. An ensemble
averages the members' log-probabilities. Two options measured on DSK without gain (off by default, kept for the
comparison in bench/picknet_sweep.py): `attention` (each candidate attends over the pool's card vectors) and
`pack_context` (the mean of the pack's card vectors as an input). Also measured without gain, off by default:
`signals` (what the drafter passed this round and earlier, and at a wheel what the other seats took, pooled as
features, colour-quality sums and learned vectors: copilot.picking.draft_signals; the engine rebuilds them from the
context's history), `style` (how the drafter picked so far: follows the rating, takes rares, stays in colours; and
the pool's colour strength), `interact` (candidate rating and colour fit times the pick's place in the pack) and
`ema` (an exponential moving average of the weights).

The file (torch.save of plain tensors and Python types; loads with weights_only=True) holds the members' weights,
the vocabulary, the card-feature table, the config, the dataset summary and the validation figures; a JSON
sidecar (`<file>.json`) repeats everything but the weights (copilot.picking.pick_model_files).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from copilot.picking.card_features import COLOUR_SLICE, FEATURE_NAMES, N_CARD_FEATURES
from copilot.picking.draft_signals import N_STYLE
from copilot.picking.mlp_model import MAX_PACK, MAX_POOL, PAD, UNK, Vocab, distinct
from copilot.picking.pick_model_files import config_from, info_of, save_pick_model

MODEL_KIND = "magic-copilot.picknet-pick-model"
MODEL_VERSION = 1
N_POSITION = 3 + 15 + 1
GIH_Z, HAS_GIH = FEATURE_NAMES.index("gih_z"), FEATURE_NAMES.index("has_gih")

Decision = tuple  # (candidates, pool, pack_number, pick_number, picked or None)


@dataclass
class PickNetConfig:
    dim: int = 64
    hidden: int = 192
    pool_hidden: int = 128
    attention: bool = False  # measured on DSK: no gain over the pooled pool vector (bench/picknet_sweep.py)
    pack_context: bool = False
    features: bool = True
    signals: bool = False  # pool what the drafter passed and, at a wheel, what others took (draft_signals.py)
    style: bool = False  # how this drafter picked so far (draft_signals.drafter_style), the pool's colour strength
    interact: bool = False  # candidate x position inputs: rating, colour fit with the pool and with the signals
    dropout: float = 0.1
    epochs: int = 6
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    card_dropout: float = 0.05
    label_smoothing: float = 0.1
    ensemble: int = 1
    ema: float = 0.0  # > 0: keep an exponential moving average of the weights (decay per step) and use it
    # share of training batches that see no 17lands ratings: the model also ranks a set that has none yet. Measured
    # (DSK-trained, seed 0): DSK validation 67.1% -> 67.2% with ratings; SOS day one without ratings 52.2% -> 53.6%
    rating_dropout: float = 0.3
    seed: int = 0
    threads: int = 1


@dataclass
class Batch:
    """Decisions as padded index tensors. `cf`/`pf` index the feature table `ftab` (the model's table, plus one
    row per card unknown to the vocabulary whose features the caller knew)."""

    cands: object  # LongTensor [N, MAX_PACK] (PAD where empty)
    pool: object  # LongTensor [N, MAX_POOL]
    cf: object  # LongTensor [N, MAX_PACK]
    pf: object  # LongTensor [N, MAX_POOL]
    pos: object  # FloatTensor [N, N_POSITION]
    target: object  # LongTensor [N] (-1 when unknown)
    extra: list[list[float]] = field(default_factory=list)  # feature rows appended after the model's table
    names: list[list[str]] = field(default_factory=list)
    seen: object = None  # uint8 [N, 3, vocab + extra]: counts of the passed (round, earlier) and taken cards
    style: object = None  # FloatTensor [N, N_STYLE] (draft_signals.drafter_style; zeros where unknown)

    def select(self, idx) -> "Batch":
        return Batch(self.cands[idx], self.pool[idx], self.cf[idx], self.pf[idx], self.pos[idx], self.target[idx],
                     self.extra, seen=None if self.seen is None else self.seen[idx],
                     style=None if self.style is None else self.style[idx])


def position(pack_number: int, pick_number: int, pool_size: int) -> list[float]:
    out = [0.0] * N_POSITION
    if 1 <= pack_number <= 3:
        out[pack_number - 1] = 1.0
    out[3 + max(0, min(pick_number, 15) - 1)] = 1.0
    out[-1] = min(pool_size, 45) / 45.0
    return out


def encode(decisions: Sequence[Decision], vocab: Vocab,
           features_of: Callable[[str], list[float] | None] | None = None) -> Batch:
    """decisions: (candidates, pool, pack_number, pick_number, picked or None[, SeenCards]). `features_of(name)`
    gives the features of a card outside the vocabulary (else it gets the `<unk>` row). When the decisions carry
    SeenCards (copilot.picking.draft_signals), the batch counts them by feature row (`Batch.seen`)."""
    import torch

    n_vocab = len(vocab)
    extra: list[list[float]] = []
    extra_index: dict[str, int] = {}

    def ids(names: Sequence[str]) -> tuple[list[int], list[int]]:
        out_i, out_f = [], []
        for name in names:
            i = vocab.id(name)
            f = i
            if i == UNK and features_of is not None:
                j = extra_index.get(name)
                if j is None:
                    row = features_of(name)
                    if row is not None:
                        j = extra_index[name] = n_vocab + len(extra)
                        extra.append(row)
                f = j if j is not None else UNK
            out_i.append(i)
            out_f.append(f)
        return out_i, out_f

    cands_l, cf_l, pool_l, pf_l, pos_l, target_l, names_out = [], [], [], [], [], [], []
    pad_c, pad_p = [PAD] * MAX_PACK, [PAD] * MAX_POOL
    seen_at: list[tuple[int, int, int]] = []  # (decision, group, feature row) per seen card
    style_l: list[Sequence[float]] = []
    with_seen = any(len(d) > 5 for d in decisions)
    for row_no, (cand_names, pool_names, pack_no, pick_no, picked, *more) in enumerate(decisions):
        if more and more[0] is not None:
            for g, names in enumerate(more[0].groups()):
                seen_at.extend((row_no, g, f) for f in ids(names)[1])
        style_l.append(more[0].style if more and more[0] is not None and more[0].style is not None
                       else [0.0] * N_STYLE)
        uniq = distinct(cand_names)[:MAX_PACK]
        names_out.append(uniq)
        ci, cf = ids(uniq)
        pool_names = list(pool_names)
        pi, pf = ids(pool_names[-MAX_POOL:])
        cands_l.append(ci + pad_c[len(ci):])
        cf_l.append(cf + pad_c[len(cf):])
        pool_l.append(pi + pad_p[len(pi):])
        pf_l.append(pf + pad_p[len(pf):])
        pos_l.append(position(pack_no, pick_no, len(pool_names)))
        target_l.append(uniq.index(picked) if picked is not None and picked in uniq else -1)
    n = len(decisions)

    def t(rows, width):
        return torch.tensor(rows, dtype=torch.long).reshape(n, width)

    seen = None
    if with_seen:
        seen = torch.zeros((n, 3, n_vocab + len(extra)), dtype=torch.uint8)
        if seen_at:
            idx = torch.tensor(seen_at, dtype=torch.long)
            seen.index_put_((idx[:, 0], idx[:, 1], idx[:, 2]), torch.ones(len(seen_at), dtype=torch.uint8),
                            accumulate=True)
    return Batch(t(cands_l, MAX_PACK), t(pool_l, MAX_POOL), t(cf_l, MAX_PACK), t(pf_l, MAX_POOL),
                 torch.tensor(pos_l, dtype=torch.float32).reshape(n, N_POSITION),
                 torch.tensor(target_l, dtype=torch.long).reshape(n), extra, names_out, seen,
                 torch.tensor(style_l, dtype=torch.float32).reshape(n, N_STYLE) if with_seen else None)


def build_member(vocab_size: int, cfg: PickNetConfig):
    import torch
    from torch import nn

    d = cfg.dim

    class Member(nn.Module):
        def __init__(self):
            super().__init__()
            self.card = nn.Embedding(vocab_size, d, padding_idx=PAD)
            self.pool = nn.Embedding(vocab_size, d, padding_idx=PAD)
            self.bias = nn.Embedding(vocab_size, 1, padding_idx=PAD)
            if cfg.features:
                self.fc = nn.Linear(N_CARD_FEATURES, d, bias=False)
                self.fp = nn.Linear(N_CARD_FEATURES, d, bias=False)
            n_sig = 3 * (N_CARD_FEATURES + 5 + d + 1) if cfg.signals else 0
            if cfg.signals:
                self.seen = nn.Embedding(vocab_size, d, padding_idx=PAD)
                self.fs = nn.Linear(N_CARD_FEATURES, d, bias=False)
                nn.init.normal_(self.seen.weight, std=0.1)
            n_sig += N_STYLE + 5 if cfg.style else 0
            self.pool_mlp = nn.Sequential(nn.Linear(2 * d + 5 + N_POSITION + n_sig, cfg.pool_hidden), nn.ReLU(),
                                          nn.Linear(cfg.pool_hidden, d))
            if cfg.attention:
                self.q = nn.Linear(d, d, bias=False)
                self.k = nn.Linear(d, d, bias=False)
                self.v = nn.Linear(d, d, bias=False)
                self.null_k = nn.Parameter(torch.zeros(d))
                self.null_v = nn.Parameter(torch.zeros(d))
            width = (3 * d + N_POSITION + (d if cfg.attention else 0) + (d if cfg.pack_context else 0)
                     + (N_INTERACT if cfg.interact else 0))
            self.score = nn.Sequential(nn.Linear(width, cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
                                       nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
                                       nn.Linear(cfg.hidden, 1))
            for emb in (self.card, self.pool):
                nn.init.normal_(emb.weight, std=0.1)
            nn.init.zeros_(self.bias.weight)

        def forward(self, b: Batch, ftab):
            """Logits [N, MAX_PACK]; padded candidates get -inf."""
            mask = b.cands != PAD
            pmask = b.pool != PAD
            pm = pmask.unsqueeze(-1).float()
            c = self.card(b.cands)
            q = self.pool(b.pool)
            pfeat = ftab[b.pf] * pm
            if cfg.features:
                c = c + self.fc(ftab[b.cf])
                q = q + self.fp(pfeat)
            q = q * pm
            n_pool = pm.sum(1)
            colours = pfeat[..., COLOUR_SLICE].sum(1) / n_pool.clamp(min=1.0)
            pool_in = [q.sum(1) / n_pool.clamp(min=1.0), q.sum(1) / 20.0, colours, b.pos]
            open_colours = None
            if cfg.signals:
                sig, open_colours = self.signals(b, ftab)
                pool_in.append(sig)
            if cfg.style:
                pool_in.append(b.style if b.style is not None else torch.zeros((b.cands.shape[0], N_STYLE)))
                strength = pfeat[..., COLOUR_SLICE] * pfeat[..., GIH_Z].clamp(min=0.0).unsqueeze(-1)
                pool_in.append(strength.sum(1) / 10.0)  # how good the pool is in each colour, not only how big
            h = self.pool_mlp(torch.cat(pool_in, -1))
            parts = [c, h.unsqueeze(1).expand_as(c), c * h.unsqueeze(1)]
            if cfg.attention:
                keys = torch.cat([self.null_k.expand(q.shape[0], 1, d), self.k(q)], 1)
                vals = torch.cat([self.null_v.expand(q.shape[0], 1, d), self.v(q)], 1)
                att = torch.einsum("nkd,nld->nkl", self.q(c), keys) / d ** 0.5
                keep = torch.cat([torch.ones_like(pmask[:, :1]), pmask], 1)
                att = att.masked_fill(~keep.unsqueeze(1), float("-inf")).softmax(-1)
                parts.append(torch.einsum("nkl,nld->nkd", att, vals))
            if cfg.pack_context:
                cm = mask.unsqueeze(-1).float()
                m = (c * cm).sum(1) / cm.sum(1).clamp(min=1.0)
                parts.append(m.unsqueeze(1).expand_as(c))
            if cfg.interact:
                parts.append(interactions(ftab[b.cf], colours, open_colours, b.pos))
            parts.append(b.pos.unsqueeze(1).expand(-1, c.shape[1], -1))
            x = torch.cat(parts, -1)[mask]  # only real candidates (about half the slots are padding)
            scores = self.score(x).squeeze(-1) + self.bias(b.cands[mask]).squeeze(-1)
            logits = torch.full(b.cands.shape, float("-inf"), dtype=scores.dtype)
            logits[mask] = scores
            return logits

        def signals(self, b: Batch, ftab):
            """The pooled seen groups [N, 3 * (features + 5 + d + 1)] and the round's open colours [N, 5]."""
            n_rows = ftab.shape[0]
            if b.seen is None:
                counts = torch.zeros((b.cands.shape[0], 3, n_rows))
            else:
                counts = b.seen.float()
            n = counts.sum(-1, keepdim=True)
            share = counts / n.clamp(min=1.0)
            ids = torch.arange(n_rows).clamp(max=vocab_size)  # rows past the vocabulary: `<unk>`'s embedding
            ids[ids >= vocab_size] = UNK
            quality = ftab[:, COLOUR_SLICE] * ftab[:, GIH_Z].clamp(min=0.0).unsqueeze(-1)
            emb = self.seen(ids) + self.fs(ftab)
            mean_feat, mean_quality = share @ ftab, share @ quality
            pooled = torch.cat([mean_feat, mean_quality, share @ emb, n / 50.0], -1)
            return pooled.flatten(1), mean_quality[:, 0]

    return Member()


N_INTERACT = 6


def interactions(cand_feat, pool_colours, open_colours, pos):
    """Per candidate [N, K, 6]: rating, colour fit with the pool, colour fit with the open colours of the round, each
    alone and times the pick's place in its pack (early picks follow power, late ones colour)."""
    import torch

    pick = (pos[:, 3:18] * torch.arange(1, 16, dtype=pos.dtype)).sum(-1, keepdim=True) / 15.0  # [N, 1]
    z = cand_feat[..., GIH_Z]
    cc = cand_feat[..., COLOUR_SLICE]
    fit = (cc * pool_colours.unsqueeze(1)).sum(-1)
    opened = (cc * open_colours.unsqueeze(1)).sum(-1) if open_colours is not None else torch.zeros_like(fit)
    return torch.stack([z, z * pick, fit, fit * pick, opened, opened * pick], -1)


class PickNet:
    """The members and the shared feature table; `logprobs(batch)` is the ensemble's answer."""

    def __init__(self, members: list, ftable, cfg: PickNetConfig):
        self.members = members
        self.ftable = ftable  # FloatTensor [vocab, N_CARD_FEATURES]
        self.cfg = cfg

    def table(self, b: Batch):
        import torch

        if not b.extra:
            return self.ftable
        return torch.cat([self.ftable, torch.tensor(b.extra, dtype=self.ftable.dtype)], 0)

    def eval(self) -> "PickNet":
        for m in self.members:
            m.eval()
        return self

    def logprobs(self, b: Batch, batch: int = 4096, threads: int | None = None):
        """Mean log-probabilities over the members [N, MAX_PACK] (-inf on padding)."""
        import torch

        self.eval()
        ftab = self.table(b)
        previous = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            with torch.inference_mode():
                parts = []
                for i in range(0, b.cands.shape[0], batch):
                    sub = b.select(slice(i, i + batch))
                    lp = [m(sub, ftab).log_softmax(-1) for m in self.members]
                    parts.append(lp[0] if len(lp) == 1 else torch.stack(lp).mean(0))
        finally:
            if threads:
                torch.set_num_threads(previous)
        return torch.cat(parts) if parts else torch.zeros((0, MAX_PACK))


def save(path: Path, net: PickNet, vocab: Vocab, info: dict) -> None:
    save_pick_model(path, info, vocab.names,
                    {"feature_table": net.ftable, "members": [m.state_dict() for m in net.members]})


@dataclass
class LoadedPickNet:
    net: PickNet
    vocab: Vocab
    info: dict


def load_blob(blob: dict, path: Path) -> LoadedPickNet:
    """A PickNet from an already read model file (see `copilot.picking.picknet_engine.load_any`)."""
    cfg = config_from(blob, path, MODEL_VERSION, PickNetConfig, "PickNet file")
    vocab = Vocab(blob["vocab"])
    members = []
    for state in blob["members"]:
        m = build_member(len(vocab), cfg)
        m.load_state_dict(state)
        m.eval()
        members.append(m)
    if not members:
        raise ValueError(f"{path}: the PickNet file has no weights")
    info = info_of(blob, ("members", "feature_table"))
    return LoadedPickNet(PickNet(members, blob["feature_table"].float(), cfg), vocab, info)
