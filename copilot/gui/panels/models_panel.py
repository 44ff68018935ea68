"""Models & settings: the local model store (active model, prompt format, eval figures) and the app settings
(OpenAI-compatible commentary endpoint, data folders, Arena log and install folder)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from copilot.gui.widgets.data_section import DataSection
from copilot.settings import Settings

ENGINES = ["ratings", "picknet", "gguf", "mlp", "heuristic", "openai", "hf", "random"]


class PathField(QWidget):
    def __init__(self, text: str, directory: bool, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(text)
        self.directory = directory
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        lay.addWidget(self.edit, 1)
        lay.addWidget(browse)

    def _browse(self) -> None:
        if self.directory:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", self.edit.text())
        if path:
            self.edit.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()


class ModelsPanel(QWidget):
    settings_saved = Signal(object)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.settings = Settings.load()
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 12, 12, 12)
        title = QLabel("Models & settings")
        title.setProperty("role", "title")
        root.addWidget(title)

        store_box = QGroupBox("Local models (GGUF)")
        sv = QVBoxLayout(store_box)
        self.store_info = QLabel("")
        self.store_info.setProperty("role", "muted")
        self.store_info.setWordWrap(True)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["", "Name", "Base model", "Format", "Quant", "Eval top-1"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setMinimumHeight(150)
        buttons = QHBoxLayout()
        self.activate_btn = QPushButton("Make active")
        self.remove_btn = QPushButton("Remove")
        self.import_btn = QPushButton("Add a GGUF file…")
        refresh = QPushButton("Refresh")
        self.activate_btn.clicked.connect(self._activate)
        self.remove_btn.clicked.connect(self._remove)
        self.import_btn.clicked.connect(self._import)
        refresh.clicked.connect(self.refresh)
        for b in (self.activate_btn, self.remove_btn, self.import_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(refresh)
        sv.addWidget(self.store_info)
        sv.addWidget(self.table)
        sv.addLayout(buttons)
        root.addWidget(store_box, 2)

        row = QHBoxLayout()
        ai_box = QGroupBox("Commentary (OpenAI-compatible endpoint)")
        af = QFormLayout(ai_box)
        self.key = QLineEdit(self.settings.openai_api_key)
        self.key.setEchoMode(QLineEdit.Password)
        self.key.setPlaceholderText("sk-… (or set OPENAI_API_KEY); not needed for a local server")
        self.base_url = QLineEdit(self.settings.openai_base_url)
        self.base_url.setPlaceholderText("https://api.openai.com/v1 (default) or http://127.0.0.1:8080/v1")
        self.model = QLineEdit(self.settings.openai_model)
        self.engine = QComboBox()
        self.engine.addItems(ENGINES)
        self.engine.setCurrentText(self.ctx.engine_name)
        af.addRow("API key", self.key)
        af.addRow("Base URL", self.base_url)
        af.addRow("Model", self.model)
        af.addRow("Pick engine", self.engine)
        row.addWidget(ai_box, 1)

        data_box = QGroupBox("Data folders")
        df = QFormLayout(data_box)
        self.log_path = PathField(self.settings.arena_log, directory=False)
        self.install_dir = PathField(self.settings.arena_install_dir, directory=True)
        self.data_dir = PathField(self.settings.data_dir, directory=True)
        self.ratings_dir = PathField(self.settings.ratings_dir, directory=True)
        self.card_files = QLineEdit("; ".join(self.settings.card_files))
        self.card_files.setPlaceholderText("extra card files separated by ';' (cards.csv, Scryfall, MTGJSON)")
        self.log_path.edit.setPlaceholderText("found automatically")
        self.install_dir.edit.setPlaceholderText("from the log's Mono path line")
        df.addRow("Arena log", self.log_path)
        df.addRow("Arena install", self.install_dir)
        df.addRow("17lands files", self.data_dir)
        df.addRow("Ratings", self.ratings_dir)
        df.addRow("Card data", self.card_files)
        row.addWidget(data_box, 1)
        root.addLayout(row, 1)
        self.data_section = DataSection(self.ctx)  # fetch 17lands / Scryfall data for a set
        root.addWidget(self.data_section)

        save_row = QHBoxLayout()
        self.saved_label = QLabel("")
        self.saved_label.setProperty("role", "muted")
        save = QPushButton("Save settings")
        save.clicked.connect(self.save)
        save_row.addWidget(self.saved_label, 1)
        save_row.addWidget(save, 0, Qt.AlignRight)
        root.addLayout(save_row)
        self.refresh()

    # ----- model store -----
    def _store(self):
        from copilot.store.model_store import ModelStore

        return ModelStore()

    def refresh(self) -> None:
        store = self._store()
        entries = store.list()
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            top1 = e.eval.get("top1")
            cells = ["●" if e.active else "", e.name, e.base_model or "?", e.prompt_format or "?",
                     e.quantization or "?", f"{top1 * 100:.1f}%" if isinstance(top1, (int, float)) else "–"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if e.problem:
                    item.setToolTip(e.problem)
                self.table.setItem(r, c, item)
        active = store.active()
        if active is not None:
            self.store_info.setText(f"Active: {active.name} (prompt format {active.prompt_format}). The live "
                                    f"'gguf' engine uses it. Store: {store.root}")
        elif entries:
            self.store_info.setText(f"No active model: select one and press 'Make active'. Store: {store.root}")
        else:
            self.store_info.setText("No local model yet. Fine-tune one in the Training panel, or add a GGUF file. "
                                    "Until then the live panel ranks with 17lands ratings.")
        self.activate_btn.setEnabled(bool(entries))
        self.remove_btn.setEnabled(bool(entries))

    def _selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 1).text()

    def _activate(self) -> None:
        name = self._selected()
        if name:
            try:
                self._store().activate(name)
            except Exception as exc:  # noqa: BLE001 - shown to the user
                QMessageBox.warning(self, "Cannot activate", str(exc))
            self.refresh()

    def _remove(self) -> None:
        name = self._selected()
        if name and QMessageBox.question(self, "Remove model", f"Delete the model '{name}' from the store?") \
                == QMessageBox.Yes:
            try:
                self._store().remove(name, force=True)
            except Exception as exc:  # noqa: BLE001
                QMessageBox.warning(self, "Cannot remove", str(exc))
            self.refresh()

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a GGUF model", "", "GGUF models (*.gguf)")
        if not path:
            return
        try:
            from copilot.picking.model_files import validate_gguf

            info = validate_gguf(path, kind="model")
            self._store().register(path, {"prompt_format": info.prompt_format or "v1", "source": "imported"})
        except Exception as exc:  # noqa: BLE001
            QMessageBox.warning(self, "Cannot add this file", str(exc))
        self.refresh()

    # ----- settings -----
    def save(self) -> None:
        s = self.settings
        s.openai_api_key = self.key.text().strip()
        s.openai_base_url = self.base_url.text().strip()
        s.openai_model = self.model.text().strip() or s.openai_model
        s.default_engine = self.engine.currentText()
        s.arena_log = self.log_path.text()
        s.arena_install_dir = self.install_dir.text()
        s.data_dir = self.data_dir.text()
        s.ratings_dir = self.ratings_dir.text()
        s.card_files = [p.strip() for p in self.card_files.text().split(";") if p.strip()]
        path = s.save()
        self.ctx.settings, self.ctx.engine_override = s, None
        self.ctx.forget_engines()
        self.saved_label.setText(f"Saved to {path} (readable only by you).")
        self.settings_saved.emit(s)
