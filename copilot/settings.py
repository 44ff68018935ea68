"""App settings shared by the CLI, the GUI and the core: OpenAI-compatible endpoint, data folders, log path.

Stored as JSON in the user's config folder, written atomically with mode 0600 because it may hold an API key.
Environment variables win over the file: OPENAI_API_KEY, OPENAI_BASE_URL, COPILOT_OPENAI_MODEL, COPILOT_ARENA_LOG.
The key never appears in repr(), str() or logs.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from copilot.fileio import atomic_write_text
from copilot.paths import user_config_dir

DEFAULT_OPENAI_MODEL = "gpt-4o"


@dataclass
class Settings:
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""  # empty = api.openai.com
    openai_model: str = DEFAULT_OPENAI_MODEL
    openai_timeout_s: float = 30.0
    commentary_enabled: bool = True
    default_engine: str = "ratings"
    arena_log: str = ""  # explicit Player.log path; empty = find it
    arena_install_dir: str = ""  # for the Raw_CardDatabase; empty = from the log's Mono path line
    card_files: list[str] = field(default_factory=list)  # extra card data (cards.csv, Scryfall, MTGJSON ...)
    ratings_dir: str = ""  # folder of 17lands ratings files
    data_dir: str = ""  # folder with 17lands draft files for training
    # data services (empty = public default; COPILOT_17LANDS_URL, COPILOT_17LANDS_DATA_URL, COPILOT_SCRYFALL_URL win)
    seventeenlands_url: str = ""
    seventeenlands_data_url: str = ""
    scryfall_url: str = ""
    ratings_auto_refresh: bool = False  # opt-in: refresh the drafted set's 17lands ratings at most once a day

    @staticmethod
    def path() -> Path:
        return user_config_dir() / "settings.json"

    @classmethod
    def load(cls, path: Path | None = None, env: dict | None = None) -> "Settings":
        path = path or cls.path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        known = cls.__dataclass_fields__
        s = cls(**{k: v for k, v in data.items() if k in known})
        env = os.environ if env is None else env
        s.openai_api_key = env.get("OPENAI_API_KEY") or s.openai_api_key
        s.openai_base_url = env.get("OPENAI_BASE_URL") or s.openai_base_url
        s.openai_model = env.get("COPILOT_OPENAI_MODEL") or s.openai_model
        s.arena_log = env.get("COPILOT_ARENA_LOG") or s.arena_log
        return s

    def save(self, path: Path | None = None) -> Path:
        return atomic_write_text(path or self.path(), json.dumps(asdict(self), indent=2), private=True)

    @property
    def has_openai_key(self) -> bool:
        return bool(self.openai_api_key)

    def masked_key(self) -> str:
        k = self.openai_api_key
        return "" if not k else ("•" * 8 + k[-4:] if len(k) > 8 else "•" * len(k))
