"""Base URLs of the data services and the User-Agent the app sends.

Each base URL comes from the environment first (for mirrors and tests), then from the settings file, then the
public default.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from copilot import __version__

DEFAULT_17LANDS = "https://www.17lands.com"
DEFAULT_17LANDS_DATA = "https://17lands-public.s3.amazonaws.com/analysis_data/draft_data"
DEFAULT_SCRYFALL = "https://api.scryfall.com"
USER_AGENT = f"MagicCopilot/{__version__} (MTG Arena draft assistant)"


@dataclass(frozen=True)
class BaseUrls:
    seventeenlands: str = DEFAULT_17LANDS
    seventeenlands_data: str = DEFAULT_17LANDS_DATA
    scryfall: str = DEFAULT_SCRYFALL

    @classmethod
    def load(cls, env: dict | None = None, settings=None) -> "BaseUrls":
        """Environment, then settings, then the public defaults; trailing slashes removed."""
        env = os.environ if env is None else env
        if settings is None:
            from copilot.settings import Settings

            settings = Settings.load()

        def pick(var: str, attr: str, default: str) -> str:
            value = env.get(var) or getattr(settings, attr, "") or default
            return value.rstrip("/")

        return cls(seventeenlands=pick("COPILOT_17LANDS_URL", "seventeenlands_url", DEFAULT_17LANDS),
                   seventeenlands_data=pick("COPILOT_17LANDS_DATA_URL", "seventeenlands_data_url",
                                            DEFAULT_17LANDS_DATA),
                   scryfall=pick("COPILOT_SCRYFALL_URL", "scryfall_url", DEFAULT_SCRYFALL))
