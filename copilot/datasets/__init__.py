"""Readers for public draft data (17lands) used by training, evaluation and the simulator."""
from copilot.datasets.picks import (CardResolver, PickFileError, PickRow, context_from_row, iter_contexts,
                                    iter_pick_rows)

__all__ = ["CardResolver", "PickFileError", "PickRow", "context_from_row", "iter_contexts", "iter_pick_rows"]
