"""The numbers the glossary quotes, read from the library when the book is built.

The glossary (``book/glossary.md``) writes ``{{ window }}``, ``{{ t_max }}`` and so on
instead of typing them, so a changed default or threshold changes the glossary with it.
"""

from __future__ import annotations

from a3cmem_lib.experiments import axes, measures, study_stats
from a3cmem_lib.experiments.axes_stats import SOLVING_FRACTION
from a3cmem_lib.experiments.formatting import format_number
from a3cmem_lib.training import TrainConfig

# The TrainConfig defaults the glossary names.
CONFIG_FIELDS = (
    "t_max",
    "num_workers",
    "capacity",
    "batch_size",
    "replay_ratio",
    "alpha",
    "beta",
    "rho_bar",
    "c_bar",
    "acer_truncation",
    "trust_region_delta",
    "average_decay",
)


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 100 else format_number(value)


def glossary_substitutions() -> dict[str, str]:
    """MyST substitutions: each TrainConfig default of :data:`CONFIG_FIELDS`, the study's
    windows and fractions, and the threshold of every environment of the regime axis."""
    config = TrainConfig()
    values = {name: _number(getattr(config, name)) for name in CONFIG_FIELDS}
    values["window"] = str(measures.WINDOW)
    values["long_window"] = str(measures.LONG_WINDOW)
    values["collapse_fraction"] = _number(study_stats.COLLAPSE_FRACTION)
    values["solving_fraction"] = _number(SOLVING_FRACTION)
    values["cartpole_threshold"] = _number(axes.threshold("CartPole-v1"))
    values["thresholds"] = "; ".join(
        f"`{env_id}` {_number(axes.threshold(env_id))}" for env_id in axes.REGIMES
    )
    return values
