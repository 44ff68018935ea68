"""DPO and SPIN from a finished SFT run (TRL's DPOTrainer, the run protocol's callbacks), pairs from draft data."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from copilot.training.presets import config_from_preset
from tests.training.conftest import write_dataset

torch = pytest.importorskip("torch")
pytest.importorskip("trl")


def quiet(*_a, **_k):
    pass


def lines(run):
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def test_random_pairs_come_from_the_same_pack(tmp_path):
    from copilot.training.data_stream import JsonlFile
    from copilot.training.preference import random_pairs

    ds = write_dataset(tmp_path / "ds", n_train=10)
    f = JsonlFile(ds / "train.jsonl")
    examples = [f[i] for i in range(len(f))]
    pairs = random_pairs(examples, 3, seed=1)
    assert len(pairs) == 30
    for p, ex in zip(pairs[::3], examples):
        assert p.chosen == ex["messages"][-1]["content"] and p.rejected != p.chosen
        assert p.rejected in ex["meta"]["candidates"]
    assert random_pairs(examples, 3, seed=1) == pairs  # seeded
    t = pairs[0].to_trl()
    assert t["prompt"][-1]["role"] == "user" and t["chosen"][0]["role"] == t["rejected"][0]["role"] == "assistant"


def test_dpo_and_spin_run_to_the_end_from_a_smoke_sft_run(smoke_base, copilot_home, tmp_path):
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds", n_train=16, n_val=4)
    sft = tmp_path / "sft"
    train(config_from_preset("smoke", dataset=str(ds), max_steps=4, save_every=4, eval_examples=2), sft,
          base=smoke_base, log=quiet)
    env = dict(os.environ, COPILOT_HOME=str(copilot_home), PYTHONUNBUFFERED="1")
    for method, extra in (("dpo", []), ("spin", ["--set", "spin_rounds=2", "--set", "spin_pool=6"])):
        out = tmp_path / method
        r = subprocess.run([sys.executable, "-m", "copilot", "train", "--method", method, "--preset", "smoke",
                            "--from", str(sft), "--dataset", str(ds), "--out", str(out), "--steps", "4",
                            "--set", "eval_examples=2", "--set", "save_every=2", *extra],
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:], (out / "train.log").read_text()[-3000:])
        ms = lines(out)
        assert [m["step"] for m in ms] == [1, 2, 3, 4], method
        assert all(m["loss"] > 0 and m["tokens_per_s"] > 0 and "rewards_margins" in m for m in ms)
        assert ms[-1]["val_n"] == 2
        st = json.loads((out / "status.json").read_text())
        assert st["state"] == "done" and st["last_checkpoint_step"] == 4
        man = json.loads((out / "adapter" / "manifest.json").read_text())
        assert man["config"]["method"] == method and man["config"]["from_run"] == str(sft.resolve())
        assert (out / "adapter" / "adapter_model.safetensors").is_file()
        assert not (out / "adapter" / "ref").exists()  # the frozen reference copy is not part of the result
        if method == "spin":
            assert [m["round"] for m in ms] == [1, 1, 2, 2]
            assert [r["round"] for r in st["spin_rounds"]] == [1, 2]


def test_preference_needs_a_finished_sft_run(smoke_base, tmp_path):
    from copilot.training.dataset import DatasetError
    from copilot.training.dpo import train_preference

    ds = write_dataset(tmp_path / "ds")
    cfg = config_from_preset("smoke", dataset=str(ds), method="dpo", from_run=str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match="no finished SFT adapter"):
        train_preference(cfg, tmp_path / "run", base=smoke_base, log=quiet)


@pytest.mark.slow
def test_dpo_on_smollm_raises_the_human_pick_margin_on_held_out_pairs(copilot_home, tmp_path):
    """SmolLM2-135M: a near-untrained SFT run (1 step at lr 1e-6), then 12 DPO steps on "human pick over another
    card of the pack" pairs. On held-out validation pairs the mean log p(human pick) - log p(rejected) must rise by
    at least 1.0 nat (THRESHOLD) and more held-out pairs must have a positive margin than before."""
    from transformers import AutoTokenizer

    from copilot.training.base_models import resolve_base_model
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.data_stream import JsonlFile
    from copilot.training.dpo import load_policy, train_preference
    from copilot.training.preference import pair_margin, random_pairs
    from copilot.training.trainer import train

    THRESHOLD = 1.0
    base = resolve_base_model("smollm2-135m-instruct", log=quiet)
    ds = write_dataset(tmp_path / "ds", n_train=24, n_val=8)
    common = dict(dataset=str(ds), base_model="smollm2-135m-instruct", max_seq_len=384, num_threads=2,
                  eval_examples=0, save_every=100, precision="fp32", lora_r=8, lora_alpha=16, warmup_steps=0)
    sft = tmp_path / "sft"
    train(config_from_preset("smoke", max_steps=1, learning_rate=1e-6, **common), sft, base=base, log=quiet)
    dpo = tmp_path / "dpo"
    cfg = config_from_preset("smoke", max_steps=12, learning_rate=5e-4, method="dpo", from_run=str(sft), **common)
    train_preference(cfg, dpo, base=base, log=quiet)

    val = JsonlFile(ds / "val.jsonl")
    held_out = random_pairs([val[i] for i in range(len(val))], 1, seed=99)
    enc = ChatEncoder(AutoTokenizer.from_pretrained(str(base.path)))
    before = pair_margin(load_policy(cfg, base.path, sft / "adapter", "cpu", "fp32"), enc, held_out, "cpu")
    after = pair_margin(load_policy(cfg, base.path, dpo / "adapter", "cpu", "fp32"), enc, held_out, "cpu")
    print(f"held-out pairs {after['pairs']}: margin {before['margin']:.3f} -> {after['margin']:.3f} nats, "
          f"positive {before['positive']:.2f} -> {after['positive']:.2f}")
    assert after["margin"] >= before["margin"] + THRESHOLD
    assert after["positive"] > before["positive"]


def test_pairs_and_self_play_pool_take_every_pick_of_a_conversation(shared_data, tmp_path):
    """A per-pack conversation line holds 14 picks: each is a pick of its own (not only the line's last, whose pack
    has one card left and would give no pair)."""
    import random

    from copilot.training.dataset import DatasetConfig, build_dataset, iter_examples
    from copilot.training.preference import random_pairs, sample_pools

    build_dataset(DatasetConfig(picks=shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz", out=tmp_path / "c",
                                prompt_format="conversation", catalog="none", max_drafts=2, val_drafts=1,
                                segment="pack"))
    examples = list(iter_examples(tmp_path / "c", "train"))
    assert len(examples) == 3
    pairs = random_pairs(examples, 1, seed=3)
    assert len(pairs) == 3 * 13  # picks 1-13 of each pack; pick 14 has nothing to reject
    for p in pairs:
        turn = p.messages[-1]["content"]
        assert p.messages[-1]["role"] == "user" and p.chosen in turn and p.rejected in turn
    assert {len(p.messages) for p in pairs} == {2 + 2 * k for k in range(13)}  # the conversation up to the pick
    picks = sample_pools(examples, 20, 1, random.Random(0))[0]
    assert len(picks) == 20 and all(x["messages"][-1]["role"] == "assistant" for x in picks)
    assert len({len(x["messages"]) for x in picks}) > 3


def test_a_short_run_tokenizes_only_the_pairs_it_uses():
    from copilot.training.preference import Pair, pairs_for_steps

    pairs = [Pair(({"role": "user", "content": f"p{i}"},), "a", "b") for i in range(50)]
    assert pairs_for_steps(pairs, 80, seed=1) is pairs
    few = pairs_for_steps(pairs, 12, seed=1)
    ids = [pairs.index(p) for p in few]
    assert len(ids) == len(set(ids)) == 12
    assert pairs_for_steps(pairs, 12, seed=1) == few and pairs_for_steps(pairs, 12, seed=2) != few


@pytest.mark.slow
@pytest.mark.parametrize("finetune", ["lora", "full"])
def test_a_stopped_spin_run_resumes_in_its_round(smoke_base, tmp_path, finetune):
    """SPIN, 2 rounds of 3 steps: stopped by the STOP file at step 5 (round 2), resumed: round 1 is kept, round 2
    continues from its checkpoint against its own reference, and the loss curve is the uninterrupted run's."""
    from copilot.training.dpo import train_preference
    from copilot.training.run_folder import STOP_FILE, read_status
    from copilot.training.spin import round_dir
    from copilot.training.trainer import train

    ds = write_dataset(tmp_path / "ds", n_train=16, n_val=2)
    sft = tmp_path / "sft"
    train(config_from_preset("smoke", dataset=str(ds), max_steps=4, save_every=4, eval_examples=0,
                             finetune=finetune), sft, base=smoke_base, log=quiet)
    cfg = config_from_preset("smoke", dataset=str(ds), method="spin", from_run=str(sft), max_steps=6, save_every=2,
                             eval_examples=2, spin_rounds=2, spin_pool=8, finetune=finetune)
    ref = tmp_path / "uninterrupted"
    train_preference(cfg, ref, base=smoke_base, log=quiet)

    run = tmp_path / "run"

    def stop_at_5(rec):
        if rec["step"] == 5:
            (run / STOP_FILE).write_text("stop")

    res = train_preference(cfg, run, base=smoke_base, on_step=stop_at_5, log=quiet)
    assert res.state == "stopped" and res.step == 5
    st = read_status(run)
    assert st["state"] == "stopped" and [r["round"] for r in st["spin_rounds"]] == [1]
    assert (round_dir(run, 2) / "pairs.jsonl").is_file() and (round_dir(run, 2) / "start").is_dir()
    said = []
    res = train_preference(cfg, run, base=smoke_base, log=said.append)
    assert res.state == "done" and res.step == 6
    assert any("resuming round 2/2 at step 5" in s for s in said), said
    assert not any("SPIN round 1/2" in s for s in said)  # round 1 is not played again
    got, want = lines(run), lines(ref)
    assert [(m["step"], m["round"]) for m in got] == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2)]
    for a, b in zip(got, want):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4, abs=1e-5), (a["step"], a["loss"], b["loss"])
    st = read_status(run)
    assert st["state"] == "done" and [r["round"] for r in st["spin_rounds"]] == [1, 2]
    assert st["spin_rounds"] == read_status(ref)["spin_rounds"]  # same pairs, same evaluations
    result = run / ("model" if finetune == "full" else "adapter")
    assert json.loads((result / "manifest.json").read_text())["config"]["method"] == "spin"


def test_self_play_pairs_keep_the_picks_where_the_model_agrees(smoke_base, tmp_path):
    """Where the model's top card is the human's, the pair rejects the model's runner-up (not only disagreements:
    a model that always answers "A)" would otherwise get pairs that all reject "A)"); with agreements off, only the
    disagreements are pairs. Half the picks are rewritten so that the human took the model's own top card."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot.picking.scoring import score_answers
    from copilot.training.chat_encoding import ChatEncoder
    from copilot.training.preference import _pick_parts, _picks, self_play_pairs

    ds = write_dataset(tmp_path / "ds", n_train=10, n_val=1)
    enc = ChatEncoder(AutoTokenizer.from_pretrained(str(smoke_base.path)))
    model = AutoModelForCausalLM.from_pretrained(str(smoke_base.path)).eval()
    picks, ranked = [], []
    for i, ex in enumerate(_picks([json.loads(x) for x in (ds / "train.jsonl").read_text().splitlines()])):
        prompt, answer, others = _pick_parts(ex)
        scores = score_answers(model, enc, list(prompt), [answer, *others], device="cpu")
        order = sorted(scores, key=scores.get, reverse=True)
        if i % 2 == 0 and order[0] != answer:  # the human took the model's top card here
            ex = {**ex, "messages": [*ex["messages"][:-1], {"role": "assistant", "content": order[0]}]}
            answer = order[0]
        picks.append(ex)
        ranked.append((answer, order))
    agreed = [a == o[0] for a, o in ranked]
    assert 5 <= sum(agreed) < len(picks)

    pairs, scored, disagreements = self_play_pairs(model, enc, picks, "cpu")
    assert scored == len(pairs) == len(picks) and disagreements == agreed.count(False)
    for p, (answer, order), same in zip(pairs, ranked, agreed):
        assert p.chosen == answer and p.rejected == (order[1] if same else order[0]) and p.rejected != p.chosen

    only, scored, disagreements = self_play_pairs(model, enc, picks, "cpu", agreements=False)
    assert len(only) == disagreements == agreed.count(False)
    assert [(p.chosen, p.rejected) for p in only] == [(a, o[0]) for (a, o), s in zip(ranked, agreed) if not s]
