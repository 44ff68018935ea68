"""GUI preferences remembered between runs (theme, window geometry, last panel, compact mode).

Stored as JSON in the user's config folder (platformdirs). App-wide settings that the core also uses (OpenAI endpoint,
data folders, log path) live in `copilot.settings`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from copilot.fileio import atomic_write_text
from copilot.paths import user_config_dir


@dataclass
class GuiState:
    theme: str = "light"
    panel: str = "live"
    geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    compact: bool = False
    commentary: bool = True
    recent_logs: list[str] = field(default_factory=list)

    @classmethod
    def path(cls) -> Path:
        return user_config_dir() / "gui.json"

    @classmethod
    def load(cls) -> "GuiState":
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self) -> None:
        atomic_write_text(self.path(), json.dumps(asdict(self), indent=2))
