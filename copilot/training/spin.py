"""SPIN (`--method spin --from SFT_RUN`): rounds of self-play picks -> DPO, resumable per round.

Round r (1-based) runs global steps (r-1)*P+1 .. r*P, P = max_steps // spin_rounds, in one metrics file. At its start
the current model picks on `spin_pool` training picks (the pools are drawn up front with the run's seed, so a resumed
run draws the same ones); every pick becomes a pair (`preference.self_play_pairs`: the human's card over the model's
top card where they disagree, over its runner-up where they agree; `spin_agreements=False` keeps only the
disagreements), and the model as it is then becomes the round's DPO reference. Both are kept in the run folder
before the round trains:

    RUN/spin/round-NN/pairs.jsonl   the round's pairs
    RUN/spin/round-NN/start/        the model at the round's start (the LoRA adapter, or the whole model), its reference
    RUN/spin/round-NN/round.json    picks scored, disagreements

Resume: from the last checkpoint, step S. Mid-round (S inside round r), the round's start model and pairs are
loaded, its reference rebuilt from that start, and the Trainer resumes from the checkpoint (weights, optimizer,
scheduler, RNG, the batches already seen); the rounds before it are kept (metrics, status.json's `spin_rounds`).
At a round's end (S = r*P) the next round starts from the checkpoint's model. Steps are neither repeated nor skipped.
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

from copilot.fileio import atomic_write_json, atomic_write_text
from copilot.training.dataset import DatasetError
from copilot.training.run_folder import read_status, write_status

SPIN_DIR = "spin"


def round_dir(run_dir: Path, r: int) -> Path:
    return Path(run_dir) / SPIN_DIR / f"round-{r:02d}"


def save_round(run_dir: Path, r: int, model, pairs, info: dict) -> None:
    """The round's pairs and start model, written under a temporary name and renamed (whole or not at all)."""
    final = round_dir(run_dir, r)
    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    atomic_write_text(tmp / "pairs.jsonl", "".join(json.dumps({"messages": list(p.messages), "chosen": p.chosen,
                                                               "rejected": p.rejected}) + "\n" for p in pairs))
    kept = {"selected_adapters": ["default"]} if hasattr(model, "peft_config") else {}
    model.save_pretrained(str(tmp / "start"), safe_serialization=True, **kept)
    atomic_write_json(tmp / "round.json", info)
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)


def load_round(run_dir: Path, r: int) -> tuple[list, dict, Path]:
    from copilot.training.preference import Pair

    d = round_dir(run_dir, r)
    if not (d / "round.json").is_file() or not (d / "start").is_dir():
        raise DatasetError(f"{d} is missing or incomplete: SPIN round {r} cannot resume; start the run again with "
                           f"`copilot train --resume {run_dir} --restart`")
    pairs = []
    for line in (d / "pairs.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        pairs.append(Pair(tuple({"role": m["role"], "content": m["content"]} for m in row["messages"]),
                          row["chosen"], row["rejected"]))
    return pairs, json.loads((d / "round.json").read_text()), d / "start"


def train_spin(ctx, sft_result: Path, examples: list, on_step, log, resume: bool):
    from copilot.training.callbacks import RunProtocol
    from copilot.training.dpo import _dpo_trainer, _running, load_policy
    from copilot.training.model_setup import autocast_ctx
    from copilot.training.preference import sample_pools, self_play_pairs
    from copilot.training.trainer import finish, resume_point, validation_fn, write_run_info

    cfg = ctx.cfg
    if not resume and ctx.is_main:
        shutil.rmtree(ctx.run_dir / SPIN_DIR, ignore_errors=True)
    start_step, ckpt = resume_point(ctx, resume, log)
    per_round = max(1, cfg.max_steps // cfg.spin_rounds)
    rng = random.Random(cfg.seed)
    pools = sample_pools(examples, cfg.spin_pool, cfg.spin_rounds, rng)
    done, within = divmod(start_step, per_round)
    first, mid_round = done + 1, ckpt is not None and within != 0  # the round of step start_step + 1
    rounds = [r for r in read_status(ctx.run_dir).get("spin_rounds") or [] if r.get("round", 0) < first]
    precision = ctx.precision.precision
    write_run_info(ctx, "spin", {"from_run": str(Path(cfg.from_run).resolve()), "rounds": cfg.spin_rounds,
                                 "steps_per_round": per_round, "pool": cfg.spin_pool, "beta": cfg.beta})
    _running(ctx, start_step)
    if first > cfg.spin_rounds:  # every round had finished; only the result was missing
        model = load_policy(cfg, ctx.base.path, ckpt, ctx.device, precision)
        return _finish_without_training(ctx, model, start_step, rounds, log)
    if mid_round:
        pairs, info, start = load_round(ctx.run_dir, first)
        model = load_policy(cfg, ctx.base.path, start, ctx.device, precision)
        log(f"SPIN: resuming round {first}/{cfg.spin_rounds} at step {start_step} ({len(pairs)} pairs kept)")
    else:
        model = load_policy(cfg, ctx.base.path, ckpt or sft_result, ctx.device, precision)
        if ckpt is not None:
            log(f"SPIN: rounds 1-{first - 1} done; round {first} starts from {ckpt.name}")
    trainer = protocol = None
    for r in range(first, cfg.spin_rounds + 1):
        resuming = mid_round and r == first
        if not resuming:
            pairs, scored, disagreements = self_play_pairs(
                model, ctx.encoder, pools[r - 1], ctx.device,
                autocast_ctx(cfg.replace(precision=precision), ctx.device), agreements=cfg.spin_agreements)
            info = {"round": r, "scored": scored, "disagreements": disagreements, "pairs": len(pairs)}
            log(f"SPIN round {r}/{cfg.spin_rounds}: the model disagrees with the human on {disagreements} of "
                f"{scored} training picks; {len(pairs)} pairs")
            if not pairs:
                break
            if ctx.is_main:
                save_round(ctx.run_dir, r, model, pairs, info)
        rounds.append(dict(info))
        if "ref" in getattr(model, "peft_config", {}):
            model.delete_adapter("ref")  # TRL copies the current adapter as this round's reference
        protocol = RunProtocol(ctx.run_dir, device=ctx.device, max_steps=per_round, eval_every=0,
                               keep=cfg.keep_checkpoints, is_main=ctx.is_main, evaluate=validation_fn(ctx),
                               on_step=on_step, step_offset=(r - 1) * per_round, extra_fields={"round": r})
        trainer = _dpo_trainer(ctx, model, pairs, per_round, protocol)
        try:
            trainer.train(resume_from_checkpoint=str(ckpt) if resuming else None)
        finally:
            protocol.close()
        rounds[-1]["eval"] = protocol.final_eval
        if hasattr(model, "peft_config"):
            model.set_adapter("default")
        if protocol.stopped:
            rounds.pop()  # an unfinished round is not reported as a round
            break
        if ctx.is_main:
            write_status(ctx.run_dir, spin_rounds=rounds)
    if trainer is None:
        if rounds:
            return _finish_without_training(ctx, model, start_step, rounds, log)
        raise DatasetError("SPIN: no preference pairs: the pool had no scoreable pick, or (spin_agreements=False) "
                           "the SFT model already agrees with every human pick of it; nothing to learn")
    return finish(ctx, trainer, protocol, log, spin_rounds=rounds)


def _finish_without_training(ctx, model, step: int, rounds: list, log):
    from copilot.training.run_state import RunState
    from copilot.training.trainer import TrainResult, write_final_adapter

    final_eval = rounds[-1].get("eval") if rounds else None
    out = None
    if ctx.is_main:
        out = write_final_adapter(ctx, model, step, final_eval, spin_rounds=rounds)
        write_status(ctx.run_dir, state=RunState.DONE, step=step, pid=None, message=f"finished; result in {out}",
                     final_eval=final_eval, spin_rounds=rounds, result=str(out))
    log(f"SPIN done at step {step}; result in {out}")
    return TrainResult(RunState.DONE, step, ctx.run_dir, None, out, final_eval)
