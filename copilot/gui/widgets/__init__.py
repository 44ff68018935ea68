"""Reusable widgets: pack view with score bars, charts, card tooltips."""
