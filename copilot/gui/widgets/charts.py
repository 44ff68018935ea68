"""Small painted charts: horizontal/vertical bars and a line chart (PySide6-Essentials has no QtCharts)."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from copilot.gui.theme import current_theme


class BarChart(QWidget):
    """Vertical bars with labels under them and values on top. bars: [(label, value, colour)]."""

    def __init__(self, parent=None, min_height: int = 110):
        super().__init__(parent)
        self._bars: list[tuple[str, float, str]] = []
        self.setMinimumHeight(min_height)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_bars(self, bars: list[tuple[str, float, str]]) -> None:
        self._bars = list(bars)
        self.update()

    def bars(self) -> list[tuple[str, float, str]]:
        return list(self._bars)

    def sizeHint(self) -> QSize:
        return QSize(240, 120)

    def paintEvent(self, _event) -> None:
        theme = current_theme()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        if not self._bars:
            p.setPen(QColor(theme.muted))
            p.drawText(self.rect(), Qt.AlignCenter, "nothing yet")
            return
        w, h = self.width(), self.height()
        fm = p.fontMetrics()
        label_h = fm.height() + 4
        top = fm.height() + 4
        n = len(self._bars)
        slot = w / n
        peak = max((v for _, v, _ in self._bars), default=0) or 1
        for i, (label, value, colour) in enumerate(self._bars):
            bar_h = (h - label_h - top) * (value / peak)
            x = i * slot + slot * 0.18
            rect = QRectF(x, h - label_h - bar_h, slot * 0.64, bar_h)
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(colour))
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(QColor(theme.text))
            text = f"{value:g}" if value != int(value) else str(int(value))
            p.drawText(QRectF(i * slot, rect.top() - fm.height() - 2, slot, fm.height()), Qt.AlignCenter, text)
            p.setPen(QColor(theme.muted))
            p.drawText(QRectF(i * slot, h - label_h + 2, slot, label_h), Qt.AlignHCenter | Qt.AlignTop, label)


class LineChart(QWidget):
    """One or more series of (x, y) points with axes; used for the training loss and validation accuracy."""

    def __init__(self, parent=None, title: str = ""):
        super().__init__(parent)
        self.title = title
        self._series: dict[str, tuple[list[tuple[float, float]], str]] = {}
        self._x_range: tuple[float, float] | None = None
        self.setMinimumHeight(110)  # the training panel's splitter must fit it on a 830-px window
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_series(self, name: str, points: list[tuple[float, float]], colour: str) -> None:
        self._series[name] = (list(points), colour)
        self.update()

    def set_x_range(self, x0: float | None, x1: float | None = None) -> None:
        """Fix the x axis (e.g. 0..max_steps) so the data fills it as it arrives; None: fit the data."""
        self._x_range = None if x0 is None or x1 is None or x1 <= x0 else (float(x0), float(x1))
        self.update()

    def clear(self) -> None:
        self._series.clear()
        self.update()

    def points(self, name: str) -> list[tuple[float, float]]:
        return list(self._series.get(name, ([], ""))[0])

    def paintEvent(self, _event) -> None:
        theme = current_theme()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        fm = p.fontMetrics()
        left, right, top, bottom = 48, 12, fm.height() + 10, fm.height() + 10
        plot = QRectF(left, top, max(10, self.width() - left - right), max(10, self.height() - top - bottom))
        p.setPen(QColor(theme.text))
        bold = QFont(p.font())
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(QRectF(0, 2, self.width(), fm.height() + 4), Qt.AlignHCenter, self.title)
        p.setFont(QFont(self.font()))
        p.setPen(QPen(QColor(theme.border), 1))
        p.drawRect(plot)
        pts_all = [pt for pts, _ in self._series.values() for pt in pts if math.isfinite(pt[1])]
        if not pts_all:
            p.setPen(QColor(theme.muted))
            p.drawText(plot, Qt.AlignCenter, "no data yet")
            return
        xs = [x for x, _ in pts_all]
        ys = [y for _, y in pts_all]
        x0, x1 = min(xs), max(xs)
        if self._x_range is not None:
            x0, x1 = min(x0, self._x_range[0]), max(x1, self._x_range[1])
        y0, y1 = min(0.0, min(ys)), max(ys)
        if x1 == x0:
            x1 = x0 + 1
        if y1 == y0:
            y1 = y0 + 1
        y1 *= 1.05

        def to_px(x: float, y: float) -> QPointF:
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        p.setPen(QColor(theme.muted))
        for frac in (0.0, 0.5, 1.0):
            y = y0 + frac * (y1 - y0)
            py = plot.bottom() - frac * plot.height()
            p.drawText(QRectF(0, py - fm.height() / 2, left - 6, fm.height()), Qt.AlignRight | Qt.AlignVCenter,
                       f"{y:.3g}")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, 80, fm.height()), Qt.AlignLeft, f"{x0:g}")
        p.drawText(QRectF(plot.right() - 80, plot.bottom() + 2, 80, fm.height()), Qt.AlignRight, f"step {x1:g}")
        legend_x = plot.left() + 8
        for name, (pts, colour) in self._series.items():
            pts = [pt for pt in pts if math.isfinite(pt[1])]
            if not pts:
                continue
            path = QPainterPath(to_px(*pts[0]))
            for pt in pts[1:]:
                path.lineTo(to_px(*pt))
            p.setPen(QPen(QColor(colour), 2))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
            if len(pts) == 1:
                p.drawEllipse(to_px(*pts[0]), 3, 3)
            p.drawText(QPointF(legend_x, plot.top() + fm.height()), name)
            legend_x += fm.horizontalAdvance(name) + 24
