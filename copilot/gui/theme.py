"""Light and dark themes: one palette each plus a small stylesheet, applied application-wide."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# Mana colours used for bars, pips and charts (readable on both themes).
MANA = {"W": "#e9dfb8", "U": "#4a90d9", "B": "#6b5b73", "R": "#d9534f", "G": "#3c9a5f", "C": "#9aa0a6", "M": "#d4a017"}


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    accent: str
    border: str
    bar: str
    bar_best: str


LIGHT = Theme("light", window="#f4f5f7", base="#ffffff", alt_base="#f0f2f5", text="#1d2125", muted="#5f6b76",
              accent="#2f6fde", border="#d0d5db", bar="#b9cdf3", bar_best="#2f6fde")
DARK = Theme("dark", window="#1e2126", base="#262a30", alt_base="#2d3239", text="#e7e9ec", muted="#9aa4ae",
             accent="#5b9cff", border="#3a4048", bar="#34507c", bar_best="#5b9cff")
THEMES = {"light": LIGHT, "dark": DARK}


def current_theme() -> Theme:
    app = QApplication.instance()
    name = app.property("copilot_theme") if app is not None else None
    return THEMES.get(name or "light", LIGHT)


def apply_theme(app: QApplication, name: str) -> Theme:
    theme = THEMES.get(name, LIGHT)
    app.setStyle("Fusion")
    pal = QPalette()
    c = QColor
    pal.setColor(QPalette.Window, c(theme.window))
    pal.setColor(QPalette.WindowText, c(theme.text))
    pal.setColor(QPalette.Base, c(theme.base))
    pal.setColor(QPalette.AlternateBase, c(theme.alt_base))
    pal.setColor(QPalette.Text, c(theme.text))
    pal.setColor(QPalette.Button, c(theme.alt_base))
    pal.setColor(QPalette.ButtonText, c(theme.text))
    pal.setColor(QPalette.ToolTipBase, c(theme.base))
    pal.setColor(QPalette.ToolTipText, c(theme.text))
    pal.setColor(QPalette.Highlight, c(theme.accent))
    pal.setColor(QPalette.HighlightedText, c("#ffffff"))
    pal.setColor(QPalette.PlaceholderText, c(theme.muted))
    pal.setColor(QPalette.Link, c(theme.accent))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        pal.setColor(QPalette.Disabled, role, c(theme.muted))
    app.setPalette(pal)
    app.setStyleSheet(f"""
        QToolTip {{ color: {theme.text}; background: {theme.base}; border: 1px solid {theme.border}; padding: 6px; }}
        QGroupBox {{ border: 1px solid {theme.border}; border-radius: 6px; margin-top: 14px; padding: 8px 6px 6px 6px; }}
        QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {theme.muted};
                            font-weight: 600; }}
        QListWidget#nav {{ background: {theme.alt_base}; border: none; border-right: 1px solid {theme.border};
                           font-size: 11pt; outline: 0; }}
        QListWidget#nav::item {{ padding: 10px 14px; border-radius: 6px; margin: 2px 6px; }}
        QListWidget#nav::item:selected {{ background: {theme.accent}; color: white; }}
        QLabel[role="title"] {{ font-size: 15pt; font-weight: 700; }}
        QLabel[role="muted"] {{ color: {theme.muted}; }}
        QLabel[role="warning"] {{ color: #b26a00; font-weight: 600; }}
        QLabel[role="error"] {{ color: #d9534f; font-weight: 600; }}
        QFrame[role="banner"] {{ background: {theme.alt_base}; border: 1px solid {theme.border}; border-radius: 6px; }}
        QPlainTextEdit, QTextEdit, QListWidget, QTableWidget {{ border: 1px solid {theme.border}; border-radius: 4px; }}
        QPushButton {{ padding: 5px 12px; }}
    """)
    app.setProperty("copilot_theme", theme.name)
    return theme
