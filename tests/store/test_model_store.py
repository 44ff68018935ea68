"""The model store on real files: the SmolLM2 GGUF fixture (hard-linked or copied into a tmp store)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from copilot.cli import main as cli_main
from copilot.fileio import sha256_file
from copilot.store.model_store import ModelStore, StoreError, UnknownModelError

MANIFEST = {"prompt_format": "v1", "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "quantization": "Q4_1",
            "dataset": {"set_codes": ["DSK"], "examples": {"train": 10, "val": 2}}}


@pytest.fixture()
def gguf(smollm_gguf, tmp_path):
    """A private hard link (or copy) of the real GGUF, so `move=True` tests cannot touch the cached original."""
    p = tmp_path / "src" / "smol.gguf"
    p.parent.mkdir()
    try:
        os.link(smollm_gguf, p)
    except OSError:
        import shutil

        shutil.copy2(smollm_gguf, p)
    return p


@pytest.fixture()
def store(tmp_path):
    return ModelStore(tmp_path / "models")


def test_default_root_follows_copilot_home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path))
    assert ModelStore().root == tmp_path / "models"


def test_register_list_get_activate(store, gguf):
    assert store.list() == [] and store.active() is None
    entry = store.register(gguf, MANIFEST, name="smol", link=True)
    assert entry.name == "smol" and entry.prompt_format == "v1" and entry.problem is None
    assert entry.gguf_path.is_file() and entry.gguf_path.read_bytes()[:4] == b"GGUF"
    assert entry.sha256 == sha256_file(gguf) and entry.size_bytes == gguf.stat().st_size
    m = json.loads((entry.folder / "manifest.json").read_text())
    for key in ("name", "base_model", "prompt_format", "quantization", "dataset", "eval", "created", "sha256",
                "size_bytes", "file", "store_version", "tool"):
        assert key in m, key
    assert gguf.exists(), "register without move keeps the source file"
    assert [e.name for e in store.list()] == ["smol"]
    assert store.active() is None, "registering does not activate by itself"
    store.activate("smol")
    active = store.active()
    assert active is not None and active.name == "smol" and active.active
    assert store.verify("smol") == (True, "ok")
    # no half-registered folders remain
    assert sorted(p.name for p in store.root.iterdir()) == ["active.json", "smol"]


def test_register_refusals(store, gguf, tmp_path):
    store.register(gguf, MANIFEST, name="smol", link=True)
    with pytest.raises(StoreError, match="already exists"):
        store.register(gguf, MANIFEST, name="smol", link=True)
    with pytest.raises(StoreError, match="prompt_format"):
        store.register(gguf, {"base_model": "x"}, name="other", link=True)
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("this is not a model")
    with pytest.raises(StoreError, match="not a GGUF"):
        store.register(not_gguf, MANIFEST, name="bad")
    with pytest.raises(StoreError, match="not found"):
        store.register(tmp_path / "missing.gguf", MANIFEST)
    with pytest.raises(StoreError, match="invalid model name"):
        store.register(gguf, MANIFEST, name="../escape", link=True)
    assert store.names() == ["smol"]
    assert not any(p.name.startswith(".incoming") for p in store.root.iterdir())


def test_unknown_names_are_clear(store, gguf):
    store.register(gguf, MANIFEST, name="smol", link=True)
    for op in (store.get, store.activate, store.remove):
        with pytest.raises(UnknownModelError) as exc:
            op("nope")
        assert "nope" in str(exc.value) and "smol" in str(exc.value)


def test_remove_active_needs_force_and_clears_pointer(store, gguf):
    store.register(gguf, MANIFEST, name="a", link=True)
    store.register(gguf, MANIFEST, name="b", link=True)
    store.activate("a")
    with pytest.raises(StoreError, match="active"):
        store.remove("a")
    assert store.active().name == "a"
    store.remove("b")
    assert store.names() == ["a"]
    store.remove("a", force=True)
    assert store.names() == [] and store.active() is None
    assert not (store.root / "active.json").exists()


def test_move_and_name_from_manifest(store, gguf):
    entry = store.register(gguf, dict(MANIFEST, name="from-manifest"), move=True)
    assert entry.name == "from-manifest" and not gguf.exists() and entry.gguf_path.is_file()


def test_update_eval_merges(store, gguf):
    store.register(gguf, dict(MANIFEST, eval={"top1": 0.1}), name="smol", link=True)
    entry = store.update_eval("smol", {"top3": 0.4, "n": 100})
    assert entry.eval == {"top1": 0.1, "top3": 0.4, "n": 100}
    assert json.loads((entry.folder / "manifest.json").read_text())["eval"]["top3"] == 0.4


def test_stale_pointer_and_missing_file(store, gguf):
    entry = store.register(gguf, MANIFEST, name="smol", link=True)
    store.activate("smol")
    entry.gguf_path.unlink()
    assert "missing" in store.get("smol").problem
    with pytest.raises(StoreError, match="cannot be activated"):
        store.activate("smol")
    (store.root / "active.json").write_text(json.dumps({"name": "gone"}))
    assert store.active() is None
    (entry.folder / "manifest.json").write_text("{broken")
    assert "unreadable manifest" in store.get("smol").problem and store.names() == ["smol"]


def test_models_cli(store, gguf, capsys):
    root = str(store.root)
    assert cli_main(["models", "--store", root, "list"]) == 0
    assert "no models" in capsys.readouterr().out
    assert cli_main(["models", "add", str(gguf), "--store", root, "--prompt-format", "v1", "--name", "smol",
                     "--activate"]) == 0
    assert "activated" in capsys.readouterr().out
    assert cli_main(["models", "list", "--store", root]) == 0
    out = capsys.readouterr().out
    assert "* smol" in out and "format=v1" in out
    assert cli_main(["models", "info", "--store", root]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "smol"
    assert cli_main(["models", "activate", "nope", "--store", root]) == 2
    assert "no model named 'nope'" in capsys.readouterr().err
    assert cli_main(["models", "remove", "smol", "--store", root]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli_main(["models", "verify", "smol", "--store", root]) == 0
    assert cli_main(["models", "remove", "smol", "--force", "--store", root]) == 0
    assert store.names() == []


def test_models_cli_subprocess_uses_copilot_home(tmp_path):
    env = dict(os.environ, COPILOT_HOME=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "copilot", "models", "info", "x"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 2 and "no model named 'x'" in r.stderr and str(tmp_path / "models") in r.stderr
