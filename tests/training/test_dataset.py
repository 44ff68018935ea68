"""Dataset build on the real DSK picks (CSV and JSONL), small slices so each test runs in about a second."""
from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from copilot.cli import main as cli_main
from copilot.training import dataset as ds
from copilot.training.dataset import DatasetConfig, DatasetError, build_dataset, iter_examples, load_manifest
from copilot.training.filters import FilterSpec
from copilot.fileio import sha256_bytes, sha256_file
from copilot.training.reader import ReadReport, read_rows
from copilot.training.split import draft_hash

CSV_NAME = "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"
JSONL_NAME = "dsk_picks.dev.jsonl.gz"


@pytest.fixture(scope="module")
def dsk(shared_data) -> Path:
    d = shared_data / "picks" / "DSK"
    if not (d / CSV_NAME).is_file():
        pytest.skip(f"{d / CSV_NAME} missing")
    return d


def _build(picks, out, **kw) -> dict:
    kw.setdefault("catalog", "none")  # card data does not change the split logic under test; keeps tests fast
    return build_dataset(DatasetConfig(picks=Path(picks), out=Path(out), **kw))


def _lines(folder, split):
    return (Path(folder) / f"{split}.jsonl").read_bytes().splitlines()


def _drafts(folder, split):
    return {e["meta"]["draft_id"] for e in iter_examples(folder, split)}


def _no_leftovers(parent: Path):
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_split_by_draft_never_leaks(dsk, tmp_path):
    m = _build(dsk / JSONL_NAME, tmp_path / "d", max_drafts=60, val_frac=0.3, seed=3)
    train, val = _drafts(tmp_path / "d", "train"), _drafts(tmp_path / "d", "val")
    assert train and val and not (train & val)
    assert len(train | val) == 60
    assert m["counts"]["drafts"] == {"train": len(train), "val": len(val)}
    assert m["counts"]["examples"]["train"] == len(_lines(tmp_path / "d", "train"))
    assert m["counts"]["examples"]["val"] == len(_lines(tmp_path / "d", "val"))
    for did in val:
        assert draft_hash(did, 3) < 0.3
    # val.picks.jsonl: the same validation rows, readable by the evaluation's reader
    from copilot.datasets.picks import iter_pick_rows

    rows = list(iter_pick_rows(tmp_path / "d" / "val.picks.jsonl"))
    metas = [e["meta"] for e in iter_examples(tmp_path / "d", "val")]
    assert [(r.draft_id, r.pack_number, r.pick_number, r.pick, list(r.pack)) for r in rows] == \
        [(m["draft_id"], m["pack"], m["pick"], m["picked"], m["candidates"]) for m in metas]
    assert m["files"]["val.picks.jsonl"]["examples"] == len(rows)
    for did in train:
        assert draft_hash(did, 3) >= 0.3


def test_val_drafts_is_exact_and_takes_the_smallest_hashes(dsk, tmp_path):
    m = _build(dsk / JSONL_NAME, tmp_path / "d", max_drafts=50, val_drafts=7, seed=11)
    train, val = _drafts(tmp_path / "d", "train"), _drafts(tmp_path / "d", "val")
    assert len(val) == 7 and not (train & val) and len(train) == 43
    ranked = sorted(train | val, key=lambda d: draft_hash(d, 11))
    assert set(ranked[:7]) == val
    assert {json.loads(x)["draft_id"] for x in _lines(tmp_path / "d", "val.picks")} == val
    assert m["split"]["method"] == "val-drafts" and m["counts"]["examples"]["val"] == 7 * 42


def test_deterministic_bytes_and_seed_matters(dsk, tmp_path):
    a = _build(dsk / CSV_NAME, tmp_path / "a", max_drafts=40, seed=5)
    b = _build(dsk / CSV_NAME, tmp_path / "b", max_drafts=40, seed=5)
    for split in ("train", "val"):
        assert (tmp_path / "a" / f"{split}.jsonl").read_bytes() == (tmp_path / "b" / f"{split}.jsonl").read_bytes()
    for volatile in ("created", "timing"):
        a.pop(volatile), b.pop(volatile)
    assert a == b
    _build(dsk / CSV_NAME, tmp_path / "c", max_drafts=40, seed=6)
    assert _drafts(tmp_path / "a", "val") != _drafts(tmp_path / "c", "val")


def test_csv_and_jsonl_give_the_same_examples(dsk, tmp_path):
    _build(dsk / CSV_NAME, tmp_path / "csv", max_drafts=25, val_frac=0.2)
    _build(dsk / JSONL_NAME, tmp_path / "jsonl", max_drafts=25, val_frac=0.2)
    for split in ("train", "val"):
        assert _lines(tmp_path / "csv", split) == _lines(tmp_path / "jsonl", split)


def test_reader_agrees_with_the_eval_reader(dsk):
    from copilot.datasets.picks import iter_pick_rows

    for name in (CSV_NAME, JSONL_NAME):
        rep = ReadReport()
        mine = []
        for row in read_rows(dsk / name, rep):
            mine.append(row)
            if len(mine) == 300:
                break
        assert mine == list(iter_pick_rows(dsk / name, limit=300))
        assert all(r.pool_ordered for r in mine)


def test_manifest_and_example_fields(dsk, tmp_path):
    m = _build(dsk / CSV_NAME, tmp_path / "d", max_drafts=12, prompt_format="v1-compact", seed=1)
    for key in ("source", "set_codes", "event_types", "prompt_format", "seed", "split", "filters", "counts", "cards",
                "created", "tool", "files", "input", "catalog"):
        assert key in m, key
    assert m["source"]["sha256"] == sha256_file(dsk / CSV_NAME) and m["source"]["kind"] == "csv"
    assert m["set_codes"] == ["DSK"] and m["event_types"] == ["PremierDraft"] and m["prompt_format"] == "v1-compact"
    assert m["counts"]["examples_per_draft"] == {"42": 12}
    assert m["files"]["train.jsonl"]["sha256"] == sha256_bytes((tmp_path / "d" / "train.jsonl").read_bytes())
    assert load_manifest(tmp_path / "d") == json.loads((tmp_path / "d" / "manifest.json").read_text())
    names = set(m["cards"])
    for ex in iter_examples(tmp_path / "d", "train"):
        meta = ex["meta"]
        assert set(ds.META_FIELDS) <= set(meta)
        assert meta["format"] == "v1-compact" and meta["set"] == "DSK"
        assert meta["picked"] in meta["candidates"] and set(meta["candidates"]) <= names
        assert [msg["role"] for msg in ex["messages"]] == ["system", "user", "assistant"]
        assert ex["messages"][2]["content"] == meta["picked"]
        assert len(meta["pool"]) == (meta["pack"] - 1) * 14 + meta["pick"] - 1
        assert f"pack {meta['pack']} pick {meta['pick']}" in ex["messages"][1]["content"]


def test_filters_and_unfillable_columns(dsk, tmp_path):
    m = _build(dsk / JSONL_NAME, tmp_path / "d", max_drafts=10,
               filters=FilterSpec(picks="1-3", packs="1-2", min_rank="gold", min_win_rate=0.55))
    exs = list(iter_examples(tmp_path / "d", "train")) + list(iter_examples(tmp_path / "d", "val"))
    assert len(exs) == 10 * 2 * 3 and all(e["meta"]["pick"] <= 3 and e["meta"]["pack"] <= 2 for e in exs)
    res = m["filters"]["results"]
    assert res["picks"]["rows_rejected"] == 10 * 42 - 10 * 3 * 3 + 0 and res["picks"]["applied"]
    assert not res["min_rank"]["applied"] and "could not apply" in res["min_rank"]["note"]
    assert not res["min_win_rate"]["applied"] and res["min_win_rate"]["rows_without_column"] == 420
    assert m["counts"]["rows_filtered"] == 420 - 60
    assert m["filters"]["given"] == {"picks": "1-3", "packs": "1-2", "min_rank": "gold", "min_win_rate": 0.55}


def _csv_slice(dsk: Path, rows: int) -> tuple[list[str], list[list[str]]]:
    with gzip.open(dsk / CSV_NAME, "rt", encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        header = next(r)
        body = [next(r) for _ in range(rows)]
    return header, body


def _write_csv(path: Path, header, body) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_rank_and_wins_filters_apply_where_filled(dsk, tmp_path):
    """Real rows, with the empty rank/wins columns filled per draft to exercise the filters."""
    header, body = _csv_slice(dsk, 42 * 4)
    i_rank, i_wins = header.index("rank"), header.index("event_match_wins")
    values = [("gold", "7"), ("bronze", "1"), ("mythic", "2"), ("", "")]
    for n, row in enumerate(body):
        row[i_rank], row[i_wins] = values[n // 42]
    src = _write_csv(tmp_path / "filled.csv", header, body)
    m = _build(src, tmp_path / "d", val_frac=0.0, filters=FilterSpec(min_rank="gold", min_event_wins=2))
    kept = {e["meta"]["draft_id"] for e in iter_examples(tmp_path / "d", "train")}
    ids = [body[42 * k][header.index("draft_id")] for k in range(4)]
    assert kept == {ids[0], ids[2], ids[3]}  # bronze rejected; mythic with 2 wins kept; unfilled draft kept
    r = m["filters"]["results"]
    assert r["min_rank"]["rows_rejected"] == 42 and r["min_rank"]["rows_without_column"] == 42
    assert r["min_event_wins"]["rows_rejected"] == 42 and "42 rows had no" in r["min_event_wins"]["note"]


def test_malformed_rows_are_counted_not_fatal(dsk, tmp_path):
    with gzip.open(dsk / JSONL_NAME, "rt", encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(84)]
    bad_pick = json.loads(lines[5])
    bad_pick["pick"] = "Not A Card In This Pack"
    missing = json.loads(lines[6])
    del missing["pack"]
    lines[5] = json.dumps(bad_pick) + "\n"
    lines[6] = json.dumps(missing) + "\n"
    lines.insert(10, "{this is not json\n")
    lines.insert(11, "[1, 2]\n")
    src = tmp_path / "picks.jsonl"
    src.write_text("".join(lines), encoding="utf-8")
    m = _build(src, tmp_path / "d", val_frac=0.0)
    assert m["counts"]["rows_malformed"] == 4 and m["counts"]["examples"]["train"] == 82
    reasons = m["input"]["malformed_by_reason"]
    assert reasons == {"picked card": 1, "missing fields": 1, "invalid JSON": 1, "not a JSON object": 1}
    assert any(e.startswith("line 6:") and "Not A Card" in e for e in m["input"]["malformed_examples"])
    # the rows after a broken one lose the pool-order chain only until the draft ends
    assert m["counts"]["pool_order_unknown"] > 0

    header, body = _csv_slice(dsk, 42)
    body[3] = body[3][:-5]  # short row
    body[4][header.index("pack_number")] = "x"
    m = _build(_write_csv(tmp_path / "bad.csv", header, body), tmp_path / "c", val_frac=0.0)
    assert m["counts"]["rows_malformed"] == 2 and m["counts"]["examples"]["train"] == 40
    assert set(m["input"]["malformed_by_reason"]) == {"wrong field count", "pack_number is not a number"}


def test_truncated_gzip_is_refused_unless_allowed(dsk, tmp_path):
    src = tmp_path / "cut.csv.gz"
    src.write_bytes((dsk / CSV_NAME).read_bytes()[:60_000])
    with pytest.raises(DatasetError, match="ends abruptly"):
        _build(src, tmp_path / "d")
    assert not (tmp_path / "d").exists() and _no_leftovers(tmp_path) == []
    m = _build(src, tmp_path / "d", allow_truncated=True, val_frac=0.0)
    assert m["input"]["truncated"] and m["counts"]["examples"]["train"] > 0


def test_interrupted_build_leaves_nothing_and_keeps_the_old_folder(dsk, tmp_path, monkeypatch):
    _build(dsk / JSONL_NAME, tmp_path / "d", max_drafts=3)
    before = (tmp_path / "d" / "train.jsonl").read_bytes()
    calls = {"n": 0}
    real = ds.encode_example

    def interrupt(example):
        calls["n"] += 1
        if calls["n"] == 50:
            raise KeyboardInterrupt
        return real(example)

    monkeypatch.setattr(ds, "encode_example", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _build(dsk / JSONL_NAME, tmp_path / "d", max_drafts=5, force=True)
    calls["n"] = 0
    with pytest.raises(KeyboardInterrupt):
        _build(dsk / JSONL_NAME, tmp_path / "new", max_drafts=5)
    assert (tmp_path / "d" / "train.jsonl").read_bytes() == before
    assert not (tmp_path / "new").exists() and _no_leftovers(tmp_path) == []


def test_bad_input_messages(dsk, tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        _build(tmp_path / "nope.csv", tmp_path / "d")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="not a 17lands draft_data CSV"):
        _build(tmp_path / "x.csv", tmp_path / "d")
    with pytest.raises(DatasetError, match="unknown prompt format"):
        _build(dsk / JSONL_NAME, tmp_path / "d", prompt_format="v9")
    with pytest.raises(DatasetError, match="--picks"):
        _build(dsk / JSONL_NAME, tmp_path / "d", filters=FilterSpec(picks="9-3"))
    (tmp_path / "d").mkdir()
    with pytest.raises(DatasetError, match="already exists"):
        _build(dsk / JSONL_NAME, tmp_path / "d")
    assert _no_leftovers(tmp_path) == []


def test_cli_build_and_info(dsk, tmp_path, capsys):
    out = tmp_path / "ds"
    rc = cli_main(["dataset", "build", "--picks", str(dsk / CSV_NAME), "--out", str(out), "--max-drafts", "6",
                   "--val-drafts", "2", "--seed", "4", "--picks-range", "1-5", "--min-rank", "gold", "--quiet",
                   "--catalog", "none"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "val: 30 examples / 2 drafts" in text and "could not apply" in text
    assert cli_main(["dataset", "info", str(out)]) == 0 and "train: 60 examples / 4 drafts" in capsys.readouterr().out
    assert cli_main(["dataset", "build", "--picks", str(dsk / CSV_NAME), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli_main(["dataset", "info", str(tmp_path)]) == 2
    assert "not a dataset folder" in capsys.readouterr().err


def test_picks_only_build_gives_train_baseline_the_same_decisions(dsk, tmp_path, copilot_home, capsys):
    """--format picks: every line is the v1 line's meta alone (no prompt), the validation picks file is the same
    bytes, the baseline reads the same decisions from both, and LLM training refuses the folder with a message."""
    from copilot.training.config import TrainConfig
    from copilot.training.mlp_train import decisions_from_dataset
    from copilot.training.trainer import train

    v1 = _build(dsk / CSV_NAME, tmp_path / "v1", max_drafts=30, val_frac=0.2)
    picks = _build(dsk / CSV_NAME, tmp_path / "picks", max_drafts=30, val_frac=0.2, prompt_format="picks",
                   catalog="default")  # the catalog is not even loaded for picks
    assert picks["prompt_format"] == "picks" and picks["catalog"]["source"].startswith("none")
    assert picks["counts"] == v1["counts"]
    for split in ("train", "val"):
        full = [json.loads(x) for x in _lines(tmp_path / "v1", split)]
        bare = [json.loads(x) for x in _lines(tmp_path / "picks", split)]
        assert [set(e) for e in bare] == [{"meta"}] * len(full)
        assert [dict(e["meta"], format=None) for e in bare] == [dict(e["meta"], format=None) for e in full]
        assert decisions_from_dataset(tmp_path / "picks", split) == decisions_from_dataset(tmp_path / "v1", split)
    assert (tmp_path / "picks" / ds.VAL_PICKS).read_bytes() == (tmp_path / "v1" / ds.VAL_PICKS).read_bytes()
    with pytest.raises(DatasetError, match="holds picks without prompts"):
        train(TrainConfig(dataset=str(tmp_path / "picks"), base_model="smoke-mistral", max_steps=1),
              tmp_path / "run", log=lambda *a: None)
    # `copilot train` says so before it starts the background process, and leaves no run folder
    assert cli_main(["train", "--preset", "smoke", "--dataset", str(tmp_path / "picks"), "--out",
                     str(tmp_path / "cli-run")]) == 2
    assert "holds picks without prompts" in capsys.readouterr().err and not (tmp_path / "cli-run").exists()
