import os
import stat

from copilot.settings import Settings


def test_settings_roundtrip_private_file_and_key_hidden(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COPILOT_OPENAI_MODEL", "COPILOT_ARENA_LOG"):
        monkeypatch.delenv(var, raising=False)
    s = Settings(openai_api_key="sk-secret-123456789", openai_base_url="http://127.0.0.1:8080/v1")
    path = s.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s)
    loaded = Settings.load()
    assert loaded.openai_api_key == "sk-secret-123456789"
    assert loaded.openai_base_url == "http://127.0.0.1:8080/v1"
    assert loaded.masked_key().endswith("6789") and "secret" not in loaded.masked_key()


def test_environment_overrides_file(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    Settings(openai_model="file-model").save()
    monkeypatch.setenv("COPILOT_OPENAI_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    s = Settings.load()
    assert s.openai_model == "env-model" and s.openai_api_key == "sk-env"


def test_corrupt_settings_file_falls_back_to_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    monkeypatch.delenv("COPILOT_OPENAI_MODEL", raising=False)
    Settings.path().parent.mkdir(parents=True)
    Settings.path().write_text("{not json")
    assert Settings.load().openai_model == "gpt-4o"
