"""The training panel (panel.py) and its sections: dataset, base model and preset, run, evaluate & export."""
from copilot.gui.panels.training.panel import SECTIONS, TrainingPanel

__all__ = ["SECTIONS", "TrainingPanel"]
