"""`copilot dataset build --format conversation` on the real DSK picks: one chat per draft (or per pack), every pick
an assistant turn, the split and val.picks.jsonl as for per-pick formats, nothing written on bad input."""
from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from copilot.cli import main as cli_main
from copilot.training.conversation_data import per_pick_examples, pick_prompts
from copilot.training.dataset import DatasetConfig, DatasetError, build_dataset, iter_examples
from copilot.training.filters import FilterSpec

JSONL = Path("picks") / "DSK" / "dsk_picks.dev.jsonl.gz"


def _build(shared_data, out, **kw) -> dict:
    kw.setdefault("catalog", "none")
    kw.setdefault("prompt_format", "conversation")
    return build_dataset(DatasetConfig(picks=shared_data / JSONL, out=Path(out), **kw))


def _rows_by_draft(shared_data, n):
    from copilot.datasets.picks import iter_pick_rows

    out: dict[str, list] = {}
    for row in iter_pick_rows(shared_data / JSONL, limit=42 * n):
        out.setdefault(row.draft_id, []).append(row)
    return out


def test_one_sequence_per_draft_every_pick_supervised(shared_data, tmp_path):
    m = _build(shared_data, tmp_path / "d", max_drafts=12, val_drafts=3)
    rows = _rows_by_draft(shared_data, 12)
    assert m["prompt_format"] == "conversation" and m["prompt_format_version"] == 2
    assert m["counts"]["examples"] == {"train": 9, "val": 3}
    assert m["counts"]["picks"] == {"train": 9 * 42, "val": 3 * 42}
    assert m["conversation"]["sequences"] == {"draft": 12, "pack": 0}
    seen = set()
    for split in ("train", "val"):
        for ex in iter_examples(tmp_path / "d", split):
            msgs, meta = ex["messages"], ex["meta"]
            did = meta["draft_id"]
            seen.add(did)
            assert [x["role"] for x in msgs] == ["system"] + ["user", "assistant"] * 42
            assert meta["n_picks"] == 42 == len(meta["turns"]) and meta["segment"] == "draft"
            truth = rows[did]
            assert [x["content"] for x in msgs if x["role"] == "assistant"] == [r.pick for r in truth]
            assert [t["candidates"] for t in meta["turns"]] == [list(r.pack) for r in truth]
            # every supervised pick can be scored on its own prompt (validation, preference pairs)
            prompts = list(pick_prompts(ex))
            assert len(prompts) == 42
            for (prompt, cands, picked), r in zip(prompts, truth):
                assert prompt[-1]["role"] == "user" and prompt[-1]["content"].startswith(
                    f"Pack {r.pack_number} pick {r.pick_number}")
                assert picked in cands and cands == list(r.pack)
            singles = per_pick_examples(ex)
            assert [s["messages"][-1]["content"] for s in singles] == [r.pick for r in truth]
            assert singles[9]["messages"][:-1] == prompts[9][0] and singles[9]["meta"]["candidates"] == prompts[9][1]
    assert seen == set(rows)
    # val.picks.jsonl: every pick of the validation drafts, for `copilot eval --picks`
    val_lines = (tmp_path / "d" / "val.picks.jsonl").read_text().splitlines()
    assert len(val_lines) == 3 * 42
    val_ids = {json.loads(x)["draft_id"] for x in val_lines}
    assert val_ids == {e["meta"]["draft_id"] for e in iter_examples(tmp_path / "d", "val")}


def test_deterministic_and_frac_split(shared_data, tmp_path):
    a = _build(shared_data, tmp_path / "a", max_drafts=10, val_frac=0.3, seed=2)
    b = _build(shared_data, tmp_path / "b", max_drafts=10, val_frac=0.3, seed=2)
    for name in ("train.jsonl", "val.jsonl", "val.picks.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert a["files"] == b["files"]
    assert a["counts"]["picks"]["train"] + a["counts"]["picks"]["val"] == 420


def test_per_pack_sequences(shared_data, tmp_path):
    m = _build(shared_data, tmp_path / "p", max_drafts=4, val_drafts=1, segment="pack")
    assert m["conversation"]["sequences"] == {"draft": 0, "pack": 12}
    exs = list(iter_examples(tmp_path / "p", "train")) + list(iter_examples(tmp_path / "p", "val"))
    by_draft = Counter(e["meta"]["draft_id"] for e in exs)
    assert set(by_draft.values()) == {3}
    for e in exs:
        p = e["meta"]["packs"]
        assert len(p) == 1 and e["meta"]["n_picks"] == 14 and e["meta"]["segment"] == "pack"
        first = e["messages"][1]["content"]
        if p[0] == 1:
            assert first.startswith("Pack 1 pick 1:")
        else:
            assert first.startswith(f"Our pool so far ({14 * (p[0] - 1)} cards): ")
            assert first.splitlines()[1].startswith(f"Pack {p[0]} pick 1:")


def test_auto_segment_follows_the_context_length(shared_data, tmp_path):
    m = _build(shared_data, tmp_path / "big", max_drafts=2, val_drafts=0, max_tokens=8192)
    assert m["conversation"]["sequences"] == {"draft": 2, "pack": 0}
    est = [e["meta"]["est_tokens"] for e in iter_examples(tmp_path / "big", "train")]
    m = _build(shared_data, tmp_path / "small", max_drafts=2, val_drafts=0, max_tokens=min(est) - 1)
    assert m["conversation"]["sequences"] == {"draft": 0, "pack": 6}


def test_refused_inputs_write_nothing(shared_data, tmp_path):
    with pytest.raises(DatasetError, match="--picks cannot apply to the conversation format"):
        _build(shared_data, tmp_path / "f", max_drafts=2, filters=FilterSpec(picks="1-8"))
    with pytest.raises(DatasetError, match="knowledge=.all.: expected one of name, basic, text, stats"):
        _build(shared_data, tmp_path / "f", max_drafts=2, prompt_format="conversation:knowledge=all")
    with pytest.raises(DatasetError, match="--segment 'halves'"):
        _build(shared_data, tmp_path / "f", max_drafts=2, segment="halves")
    # a draft whose rows are not together in the file
    rows = []
    with gzip.open(shared_data / JSONL, "rt") as fh:
        for line in fh:
            rows.append(line)
            if len(rows) == 84:
                break
    mixed = rows[:10] + rows[42:84] + rows[10:42]
    src = tmp_path / "mixed.jsonl"
    src.write_text("".join(mixed))
    with pytest.raises(DatasetError, match="not together in the file"):
        build_dataset(DatasetConfig(picks=src, out=tmp_path / "f", prompt_format="conversation", catalog="none"))
    assert not (tmp_path / "f").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_accepts_the_format(shared_data, tmp_path, capsys):
    rc = cli_main(["dataset", "build", "--picks", str(shared_data / JSONL), "--out", str(tmp_path / "c"),
                   "--format", "conversation:knowledge=name", "--max-drafts", "3", "--val-drafts", "1",
                   "--catalog", "none", "--quiet"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "prompt format conversation:knowledge=name" in out
    assert "3 whole-draft and 0 per-pack sequences" in out and "supervised picks: train 84, val 42" in out
    ex = next(iter_examples(tmp_path / "c", "train"))
    assert ex["messages"][1]["content"].splitlines()[1] == ex["meta"]["turns"][0]["candidates"][0]


def test_csv_and_jsonl_give_the_same_conversations(shared_data, tmp_path):
    """The 17lands wide CSV and the picks JSONL hold the same DSK picks: the same bytes come out."""
    csv_src = shared_data / "picks" / "DSK" / "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"
    for name, src in (("csv", csv_src), ("jsonl", shared_data / JSONL)):
        build_dataset(DatasetConfig(picks=src, out=tmp_path / name, prompt_format="conversation", catalog="none",
                                    max_drafts=4, val_drafts=1))
    for f in ("train.jsonl", "val.jsonl"):
        assert (tmp_path / "csv" / f).read_bytes() == (tmp_path / "jsonl" / f).read_bytes()


def test_label_answers_are_what_validation_and_pairs_score(shared_data, tmp_path):
    """answer=label: each turn's candidates and pick are the answer texts ("C) Name"), the names kept in "cards",
    so validation and preference pairs (which compare the assistant turn with the candidates) work unchanged."""
    from copilot.training.validation import pick_examples

    _build(shared_data, tmp_path / "d", max_drafts=3, val_drafts=1, catalog="default", segment="pack",
           prompt_format="conversation:knowledge=rated,order=rating,answer=label")
    rows = _rows_by_draft(shared_data, 3)
    n = 0
    for ex in iter_examples(tmp_path / "d", "train"):
        truth = rows[ex["meta"]["draft_id"]]
        for (prompt, cands, picked), turn, one in zip(pick_prompts(ex), ex["meta"]["turns"], pick_examples(ex)):
            r = next(r for r in truth if (r.pack_number, r.pick_number) == (turn["pack"], turn["pick"]))
            assert turn["cards"] == list(r.pack)
            assert [c.partition(") ")[2] for c in cands] == list(dict.fromkeys(r.pack))  # one per distinct card
            assert picked == f"{picked.partition(') ')[0]}) {r.pick}" and picked in cands
            assert one["messages"][-1]["content"] == picked and one["meta"]["candidates"] == cands
            letter = picked.partition(")")[0]
            named = [ln for ln in prompt[-1]["content"].splitlines() if ln.startswith(f"{letter}) ")]
            # the line the answer names (with the card's details at its first mention)
            assert len(named) == 1
            assert named[0] == f"{letter}) {r.pick}" or named[0].startswith(f"{letter}) {r.pick} (")
            n += 1
    assert n == 2 * 42
