"""The ranked pack: one row per card, best first, with the engine's score drawn as a bar and details on hover."""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from copilot.cards.mana import symbols
from copilot.cards.model import Card
from copilot.gui.theme import MANA, current_theme
from copilot.gui.widgets.card_text import card_tooltip, color_key
from copilot.picking.engine import Recommendation


class ScoreBar(QWidget):
    def __init__(self, fraction: float, label: str, best: bool, parent=None):
        super().__init__(parent)
        self.fraction = max(0.0, min(1.0, fraction))
        self.label = label
        self.best = best
        self.setMinimumWidth(140)
        self.setFixedHeight(20)

    def sizeHint(self) -> QSize:
        return QSize(180, 20)

    def paintEvent(self, _event) -> None:
        theme = current_theme()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        r = QRectF(0, 2, self.width(), self.height() - 4)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(theme.alt_base))
        p.drawRoundedRect(r, 4, 4)
        fill = QRectF(r.left(), r.top(), max(3.0, r.width() * self.fraction), r.height())
        p.setBrush(QColor(theme.bar_best if self.best else theme.bar))
        p.drawRoundedRect(fill, 4, 4)
        p.setPen(QColor(theme.text))
        p.drawText(r.adjusted(6, 0, -6, 0), Qt.AlignVCenter | Qt.AlignRight, self.label)


class PackRow(QFrame):
    clicked = Signal(object)

    def __init__(self, rank: int, card: Card, fraction: float, label: str, best: bool, parent=None):
        super().__init__(parent)
        self.card = card
        self.best = best
        self.setToolTip(card_tooltip(card))
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        pip = QLabel()
        pip.setFixedSize(12, 12)
        pip.setStyleSheet(f"background:{MANA[color_key(card)]}; border-radius:6px; border:1px solid #777;")
        rank_lbl = QLabel(f"{rank}.")
        rank_lbl.setFixedWidth(26)
        name = QLabel(card.name)
        font = name.font()
        font.setBold(best)
        name.setFont(font)
        name.setMinimumWidth(160)
        cost = QLabel(compact_cost(card.mana_cost))
        cost.setProperty("role", "muted")
        cost.setMinimumWidth(70)
        lay.addWidget(rank_lbl)
        lay.addWidget(pip)
        lay.addWidget(name, 3)
        lay.addWidget(cost, 1)
        lay.addWidget(ScoreBar(fraction, label, best), 3)

    def mousePressEvent(self, event) -> None:
        self.clicked.emit(self.card)
        super().mousePressEvent(event)


def compact_cost(mana_cost: str | None) -> str:
    """The cost without braces, hybrid symbols in parentheses: {2}{R} // {3}{R} -> 2R // 3R, {W/U}{B} -> (W/U)B.
    Short enough that both halves of a Room or split card fit the cost column (the full cost is in the tooltip)."""
    return " // ".join("".join(f"({s})" if "/" in s else s for s in symbols(half))
                       for half in (mana_cost or "").split("//") if half.strip())


class PackView(QScrollArea):
    """Shows a Recommendation (ranked) or, while ranking, the plain pack."""

    card_clicked = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(1)
        self.setWidget(self._inner)
        self.rows: list[PackRow] = []
        self._message = QLabel()
        self._message.setProperty("role", "muted")
        self._message.setWordWrap(True)
        self.show_message("No pack yet.")

    def _clear(self) -> None:
        self._message.hide()
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None and item.widget() is not self._message:
                item.widget().deleteLater()
        self.rows = []

    def show_message(self, text: str) -> None:
        self._clear()
        self._message.setText(text)
        self._layout.addWidget(self._message)
        self._message.show()
        self._layout.addStretch(1)

    def show_pack(self, cards: list[Card], note: str = "ranking...") -> None:
        self._clear()
        for i, card in enumerate(cards, 1):
            row = PackRow(i, card, 0.0, note if i == 1 else "", False)
            row.clicked.connect(self.card_clicked)
            self.rows.append(row)
            self._layout.addWidget(row)
        self._layout.addStretch(1)

    def show_recommendation(self, rec: Recommendation, best: Sequence[Card] | None = None) -> None:
        """The ranked pack; `best` (default: the top card) are highlighted, e.g. both cards of a Pick-Two pair."""
        if not rec.ranked:
            self.show_message(f"{rec.engine}: {rec.error or 'no answer'}")
            return
        self._clear()
        probs = [s.probability for s in rec.ranked]
        if all(p is not None for p in probs):
            top = max(probs) or 1.0
            fractions = [p / top for p in probs]
            labels = [f"{p * 100:.1f}%" for p in probs]
        else:
            scores = [s.score for s in rec.ranked]
            lo, hi = min(scores), max(scores)
            span = (hi - lo) or 1.0
            fractions = [0.08 + 0.92 * (s - lo) / span for s in scores]
            labels = [f"{s:.3g}" for s in scores]
        wanted = list(best) if best else [rec.ranked[0].card]
        for i, (cs, frac, label) in enumerate(zip(rec.ranked, fractions, labels), 1):
            hit = next((w for w in wanted if w is cs.card), None) or next((w for w in wanted if w.name == cs.card.name), None)
            if hit is not None:
                wanted.remove(hit)
            row = PackRow(i, cs.card, frac, label, hit is not None)
            row.clicked.connect(self.card_clicked)
            self.rows.append(row)
            self._layout.addWidget(row)
        self._layout.addStretch(1)

    def names(self) -> list[str]:
        return [r.card.name for r in self.rows]
