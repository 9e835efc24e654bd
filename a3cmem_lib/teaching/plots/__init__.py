"""Drawing helpers for the textbook's figures (matplotlib only; no training logic).

Each function draws one kind of picture from plain arrays and returns the figure, so the
notebooks stay short and the figures look the same everywhere: :mod:`.memory` for chapters
02 and 03, :mod:`.returns` for chapter 01, :mod:`.images` for the image observations of
chapter 04. Import them from here:
``from a3cmem_lib.teaching import plots; plots.sum_tree_figure(...)``.
"""

from .images import image_observation
from .memory import (
    batch_comparison_figure,
    beta_schedule_figure,
    frequency_figure,
    prefix_sum_path,
    priority_panels,
    ring_buffer_figure,
    slot_histogram,
    sum_tree_figure,
    sum_tree_levels,
    timing_figure,
)
from .returns import advantage_figure

__all__ = [
    "advantage_figure",
    "batch_comparison_figure",
    "beta_schedule_figure",
    "frequency_figure",
    "image_observation",
    "prefix_sum_path",
    "priority_panels",
    "ring_buffer_figure",
    "slot_histogram",
    "sum_tree_figure",
    "sum_tree_levels",
    "timing_figure",
]
