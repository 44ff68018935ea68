"""Training panel: the one-click fine-tune, as a client of the command line.

17lands file (dialog or drag-and-drop) -> `copilot dataset build` -> base model + preset with the memory estimate
against the GPU (`copilot train --presets`) -> Start / Stop / Resume (`copilot train --config/--stop/--resume`),
live loss and validation-accuracy charts, tokens/s, ETA and the run's log (`copilot train --follow`) -> Evaluate &
export (`copilot export RUN --eval N --activate`). Every step is a child process run through one runner
(copilot/gui/cli_runner.py) that reads JSON-lines progress; the log view shows each command line.

The panel is a stack of sections sharing one `TrainingSession`. To add a section, add one entry to `SECTIONS`:
either a callable taking the session (which carries the AppContext as `session.ctx`) and returning a QWidget, or a
"module:Class" string whose class is built with the AppContext, like the main window's panels. A widget with a
`stretch` attribute gets that stretch; one with `shutdown()` is told when the window closes.
"""
from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Callable, TypeVar, Union

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from copilot.gui.panels.training.dataset_section import DatasetSection, is_picks_file
from copilot.gui.panels.training.export_section import ExportSection
from copilot.gui.panels.training.model_section import JOB as PRESETS_JOB
from copilot.gui.panels.training.model_section import ModelSection
from copilot.gui.panels.training.run_section import JOB as RUN_JOB
from copilot.gui.panels.training.run_section import RunSection
from copilot.gui.panels.training.session import TrainingSession, label, runs_dir
from copilot.gui.panels.training.watch import latest_run

SectionFactory = Union[Callable[[TrainingSession], QWidget], str]
S = TypeVar("S", bound=QWidget)

# Top to bottom; a tuple is one row of side-by-side sections. One line adds a section, e.g.
#     ("copilot.gui.panels.quick_model:QuickModelWidget",),      built as QuickModelWidget(ctx)
SECTIONS: list[tuple[SectionFactory, ...]] = [
    (DatasetSection, ModelSection),
    (RunSection,),
    (ExportSection, "copilot.gui.panels.quick_model:QuickModelWidget"),  # beside it: the learned pick model
]


def build_section(factory: SectionFactory, session: TrainingSession) -> QWidget:
    if isinstance(factory, str):
        module, _, name = factory.partition(":")
        return getattr(importlib.import_module(module), name)(session.ctx)
    return factory(session)


class TrainingPanel(QWidget):
    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.session = TrainingSession(ctx, self)
        self.sections: list[QWidget] = []
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        head = QHBoxLayout()
        head.addWidget(label("Training", "title", wrap=False))
        head.addWidget(label("Fine-tune a pick model on 17lands drafts: build a dataset, train a LoRA adapter (or "
                             "every weight of a small model), export it to GGUF for the live panel. Each step runs "
                             "a `copilot` command, shown in the log.",
                             "muted"), 1)
        root.addLayout(head)
        for row in SECTIONS:
            widgets = [build_section(factory, self.session) for factory in row]
            self.sections += widgets
            stretch = max(int(getattr(w, "stretch", 0)) for w in widgets)
            if len(widgets) == 1:
                root.addWidget(widgets[0], stretch)
                continue
            line = QHBoxLayout()
            for w in widgets:
                line.addWidget(w, max(1, int(getattr(w, "stretch", 1))))
            root.addLayout(line, stretch)
        self.setAcceptDrops(True)
        last = latest_run(runs_dir())
        run = self.section(RunSection)
        if last is not None and run is not None:
            run.open_run(last)

    def section(self, kind: type[S]) -> S | None:
        """The first section of a type (tests and other panels reach the widgets through it)."""
        return next((w for w in self.sections if isinstance(w, kind)), None)

    # ----- a 17lands file dropped anywhere on the panel builds a dataset -----
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() and is_picks_file(u.toLocalFile()) for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        data = self.section(DatasetSection)
        for u in event.mimeData().urls():
            if data is not None and u.isLocalFile() and is_picks_file(u.toLocalFile()):
                event.acceptProposedAction()
                data.build_dataset(Path(u.toLocalFile()))
                return

    # ----- screenshots, tests, shutdown -----
    def wait_ready(self, timeout_ms: int = 60000) -> None:
        """Process events until the short jobs (GPU check, dataset build, replay of the shown run) are through."""
        s = self.session
        run = self.section(RunSection)
        # QEventLoop.processEvents, not QApplication.processEvents: PySide6 6.12.0's binding of the latter drops a
        # reference to None on every call (a process with ~6000 references to None aborts after that many calls)
        loop = QEventLoop()
        deadline = time.monotonic() + timeout_ms / 1000

        def pending() -> bool:
            replaying = s.busy(RUN_JOB) and run is not None and not run.caught_up
            return s.busy(PRESETS_JOB) or s.busy("dataset") or replaying

        while pending() and time.monotonic() < deadline:
            loop.processEvents()
            time.sleep(0.02)

    def shutdown(self) -> None:
        """Jobs of this window end with it; a training process runs on (it is detached)."""
        for w in self.sections:
            if hasattr(w, "shutdown"):
                w.shutdown()
        self.session.runner.shutdown()
