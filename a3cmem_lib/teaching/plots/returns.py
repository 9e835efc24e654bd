"""Figures of ``notebooks/01_a3c_basics.ipynb``: the advantages of a fixed rollout for
several γ and λ.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


# -- chapter 01: advantages of one rollout --------------------------------------------------
def advantage_figure(
    rewards: np.ndarray,
    values: np.ndarray,
    terminated: np.ndarray,
    truncated: np.ndarray,
    rows: Sequence[tuple[float, float, np.ndarray]],
    figure: Figure | None = None,
) -> Figure:
    """A rollout (rewards and V(s_t), top) and its advantage estimates A_t (bottom).

    Explained in ``notebooks/01_a3c_basics.ipynb``; the interactive
    :func:`~a3cmem_lib.teaching.widgets.advantage_explorer` draws one row of advantages.
    Episode ends are marked: a solid line after a terminated step, a dashed one after a
    truncated step.

    Args:
        rewards, values: float arrays (T,), the rewards r_t and critic values V(s_t).
        terminated, truncated: bool arrays (T,), how step t ended its episode (if it did).
        rows: ``(gamma, gae_lambda, advantages)`` per setting, advantages float arrays (T,),
            drawn as grouped bars.
        figure: draw into this figure (e.g. a non-pyplot one for a widget); default: new.
    """
    fig = figure if figure is not None else plt.figure(figsize=(10, 5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    steps = np.arange(len(rewards))
    top.bar(steps, rewards, color="tab:green", label="reward $r_t$")
    top.plot(steps, values, "o", color="tab:purple", label="critic $V(s_t)$")
    top.set_ylabel("reward, value")
    top.set_title("A rollout of T steps: rewards and the critic's values", fontsize=10)
    width = 0.8 / max(len(rows), 1)
    for index, (gamma, gae_lambda, advantages) in enumerate(rows):
        offset = (index - (len(rows) - 1) / 2) * width
        bottom.bar(
            steps + offset, advantages, width=width, label=f"γ = {gamma:.2f}, λ = {gae_lambda:.2f}"
        )
    bottom.axhline(0.0, color="0.3", linewidth=0.8)
    bottom.set_ylabel("advantage $A_t$ (reward units)")
    bottom.set_xlabel("step t of the rollout")
    bottom.set_title("GAE advantage estimates", fontsize=10)
    for ax in (top, bottom):
        for t in np.flatnonzero(terminated):
            ax.axvline(t + 0.5, color="tab:red", linestyle="-", linewidth=1.2)
        for t in np.flatnonzero(np.asarray(truncated) & ~np.asarray(terminated)):
            ax.axvline(t + 0.5, color="tab:red", linestyle="--", linewidth=1.2)
        ax.set_xticks(steps)
    top.plot([], [], color="tab:red", label="terminated (after step)")
    top.plot([], [], color="tab:red", linestyle="--", label="truncated (after step)")
    top.legend(loc="upper right", fontsize=8, ncol=2)
    bottom.legend(loc="lower left", fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
