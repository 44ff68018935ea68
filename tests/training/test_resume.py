"""Stop file, resume from the last checkpoint (the loss curve continues exactly), corrupt/missing checkpoints."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from copilot.training.presets import config_from_preset
from tests.training.conftest import write_dataset

torch = pytest.importorskip("torch")


def quiet(*_a, **_k):
    pass


def losses(run):
    return [(r["step"], r["loss"]) for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())]


def runner_env(copilot_home):
    import os

    return dict(os.environ, COPILOT_HOME=str(copilot_home), PYTHONUNBUFFERED="1")


@pytest.mark.slow
def test_stop_then_resume_in_a_subprocess_continues_the_loss_curve(smoke_base, copilot_home, tmp_path):
    from copilot.training.run_folder import STOP_FILE, read_status
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=10, save_every=3, eval_examples=0,
                             lora_dropout=0.1)  # dropout makes the RNG state matter

    ref = tmp_path / "reference"
    train(cfg, ref, base=smoke_base, log=quiet)

    run = tmp_path / "run"
    cfg.save(run)

    def stop_at_5(rec):
        if rec["step"] == 5:
            (run / STOP_FILE).write_text("stop")

    res = train(cfg, run, base=smoke_base, on_step=stop_at_5, log=quiet)
    assert res.state == "stopped" and res.step == 5
    assert read_status(run)["state"] == "stopped" and not (run / STOP_FILE).exists()
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000003", "step-000005"]
    assert [s for s, _ in losses(run)] == [1, 2, 3, 4, 5]

    r = subprocess.run([sys.executable, "-m", "copilot.training.runner", str(run)], capture_output=True, text=True,
                       env=runner_env(copilot_home), timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "resumed from step-000005" in r.stdout
    got, want = losses(run), losses(ref)
    assert [s for s, _ in got] == list(range(1, 11))  # no repeated, no skipped steps
    for (s, a), (_, b) in zip(got, want):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5), f"step {s}: resumed {a} vs uninterrupted {b}"
    assert read_status(run)["state"] == "done"


@pytest.mark.slow
def test_stop_file_stops_a_running_subprocess(smoke_base, copilot_home, tmp_path):
    from copilot.training import runner
    from copilot.training.run_folder import read_metrics, read_status

    ds = write_dataset(tmp_path / "ds")
    run = tmp_path / "run"
    config_from_preset("smoke", dataset=str(ds), max_steps=5000, save_every=1000, eval_examples=0).save(run)
    proc = runner.launch(run, env={"COPILOT_HOME": str(copilot_home)})
    try:
        deadline = time.time() + 300
        while len(read_metrics(run)) < 2:
            assert proc.poll() is None, (run / runner.LOG_NAME).read_text()[-2000:]
            assert time.time() < deadline
            time.sleep(0.2)
        assert runner.is_running(run)
        runner.request_stop(run)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    st = read_status(run)
    n = st["step"]
    assert st["state"] == "stopped" and 2 <= n < 5000 and st["last_checkpoint_step"] == n
    assert (run / "checkpoints" / f"step-{n:06d}" / "MANIFEST.json").is_file()
    assert not runner.is_running(run) and "state stopped" in runner.describe(run)


@pytest.mark.slow
def test_corrupt_checkpoint_falls_back_then_refuses_clearly(smoke_base, tmp_path):
    from copilot.training.checkpoints import CheckpointError, find_resume_checkpoint
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), max_steps=6, save_every=2, keep_checkpoints=2,
                             eval_examples=0)
    run = tmp_path / "run"
    train(cfg, run, base=smoke_base, log=quiet)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-000004", "step-000006"]

    # flip bytes in the newest optimizer state: resume falls back to step 4 and says why
    opt = run / "checkpoints" / "step-000006" / "optimizer.pt"
    data = bytearray(opt.read_bytes())
    data[len(data) // 2] ^= 0xFF
    opt.write_bytes(bytes(data))
    said = []
    assert find_resume_checkpoint(run, log=said.append)[0] == 4
    assert "step-000006" in said[0] and "optimizer.pt is corrupt (sha256 mismatch)" in said[0]
    assert (run / "checkpoints" / "step-000006.corrupt").is_dir()

    # resuming redoes steps 5-6 and leaves exactly one metrics line per step
    res = train(cfg, run, base=smoke_base, log=quiet)
    assert res.state == "done" and [s for s, _ in losses(run)] == [1, 2, 3, 4, 5, 6]

    # a truncated adapter in every checkpoint: refuse, naming each folder and the way out
    for ck in (run / "checkpoints").glob("step-??????"):
        w = ck / "adapter_model.safetensors"
        w.write_bytes(w.read_bytes()[:100])
    with pytest.raises(CheckpointError) as e:
        train(cfg, run, base=smoke_base, log=quiet)
    msg = str(e.value)
    assert "no usable checkpoint" in msg and "adapter_model.safetensors has 100 bytes" in msg and "--restart" in msg

    # checkpoints deleted while the status says one existed: refuse rather than silently restart at step 0
    import shutil

    shutil.rmtree(run / "checkpoints")
    with pytest.raises(CheckpointError, match="recorded a checkpoint at step 6 but .* holds none"):
        train(cfg, run, base=smoke_base, log=quiet)
    # --restart (resume=False) starts over
    assert train(cfg, run, resume=False, base=smoke_base, log=quiet).step == 6


def test_runner_reports_bad_config_and_missing_checkpoint(copilot_home, tmp_path):
    from copilot.training.runner import EXIT_BAD_INPUT, run
    from copilot.training.run_folder import read_status, write_status

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text(json.dumps({"dataset": "/x", "quant": "nf2"}))
    assert run(bad) == EXIT_BAD_INPUT
    assert read_status(bad)["state"] == "failed" and "quant='nf2'" in read_status(bad)["message"]

    ds = write_dataset(tmp_path / "ds")
    gone = tmp_path / "gone"
    config_from_preset("smoke", dataset=str(ds), max_steps=4).save(gone)
    write_status(gone, last_checkpoint_step=4)
    assert run(gone) == EXIT_BAD_INPUT
    st = read_status(gone)
    assert st["state"] == "failed" and "holds none" in st["message"] and not (gone / "train.pid").exists()
