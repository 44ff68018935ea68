"""Real LoRA training steps on the tiny random Mistral: run folder contents, loss masking, pick evaluation."""
from __future__ import annotations

import json

import pytest

from copilot.training.presets import config_from_preset
from tests.training.conftest import write_dataset

torch = pytest.importorskip("torch")


def quiet(*_a, **_k):
    pass


def test_assistant_only_labels(smoke_base, toy_dataset):
    from transformers import AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile

    tok = AutoTokenizer.from_pretrained(str(smoke_base.path))
    enc = ChatEncoder(tok)
    ex = JsonlFile(toy_dataset / "train.jsonl")[0]
    ids, labels = enc.encode(ex)
    supervised = [i for i, lab in zip(ids, labels) if lab != -100]
    assert tok.decode(supervised) == ex["messages"][-1]["content"] + "<|im_end|>\n"
    assert labels[:len(ids) - len(supervised)] == [-100] * (len(ids) - len(supervised))
    # the candidate scored at evaluation time is exactly the supervised answer up to the end marker
    assert enc.candidate_ids(ex["messages"][-1]["content"]) == supervised[:-1]


def test_smoke_run_writes_metrics_checkpoints_and_adapter(smoke_base, tmp_path):
    from copilot.training.checkpoints import verify_checkpoint
    from copilot.training.run_folder import read_status
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=8, save_every=4, eval_examples=3)
    run = tmp_path / "run"
    cfg.save(run)
    res = train(cfg, run, base=smoke_base, log=quiet)
    assert res.state == "done" and res.step == 8
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(1, 9))
    for r in lines:
        assert r["loss"] > 0 and r["lr"] > 0 and r["tokens_per_s"] > 0 and r["rss_mb"] > 0
    assert lines[-1]["val_n"] == 3 and 0 <= lines[-1]["val_top1"] <= lines[-1]["val_top3"] <= 1
    ck = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert ck == ["step-000004", "step-000008"]
    assert verify_checkpoint(run / "checkpoints" / "step-000008") == ""
    assert json.loads((run / "checkpoints" / "step-000008" / "trainer_state.json").read_text())["global_step"] == 8
    man = json.loads((run / "adapter" / "manifest.json").read_text())
    assert man["base_model"]["name"] == "smoke-mistral" and man["prompt_format"] == "test-v0"
    assert man["dataset"]["manifest"]["sets"] == ["DSK"] and man["steps"] == 8
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    st = read_status(run)
    assert st["state"] == "done" and st["step"] == 8 and st["last_checkpoint_step"] == 8


@pytest.mark.slow
def test_smoke_training_learns_the_toy_task(smoke_base, tmp_path):
    """60 steps on 'always pick Miasma Demon': the loss falls and the pick is right on unseen val packs."""
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds", n_train=16, n_val=6)
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=60, save_every=60, eval_examples=6)
    res = train(cfg, tmp_path / "run", base=smoke_base, log=quiet)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    first = sum(r["loss"] for r in lines[:5]) / 5
    last = sum(r["loss"] for r in lines[-5:]) / 5
    assert last < first * 0.5, (first, last)
    assert res.final_eval["val_top1"] >= 5 / 6


def test_bad_dataset_is_reported(smoke_base, tmp_path):
    from copilot.training.dataset import DatasetError
    from copilot.training.trainer import train

    cfg = config_from_preset("smoke", dataset=str(tmp_path / "missing"), max_steps=2)
    with pytest.raises(DatasetError, match="does not exist.*copilot dataset build"):
        train(cfg, tmp_path / "run", base=smoke_base, log=quiet)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "train.jsonl").write_text("")
    with pytest.raises(DatasetError, match="no val.jsonl"):
        train(cfg.replace(dataset=str(tmp_path / "half")), tmp_path / "run", base=smoke_base, log=quiet)


def test_a_time_budget_ends_the_run_as_finished(smoke_base, tmp_path):
    """max_minutes: the run ends like one that reached max_steps (final validation, adapter), at the first step
    that brings the summed step time over the budget; step time of earlier processes of the run counts."""
    from types import SimpleNamespace

    from copilot.training.callbacks import RunProtocol
    from copilot.training.config import ConfigError
    from copilot.training.run_folder import read_status
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds")
    said: list[str] = []
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=8, save_every=4, eval_examples=3,
                             max_minutes=1e-9)  # any real step takes longer
    res = train(cfg, tmp_path / "run", base=smoke_base, log=said.append)
    assert res.state == "done" and res.step == 1 and (tmp_path / "run" / "adapter").is_dir()
    last = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["step"] == 1 and last["val_n"] == 3  # the final validation ran
    assert read_status(tmp_path / "run")["state"] == "done"
    assert any("time budget" in s and "step 1 of 8" in s for s in said)
    with pytest.raises(ConfigError, match="max_minutes must be >= 0"):
        cfg.replace(max_minutes=-1).validate()

    def first_step(**kw):
        p = RunProtocol(tmp_path, device="cpu", max_steps=10, eval_every=0, keep=1, is_main=False, **kw)
        control = SimpleNamespace(should_training_stop=False, should_save=False, should_log=False)
        state = SimpleNamespace(global_step=1, num_input_tokens_seen=0)
        p.on_step_begin(None, state, control)
        p.on_step_end(None, state, control)
        return p.out_of_time, control.should_training_stop, control.should_save
    assert first_step(max_seconds=60.0, seconds_before=60.0) == (True, True, True)  # spent by an earlier process
    assert first_step(max_seconds=60.0, seconds_before=0.0) == (False, False, False)
    assert first_step() == (False, False, False)  # no budget
