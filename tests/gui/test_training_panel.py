"""The training panel, headless: a real dataset from the DSK picks, a real smoke training process started, stopped
and resumed from the panel, the loss streaming to the chart, and the UI thread's longest block measured."""
from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("PySide6")

from copilot.gui.training_watch import RunMetrics, TailReader, dataset_summary  # noqa: E402

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------ Qt-free follower
def test_tail_reader_reads_only_new_bytes_and_notices_a_replaced_file(tmp_path):
    p = tmp_path / "metrics.jsonl"
    r = TailReader(p)
    assert r.read_new() == (False, [])
    p.write_text('{"step": 1, "loss": 2.0}\n{"step": 2, "lo')
    assert r.read_new() == (False, ['{"step": 1, "loss": 2.0}'])
    with open(p, "a") as f:
        f.write('ss": 1.5}\n')
    assert r.read_new() == (False, ['{"step": 2, "loss": 1.5}'])
    assert r.read_new() == (False, [])
    # the trainer rewrites the file through a temporary file on resume (lines after the checkpoint dropped)
    tmp = tmp_path / ".metrics.tmp"
    tmp.write_text('{"step": 1, "loss": 2.0}\n')
    os.replace(tmp, p)
    reset, lines = r.read_new()
    assert reset and lines == ['{"step": 1, "loss": 2.0}']
    m = RunMetrics()
    m.add_lines(['{"step": 1, "loss": 2.0, "step_time_s": 1.0}', '{"step": 2, "loss": 1.0, "step_time_s": 3.0}',
                 'torn', '{"step": 2, "loss": 0.5, "step_time_s": 3.0, "val_top1": 0.25}'])
    assert m.loss_points() == [(1, 2.0), (2, 0.5)] and m.val_points() == [(2, 0.25)]
    assert m.eta_s(10) == pytest.approx(8 * 2.0)


def test_dataset_summary_names_splits_set_and_format():
    text = dataset_summary({"set_codes": ["DSK"], "event_types": ["PremierDraft"], "prompt_format": "v1",
                            "source": {"name": "x.jsonl.gz"},
                            "counts": {"examples": {"train": 126, "val": 42}, "drafts": {"train": 3, "val": 1}}})
    assert "set DSK" in text and "PremierDraft" in text
    assert "train 126 examples / 3 drafts" in text and "validation 42 examples / 1 drafts" in text


# ------------------------------------------------------------------ the panel
@pytest.fixture
def home(tmp_path, monkeypatch, smollm_gguf):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COPILOT_SMOLLM_GGUF", str(smollm_gguf))  # the smoke model's tokenizer (no network)
    return tmp_path / "home"


@pytest.fixture
def panel(qtbot, home):
    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.panels.training_panel import TrainingPanel

    p = TrainingPanel(AppContext(gui=GuiState()))
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    if p.state in ("running", "stopping") and p.run_dir is not None:
        from copilot.training import runner

        runner.request_stop(p.run_dir)
        if p.proc is not None:
            p.proc.wait(timeout=120)
    p.shutdown()


def test_no_cuda_gpu_is_said_clearly_with_what_happens_instead(panel, qtbot):
    qtbot.waitUntil(lambda: panel._gpu_known, timeout=120000)
    if panel._gpu is not None:
        pytest.skip(f"a CUDA GPU is present here ({panel._gpu.name})")
    assert panel.preset_combo.currentData() in ("smoke", "cpu-small")
    assert panel.device_label.text().startswith("No CUDA GPU: training will run on CPU")
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("gpu-8gb"))
    text = panel.device_label.text()
    assert "No CUDA GPU found: this preset needs one" in text and "cpu-small" in text
    assert panel.device_label.property("role") == "warning"


def _drop_file(panel, path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(panel.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(panel.rect().center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.dropEvent(drop)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")
def test_smoke_run_streams_loss_stops_and_resumes_without_blocking_the_ui(panel, qtbot, shared_data,
                                                                         artifacts_dir, ui_heartbeat):
    from copilot.training.trainer import checkpoint_dirs, read_status

    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not picks.is_file():
        pytest.skip(f"{picks} missing")
    heart = ui_heartbeat.start()

    # 1. a tiny real dataset, built in its own process after a file is dropped on the panel
    panel.max_drafts.setValue(4)
    _drop_file(panel, picks)
    assert "dataset" in panel._jobs
    qtbot.waitUntil(lambda: panel.dataset_dir is not None, timeout=180000)
    manifest = json.loads((panel.dataset_dir / "manifest.json").read_text())
    assert manifest["counts"]["drafts"]["train"] == 3 and manifest["counts"]["drafts"]["val"] == 1
    assert "set DSK" in panel.dataset_label.text() and "3 drafts" in panel.dataset_label.text()

    # 2. start a smoke run: loss points reach the chart while the process runs
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("smoke"))
    run = panel.start(max_steps=200, save_every=1000, eval_examples=0)
    assert run is not None and panel.state == "running"
    proc = panel.proc
    qtbot.waitUntil(lambda: len(panel.loss_chart.points("loss")) >= 3, timeout=300000)
    assert proc.poll() is None, "the chart must fill while the process is still running"
    assert panel.progress.value() >= 3 and "tokens/s" in panel.speed_label.text()

    # 3. Stop writes the STOP file; the process saves a checkpoint and ends
    panel.stop()
    assert (run / "STOP").exists() or proc.poll() is not None
    qtbot.waitUntil(lambda: panel.state == "stopped", timeout=180000)
    assert proc.poll() is not None
    stop_step = read_status(run)["step"]
    assert [s for s, _ in checkpoint_dirs(run)][-1] == stop_step
    assert panel.loss_chart.points("loss")[-1][0] == stop_step
    assert panel.resume_btn.isEnabled() and not panel.stop_btn.isEnabled()
    panel.grab().save(str(artifacts_dir / "training-stopped.png"))

    # 4. Resume continues on the same run folder: the step axis goes on past the stop step, never back to 1
    panel.resume()
    assert panel.state == "running" and panel.run_dir == run
    qtbot.waitUntil(lambda: panel.loss_chart.points("loss")[-1][0] >= stop_step + 3, timeout=300000)
    steps = [s for s, _ in panel.loss_chart.points("loss")]
    assert steps == list(range(1, steps[-1] + 1)), "one point per step, no restart from 0, no repeats"
    assert "resumed from step-" in panel.log_view.toPlainText()
    panel.stop()
    qtbot.waitUntil(lambda: panel.state == "stopped", timeout=180000)
    worst = heart.stop()
    print(f"UI heartbeat during build + train + stop + resume: {len(heart.gaps)} beats, worst gap {worst * 1000:.0f} ms")
    assert worst < 1.0, f"UI thread blocked for {worst:.2f} s"
