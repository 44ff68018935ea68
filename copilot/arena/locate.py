"""Where MTG Arena writes `Player.log`, where it is installed, and where its card database is.

Every function takes the home folder, the environment and the platform as optional arguments so that tests can
build fake trees in a temporary folder; by default they use the running machine's.

Places searched (see shared/docs/arena-log-format.md §1, §8):
- an explicit path, then ``$COPILOT_ARENA_LOG``;
- Windows: ``%USERPROFILE%\\AppData\\LocalLow\\Wizards Of The Coast\\MTGA\\Player.log``;
- macOS: ``~/Library/Logs/Wizards Of The Coast/MTGA/Player.log``;
- Linux: Steam/Proton (app 2141910) under every Steam root and every library in ``libraryfolders.vdf``,
  Wine/Lutris/Bottles prefixes (``$WINEPREFIX``, ``~/.wine``, ``~/Games/*``, Bottles);
- in each folder the pre-2020 ``output_log.txt`` too.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable, Mapping

ENV_LOG = "COPILOT_ARENA_LOG"
STEAM_APP_ID = "2141910"
LOG_NAME = "Player.log"
PREV_NAME = "Player-prev.log"
OLD_LOG_NAME = "output_log.txt"
# The folder is "Wizards Of The Coast"; one tool spells it with a small "of", which only works on macOS.
WOTC_SPELLINGS = ("Wizards Of The Coast", "Wizards of the Coast")
LOCALLOW = ("AppData", "LocalLow")
MAC_APP_SUPPORT = ("Library", "Application Support", "com.wizards.mtga")
CARD_DB_GLOB = "Raw_CardDatabase_*.mtga"
HEADER_SCAN_BYTES = 256 * 1024  # `Mono path[0]` is the first line; look no further than this

_MONO_RE = re.compile(r"Mono path\[0\]\s*=\s*'([^']+)'")
_VDF_PATH_RE = re.compile(r'"path"\s+"((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_WIN_DRIVE_RE = re.compile(r"^([A-Za-z]):[\\/]")


@dataclass(frozen=True)
class Candidate:
    path: Path
    origin: str  # "explicit", "env", "windows", "macos", "steam", "wine", ...


def _platform(system: str | None) -> str:
    s = system or sys.platform
    if s.startswith("win"):
        return "windows"
    if s == "darwin" or s == "macos":
        return "macos"
    return "linux"


def _home(home: Path | str | None, env: Mapping[str, str]) -> Path:
    if home is not None:
        return Path(home)
    return Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def prev_log_path(log: Path) -> Path:
    """The previous session's file beside `log` (`Player-prev.log`)."""
    return Path(log).with_name(PREV_NAME)


# ----------------------------------------------------------------------------------------------- Steam / Wine


def steam_roots(home: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """Steam installation folders on Linux (native, ~/.steam symlink, Flatpak, $STEAM_ROOT)."""
    env = _env(env)
    roots = [home / ".local" / "share" / "Steam", home / ".steam" / "steam", home / ".steam" / "root",
             home / ".var" / "app" / "com.valvesoftware.Steam" / ".local" / "share" / "Steam",
             home / "snap" / "steam" / "common" / ".local" / "share" / "Steam"]
    if env.get("STEAM_ROOT"):
        roots.insert(0, Path(env["STEAM_ROOT"]))
    return _dedupe(roots)


def parse_library_folders(text: str) -> list[Path]:
    """The `"path"` entries of a Steam `libraryfolders.vdf` (both the 2021+ and the older layout)."""
    out = []
    for m in _VDF_PATH_RE.finditer(text):
        out.append(Path(m.group(1).replace("\\\\", "\\")))
    return out


def steam_libraries(home: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """Every Steam library folder: each root plus those its `libraryfolders.vdf` lists."""
    libs: list[Path] = []
    for root in steam_roots(home, env):
        libs.append(root)
        for vdf in (root / "steamapps" / "libraryfolders.vdf", root / "config" / "libraryfolders.vdf"):
            try:
                text = vdf.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            libs.extend(parse_library_folders(text))
    return _dedupe(libs)


def wine_prefixes(home: Path, env: Mapping[str, str] | None = None) -> list[Path]:
    """Wine-style prefixes (folders holding `drive_c`): Proton's for Arena, $WINEPREFIX, ~/.wine, Lutris, Bottles."""
    env = _env(env)
    prefixes = [lib / "steamapps" / "compatdata" / STEAM_APP_ID / "pfx" for lib in steam_libraries(home, env)]
    if env.get("WINEPREFIX"):
        prefixes.append(Path(env["WINEPREFIX"]))
    prefixes.append(home / ".wine")
    for parent in (home / "Games", home / ".local" / "share" / "bottles" / "bottles",
                   home / ".var" / "app" / "com.usebottles.bottles" / "data" / "bottles" / "bottles"):
        try:
            children = sorted(p for p in parent.iterdir() if p.is_dir())
        except OSError:
            continue
        for child in children:
            prefixes.append(child)
            prefixes.append(child / "prefix")  # some Lutris installers nest the prefix
    return _dedupe(prefixes)


def _prefix_users(prefix: Path, env: Mapping[str, str]) -> list[Path]:
    users_dir = prefix / "drive_c" / "users"
    names = ["steamuser"]
    if env.get("USER"):
        names.append(env["USER"])
    try:
        names += sorted(p.name for p in users_dir.iterdir() if p.is_dir() and p.name.lower() != "public")
    except OSError:
        pass
    return [users_dir / n for n in dict.fromkeys(names)]


# ----------------------------------------------------------------------------------------------- the log


def log_folders(home: Path | str | None = None, env: Mapping[str, str] | None = None,
                system: str | None = None) -> list[tuple[Path, str]]:
    """Folders where Arena may write its log on this platform, with where each comes from."""
    env = _env(env)
    h = _home(home, env)
    plat = _platform(system)
    out: list[tuple[Path, str]] = []
    if plat == "windows":
        profile = Path(env["USERPROFILE"]) if home is None and env.get("USERPROFILE") else h
        for w in WOTC_SPELLINGS[:1]:  # Windows file names ignore case
            out.append((profile.joinpath(*LOCALLOW, w, "MTGA"), "windows"))
    elif plat == "macos":
        for w in WOTC_SPELLINGS:
            out.append((h / "Library" / "Logs" / w / "MTGA", "macos"))
    else:
        for prefix in wine_prefixes(h, env):
            origin = "steam" if "compatdata" in prefix.parts else "wine"
            for user in _prefix_users(prefix, env):
                for w in WOTC_SPELLINGS:
                    out.append((user.joinpath(*LOCALLOW, w, "MTGA"), origin))
    seen: set[Path] = set()
    return [(p, o) for p, o in out if not (p in seen or seen.add(p))]


def candidate_log_paths(home: Path | str | None = None, env: Mapping[str, str] | None = None,
                        system: str | None = None) -> list[Candidate]:
    """Every path that may hold the current log, best first (not checked for existence, except folders)."""
    env = _env(env)
    out: list[Candidate] = []
    if env.get(ENV_LOG):
        out.append(Candidate(_as_log_file(Path(env[ENV_LOG])), "env"))
    for folder, origin in log_folders(home, env, system):
        out.append(Candidate(folder / LOG_NAME, origin))
        out.append(Candidate(folder / OLD_LOG_NAME, origin + " (pre-2020)"))
    return out


def _as_log_file(p: Path) -> Path:
    p = p.expanduser()
    return p / LOG_NAME if p.is_dir() else p


def find_log(explicit: Path | str | None = None, *, home: Path | str | None = None,
             env: Mapping[str, str] | None = None, system: str | None = None) -> Path | None:
    """The Arena log to follow, or None.

    An explicit path (a file, or a folder holding Player.log) wins, then $COPILOT_ARENA_LOG; both are returned only
    when they exist. Otherwise the newest existing `Player.log` of the platform's candidates; `output_log.txt`
    only when no Player.log exists.
    """
    env = _env(env)
    if explicit is not None:
        p = _as_log_file(Path(explicit))
        return p if p.is_file() else None
    cands = candidate_log_paths(home, env, system)
    if cands and cands[0].origin == "env":
        return cands[0].path if cands[0].path.is_file() else None
    best: tuple[int, float, Path] | None = None
    for c in cands:
        try:
            st = c.path.stat()
        except OSError:
            continue
        if not c.path.is_file():
            continue
        key = (1 if c.path.name == LOG_NAME else 0, st.st_mtime, c.path)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


def searched_places(home: Path | str | None = None, env: Mapping[str, str] | None = None,
                    system: str | None = None, limit: int = 12) -> list[str]:
    """Human-readable list of the places `find_log` looked in (for the "no log found" message)."""
    env = _env(env)
    lines = []
    if env.get(ENV_LOG):
        lines.append(f"${ENV_LOG} = {env[ENV_LOG]}")
    folders = log_folders(home, env, system)
    for folder, origin in folders[:limit]:
        lines.append(f"{folder / LOG_NAME}  [{origin}]")
    if len(folders) > limit:
        lines.append(f"... and {len(folders) - limit} more Wine/Steam folders")
    if _platform(system) == "linux":
        lines.append("(Steam/Proton app 2141910 under ~/.local/share/Steam, ~/.steam/steam and libraryfolders.vdf"
                     " libraries; $WINEPREFIX, ~/.wine, ~/Games/*)")
    return lines


def no_log_message(home: Path | str | None = None, env: Mapping[str, str] | None = None,
                   system: str | None = None) -> str:
    places = "\n".join("  - " + s for s in searched_places(home, env, system))
    return ("No MTG Arena log (Player.log) was found. Searched:\n" + places +
            f"\nStart MTG Arena once (it creates the log), or pass the file with --log PATH, or set ${ENV_LOG}.")


# ----------------------------------------------------------------------------------------------- install folder


def parse_mono_path(text: str) -> str | None:
    """The managed-assemblies folder from a `Mono path[0] = '...'` line (or a whole header)."""
    m = _MONO_RE.search(text)
    return m.group(1) if m else None


def install_dir_from_mono(mono: str) -> str:
    """`<install>/MTGA_Data/Managed` -> `<install>`; macOS `.../Data/Managed` -> the folder above `Data`."""
    norm = mono.replace("\\", "/").rstrip("/")
    for suffix in ("/MTGA_Data/Managed", "/Data/Managed", "/Managed"):
        if norm.lower().endswith(suffix.lower()):
            return norm[: -len(suffix)] or "/"
    return norm


def wine_prefix_of(path: Path) -> Path | None:
    """The prefix (folder holding `drive_c`) that `path` lies in, if any."""
    parts = Path(path).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "drive_c":
            return Path(*parts[:i]) if i else Path("/")
    return None


def map_windows_path(win_path: str, log_path: Path | None = None, system: str | None = None) -> Path:
    """A Windows path from the log as a local path.

    On Windows it is returned as is. Elsewhere, when the log lies in a Wine/Proton prefix, ``C:/x`` becomes
    ``<prefix>/drive_c/x``, another drive letter goes through ``<prefix>/dosdevices/<d>:`` and ``Z:`` (Wine's
    default mapping of `/`) becomes ``/x``.
    """
    if _platform(system) == "windows":
        return Path(win_path)
    m = _WIN_DRIVE_RE.match(win_path)
    if not m:
        return Path(win_path)
    drive = m.group(1).lower()
    rest = PurePosixPath(*PureWindowsPath(win_path).parts[1:])
    prefix = wine_prefix_of(log_path) if log_path is not None else None
    if prefix is not None:
        if drive == "c":
            return prefix / "drive_c" / rest
        dos = prefix / "dosdevices" / f"{drive}:"
        if dos.exists():
            return Path(os.path.realpath(dos)) / rest
    if drive == "z":
        return Path("/") / rest
    if prefix is not None:
        return prefix / "dosdevices" / f"{drive}:" / rest
    return Path(win_path)


def read_header(path: Path, limit: int = HEADER_SCAN_BYTES) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return ""


def install_dir_from_log(path: Path | str, system: str | None = None) -> Path | None:
    """Arena's install folder from the log's first line, mapped into the Wine prefix where needed."""
    mono = parse_mono_path(read_header(Path(path)))
    if not mono:
        return None
    return map_windows_path(install_dir_from_mono(mono), Path(path), system)


def detailed_logs_flag(header: str) -> bool | None:
    """True/False from `DETAILED LOGS: ENABLED|DISABLED` in a header, None when absent."""
    if "DETAILED LOGS: ENABLED" in header:
        return True
    if "DETAILED LOGS: DISABLED" in header:
        return False
    return None


# ----------------------------------------------------------------------------------------------- card database


def card_database_folders(install_dir: Path | str | None = None, *, home: Path | str | None = None,
                          env: Mapping[str, str] | None = None, system: str | None = None) -> list[Path]:
    """Folders that may hold `Raw_CardDatabase_*.mtga`, best first."""
    env = _env(env)
    h = _home(home, env)
    plat = _platform(system)
    out: list[Path] = []
    if install_dir is not None:
        inst = Path(install_dir)
        out += [inst / "MTGA_Data" / "Downloads" / "Raw", inst / "Downloads" / "Raw",
                inst / "Data" / "Downloads" / "Raw"]
    if plat == "macos":
        out.append(h.joinpath(*MAC_APP_SUPPORT, "Downloads", "Raw"))
    elif plat == "windows":
        for var in ("ProgramFiles", "ProgramFiles(x86)"):
            if env.get(var):
                out.append(Path(env[var]) / "Wizards of the Coast" / "MTGA" / "MTGA_Data" / "Downloads" / "Raw")
        out.append(Path("C:/Program Files/Wizards of the Coast/MTGA/MTGA_Data/Downloads/Raw"))
        for lib in (Path("C:/Program Files (x86)/Steam"), Path("C:/Program Files/Steam")):
            out.append(lib / "steamapps" / "common" / "MTGA" / "MTGA_Data" / "Downloads" / "Raw")
    else:
        for lib in steam_libraries(h, env):
            out.append(lib / "steamapps" / "common" / "MTGA" / "MTGA_Data" / "Downloads" / "Raw")
        for prefix in wine_prefixes(h, env):
            for pf in ("Program Files", "Program Files (x86)"):
                out.append(prefix / "drive_c" / pf / "Wizards of the Coast" / "MTGA" / "MTGA_Data" / "Downloads"
                           / "Raw")
    return _dedupe(out)


def find_card_database(install_dir: Path | str | None = None, *, home: Path | str | None = None,
                       env: Mapping[str, str] | None = None, system: str | None = None) -> Path | None:
    """The newest `Raw_CardDatabase_*.mtga` (a SQLite file) for this install, or None.

    Looks in `<install>/MTGA_Data/Downloads/Raw/` first, then the platform's usual places (macOS Application
    Support, Steam `steamapps/common/MTGA`, Wine prefixes).
    """
    for folder in card_database_folders(install_dir, home=home, env=env, system=system):
        best = _newest(folder.glob(CARD_DB_GLOB)) if folder.is_dir() else None
        if best is not None:
            return best
    return None


def _newest(paths: Iterable[Path]) -> Path | None:
    best: tuple[float, str, Path] | None = None
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file() and (best is None or (st.st_mtime, p.name) > best[:2]):
            best = (st.st_mtime, p.name, p)
    return best[2] if best else None


def _dedupe(paths: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(p) for p in paths))
