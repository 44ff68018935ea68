"""The one parser of engine options on the command line (eval, deck: --opt ENGINE.KEY=VALUE; live:
--engine-option KEY=VALUE)."""
from __future__ import annotations

import pytest

from copilot.commands.engine_options import key_values, per_engine


def test_per_engine_options_split_at_the_first_dot():
    got = per_engine(["gguf.n_threads=2", "hybrid.mlp.model=m.pt", "ratings.ramp=8", "gguf.format=conversation:a=1"])
    assert got == {"gguf": {"n_threads": "2", "format": "conversation:a=1"}, "hybrid": {"mlp.model": "m.pt"},
                   "ratings": {"ramp": "8"}}
    assert per_engine([]) == {}


@pytest.mark.parametrize("bad", ["gguf", "n_threads=2", ".x=1", "gguf.=1", "=1"])
def test_bad_items_name_the_flag_and_the_item(bad):
    with pytest.raises(ValueError, match=r"--opt .*expected ENGINE.KEY=VALUE"):
        per_engine([bad])


def test_key_values_for_one_engine():
    assert key_values(["model=a.gguf", "n_threads=2"], "--engine-option") == {"model": "a.gguf", "n_threads": "2"}
    with pytest.raises(ValueError, match="--engine-option 'oops': expected KEY=VALUE"):
        key_values(["oops"], "--engine-option")


def test_the_commands_use_it(tmp_path, capsys):
    from copilot.commands.deck import engine_options

    assert engine_options("mlp", "m.pt", ["mlp.temperature=1"]) == {"mlp": {"temperature": "1", "model": "m.pt"}}
    assert engine_options("mlp", "m.pt", ["mlp.model=other.pt"]) == {"mlp": {"model": "other.pt"}}
    from copilot.cli import main

    picks = tmp_path / "p.csv"
    picks.write_text("draft_id\n")
    assert main(["eval", "--picks", str(picks), "--opt", "ratings"]) == 2
    assert "--opt 'ratings': expected ENGINE.KEY=VALUE" in capsys.readouterr().err


def test_eval_refuses_one_model_for_several_model_engines(tmp_path, capsys):
    from copilot.cli import main
    from copilot.commands.eval import model_mixup

    assert model_mixup("m.gguf", ["gguf", "ratings", "random"], []) is None
    assert model_mixup("m.gguf", ["gguf", "picknet"], ["picknet.model=p.pt"]) is None
    assert model_mixup(None, ["gguf", "picknet"], []) is None
    picks = tmp_path / "p.csv"
    picks.write_text("draft_id\n")
    assert main(["eval", "--picks", str(picks), "--engine", "gguf", "--engine", "picknet", "--engine", "ratings",
                 "--model", "m.gguf"]) == 2
    err = capsys.readouterr().err
    assert "--model m.gguf would go to 2 engines (gguf, picknet)" in err
    assert "--opt gguf.model=PATH --opt picknet.model=PATH" in err
