"""Magic Copilot: a draft assistant for MTG Arena."""

__version__ = "0.1.0"
