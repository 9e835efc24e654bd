"""Figures of image observations (chapter 04's section on the article's regimes): one MinAtar
frame, a colour per object channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch


def image_observation(
    obs: np.ndarray, channel_names: Sequence[str], ax: Axes, title: str = ""
) -> Axes:
    """Draw an (H, W, C) boolean observation: each channel in its own colour, overlaps mixed.

    Args:
        obs: (H, W, C) bool or 0/1 array, one channel per kind of object (MinAtar's layout).
        channel_names: C names for the legend, in channel order.
        ax: the axes to draw into.
        title: the axes title.
    """
    obs = np.asarray(obs, dtype=bool)
    if obs.ndim != 3 or obs.shape[2] != len(channel_names):
        raise ValueError(
            f"obs must be (H, W, C) with C = len(channel_names) = {len(channel_names)}, "
            f"got shape {obs.shape}"
        )
    colours = plt.get_cmap("tab10")(np.arange(obs.shape[2]) % 10)[:, :3]
    layers = obs.sum(axis=2, keepdims=True)
    rgb = (obs[..., None] * colours).sum(axis=2) / np.maximum(layers, 1)
    rgb[layers[..., 0] == 0] = 1.0  # empty cells white
    ax.imshow(rgb, interpolation="nearest")
    ax.set_xticks(np.arange(-0.5, obs.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, obs.shape[0]), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title)
    handles = [Patch(color=colours[c], label=name) for c, name in enumerate(channel_names)]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax
