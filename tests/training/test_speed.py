"""The time estimate follows measured speed: the precision probe's GFLOP/s before any run, then the tokens/s a run
measured on this machine; status.json's ETA comes from the run's own step times."""
from __future__ import annotations

import json
import statistics

import pytest

from copilot.training.base_models import CATALOG
from copilot.training.precision import PrecisionChoice
from copilot.training.presets import config_from_preset, estimate_device
from copilot.training.speed import estimate_speed, flops_per_token, read_records, record_run_speed
from tests.training.conftest import write_dataset


def quiet(*_a, **_k):
    pass


def probe_at(fp32: float, bf16: float) -> PrecisionChoice:
    return PrecisionChoice("bf16" if bf16 > fp32 else "fp32", "test figures", fp32, bf16)


def test_the_estimate_follows_the_measured_speed(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    smol, mistral = CATALOG["smollm2-135m-instruct"], CATALOG["mistral-7b-instruct"]
    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("cpu-small", dataset=str(ds), precision="fp32", grad_accum=4)  # 4 examples a step
    # before any run: the probe's matmul speed over the FLOPs a token costs
    slow = estimate_device(cfg, smol, None, choice=probe_at(10.0, 5.0), measure=False)
    fast = estimate_device(cfg, smol, None, choice=probe_at(20.0, 5.0), measure=False)
    assert slow.speed.source == "probe" and slow.speed.tokens_per_s == pytest.approx(10e9 / flops_per_token(smol, cfg))
    assert slow.seconds_per_step == pytest.approx(2 * fast.seconds_per_step)
    assert "fp32 matmul 10 GFLOP/s" in slow.message
    # precision=auto takes the precision the probe chose, at its speed
    auto = estimate_speed(cfg.replace(precision="auto"), smol, choice=probe_at(10.0, 40.0), measure=False)
    assert auto.tokens_per_s == pytest.approx(4 * slow.speed.tokens_per_s)
    # full fine-tuning costs 6N a token against LoRA's 4N
    full = estimate_speed(cfg.replace(finetune="full"), smol, choice=probe_at(10.0, 5.0), measure=False)
    assert full.tokens_per_s == pytest.approx(slow.speed.tokens_per_s * 4 / 6)
    # no probe figures and no run: no time estimate rather than a made-up one
    assert estimate_device(cfg, smol, None, measure=False).seconds_per_step is None

    # a run measured 200 tokens/s, 150 tokens an example: the estimate uses that, not the probe
    metrics = [{"step": i, "tokens_per_s": tps, "tokens": 600} for i, tps in enumerate([5.0, 190, 200, 210], 1)]
    rec = record_run_speed(tmp_path / "run-a", cfg, smol, "cpu", "fp32", metrics)
    assert rec["tokens_per_s"] == 200 and rec["tokens_per_example"] == 150  # median without the first step
    measured = estimate_device(cfg, smol, None, choice=probe_at(10.0, 5.0), measure=False)
    assert measured.speed.source == "measured" and measured.speed.tokens_per_s == 200
    assert "200 tokens/s measured in run-a" in measured.message
    # twice the measured speed, half the time per step
    record_run_speed(tmp_path / "run-b", cfg, smol, "cpu", "fp32", [dict(m, tokens_per_s=m["tokens_per_s"] * 2)
                                                                    for m in metrics])
    again = estimate_device(cfg, smol, None, measure=False)
    assert again.seconds_per_step == pytest.approx(measured.seconds_per_step / 2)
    # another base model: the same effective GFLOP/s, scaled by its FLOPs per token
    big = estimate_speed(cfg.replace(base_model="mistral-7b-instruct"), mistral, measure=False)
    assert big.tokens_per_s == pytest.approx(400 * flops_per_token(smol, cfg) / flops_per_token(mistral, cfg))
    assert "scaled from smollm2-135m-instruct" in big.detail
    # a different precision or way of fine-tuning is another measurement
    assert estimate_speed(cfg.replace(finetune="full"), smol, measure=False) is None


def test_a_run_keeps_its_speed_and_status_has_its_eta(smoke_base, tmp_path):
    from copilot.training.run_folder import read_metrics, read_status
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=5, save_every=5, eval_examples=0)
    run = tmp_path / "run"
    train(cfg, run, base=smoke_base, log=quiet)
    ms = read_metrics(run)
    rec = read_records()["cpu:fp32:lora"]
    assert rec["run"] == str(run) and rec["steps"] == 4
    assert rec["tokens_per_s"] == pytest.approx(statistics.median(m["tokens_per_s"] for m in ms[1:]), abs=0.06)
    st = read_status(run)
    # status.json keeps 3 decimals: a 0.07 s step is only that close to the mean
    assert st["eta_s"] == 0 and st["seconds_per_step"] == pytest.approx(
        statistics.mean(m["step_time_s"] for m in ms), abs=5.01e-4)
    assert st["eta_source"] == "this run's last 5 step(s)"
    est = estimate_device(cfg, smoke_base.spec, None, measure=False)
    assert est.speed.source == "measured" and est.speed.tokens_per_s == rec["tokens_per_s"]
    assert json.loads((run / "run.json").read_text())["finetune"] == "lora"


def test_a_run_that_dies_after_a_checkpoint_still_keeps_its_speed(smoke_base, tmp_path):
    """The speed is kept at every checkpoint, not only at the end: a crashed or killed run leaves it too."""
    from copilot.training.trainer import train

    class Killed(Exception):
        pass

    def die_at_step_4(rec):
        if rec["step"] == 4:
            raise Killed

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=8, save_every=3, eval_examples=0)
    with pytest.raises(Killed):
        train(cfg, tmp_path / "run", base=smoke_base, log=quiet, on_step=die_at_step_4)
    rec = read_records()["cpu:fp32:lora"]
    assert rec["run"] == str(tmp_path / "run") and rec["steps"] == 2  # steps 2-3: the first is left out
