"""Train a3cmem on CartPole-v1 until it is solved, for the benchmarks that count what it took.

"Solved" is CartPole-v1's reward threshold: the mean return of the last :data:`WINDOW`
episodes reaches :data:`TARGET`. a3cmem is imported when a run starts, so a benchmark's
trial process that runs another library never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from a3cmem_lib.training import TrainResult

TARGET = 475.0
"""CartPole-v1's reward threshold."""
WINDOW = 100
"""Episodes the mean return is taken over."""


def train_until_solved(
    seed: int, budget: int, **overrides: Any
) -> tuple[TrainResult, pd.Series | None]:
    """Train (``TrainConfig`` defaults, ``overrides`` on top) until solved or ``budget`` env
    steps; the result and the first episode row (``global_step``, ``wall_time``, ...) whose
    :data:`WINDOW`-episode mean return reached :data:`TARGET`, or ``None`` if none did."""
    from a3cmem_lib.training import TrainConfig, train

    config = TrainConfig(
        env_id="CartPole-v1",
        total_steps=budget,
        seed=seed,
        progress=False,
        stop_return=TARGET,
        **overrides,
    )
    result = train(config)
    episodes = result.episodes
    solved = episodes["return"].rolling(WINDOW).mean() >= TARGET
    first = episodes[solved].iloc[0] if solved.any() else None
    return result, first
