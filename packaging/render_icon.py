"""Render assets/magic-copilot.svg to PNG (256 px, the window icon) and .ico/.icns-ready sizes with QtSvg.

    QT_QPA_PLATFORM=offscreen python packaging/render_icon.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def render(svg: Path, out: Path, size: int) -> Path:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    img = QImage(size, size, QImage.Format_ARGB32)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    renderer.render(p)
    p.end()
    if not img.save(str(out)):
        raise SystemExit(f"could not write {out}")
    return out


def main() -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = ASSETS / "magic-copilot.svg"
    print(render(svg, ASSETS / "magic-copilot.png", 256))
    # the .ico for Windows is made from this PNG by PyInstaller (Pillow) at build time; see packaging/README.md
    return 0


if __name__ == "__main__":
    sys.exit(main())
