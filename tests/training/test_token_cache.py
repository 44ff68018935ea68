"""The tokenized-examples cache beside a dataset: a second start reads what the first encoded, byte for byte; a
changed file, length or tokenizer gets its own entry; a damaged entry is encoded again and said."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("datasets")
pytest.importorskip("transformers")

from tests.training.conftest import write_dataset  # noqa: E402


@pytest.fixture()
def encoder(smoke_base):
    from transformers import AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder

    return ChatEncoder(AutoTokenizer.from_pretrained(str(smoke_base.path)))


def _rows(enc):
    return enc.dataset["input_ids"], enc.dataset["assistant_masks"], enc.n, enc.skipped, enc.tokens


def test_a_second_start_reads_the_cache_and_gets_the_same_examples(tmp_path, encoder):
    from copilot.training.data_stream import JsonlFile
    from copilot.training.sft_data import encode_jsonl

    ds = write_dataset(tmp_path / "ds", n_train=12)
    jsonl, cache, said = JsonlFile(ds / "train.jsonl"), ds / "tokenized", []
    plain = encode_jsonl(jsonl, encoder, 512)
    first = encode_jsonl(jsonl, encoder, 512, cache_dir=cache, log=said.append)
    assert not said and len(list(cache.iterdir())) == 1
    second = encode_jsonl(jsonl, encoder, 512, cache_dir=cache, log=said.append)
    assert said and "from the cache" in said[-1]
    assert _rows(plain) == _rows(first) == _rows(second)
    # a shorter max length skips examples: its own entry, with its own counts
    lengths = sorted(len(ids) for ids in plain.dataset["input_ids"])
    short = encode_jsonl(jsonl, encoder, lengths[5], cache_dir=cache, log=said.append)
    assert short.skipped == sum(n > lengths[5] for n in lengths) > 0 and short.skipped + short.n == 12
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 2


def test_a_changed_file_or_tokenizer_is_not_read_from_the_old_entry(tmp_path, encoder, smoke_base):
    from copilot.training import token_cache

    ds = write_dataset(tmp_path / "ds", n_train=6)
    key = token_cache.cache_key(ds / "train.jsonl", encoder, 512, 0)
    write_dataset(tmp_path / "ds", n_train=6, favourite="Friendly Ghost")
    assert token_cache.cache_key(ds / "train.jsonl", encoder, 512, 0) != key
    assert token_cache.cache_key(ds / "train.jsonl", encoder, 512, 3) != token_cache.cache_key(
        ds / "train.jsonl", encoder, 512, 0)
    encoder.tok.chat_template = encoder.tok.chat_template.replace("<|im_start|>", "<|im_start|> ")
    assert token_cache.tokenizer_fingerprint(encoder) != token_cache.tokenizer_fingerprint(
        type(encoder)(__import__("transformers").AutoTokenizer.from_pretrained(str(smoke_base.path))))


def test_a_damaged_entry_is_encoded_again_with_a_message(tmp_path, encoder):
    from copilot.training.data_stream import JsonlFile
    from copilot.training.sft_data import encode_jsonl

    ds = write_dataset(tmp_path / "ds", n_train=8)
    jsonl, cache, said = JsonlFile(ds / "train.jsonl"), ds / "tokenized", []
    good = encode_jsonl(jsonl, encoder, 512, cache_dir=cache, log=said.append)
    entry = next(cache.iterdir())
    for f in (entry / "data").glob("*.arrow"):
        f.write_bytes(f.read_bytes()[:100])  # a partial copy
    again = encode_jsonl(jsonl, encoder, 512, cache_dir=cache, log=said.append)
    assert any("unreadable" in s and "encoding the dataset again" in s for s in said)
    assert _rows(again) == _rows(good)
    assert json.loads((next(cache.iterdir()) / "info.json").read_text())["n"] == 8


def test_a_folder_that_cannot_be_written_trains_without_the_cache(tmp_path, encoder):
    from copilot.training.data_stream import JsonlFile
    from copilot.training.sft_data import encode_jsonl

    ds = write_dataset(tmp_path / "ds", n_train=4)
    (ds / "tokenized").write_text("a file where the cache folder would go")
    said = []
    enc = encode_jsonl(JsonlFile(ds / "train.jsonl"), encoder, 512, cache_dir=ds / "tokenized", log=said.append)
    assert enc.n == 4 and any("not cached" in s for s in said)


def test_a_long_first_encoding_says_how_far_it_is(tmp_path, encoder):
    """A first start encodes every example (minutes for a rules-text dataset): it logs its progress as it goes."""
    from copilot.training.data_stream import JsonlFile
    from copilot.training.sft_data import _encode

    ds = write_dataset(tmp_path / "ds", n_train=5)
    said: list[str] = []
    enc = _encode(JsonlFile(ds / "train.jsonl"), encoder, 512, 0, log=said.append, every_s=0.0)
    assert enc.n == 5 and len(said) == 5
    assert said[0].startswith("encoding train.jsonl: 0 of 5 examples") and "4 of 5" in said[-1]


def test_examples_that_never_fit_are_found_early_with_the_length_that_would(tmp_path, encoder, monkeypatch):
    from copilot.training import sft_data
    from copilot.training.data_stream import JsonlFile
    from copilot.training.dataset import DatasetError

    ds = write_dataset(tmp_path / "ds", n_train=5)
    jsonl = JsonlFile(ds / "train.jsonl")
    shortest = min(len(encoder.encode_masked(jsonl[i])[0]) for i in range(5))
    with pytest.raises(DatasetError, match=f"no training example fits max_seq_len=10 \\(the shortest has "
                                           f"{shortest} tokens\\)"):
        sft_data._encode(jsonl, encoder, 10, 0)
    monkeypatch.setattr(sft_data, "FAIL_FAST", 2)  # a big dataset stops after its first examples
    with pytest.raises(DatasetError, match="the first 2 training examples are all longer than max_seq_len=10"):
        sft_data._encode(jsonl, encoder, 10, 0)
