"""What the panels share: settings, the card catalog (loaded once, off the UI thread) and engines by name."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from copilot.gui.gui_state import GuiState


@dataclass
class AppContext:
    gui: GuiState = field(default_factory=GuiState)
    card_files: list[Path] = field(default_factory=list)
    install_dir: str | None = None
    _catalog: object = None
    _engines: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

    def engine(self, name: str, options: dict | None = None):
        """A cached engine instance by name (created in the calling thread)."""
        key = (name, tuple(sorted((options or {}).items())))
        with self._lock:
            if key not in self._engines:
                from copilot.picking.registry import create_engine

                self._engines[key] = create_engine(name, dict(options or {}))
            return self._engines[key]

    def rank(self, engine_name: str, ctx):
        """Rank with the chosen engine, falling back so the live path always answers."""
        from copilot.picking.registry import FALLBACK_ORDER, rank_with_fallback

        engines, unavailable = [], []
        for name in [engine_name] + [n for n in FALLBACK_ORDER if n != engine_name]:
            try:
                engines.append(self.engine(name))
            except Exception as exc:  # noqa: BLE001 - an engine that cannot be created is skipped, and said
                unavailable.append(f"{name} unavailable: {exc}")
        rec = rank_with_fallback(engines, ctx)
        if unavailable:
            rec.note = "; ".join(unavailable + ([rec.note] if rec.note else []))
        return rec
