"""The main window: a sidebar of panels, themes, shortcuts and a compact always-on-top mode."""
from __future__ import annotations

import importlib
import importlib.util

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget,
                               QWidget)

from copilot.gui.app_context import AppContext
from copilot.gui.theme import apply_theme

# (key, title, "module:Class"): each panel is constructed with the AppContext.
PANELS = [
    ("live", "Live draft", "copilot.gui.panels.live_panel:LivePanel"),
    ("simulator", "Simulator", "copilot.gui.panels.simulator_panel:SimulatorPanel"),
    ("training", "Training", "copilot.gui.panels.training:TrainingPanel"),
    ("models", "Models & settings", "copilot.gui.panels.models_panel:ModelsPanel"),
]


def _load(spec: str):
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext | None = None):
        super().__init__()
        self.ctx = ctx or AppContext()
        self.persist = True  # save geometry/panel/theme on close
        self.setWindowTitle("Magic Copilot")
        self.panels: dict[str, QWidget] = {}
        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.stack = QStackedWidget()
        lay.addWidget(self.nav)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        for key, title, spec in PANELS:
            if importlib.util.find_spec(spec.partition(":")[0]) is None:
                continue  # panel not installed in this build
            panel = _load(spec)(self.ctx)
            self.panels[key] = panel
            self.stack.addWidget(panel)
            self.nav.addItem(title)
        self.nav.currentRowChanged.connect(self._nav_changed)
        live = self.panels.get("live")
        if live is not None and "simulator" in self.panels:
            live.open_simulator.connect(lambda: self.show_panel("simulator"))
        if live is not None and "models" in self.panels:  # a new default engine ranks the pack on show again
            self.panels["models"].settings_saved.connect(lambda _settings: live.rerank())
        self.engine_status = QLabel("")
        self.statusBar().addPermanentWidget(self.engine_status)
        if live is not None:
            live.recommendation_shown.connect(
                lambda rec: self.engine_status.setText(f"{rec.engine} · {rec.latency_ms:.0f} ms"))
        self._actions()
        self._restore()

    # ----- navigation and actions -----
    def _nav_changed(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        self.ctx.gui.panel = list(self.panels)[row]

    def show_panel(self, key: str) -> QWidget:
        self.nav.setCurrentRow(list(self.panels).index(key))
        return self.panels[key]

    def _actions(self) -> None:
        def add(text: str, shortcut: str, slot) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        for i, key in enumerate(self.panels, 1):
            add(dict((k, t) for k, t, _ in PANELS)[key], f"Ctrl+{i}", lambda _=False, k=key: self.show_panel(k))
        live = self.panels.get("live")
        if live is not None:
            add("Open saved log", "Ctrl+O", lambda: live._choose_logs())
            add("Follow Arena log", "Ctrl+L", lambda: live.follow())
        add("Toggle dark theme", "Ctrl+Shift+T", self.toggle_theme)
        add("Compact always-on-top mode", "Ctrl+Shift+K", lambda: self.set_compact(not self.ctx.gui.compact))
        add("Quit", "Ctrl+Q", self.close)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        view_menu = menu.addMenu("&View")
        for act in self.actions():
            (file_menu if act.text() in ("Open saved log", "Follow Arena log", "Quit") else view_menu).addAction(act)

    def set_theme(self, name: str) -> None:
        apply_theme(QApplication.instance(), name)
        self.ctx.gui.theme = name
        for w in self.findChildren(QWidget):
            w.style().unpolish(w)
            w.style().polish(w)
            w.update()

    def toggle_theme(self) -> None:
        self.set_theme("light" if self.ctx.gui.theme == "dark" else "dark")

    def set_compact(self, on: bool) -> None:
        """Compact mode: only the ranked pack, small, on top of Arena."""
        self.ctx.gui.compact = on
        self.nav.setVisible(not on)
        self.menuBar().setVisible(not on)
        live = self.panels.get("live")
        if live is not None:
            live.set_compact(on)
            if on:
                self.show_panel("live")
        self.setWindowFlag(Qt.WindowStaysOnTopHint, on)
        if on:
            self._normal_geometry = self.saveGeometry()
            self.resize(460, 640)
        elif getattr(self, "_normal_geometry", None) is not None:
            self.restoreGeometry(self._normal_geometry)
        self.show()

    # ----- persistence -----
    def _restore(self) -> None:
        gui = self.ctx.gui
        if gui.geometry:
            self.restoreGeometry(QByteArray.fromBase64(gui.geometry.encode()))
        else:
            self.resize(1280, 820)
        if gui.window_state:
            self.restoreState(QByteArray.fromBase64(gui.window_state.encode()))
        keys = list(self.panels)
        self.nav.setCurrentRow(keys.index(gui.panel) if gui.panel in keys else 0)

    def closeEvent(self, event) -> None:
        gui = self.ctx.gui
        if not gui.compact:
            gui.geometry = bytes(self.saveGeometry().toBase64()).decode()
        gui.window_state = bytes(self.saveState().toBase64()).decode()
        for panel in self.panels.values():
            if hasattr(panel, "shutdown"):
                panel.shutdown()
        live = self.panels.get("live")
        if live is not None:
            live.stop_following()
        if self.persist:
            gui.save()
        super().closeEvent(event)
