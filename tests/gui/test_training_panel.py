"""The training panel, headless, as a client of the command line: the base model it opens on, a run it finds and
replays, and (slow) a real dataset built from the DSK picks, a real smoke run started, stopped and resumed from the
panel with the loss streaming to the chart, then Evaluate & export, with the UI thread's longest block measured."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QLabel  # noqa: E402

from copilot.gui.panels.training.watch import RunMetrics, dataset_summary  # noqa: E402

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------ Qt-free
def test_run_metrics_keep_one_point_per_step_and_estimate_the_rest():
    m = RunMetrics()
    for rec in ({"step": 1, "loss": 2.0, "step_time_s": 1.0}, {"step": 2, "loss": 1.0, "step_time_s": 3.0},
                {"loss": 9.0}, {"step": 2, "loss": 0.5, "step_time_s": 3.0, "val_top1": 0.25}):
        m.add_record(rec)
    assert m.loss_points() == [(1, 2.0), (2, 0.5)] and m.val_points() == [(2, 0.25)]
    assert m.eta_s(10) == pytest.approx(8 * 2.0)
    assert m.eta_s(10, max_seconds=10.0) == pytest.approx(10.0 - 4.0)  # the time budget left comes first
    m.add_record({"step": 1, "loss": 3.0})  # a resumed run rewrote its metrics from step 1
    assert m.loss_points() == [(1, 3.0)]


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


def make_panel(qtbot):
    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.panels.training import TrainingPanel

    p = TrainingPanel(AppContext(gui=GuiState()))
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    return p


@pytest.fixture
def panel(qtbot, home):
    p = make_panel(qtbot)
    yield p
    run = p.session.run_dir
    if p.session.active and run is not None:
        from copilot.training import runner

        runner.request_stop(run)
        qtbot.waitUntil(lambda: not runner.is_running(run), timeout=180000)
    p.shutdown()


def sections(p):
    from copilot.gui.panels.training.dataset_section import DatasetSection
    from copilot.gui.panels.training.export_section import ExportSection
    from copilot.gui.panels.training.model_section import ModelSection
    from copilot.gui.panels.training.run_section import RunSection

    return p.section(DatasetSection), p.section(ModelSection), p.section(RunSection), p.section(ExportSection)


def test_opens_on_a_real_base_model_never_the_test_model(panel, qtbot):
    _, model, run, export = sections(panel)
    s = panel.session
    assert s.choice.preset == "cpu-small" and model.base_combo.currentData() == "smollm2-135m-instruct"
    from copilot.training.presets import CPU_RECIPE_FORMAT

    # the panel builds the CPU preset's dataset in the recipe's format, one conversation per pack
    assert s.dataset_args() == ["--format", CPU_RECIPE_FORMAT, "--segment", "pack"]
    qtbot.waitUntil(lambda: s.gpu_known, timeout=120000)
    last = model.preset_combo.count() - 1
    assert model.preset_combo.itemData(last) == "smoke" and "test" in model.preset_combo.itemText(last)
    assert model.base_combo.itemData(model.base_combo.count() - 1) == "smoke-mistral"
    if s.gpu is None:
        assert s.choice.preset == "cpu-small" and model.base_combo.currentText() == "SmolLM2-135M-Instruct"
        assert model.device_label.text().startswith("No CUDA GPU: training will run on CPU with SmolLM2-135M")
        model.preset_combo.setCurrentIndex(model.preset_combo.findData("gpu-8gb"))
        text = model.device_label.text()
        assert "No CUDA GPU found: this preset needs one" in text and "cpu-small" in text
        assert model.device_label.property("role") == "warning"
    else:  # a CUDA GPU that fits a GPU preset gets Mistral-7B-Instruct
        from copilot.commands.train_presets import recommend

        assert s.choice.preset == recommend(s.gpu.total_gib)
        if s.choice.preset != "cpu-small":
            assert s.choice.base_model == "mistral-7b-instruct"
    model.preset_combo.setCurrentIndex(model.preset_combo.findData("smoke"))  # tests may choose it explicitly
    assert s.choice.base_model == "smoke-mistral" and "random weights" in model.device_label.text()
    assert s.dataset_args() == []  # smoke trains on the build's default format
    assert not run.start_btn.isEnabled() and not export.export_btn.isEnabled()  # no dataset, no run yet
    assert run.start() is None and "dataset first" in run.state_label.text()


def test_full_fine_tuning_is_a_choice_with_its_memory_estimate(panel, qtbot, artifacts_dir):
    from copilot.training.presets import ram_gib

    _, model, run, _ = sections(panel)
    s = panel.session
    qtbot.waitUntil(lambda: s.gpu_known, timeout=120000)
    model.preset_combo.setCurrentIndex(model.preset_combo.findData("cpu-small"))
    model.finetune_combo.setCurrentIndex(model.finetune_combo.findData("full"))
    assert s.choice.finetune == "full" and s.config().finetune == "full"
    text = model.device_label.text()
    assert "grads and optimizer" in text and "full fine-tuning" in text and "LoRA params" not in text
    if s.gpu is None:
        panel.grab().save(str(artifacts_dir / "training-panel-full-finetune.png"))
    model.preset_combo.setCurrentIndex(model.preset_combo.findData("gpu-8gb"))  # QLoRA: full is impossible
    assert "cannot train a quantised base (quant=nf4)" in model.device_label.text()
    assert model.device_label.property("role") == "error"
    if s.gpu is None and (ram_gib() or 0) < 100:  # Mistral-7B fully fine-tuned on this CPU: refused, with why
        model.preset_combo.setCurrentIndex(model.preset_combo.findData("cpu-small"))
        model.base_combo.setCurrentIndex(model.base_combo.findData("mistral-7b-instruct"))
        text = model.device_label.text()
        assert text.startswith("Cannot start: full fine-tuning of Mistral-7B") and "RAM" in text
        assert model.device_label.property("role") == "error"
    model.finetune_combo.setCurrentIndex(model.finetune_combo.findData("lora"))
    assert s.choice.finetune == "lora" and "LoRA params" in model.device_label.text()


def test_opens_the_latest_run_and_replays_it_through_the_cli(home, qtbot, tmp_path):
    from copilot.training.run_state import RunState
    from copilot.training.presets import config_from_preset

    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "manifest.json").write_text(json.dumps({"set_codes": ["DSK"], "event_types": ["PremierDraft"],
                                                  "prompt_format": "v1", "counts": {}}))
    run_dir = home / "runs" / "gpu-8gb-20260101-120000"
    config_from_preset("gpu-8gb", dataset=str(ds), max_steps=40).save(run_dir)
    (run_dir / "metrics.jsonl").write_text("".join(
        json.dumps({"step": i, "loss": 4.0 / i, "step_time_s": 2.0, "tokens_per_s": 1500.0,
                    **({"val_top1": 0.1 * i / 10} if i % 10 == 0 else {})}) + "\n" for i in range(1, 41)))
    (run_dir / "status.json").write_text(json.dumps({"state": "done", "step": 40, "message": "done"}))
    (run_dir / "train.log").write_text("loading base model\nstep 40 done\n")
    (run_dir / "adapter").mkdir()
    p = make_panel(qtbot)
    try:
        p.wait_ready()
        data, model, run, export = sections(p)
        qtbot.waitUntil(lambda: p.session.state is RunState.DONE, timeout=60000)
        qtbot.waitUntil(lambda: len(run.loss_chart.points("loss")) == 40, timeout=10000)
        assert p.session.run_dir == run_dir and len(run.val_chart.points("top-1")) == 4
        assert run.progress.value() == 40 and run.progress.maximum() == 40
        assert "finished (40 steps)" in run.state_label.text() and "ETA" not in run.speed_label.text()
        log = run.log_view.toPlainText()
        assert f"$ copilot train --follow {run_dir}" in log and "step 40 done" in log
        assert p.session.choice.preset == "gpu-8gb" and model.steps.value() == 40  # the run's own choice stays
        assert p.session.dataset_dir == ds and "set DSK" in data.dataset_label.text()
        assert export.export_btn.isEnabled() and not run.resume_btn.isEnabled() and run.start_btn.isEnabled()
    finally:
        p.shutdown()


class ExtraSection(QLabel):
    """A section built like a panel, from the AppContext (as issue 11's quick-model widget is)."""

    def __init__(self, ctx):
        super().__init__("extra section")
        self.ctx = ctx


def test_a_section_is_added_with_one_line(home, qtbot, monkeypatch):
    from copilot.gui.panels.training import panel as panel_module
    from copilot.gui.panels.training.export_section import ExportSection

    rows = list(panel_module.SECTIONS)
    monkeypatch.setattr(panel_module, "SECTIONS", rows + [("tests.gui.test_training_panel:ExtraSection",),
                                                          (lambda session: QLabel(session.ctx.gui.theme),)])
    p = make_panel(qtbot)
    try:
        extra = p.sections[-2]  # built from the string (its module object is not this test module's)
        assert type(extra).__name__ == "ExtraSection" and extra.ctx is p.ctx and extra.isVisible()
        quick = next(s for s in p.sections if type(s).__name__ == "QuickModelWidget")  # mounted by one line
        assert p.sections.index(quick) == p.sections.index(p.section(ExportSection)) + 1
        assert p.sections.index(extra) == p.sections.index(quick) + 1
        assert p.sections[-1].text() == p.ctx.gui.theme
    finally:
        p.shutdown()


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
def test_smoke_run_streams_loss_stops_resumes_and_exports_without_blocking_the_ui(panel, qtbot, shared_data, home,
                                                                                 artifacts_dir, ui_heartbeat):
    from copilot.training.run_state import RunState
    from copilot.store.model_store import ModelStore
    from copilot.training import runner
    from copilot.training.checkpoints import checkpoint_dirs
    from copilot.training.run_folder import read_status

    picks = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not picks.is_file():
        pytest.skip(f"{picks} missing")
    data, model, run, export = sections(panel)
    s = panel.session
    heart = ui_heartbeat.start()

    # 1. a tiny real dataset, `copilot dataset build` after a file is dropped on the panel, in the format of the
    # chosen preset (smoke: the build's default; the CPU recipe's per-pack conversations would not fit its 512 tokens)
    qtbot.waitUntil(lambda: s.gpu_known, timeout=120000)
    model.preset_combo.setCurrentIndex(model.preset_combo.findData("smoke"))
    data.max_drafts.setValue(4)
    _drop_file(panel, picks)
    assert s.busy("dataset")
    qtbot.waitUntil(lambda: s.dataset_dir is not None, timeout=180000)
    manifest = json.loads((s.dataset_dir / "manifest.json").read_text())
    assert manifest["counts"]["drafts"]["train"] == 3 and manifest["counts"]["drafts"]["val"] == 1
    assert manifest["prompt_format"] == "v1"
    assert "set DSK" in data.dataset_label.text() and "3 drafts" in data.dataset_label.text()

    # 2. start a smoke run: the panel writes its config and runs `copilot train --config FILE --out RUN`
    run_dir = run.start(max_steps=200, save_every=1000, eval_examples=0)
    assert run_dir is not None and s.state is RunState.LAUNCHED
    assert "$ copilot train --config " in run.log_view.toPlainText()
    config = json.loads((home / "train-configs" / f"{run_dir.name}.json").read_text())
    assert config["max_steps"] == 200 and config["base_model"] == "smoke-mistral"
    qtbot.waitUntil(lambda: len(run.loss_chart.points("loss")) >= 3, timeout=300000)
    assert s.state is RunState.RUNNING and runner.is_running(run_dir), "the chart fills while the run is running"
    assert run.progress.value() >= 3 and "tokens/s" in run.speed_label.text()

    # 3. Stop: `copilot train --stop RUN`; the run saves a checkpoint and ends
    run.stop()
    assert s.state is RunState.STOPPING and not run.stop_btn.isEnabled()
    qtbot.waitUntil(lambda: s.state is RunState.STOPPED, timeout=180000)
    assert not runner.is_running(run_dir)
    stop_step = read_status(run_dir)["step"]
    assert [n for n, _ in checkpoint_dirs(run_dir)][-1] == stop_step
    qtbot.waitUntil(lambda: run.loss_chart.points("loss")[-1][0] == stop_step, timeout=5000)
    assert run.resume_btn.isEnabled() and not run.stop_btn.isEnabled() and export.export_btn.isEnabled()
    panel.grab().save(str(artifacts_dir / "training-stopped.png"))

    # 4. Resume: `copilot train --resume RUN` continues on the same folder; the step axis never goes back to 1
    run.resume()
    assert s.state is RunState.LAUNCHED and s.run_dir == run_dir
    qtbot.waitUntil(lambda: s.state is RunState.RUNNING and run.loss_chart.points("loss")
                    and run.loss_chart.points("loss")[-1][0] >= stop_step + 3, timeout=300000)
    steps = [n for n, _ in run.loss_chart.points("loss")]
    assert steps == list(range(1, steps[-1] + 1)), "one point per step, no restart from 0, no repeats"
    assert "resumed from step-" in run.log_view.toPlainText()
    run.stop()
    qtbot.waitUntil(lambda: s.state is RunState.STOPPED, timeout=180000)

    # 5. Evaluate & export: `copilot export RUN --eval N --activate`
    export.quant_combo.setCurrentText("Q8_0")
    export.eval_picks.setValue(8)
    exported = []
    s.model_exported.connect(exported.append)
    export.export()
    assert s.busy("export") and not export.export_btn.isEnabled()
    qtbot.waitUntil(lambda: bool(exported) or "failed" in export.export_label.text(), timeout=600000)
    assert exported, export.export_label.text()
    result = exported[0]
    active = ModelStore().active()
    assert active is not None and active.name == result["active"] == result["model"]
    assert active.manifest["eval"]["n"] == 8
    assert export.export_label.text().startswith(f"Active model: {active.name}, top-1 ")
    assert "on 8 held-out picks" in export.export_label.text()
    worst = heart.stop()
    panel.grab().save(str(artifacts_dir / "training-exported.png"))
    print(f"UI heartbeat during build + train + stop + resume + export: {len(heart.gaps)} beats, "
          f"worst gap {worst * 1000:.0f} ms")
    assert worst < 1.0, f"UI thread blocked for {worst:.2f} s"


def test_get_the_17lands_file_downloads_it_through_the_cli(panel, qtbot, shared_data, monkeypatch):
    """The dataset section's download runs `copilot data drafts` against a real server on 127.0.0.1 serving the
    real DSK draft file; the downloaded file (byte-identical) becomes the one to build from."""
    from copilot.gui.panels.training.dataset_section import DatasetSection
    from tests.data_server import DataServer

    with DataServer(data=shared_data) as server:
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)  # the CLI subprocess inherits them
        section = panel.section(DatasetSection)
        section.fetch_drafts("dsk")
        qtbot.waitUntil(lambda: section.picks_edit.text().endswith(".csv.gz"), timeout=120000)
    got = section.picks_edit.text()
    original = shared_data / "picks" / "DSK" / "draft_data_public.DSK.PremierDraft.dev-sample.csv.gz"
    with open(got, "rb") as a, open(original, "rb") as b:
        assert a.read() == b.read()
    assert "Build dataset" in section.dataset_label.text()
    section.set_edit.setText("not a set!")
    section.fetch_drafts()
    assert "set code" in section.dataset_label.text()


def test_the_export_line_says_when_the_model_took_the_first_card_listed():
    """The Evaluate & export line: a model of a format that lists packs in an engine's order also shows how often it
    took the first card listed (at 100% it picks exactly what the ordering engine picks)."""
    from copilot.gui.panels.training.export_section import result_text

    ev = {"n": 210, "top1": 0.662, "top3": 0.905}
    plain = result_text({"active": "m", "eval": ev})
    assert plain == "Active model: m, top-1 66.2% / top-3 90.5% on 210 held-out picks."
    listed = result_text({"active": "m", "eval": {**ev, "first_listed": {"top1": 0.662, "model_picked_it": 1.0}}})
    assert listed == plain[:-1] + "; it took the first card listed at 100% of them (always that card: top-1 66.2%)."
