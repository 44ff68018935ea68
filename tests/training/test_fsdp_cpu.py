"""A sharded checkpoint saves and resumes on the CPU: the smoke model fully fine-tuned with torch's FSDP2
(`fully_shard`) over 2 gloo processes, stopped after step 3 with a sharded checkpoint (torch.distributed.checkpoint:
one file per rank), resumed in 2 new processes, gives the loss curve of one unsharded process at the same global
batch.

What this does not cover: the Trainer's own FSDP path (`copilot train` on several GPUs, accelerate's FSDP plugin,
accelerate_config.py). accelerate 1.15 applies its FSDP plugin only to GPU-like distributed types (MULTI_GPU,
MULTI_XPU, ...), never to MULTI_CPU (accelerate/state.py), so on a CPU the Trainer cannot shard: transformers 5.23's
Trainer given `fsdp=... fsdp_config={"version": 2, "state_dict_type": "SHARDED_STATE_DICT"}` under torchrun with 2
CPU processes reports distributed_type MULTI_CPU, is_fsdp_enabled False, wraps the model in DistributedDataParallel
and writes an unsharded model.safetensors + optimizer.pt, silently. The worker here shards with torch itself.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.conftest import write_dataset

torch = pytest.importorskip("torch")

WORKER = Path(__file__).with_name("fsdp_worker.py")
# Tolerance: per step |sharded - unsharded| <= 1e-4 * loss + 1e-5. The two differ only in summation order (the
# reduce-scatter of the two ranks' gradients against one process adding the two halves), ~1e-7 relative a step in
# fp32, compounding over 6 AdamW steps at lr 1e-3.
REL, ABS = 1e-4, 1e-5


def losses(folder: Path) -> list[float]:
    return [json.loads(x)["loss"] for x in (folder / "losses.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_fsdp2_sharded_checkpoint_resumes_with_the_unsharded_loss_curve(smoke_base, tmp_path):
    ds = write_dataset(tmp_path / "ds", n_train=12, n_val=1)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    common = [str(smoke_base.path), str(ds)]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
                "--nproc_per_node", "2", str(WORKER)]

    one = tmp_path / "one"
    r = subprocess.run([sys.executable, str(WORKER), *common, str(one), "--steps", "6"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]

    two = tmp_path / "two"
    r = subprocess.run([*torchrun, *common, str(two), "--steps", "6", "--stop-after", "3"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    ck = two / "step-000003"
    files = sorted(p.name for p in ck.iterdir())
    assert files == [".metadata", "__0_0.distcp", "__1_0.distcp"]  # one shard per rank
    shard = json.loads((two / "shard.json").read_text())
    assert shard["world"] == 2 and shard["local_numel"] <= shard["full_numel"] // 2 + 64  # rank 0 held half
    conf = json.loads((smoke_base.path / "config.json").read_text())
    tied = conf["vocab_size"] * conf["hidden_size"] if conf.get("tie_word_embeddings") else 0
    full_bytes = (shard["full_numel"] * 3 + tied) * 4  # fp32 weights (lm_head listed too) + AdamW's two moments
    sizes = [(ck / n).stat().st_size for n in ("__0_0.distcp", "__1_0.distcp")]
    assert abs(sizes[0] - sizes[1]) < 0.05 * sizes[0]  # half the state each
    assert full_bytes <= sum(sizes) < 1.1 * full_bytes, (sizes, full_bytes)
    assert len(losses(two)) == 3

    r = subprocess.run([*torchrun, *common, str(two), "--steps", "6", "--resume"], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = losses(one), losses(two)
    assert len(a) == len(b) == 6
    print(f"unsharded {[round(x, 6) for x in a]}\nsharded   {[round(x, 6) for x in b]}\n"
          f"max |diff| {max(abs(x - y) for x, y in zip(a, b)):.2e}; shard files "
          f"{sizes} bytes, full state {full_bytes}")
    for step, (x, y) in enumerate(zip(a, b), 1):
        assert abs(x - y) <= REL * x + ABS, f"step {step}: unsharded {x} vs sharded+resumed {y}"
    assert a[-1] < a[0]  # it trains
