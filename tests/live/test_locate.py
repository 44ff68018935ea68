"""Locating Player.log, the install folder and the card database on fake home trees (one per platform)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from copilot.arena import locate

WOTC = "Wizards Of The Coast"


def touch(p: Path, text: str = "x\n", mtime: float | None = None) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def test_windows_userprofile(tmp_path):
    log = touch(tmp_path / "AppData" / "LocalLow" / WOTC / "MTGA" / "Player.log")
    env = {"USERPROFILE": str(tmp_path)}
    assert locate.find_log(env=env, system="win32") == log


def test_macos(tmp_path):
    log = touch(tmp_path / "Library" / "Logs" / WOTC / "MTGA" / "Player.log")
    assert locate.find_log(home=tmp_path, env={}, system="darwin") == log


def test_linux_steam_proton_both_roots(tmp_path):
    rel = Path("steamapps/compatdata/2141910/pfx/drive_c/users/steamuser/AppData/LocalLow") / WOTC / "MTGA"
    old = touch(tmp_path / ".local/share/Steam" / rel / "Player.log", mtime=time.time() - 100)
    assert locate.find_log(home=tmp_path, env={}, system="linux") == old
    new = touch(tmp_path / ".steam/steam" / rel / "Player.log")
    assert locate.find_log(home=tmp_path, env={}, system="linux") == new  # the newest one wins


def test_linux_steam_extra_library_from_vdf(tmp_path):
    lib = tmp_path / "mnt" / "games lib"
    vdf = ('"libraryfolders"\n{\n\t"0"\n\t{\n\t\t"path"\t\t"%s"\n\t}\n\t"1"\n\t{\n\t\t"path"\t\t"%s"\n'
           '\t\t"apps"\n\t\t{\n\t\t\t"2141910"\t\t"123"\n\t\t}\n\t}\n}\n' % (tmp_path / ".local/share/Steam", lib))
    touch(tmp_path / ".local/share/Steam/steamapps/libraryfolders.vdf", vdf)
    log = touch(lib / "steamapps/compatdata/2141910/pfx/drive_c/users/steamuser/AppData/LocalLow" / WOTC
                / "MTGA/Player.log")
    assert locate.find_log(home=tmp_path, env={}, system="linux") == log
    assert lib in locate.steam_libraries(tmp_path, {})


def test_parse_library_folders_windows_escapes():
    text = '"libraryfolders"\n{\n "0"\n {\n  "path"  "D:\\\\SteamLibrary"\n }\n}'
    assert locate.parse_library_folders(text) == [Path("D:\\SteamLibrary")]


def test_wine_lutris_and_wineprefix(tmp_path):
    lutris = touch(tmp_path / "Games/magic-the-gathering-arena/drive_c/users/me/AppData/LocalLow" / WOTC
                   / "MTGA/Player.log", mtime=time.time() - 50)
    assert locate.find_log(home=tmp_path, env={"USER": "me"}, system="linux") == lutris
    pfx = tmp_path / "elsewhere" / "pfx"
    custom = touch(pfx / "drive_c/users/me/AppData/LocalLow" / WOTC / "MTGA/Player.log")
    assert locate.find_log(home=tmp_path, env={"USER": "me", "WINEPREFIX": str(pfx)}, system="linux") == custom
    dotwine = touch(tmp_path / ".wine/drive_c/users/me/AppData/LocalLow" / WOTC / "MTGA/Player.log",
                    mtime=time.time() + 10)
    assert locate.find_log(home=tmp_path, env={"USER": "me"}, system="linux") == dotwine


def test_old_output_log_only_when_no_player_log(tmp_path):
    folder = tmp_path / "AppData/LocalLow" / WOTC / "MTGA"
    old = touch(folder / "output_log.txt", mtime=time.time() + 100)
    assert locate.find_log(home=tmp_path, env={}, system="win32") == old
    new = touch(folder / "Player.log", mtime=time.time() - 100)
    assert locate.find_log(home=tmp_path, env={}, system="win32") == new


def test_explicit_and_env_override(tmp_path):
    f = touch(tmp_path / "somewhere" / "Player.log")
    assert locate.find_log(f) == f
    assert locate.find_log(f.parent) == f  # a folder holding Player.log
    assert locate.find_log(tmp_path / "missing.log") is None
    env = {locate.ENV_LOG: str(f)}
    assert locate.find_log(home=tmp_path / "empty", env=env, system="linux") == f
    assert locate.find_log(home=tmp_path, env={locate.ENV_LOG: str(tmp_path / "nope")}, system="linux") is None


def test_nothing_found_message_lists_places(tmp_path):
    assert locate.find_log(home=tmp_path, env={}, system="linux") is None
    msg = locate.no_log_message(home=tmp_path, env={}, system="linux")
    assert "compatdata/2141910" in msg and "--log" in msg and locate.ENV_LOG in msg
    assert ".wine" in msg


def test_prev_log_path():
    assert locate.prev_log_path(Path("/x/MTGA/Player.log")) == Path("/x/MTGA/Player-prev.log")


def test_install_dir_from_real_log(arena_logs):
    p = arena_logs / "premier-draft-2026-ECL.log"
    assert locate.install_dir_from_log(p, system="win32") == Path(
        "C:/Program Files/Wizards of the Coast/MTGA")


def test_install_dir_inside_wine_prefix(tmp_path):
    pfx = tmp_path / "pfx"
    log = touch(pfx / "drive_c/users/steamuser/AppData/LocalLow" / WOTC / "MTGA/Player.log",
                "Mono path[0] = 'C:/Program Files/Wizards of the Coast/MTGA/MTGA_Data/Managed'\r\nMore\r\n")
    inst = locate.install_dir_from_log(log, system="linux")
    assert inst == pfx / "drive_c/Program Files/Wizards of the Coast/MTGA"
    z = touch(tmp_path / "z.log", "Mono path[0] = 'Z:/opt/MTGA/MTGA_Data/Managed'\n")
    assert locate.install_dir_from_log(z, system="linux") == Path("/opt/MTGA")


def test_install_dir_macos_data_managed(tmp_path):
    log = touch(tmp_path / "Player.log",
                "Mono path[0] = '/Applications/MTGA.app/Contents/Resources/Data/Managed'\n")
    assert locate.install_dir_from_log(log, system="darwin") == Path("/Applications/MTGA.app/Contents/Resources")


def test_install_dir_absent(tmp_path):
    assert locate.install_dir_from_log(touch(tmp_path / "p.log", "nothing here\n")) is None
    assert locate.install_dir_from_log(tmp_path / "missing.log") is None


def test_card_database_newest_in_install(tmp_path):
    raw = tmp_path / "MTGA/MTGA_Data/Downloads/Raw"
    touch(raw / "Raw_CardDatabase_aaa.mtga", mtime=time.time() - 100)
    newest = touch(raw / "Raw_CardDatabase_bbb.mtga")
    touch(raw / "Raw_ClientLocalization_ccc.mtga", mtime=time.time() + 100)
    assert locate.find_card_database(tmp_path / "MTGA", home=tmp_path / "h", env={}, system="linux") == newest


def test_card_database_macos_and_steam(tmp_path):
    mac = touch(tmp_path / "Library/Application Support/com.wizards.mtga/Downloads/Raw/Raw_CardDatabase_x.mtga")
    assert locate.find_card_database(None, home=tmp_path, env={}, system="darwin") == mac
    steam = touch(tmp_path / ".local/share/Steam/steamapps/common/MTGA/MTGA_Data/Downloads/Raw"
                  / "Raw_CardDatabase_y.mtga")
    assert locate.find_card_database(None, home=tmp_path, env={}, system="linux") == steam
    assert locate.find_card_database(None, home=tmp_path / "empty", env={}, system="linux") is None


def test_detailed_logs_flag(arena_logs):
    assert locate.detailed_logs_flag(locate.read_header(arena_logs / "detailed-logs-disabled-2026.log")) is False
    assert locate.detailed_logs_flag(locate.read_header(arena_logs / "premier-draft-2026-ECL.log")) is True
