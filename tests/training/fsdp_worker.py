"""Worker of tests/training/test_fsdp_cpu.py: full fine-tuning of the smoke model, sharded with torch's FSDP2
(`fully_shard`) over gloo CPU processes, with sharded checkpoints (torch.distributed.checkpoint, one file per rank).

    python -m torch.distributed.run --nproc_per_node 2 tests/training/fsdp_worker.py BASE DATASET OUT --steps N
        [--stop-after K] [--resume]          # sharded
    python tests/training/fsdp_worker.py BASE DATASET OUT --steps N   # one process, the same global batch

Step s takes examples 2s and 2s+1 of train.jsonl: rank r of 2 takes example 2s+r; one process takes both, each
loss halved (so its gradient is the mean of the two, as FSDP's reduce-scatter averages the ranks'). AdamW at a
constant lr, no dropout, no clipping: the only difference between the two is summation order.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch
import torch.distributed as dist


def batch_for(step: int, rank: int, world: int, encoded: list) -> list:
    pair = [encoded[(2 * step) % len(encoded)], encoded[(2 * step + 1) % len(encoded)]]
    return pair if world == 1 else [pair[rank]]


def loss_of(model, ids: list[int], labels: list[int]):
    out = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels]))
    return out.loss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("dataset")
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--stop-after", type=int, default=0)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if world > 1 else 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile

    tok = AutoTokenizer.from_pretrained(args.base)
    enc = ChatEncoder(tok)
    train = JsonlFile(Path(args.dataset) / "train.jsonl")
    encoded = [enc.encode(train[i]) for i in range(len(train))]
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32)
    model.train()
    full_numel = sum(p.numel() for p in model.parameters())
    if world > 1:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        mesh = init_device_mesh("cpu", (world,))
        for layer in model.model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
    local_numel = sum((p.to_local() if hasattr(p, "to_local") else p).numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)

    start = 0
    if args.resume:
        import torch.distributed.checkpoint as dcp
        from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

        ckpts = sorted(out.glob("step-*"))
        ck = ckpts[-1]
        msd, osd = get_state_dict(model, opt)
        dcp.load({"model": msd, "optim": osd}, checkpoint_id=str(ck))
        set_state_dict(model, opt, model_state_dict=msd, optim_state_dict=osd)
        start = int(ck.name[5:])
    log = open(out / "losses.jsonl", "a") if rank == 0 else None
    for step in range(start, args.steps):
        total = 0.0
        for ids, labels in batch_for(step, rank, world, encoded):
            loss = loss_of(model, ids, labels) / (2 if world == 1 else 1)
            loss.backward()
            total += float(loss.detach())
        opt.step()
        opt.zero_grad()
        if world > 1:
            t = torch.tensor([total])
            dist.all_reduce(t)
            total = float(t) / world
        if log:
            log.write(json.dumps({"step": step + 1, "loss": total}) + "\n")
            log.flush()
        if args.stop_after and step + 1 == args.stop_after:
            import torch.distributed.checkpoint as dcp
            from torch.distributed.checkpoint.state_dict import get_state_dict

            msd, osd = get_state_dict(model, opt)
            dcp.save({"model": msd, "optim": osd}, checkpoint_id=str(out / f"step-{step + 1:06d}"))
            break
    if rank == 0:
        (out / "shard.json").write_text(json.dumps({"world": world, "full_numel": full_numel,
                                                    "local_numel": local_numel}))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
