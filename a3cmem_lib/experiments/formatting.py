"""How the rendered conclusions, answer and tables print numbers and lists (chapter 06's
convention), so every piece of text the results produce reads the same.

Explained in notebooks/07_when_does_memory_help.ipynb.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def format_number(value: float) -> str:
    """How tables and conclusions print a number: thousands separators from 100 on, three
    significant digits below, ``-`` for NaN (chapter 06's convention)."""
    if pd.isna(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: items as a sentence lists them."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def number_span(values: pd.Series) -> str:
    """``low–high`` of ``values`` as the tables print them (one number when equal)."""
    low, high = format_number(values.min()), format_number(values.max())
    return low if low == high else f"{low}–{high}"


def ratio_span(ratios: pd.Series) -> str:
    """``low–high`` of ratios with two significant digits (one number when they print
    equal), e.g. CPU per step against plain A3C's."""
    low, high = f"{ratios.min():.2g}", f"{ratios.max():.2g}"
    return low if low == high else f"{low}–{high}"


def seed_span(seeds: Sequence[int]) -> str:
    """``first–last`` of a follow-up's seeds, as the conclusions print them."""
    return f"{min(seeds)}–{max(seeds)}"
