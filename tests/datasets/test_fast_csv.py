"""The polars CSV reader gives exactly what the csv-module reader gives: the same PickRows (names, order, pool order,
numbers, extras) and the same report (malformed rows with line numbers and messages, truncation), on real DSK lines
and on the same lines made awkward (blank lines, quoted names, multi-digit and non-integer counts, ragged and bad
rows, interleaved drafts, trailing bucket columns, a cut-off .gz), across small blocks; and dataset builds with either
reader are byte-identical."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

pytest.importorskip("polars")

from copilot.datasets import fast_csv  # noqa: E402
from copilot.training.reader import ReadReport, read_rows  # noqa: E402

DEV = "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"


@pytest.fixture(scope="module")
def real_lines(shared_data) -> list[bytes]:
    """The header and the first 600 data lines of the real DSK draft file."""
    out = []
    with gzip.open(shared_data / "picks" / "DSK" / DEV, "rb") as fh:
        for line in fh:
            out.append(line)
            if len(out) > 600:
                break
    return out


def _both(path: Path) -> tuple[list, dict, list, dict]:
    fast_report, slow_report = ReadReport(), ReadReport()
    fast = list(read_rows(path, fast_report, "polars"))
    slow = list(read_rows(path, slow_report, "csv"))
    fd, sd = fast_report.to_dict(), slow_report.to_dict()
    assert (fd.pop("reader"), sd.pop("reader")) == ("polars", "csv")
    return fast, fd, slow, sd


def _tiers(path: Path) -> dict:
    from copilot.datasets.picks import PoolOrder

    stats: dict = {}
    for _ in fast_csv.iter_csv_fast(path, PoolOrder(), stats=stats):
        pass
    return stats


def _same(path: Path) -> tuple[list, dict]:
    fast, fd, slow, sd = _both(path)
    assert fast == slow
    assert [r.extra for r in fast] == [r.extra for r in slow]  # extra is compare=False on PickRow
    assert fd == sd
    return fast, fd


def _write(tmp_path, lines: list[bytes], name="f.csv.gz") -> Path:
    p = tmp_path / name
    data = b"".join(lines)
    p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return p


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(fast_csv, "BLOCK_BYTES", 64 << 10)  # ~50 rows a block: many blocks, drafts across them
    monkeypatch.setattr(fast_csv, "READ_BYTES", 16 << 10)


def test_real_lines_identical(real_lines, tmp_path):
    path = _write(tmp_path, real_lines)
    rows, report = _same(path)
    assert len(rows) == 600 and report["malformed_rows"] == 0
    tiers = _tiers(path)
    assert set(tiers) == {"numpy"} and tiers["numpy"] > 5  # one-digit counts: the numpy tier, block after block
    assert sum(r.pool_ordered for r in rows) == 600  # the pick order is carried across block boundaries too


def test_awkward_lines_identical(real_lines, tmp_path):
    header, *rows = list(real_lines)
    rows = list(rows)
    rows[3] = b"\n"  # a blank line
    rows[10], rows[60] = rows[60], rows[10]  # two drafts interleaved
    bad = rows[20].split(b",")
    bad[9] = b"Not A Card In The Pack"
    rows[20] = b",".join(bad)
    short = rows[30].rstrip(b"\n").split(b",")
    rows[30] = b",".join(short[:-1]) + b"\n"  # ragged: one field short
    two = rows[150].rstrip(b"\n").split(b",")
    two[-1] = b"10"  # a two-digit count (the last pool column)
    rows[150] = b",".join(two) + b"\n"
    frac = rows[250].rstrip(b"\n").split(b",")
    frac[20] = b"1.0"  # a count written as a float: the csv reader accepts it as 1
    rows[250] = b",".join(frac) + b"\n"
    rng = rows[350].split(b",")
    rng[7] = b"12"  # pack number out of range
    rows[350] = b",".join(rng)
    empty = rows[450].split(b",")
    empty[2] = b""  # no draft id
    rows[450] = b",".join(empty)
    path = _write(tmp_path, [header] + rows)
    got, report = _same(path)
    tiers = _tiers(path)
    # blank line + ragged row (one block), float count: csv module; two-digit count: polars; the rest: numpy
    assert tiers["csv"] == 2 and tiers["polars"] == 1 and tiers["numpy"] >= 5
    assert report["malformed_rows"] == 4 and report["rows_read"] == 599
    assert {e.split(":")[0] for e in report["malformed_examples"]} == {"line 22", "line 32", "line 352", "line 452"}


def test_trailing_bucket_columns_and_quotes(real_lines, tmp_path):
    header, *rows = real_lines
    header = header.rstrip(b"\n") + b",user_n_games_bucket,user_game_win_rate_bucket\n"
    out = [header]
    for i, r in enumerate(rows):
        out.append(r.rstrip(b"\n") + (b",50,0.56\n" if i % 3 else b',"10",\n'))
    got, report = _same(_write(tmp_path, out))
    assert report["extra_columns"][-2:] == ["user_n_games_bucket", "user_game_win_rate_bucket"]
    assert got[1].extra == {"user_n_games_bucket": "50", "user_game_win_rate_bucket": "0.56"}
    assert got[0].extra == {"user_n_games_bucket": "10"}
    assert b'"pack_card_Altanak, the Thrice-Called"' in header  # quoted names with commas in the header


def test_plain_csv_and_no_trailing_newline(real_lines, tmp_path):
    data = real_lines[:120]
    data[-1] = data[-1].rstrip(b"\n")
    rows, _ = _same(_write(tmp_path, data, "plain.csv"))
    assert len(rows) == 119


def test_truncated_gzip_reported_like_the_csv_reader(real_lines, tmp_path):
    whole = gzip.compress(b"".join(real_lines))
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(whole[: len(whole) * 2 // 3])
    fast, fd, slow, sd = _both(p)
    assert fd["truncated"] and sd["truncated"] and "a truncated download?" in fd["truncated"]
    assert fast == slow[: len(fast)] and len(fast) > 300  # the polars path keeps whole lines up to the cut


def test_not_a_draft_file(tmp_path):
    from copilot.datasets.picks import PickFileError

    p = _write(tmp_path, [b"a,b,c\n", b"1,2,3\n"], "x.csv")
    with pytest.raises(PickFileError, match="not a 17lands draft_data CSV"):
        list(read_rows(p, ReadReport(), "polars"))


def test_dataset_build_byte_identical(shared_data, tmp_path):
    from copilot.training.dataset import DatasetConfig, build_dataset

    src = shared_data / "picks" / "DSK" / DEV
    outs = {}
    for engine in ("csv", "polars"):
        out = tmp_path / engine
        m = build_dataset(DatasetConfig(picks=src, out=out, max_drafts=40, val_drafts=4, catalog="none",
                                        csv_engine=engine))
        assert m["input"]["reader"] == engine
        outs[engine] = out
    for name in ("train.jsonl", "val.jsonl", "val.picks.jsonl"):
        assert (outs["csv"] / name).read_bytes() == (outs["polars"] / name).read_bytes(), name


@pytest.mark.slow
def test_full_real_files_identical(shared_data, tmp_path, monkeypatch):
    """Every row of the real DSK draft file, and a full dataset build with the card catalog, byte for byte."""
    from copilot.training.dataset import DatasetConfig, build_dataset

    monkeypatch.setattr(fast_csv, "BLOCK_BYTES", 16 << 20)
    monkeypatch.setattr(fast_csv, "READ_BYTES", 1 << 20)
    src = shared_data / "picks" / "DSK" / DEV
    rows, report = _same(src)
    assert len(rows) == 77532 and report["malformed_rows"] == 0
    outs = {}
    for engine in ("csv", "polars"):
        outs[engine] = tmp_path / engine
        build_dataset(DatasetConfig(picks=src, out=outs[engine], csv_engine=engine))
    for name in ("train.jsonl", "val.jsonl", "val.picks.jsonl"):
        assert (outs["csv"] / name).read_bytes() == (outs["polars"] / name).read_bytes(), name
    assert io.BytesIO((outs["polars"] / "train.jsonl").read_bytes()).getbuffer().nbytes > 10 ** 8
