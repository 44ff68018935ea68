"""Training panel, section 1: a 17lands file -> `copilot dataset build` -> the dataset the next run trains on."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout

from copilot.gui.cli_runner import JobResult
from copilot.gui.panels.training.session import TrainingSession, datasets_dir, label, set_role
from copilot.gui.panels.training.watch import dataset_summary
from copilot.progress import EventKind, ProgressEvent

PICK_SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".gz")
JOB = "dataset"
FETCH_JOB = "drafts"


def is_picks_file(path: str) -> bool:
    return any(path.lower().endswith(s) for s in PICK_SUFFIXES)


def dataset_folder_name(src: Path) -> str:
    """draft_data_public.DSK.PremierDraft.csv.gz -> DSK.PremierDraft-<time>; other files -> their stem."""
    parts = src.name.split(".")
    stem = ".".join(parts[1:3]) if src.name.startswith("draft_data") else parts[0]
    return f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


class DatasetSection(QGroupBox):
    stretch = 1

    def __init__(self, session: TrainingSession, parent=None):
        super().__init__("1 · Dataset", parent)
        self.session = session
        dv = QVBoxLayout(self)
        row = QHBoxLayout()
        self.picks_edit = QLineEdit()
        self.picks_edit.setPlaceholderText("17lands draft_data CSV(.gz) or picks JSONL(.gz)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_picks)
        row.addWidget(self.picks_edit, 1)
        row.addWidget(browse)
        dv.addLayout(row)
        fetch_row = QHBoxLayout()
        self.set_edit = QLineEdit()
        self.set_edit.setPlaceholderText("set, e.g. DSK")
        self.set_edit.setMaximumWidth(110)
        self.fetch_btn = QPushButton("Get the 17lands file")
        self.fetch_btn.setToolTip("download 17lands' public draft file of the set (Premier Draft): "
                                  "copilot data drafts --set SET; resumed if the connection drops")
        self.fetch_btn.clicked.connect(lambda: self.fetch_drafts())
        fetch_row.addWidget(QLabel("or download it:"))
        fetch_row.addWidget(self.set_edit)
        fetch_row.addWidget(self.fetch_btn)
        fetch_row.addStretch(1)
        dv.addLayout(fetch_row)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Drafts"))
        self.max_drafts = QSpinBox()
        self.max_drafts.setRange(0, 10_000_000)
        self.max_drafts.setSpecialValueText("all")
        self.max_drafts.setToolTip("use only the first N drafts of the file (0 = all)")
        row2.addWidget(self.max_drafts)
        self.build_btn = QPushButton("Build dataset")
        self.build_btn.clicked.connect(lambda: self.build_dataset())
        open_ds = QPushButton("Open dataset…")
        open_ds.clicked.connect(self._choose_dataset)
        row2.addStretch(1)
        row2.addWidget(open_ds)
        row2.addWidget(self.build_btn)
        dv.addLayout(row2)
        self.dataset_label = label("No dataset yet. Drop a 17lands file anywhere on this panel.", "muted")
        dv.addWidget(self.dataset_label)
        dv.addStretch(1)
        session.dataset_changed.connect(self._show_dataset)
        session.busy_changed.connect(self._update_buttons)

    # ----- choosing -----
    def _choose_picks(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a 17lands file", self.picks_edit.text(),
                                              "17lands picks (*.csv *.csv.gz *.jsonl *.jsonl.gz *.gz);;All files (*)")
        if path:
            self.build_dataset(path)

    def _choose_dataset(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a dataset folder", str(datasets_dir()))
        if path:
            self.open_dataset(Path(path))

    def open_dataset(self, folder: Path) -> None:
        error = self.session.load_dataset(folder)
        if error:
            self._error(error)

    # ----- downloading -----
    def fetch_drafts(self, set_code: str | None = None) -> None:
        """`copilot data drafts --set SET` in its own process; the file becomes the one to build from."""
        if set_code is not None:
            self.set_edit.setText(set_code)
        code = self.set_edit.text().strip().upper()
        if not code.isalnum():
            self._error("Type the set code (e.g. DSK) to download its 17lands draft file.")
            return
        if self.session.busy(FETCH_JOB):
            return
        set_role(self.dataset_label, "muted")
        self.dataset_label.setText(f"Downloading the 17lands draft file of {code}…")

        def on_event(ev: ProgressEvent) -> None:
            if ev.kind is EventKind.PROGRESS:
                done, total = ev.data.get("bytes", 0), ev.data.get("total")
                share = f" ({100 * done / total:.0f}%)" if total else ""
                self.dataset_label.setText(f"Downloading the 17lands draft file of {code}… "
                                           f"{done / 2 ** 20:,.1f} MiB{share}")
            elif ev.kind is EventKind.LOG:
                self.session.log.emit(ev.message)

        def finished(res: JobResult) -> None:
            if res.killed:
                return
            path = (res.result or {}).get("path")
            if res.ok and path:
                self.picks_edit.setText(path)
                set_role(self.dataset_label, None)
                self.dataset_label.setText(f"Downloaded {Path(path).name}. Build dataset to train on it.")
            else:
                self._error(f"Download failed: {res.error}")

        self.session.start_job(FETCH_JOB, ["data", "drafts", "--set", code], on_event, finished)

    # ----- building -----
    def build_dataset(self, picks: str | Path | None = None, out: str | Path | None = None,
                      max_drafts: int | None = None) -> None:
        """`copilot dataset build` in its own process; the summary shows when it ends."""
        if picks is not None:
            self.picks_edit.setText(str(picks))
        if max_drafts is not None:
            self.max_drafts.setValue(max_drafts)
        src = Path(self.picks_edit.text().strip()).expanduser()
        if not src.is_file():
            self._error(f"No such file: {src}" if str(src) != "." else "Choose a 17lands file first.")
            return
        if self.session.busy(JOB):
            return
        out = Path(out) if out else datasets_dir() / dataset_folder_name(src)
        args = ["dataset", "build", "--picks", str(src), "--out", str(out), "--force"] + self.session.dataset_args()
        n = self.max_drafts.value()
        if n:
            args += ["--max-drafts", str(n)]
            if n < 40:  # a 10 % split of a few drafts would leave no validation draft
                args += ["--val-drafts", str(max(1, n // 5))]
        set_role(self.dataset_label, "muted")
        self.dataset_label.setText(f"Building a dataset from {src.name}…")

        def on_event(ev: ProgressEvent) -> None:
            if ev.kind is EventKind.PROGRESS:
                self.dataset_label.setText(f"Building a dataset from {src.name}… {ev.data.get('rows', 0):,} rows, "
                                           f"{ev.data.get('examples', 0):,} examples")
            elif ev.kind is EventKind.LOG:
                self.session.log.emit(ev.message)

        def finished(res: JobResult) -> None:
            if res.killed:
                return
            folder = Path((res.result or {}).get("folder") or out)
            if res.ok:
                self.open_dataset(folder)
            else:
                self._error(f"Dataset build failed: {res.error}")

        self.session.start_job(JOB, args, on_event, finished)

    # ----- showing -----
    def _show_dataset(self, manifest: dict) -> None:
        set_role(self.dataset_label, None)
        self.dataset_label.setText(f"{dataset_summary(manifest)}\n{self.session.dataset_dir}")

    def _error(self, text: str) -> None:
        self.dataset_label.setText(text)
        set_role(self.dataset_label, "error")

    def _update_buttons(self) -> None:
        self.build_btn.setEnabled(not self.session.busy(JOB))
        self.fetch_btn.setEnabled(not self.session.busy(FETCH_JOB))
