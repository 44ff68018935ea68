"""The quick-model widget, headless: real DSK picks -> the real dataset builder and train-baseline processes -> a
model in the store that the live recommender uses at once; bad inputs and Stop leave nothing behind."""
from __future__ import annotations

import gzip
import itertools

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("torch")

pytestmark = pytest.mark.gui


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def widget(qtbot, home):
    from copilot.gui.app_context import AppContext
    from copilot.gui.gui_state import GuiState
    from copilot.gui.panels.quick_model import QuickModelWidget

    w = QuickModelWidget(AppContext(gui=GuiState()))
    qtbot.addWidget(w)
    w.resize(900, 260)
    w.show()
    yield w
    w.shutdown()


@pytest.fixture
def small_picks(shared_data, tmp_path):
    """The first 40 drafts of the real DSK picks file (17lands picks JSONL)."""
    src = shared_data / "picks" / "DSK" / "dsk_picks.dev.jsonl.gz"
    if not src.is_file():
        pytest.skip(f"{src} missing")
    out = tmp_path / "dsk_first40.jsonl"
    with gzip.open(src, "rt", encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as dst:
        dst.writelines(itertools.islice(fh, 40 * 42))
    return out


def test_bad_inputs_are_said_and_start_nothing(widget, tmp_path):
    assert widget.start(tmp_path / "missing.csv.gz") is False
    assert widget.state == "failed" and "No such file or folder" in widget.status.text()
    (tmp_path / "folder").mkdir()
    assert widget.start(tmp_path / "folder") is False
    assert "not a dataset folder" in widget.status.text() and not widget.busy()
    widget.source.setText("")
    assert widget.start() is False and "Choose a 17lands file" in widget.status.text()
    assert widget.download("D-K") is False and "Type the set code" in widget.status.text()


@pytest.mark.slow
def test_quick_model_from_a_17lands_file_is_registered_and_used_live(widget, qtbot, home, small_picks,
                                                                     artifacts_dir):
    from copilot.cards.model import Card
    from copilot.picking.engine import PickContext
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import pick_models

    fractions = []
    widget.progress.valueChanged.connect(fractions.append)
    ready = []
    widget.model_ready.connect(ready.append)
    assert widget.start(small_picks, epochs=2, ensemble=1, name="dsk-quick-test")
    assert widget.state == "building" and not widget.train_btn.isEnabled()
    qtbot.waitUntil(lambda: widget.state in ("done", "failed"), timeout=300_000)
    assert widget.state == "done", widget.status.text() + "\n" + "\n".join(widget.lines[-20:])
    assert widget.lines[0].startswith("$ copilot dataset build --picks") and any(
        ln.startswith("$ copilot train-baseline") and "--register dsk-quick-test" in ln for ln in widget.lines)
    widget.grab().save(str(artifacts_dir / "quick-model-done.png"))
    assert widget.progress.value() == 1000 and fractions == sorted(fractions) and len(fractions) > 2
    done = ready[0]
    assert done["registered"] == "dsk-quick-test" and done["val_drafts"] >= 1
    text = widget.status.text()
    assert f"top-1 {100 * done['val_top1']:.1f}%" in text and "registered as dsk-quick-test" in text
    assert "Live picks now use it" in text
    [entry] = pick_models(ModelStore(), "DSK")
    assert entry.name == "dsk-quick-test" and entry.manifest["eval"]["val_top1"] == done["val_top1"]
    ctx = widget.ctx
    assert ctx.engine_name == "picknet"
    from copilot.settings import Settings

    assert str(Settings.path()).startswith(str(home)) and Settings.load().default_engine == "picknet"  # saved
    pack = tuple(Card(name=n, set_code="DSK", rarity="common") for n in ("Cult Healer", "Piranha Fly", "Anthropede"))
    rec = ctx.recommender().rank(PickContext(pack=pack, pool=(), pack_number=1, pick_number=1, set_code="DSK"))
    assert rec.ok and rec.engine == "picknet" and not rec.error


@pytest.mark.slow
def test_stop_leaves_no_model(widget, qtbot, small_picks):
    from copilot.store.model_store import ModelStore
    from copilot.store.pick_models import pick_models

    assert widget.start(small_picks, epochs=30, ensemble=3, name="dsk-stopped")
    qtbot.waitUntil(lambda: widget.state == "training", timeout=120_000)
    widget.stop()
    assert widget.state == "stopped" and not widget.busy() and widget.train_btn.isEnabled()
    assert pick_models(ModelStore()) == []
