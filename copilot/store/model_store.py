"""The local model store: one folder per model, a manifest beside each GGUF, one active pointer.

Layout (default root: ``user_data_dir()/models``)::

    models/
      active.json                  {"name": "dsk-smollm2-q4"}   (written atomically)
      dsk-smollm2-q4/
        model.gguf                 (or the file named by manifest["file"])
        manifest.json              name, base_model, prompt_format, quantization, dataset, eval, created,
                                   sha256, size_bytes, file, store_version
      .incoming-<name>-<pid>/      a registration in progress (ignored by list(); renamed into place at the end)

Rules:
- ``register`` copies (default), hard-links (``link=True``) or moves (``move=True``) the GGUF into a temporary folder,
  writes the manifest, then renames the folder into place, so the store never holds a half-registered model.
- A model's manifest must name its ``prompt_format``: inference uses the format the model was trained with.
- ``remove`` refuses to remove the active model unless ``force=True``; a forced removal also clears the active
  pointer (no model is active afterwards, engines fall back). Nothing else changes the active pointer silently.
- A pointer naming a model that no longer exists reads as "no active model" (``active()`` returns None).
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from copilot.fileio import atomic_write_json, read_json, sha256_file, tool_info, utc_now

STORE_VERSION = 1
MANIFEST = "manifest.json"
ACTIVE = "active.json"
DEFAULT_FILE = "model.gguf"
GGUF_MAGIC = b"GGUF"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class StoreError(Exception):
    """A store operation that cannot be done; the message says why and what to do."""


class UnknownModelError(StoreError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0] if self.args else "unknown model"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    folder: Path
    manifest: dict = field(compare=False)
    active: bool = False

    @property
    def gguf_path(self) -> Path:
        return self.folder / self.manifest.get("file", DEFAULT_FILE)

    @property
    def prompt_format(self) -> str:
        return self.manifest.get("prompt_format", "")

    @property
    def base_model(self) -> str | None:
        return self.manifest.get("base_model")

    @property
    def quantization(self) -> str | None:
        return self.manifest.get("quantization")

    @property
    def size_bytes(self) -> int | None:
        return self.manifest.get("size_bytes")

    @property
    def sha256(self) -> str | None:
        return self.manifest.get("sha256")

    @property
    def eval(self) -> dict:
        return self.manifest.get("eval") or {}

    @property
    def problem(self) -> str | None:
        """Why this entry cannot be used right now (None when it can)."""
        if self.manifest.get("error"):
            return self.manifest["error"]
        if self.manifest.get("kind") == "pick-model":  # copilot.store.pick_models: no prompt format, a .pt file
            path = self.folder / self.manifest.get("file", "model.pt")
            return None if path.is_file() else f"model file missing: {path}"
        if not self.prompt_format:
            return "manifest names no prompt_format"
        if not self.gguf_path.is_file():
            return f"model file missing: {self.gguf_path}"
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, "folder": str(self.folder), "gguf_path": str(self.gguf_path),
                "active": self.active, "problem": self.problem, "manifest": self.manifest}


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise StoreError(f"invalid model name {name!r}: use letters, digits, '.', '_' or '-' (max 100, "
                         "starting with a letter or digit)")
    return name


def suggest_name(stem: str) -> str:
    """A valid store name from a file stem ('SmolLM2-135M-Instruct.Q4_1' stays as it is)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "model"
    return cleaned[:100]


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


class ModelStore:
    def __init__(self, root: str | os.PathLike | None = None):
        if root is None:
            from copilot.paths import user_data_dir

            root = user_data_dir() / "models"
        self.root = Path(root)

    # -- reading -------------------------------------------------------------------------------------------------
    def _active_name(self) -> str | None:
        p = self.root / ACTIVE
        if not p.is_file():
            return None
        try:
            name = read_json(p).get("name")
        except (OSError, ValueError, AttributeError):
            return None
        return name if isinstance(name, str) and name else None

    def _entry(self, folder: Path, active_name: str | None) -> ModelEntry | None:
        mpath = folder / MANIFEST
        if not mpath.is_file():
            return None
        try:
            manifest = read_json(mpath)
        except (OSError, ValueError) as exc:
            manifest = {"name": folder.name, "error": f"unreadable manifest: {exc}"}
        if not isinstance(manifest, dict):
            manifest = {"name": folder.name, "error": "manifest is not a JSON object"}
        return ModelEntry(name=folder.name, folder=folder, manifest=manifest, active=folder.name == active_name)

    def list(self) -> list[ModelEntry]:
        """Every registered model, sorted by name (folders without a manifest are not models)."""
        if not self.root.is_dir():
            return []
        active_name = self._active_name()
        out = []
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and not folder.name.startswith("."):
                entry = self._entry(folder, active_name)
                if entry is not None:
                    out.append(entry)
        return out

    def names(self) -> list[str]:
        return [e.name for e in self.list()]

    def get(self, name: str) -> ModelEntry:
        folder = self.root / name
        entry = self._entry(folder, self._active_name()) if _NAME_RE.match(name or "") and folder.is_dir() else None
        if entry is None:
            known = ", ".join(self.names()) or "none"
            raise UnknownModelError(f"no model named {name!r} in {self.root} (registered: {known}); "
                                    "see `copilot models list`")
        return entry

    def active(self) -> ModelEntry | None:
        name = self._active_name()
        if name is None:
            return None
        try:
            return self.get(name)
        except StoreError:
            return None

    # -- writing -------------------------------------------------------------------------------------------------
    def activate(self, name: str) -> ModelEntry:
        entry = self.get(name)
        if entry.manifest.get("kind") == "pick-model":
            raise StoreError(f"model {name!r} is a pick model (engine picknet): it is used for its set "
                             "automatically and is never the active GGUF model")
        if entry.problem:
            raise StoreError(f"model {name!r} cannot be activated: {entry.problem}")
        atomic_write_json(self.root / ACTIVE, {"name": name, "activated": utc_now()})
        return self.get(name)

    def deactivate(self) -> None:
        p = self.root / ACTIVE
        if p.exists():
            p.unlink()

    def remove(self, name: str, force: bool = False) -> ModelEntry:
        """Delete a model folder. The active model is only removed with force=True, which clears the pointer."""
        entry = self.get(name)
        if entry.active:
            if not force:
                raise StoreError(f"model {name!r} is the active model; activate another one first, "
                                 "or remove it with --force (no model will then be active)")
            self.deactivate()
        trash = self.root / f".removing-{name}-{os.getpid()}"
        os.replace(entry.folder, trash)  # atomic: the model disappears at once, then the bytes go
        shutil.rmtree(trash, ignore_errors=True)
        return entry

    def register(self, gguf_path: str | os.PathLike, manifest: dict | None = None, name: str | None = None,
                 move: bool = False, link: bool = False, activate: bool = False) -> ModelEntry:
        """Add a GGUF file with its manifest; returns the new entry.

        `manifest` must name `prompt_format`; other keys (base_model, quantization, dataset, eval, ...) are kept as
        given. The store adds name, file, sha256, size_bytes, created (unless given), store_version and tool.
        The name comes from `name`, else manifest["name"], else the file's stem; an existing name is refused.
        """
        src = Path(gguf_path)
        if not src.is_file():
            raise StoreError(f"model file not found: {src}")
        if not is_gguf(src):
            raise StoreError(f"{src} is not a GGUF file (it does not start with the GGUF magic bytes)")
        manifest = dict(manifest or {})
        if not manifest.get("prompt_format"):
            raise StoreError("the manifest must name the prompt_format the model was trained with "
                             "(e.g. 'v1'); inference uses that format")
        name = check_name(name or manifest.get("name") or suggest_name(src.stem))
        final = self.root / name
        if final.exists():
            raise StoreError(f"a model named {name!r} already exists in {self.root}; choose another name "
                             "or remove it first (`copilot models remove`)")
        self.root.mkdir(parents=True, exist_ok=True)
        incoming = self.root / f".incoming-{name}-{os.getpid()}"
        if incoming.exists():
            shutil.rmtree(incoming)
        incoming.mkdir()
        try:
            fname = DEFAULT_FILE
            target = incoming / fname
            if move:
                shutil.move(str(src), target)
            elif link:
                try:
                    os.link(src, target)
                except OSError:
                    shutil.copy2(src, target)
            else:
                shutil.copy2(src, target)
            manifest.update({
                "name": name,
                "file": fname,
                "sha256": sha256_file(target),
                "size_bytes": target.stat().st_size,
                "store_version": STORE_VERSION,
                "tool": tool_info(),
            })
            manifest.setdefault("created", utc_now())
            manifest.setdefault("registered_from", str(src))
            manifest.setdefault("eval", {})
            atomic_write_json(incoming / MANIFEST, manifest)
            os.replace(incoming, final)
        except BaseException:
            if move and not src.exists() and (incoming / DEFAULT_FILE).exists():
                shutil.move(str(incoming / DEFAULT_FILE), src)  # give the user's file back
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        if activate:
            return self.activate(name)
        return self.get(name)

    def update_eval(self, name: str, figures: dict) -> ModelEntry:
        """Merge evaluation figures into the model's manifest["eval"] (atomic rewrite)."""
        entry = self.get(name)
        manifest = dict(entry.manifest)
        merged = dict(manifest.get("eval") or {})
        merged.update(figures)
        manifest["eval"] = merged
        manifest["eval_updated"] = utc_now()
        atomic_write_json(entry.folder / MANIFEST, manifest)
        return self.get(name)

    def verify(self, name: str) -> tuple[bool, str]:
        """Recompute the file hash and compare it with the manifest."""
        entry = self.get(name)
        if entry.problem:
            return False, entry.problem
        actual = sha256_file(entry.gguf_path)
        if actual != entry.sha256:
            return False, f"sha256 mismatch: manifest {entry.sha256}, file {actual}"
        return True, "ok"
