"""`copilot train` and `copilot export` as a user runs them (real subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.training.conftest import write_dataset


def cli(*args, env, timeout=600):
    return subprocess.run([sys.executable, "-m", "copilot", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_cli_errors_are_clear_and_fast(tmp_path):
    env = dict(os.environ, COPILOT_HOME=str(tmp_path / "home"))
    r = cli("train", "--preset", "cpu-small", env=env)
    assert r.returncode == 2 and "--dataset DIR is required" in r.stderr
    r = cli("train", "--preset", "gpu-99gb", "--dataset", "x", env=env)
    assert r.returncode == 2 and "unknown preset 'gpu-99gb'" in r.stderr
    r = cli("train", "--status", str(tmp_path / "nothing"), env=env)
    assert r.returncode == 0 and "not started" in r.stdout
    r = cli("export", str(tmp_path / "nothing"), "--quant", "Q3_K", env=env)
    assert r.returncode == 2 and "unknown quantization Q3_K" in r.stderr


@pytest.mark.slow
def test_cli_train_then_export(smoke_base, copilot_home, tmp_path):
    env = dict(os.environ, COPILOT_HOME=str(copilot_home))
    ds = write_dataset(tmp_path / "ds")
    run = tmp_path / "run"
    r = cli("train", "--preset", "smoke", "--dataset", str(ds), "--out", str(run), "--steps", "6",
            "--set", "save_every=3", "--set", "eval_examples=2", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no CUDA GPU: training will run on CPU with tiny random Mistral" in r.stdout
    assert "step     6" in r.stdout and "state done" in r.stdout
    assert json.loads((run / "config.json").read_text())["max_steps"] == 6
    # the same folder again is refused; --resume with more steps continues it
    r = cli("train", "--preset", "smoke", "--dataset", str(ds), "--out", str(run), env=env)
    assert r.returncode == 2 and "already holds a run" in r.stderr
    r = cli("train", "--resume", str(run), "--steps", "8", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))
    r = cli("export", str(run), "--quant", "Q8_0,Q4_K_M", "--json", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout[r.stdout.index("{"):])
    assert set(out["registered"]) == {"Q8_0", "Q4_K_M"}
    r = cli("models", "list", env=env)
    assert out["registered"]["Q4_K_M"] in r.stdout
