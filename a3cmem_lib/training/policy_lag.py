"""Policy lag: how many updates of the shared model old the policy behind a gradient is.

A3C's Hogwild workers compute a gradient with the weights they copied before acting, while
the other workers keep updating the shared model: by the time the gradient is applied, the
model has moved on by some number of updates (stale gradients, the article's mechanism).
Replayed experience is older still: the lag of a sampled segment is the number of updates
between the weights its worker acted with and the learner update that uses it.

Every update of the shared model increments one counter, the *policy version*; a lag is a
difference of two versions.

Explained in notebooks/07_when_does_memory_help.ipynb (section "Asynchrony").
"""

from __future__ import annotations

import numpy as np


class PolicyLag:
    """Collects lags (integers ≥ 0, in updates of the shared model) and summarises them."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def add(self, lags: np.ndarray | list[int]) -> None:
        """Record the lags of some gradients or sampled segments (int, shape (n,))."""
        values = np.asarray(lags, dtype=np.int64).reshape(-1)
        if len(values) and values.min() < 0:
            raise ValueError(f"lags must be >= 0, got minimum {values.min()}")
        if len(values):
            self.parts.append(values)

    def values(self) -> np.ndarray:
        """All recorded lags, int64 (n,), in the order recorded."""
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int64)

    def summary(self) -> dict[str, float] | None:
        """``mean``, ``median``, ``p90``, ``max`` and ``count`` of the lags (``None``
        before any)."""
        values = self.values()
        if not len(values):
            return None
        return {
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "p90": float(np.percentile(values, 90)),
            "max": float(values.max()),
            "count": float(len(values)),
        }
