"""Fixtures for the data-fetch tests: the real-format data server on 127.0.0.1 (tests/data_server.py) and a fresh
user profile whose shared-data folder is empty, so only fetched data can be found."""
from __future__ import annotations

import pytest

from tests.data_server import DataServer


@pytest.fixture
def data_server(shared_data):
    srv = DataServer(data=shared_data).start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh_profile(shared_data, tmp_path, monkeypatch):
    """COPILOT_HOME = a new folder, COPILOT_SHARED = an empty folder (no ratings, no card files)."""
    home, empty = tmp_path / "home", tmp_path / "empty-shared"
    empty.mkdir()
    monkeypatch.setenv("COPILOT_HOME", str(home))
    monkeypatch.setenv("COPILOT_SHARED", str(empty))
    for var in ("COPILOT_17LANDS_URL", "COPILOT_17LANDS_DATA_URL", "COPILOT_SCRYFALL_URL", "COPILOT_CARD_FILES"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def urls(data_server, monkeypatch):
    from copilot.fetch.config import BaseUrls

    for k, v in data_server.env().items():
        monkeypatch.setenv(k, v)
    return BaseUrls.load()


@pytest.fixture
def client():
    """A client with short waits (the backoff itself is what is tested, not its length)."""
    from copilot.fetch.http import HttpClient, HttpOptions

    return HttpClient(HttpOptions(backoff_s=0.05, read_timeout=2.0, connect_timeout=2.0, retries=3))
