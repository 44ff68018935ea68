"""What the panels share: settings, the card catalog (loaded once, off the UI thread) and the recommender."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from copilot.gui.gui_state import GuiState
from copilot.settings import Settings


@dataclass
class AppContext:
    gui: GuiState = field(default_factory=GuiState)
    card_files: list[Path] = field(default_factory=list)
    install_dir: str | None = None
    settings: Settings = field(default_factory=Settings.load)
    engine_override: str | None = None  # `copilot gui --engine NAME`: this session only, never saved
    _catalog: object = None
    _recommenders: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def engine_name(self) -> str:
        """The engine the live panel ranks with: the one setting (Settings.default_engine) unless overridden."""
        return self.engine_override or self.settings.default_engine or "ratings"

    def catalog(self):
        """The CardCatalog (blocking the first time: call from a worker thread)."""
        with self._lock:
            if self._catalog is None:
                from copilot.cards.catalog import default_catalog

                self._catalog = default_catalog(extra=tuple(self.card_files), install_dir=self.install_dir)
            return self._catalog

    @property
    def loaded_catalog(self):
        """The catalog if it is loaded already, else None (never blocks: safe on the UI thread)."""
        return self._catalog

    def recommender(self, engine: str | None = None):
        """The recommender for an engine (default: `engine_name`), with its fallback chain; kept between calls.
        Blocking the first time (catalog, engine creation): call from a worker thread."""
        from copilot.picking.recommender import Recommender

        name = engine or self.engine_name
        catalog = self.catalog()
        with self._lock:
            if name not in self._recommenders:
                self._recommenders[name] = Recommender(name, catalog)
            return self._recommenders[name]

    def data_changed(self, cards: bool = False) -> None:
        """Fetched data arrived: the engines are created anew (they re-read ratings); with `cards`, the catalog is
        rebuilt first (blocking: call from a worker thread) and swapped in."""
        catalog = None
        if cards:
            from copilot.cards.catalog import default_catalog

            catalog = default_catalog(extra=tuple(self.card_files), install_dir=self.install_dir)
        with self._lock:
            self._recommenders.clear()
            if catalog is not None:
                self._catalog = catalog

    def forget_engines(self) -> None:
        """Drop the kept engines (after the settings changed), so the next ranking creates them anew."""
        with self._lock:
            self._recommenders.clear()
