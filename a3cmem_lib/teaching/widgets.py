"""Interactive widgets for the textbook, for ipywidgets 7.7 (Colab's) and 8.

``priority_explorer`` is explained in ``notebooks/03_prioritized_replay.ipynb``: sliders for
α and β redraw the sampling distribution P(i) and the importance-sampling weights w_i of a
small buffer with fixed priorities. The picture is a PNG in an ``ipywidgets.Image``, which
renders in JupyterLab, Binder and Colab. Only widgets, traits and layout options that both
major versions have are used (sliders, ``Image``, ``HTML``, boxes, ``Layout``, a slider's
``description_width``); ``make test-compat`` runs the widget tests under 7.7 and 8.

``advantage_explorer`` is explained in ``notebooks/01_a3c_basics.ipynb``: sliders for γ and
λ redraw the GAE advantages of a fixed rollout that contains a termination and a truncation.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..agent import gae_advantages
from ..memory import PrioritizedReplayBuffer
from . import plots


def sampling_distribution(
    priorities: Sequence[float], alpha: float, beta: float, eps: float = 1e-6
) -> tuple[np.ndarray, np.ndarray]:
    """P(i) and w_i for every item of a buffer holding ``priorities``.

    Explained in ``notebooks/03_prioritized_replay.ipynb``. P(i) comes from a
    :class:`~a3cmem_lib.memory.PrioritizedReplayBuffer` filled with these priorities;
    ``w_i = (N · P(i))^(-β) / max_k (N · P(k))^(-β)`` (Schaul et al., 2016, section 3.4),
    the weight the buffer's ``sample`` returns whenever item i is drawn.

    Returns:
        probabilities, weights: float64 arrays (n,).
    """
    values = np.asarray(priorities, dtype=np.float64)
    buffer = PrioritizedReplayBuffer(len(values), alpha=alpha, eps=eps)
    buffer.extend((np.arange(len(values)),), priorities=values)
    probabilities = buffer.probabilities()
    n = len(values)
    weights = (n * probabilities) ** (-beta) / (n * probabilities.min()) ** (-beta)
    return probabilities, weights


def _slider(value: float, step: float, description: str) -> widgets.FloatSlider:
    """A slider over [0, 1] that redraws once released (a redraw takes ~0.1 s)."""
    return widgets.FloatSlider(
        value=value,
        min=0.0,
        max=1.0,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="45%"),
    )


class _TwoSliderFigure(widgets.VBox):
    """Two sliders above a matplotlib figure (sent as a PNG) and a one-line summary; moving
    either slider calls :meth:`draw` again. Subclasses set ``figsize`` and ``draw``."""

    figsize: tuple[float, float] = (10, 3)

    def __init__(self, first: widgets.FloatSlider, second: widgets.FloatSlider) -> None:
        self.image = widgets.Image(format="png")
        self.summary = widgets.HTML()
        super().__init__([widgets.HBox([first, second]), self.image, self.summary])
        first.observe(self._redraw, names="value")
        second.observe(self._redraw, names="value")
        self._redraw()

    def draw(self, figure: Figure) -> str:
        """Draw into ``figure`` for the sliders' current values; return the summary HTML."""
        raise NotImplementedError

    def _redraw(self, change: object = None) -> None:
        figure = Figure(figsize=self.figsize)
        FigureCanvasAgg(figure)
        self.summary.value = self.draw(figure)
        png = io.BytesIO()
        figure.savefig(png, format="png", dpi=80)
        self.image.value = png.getvalue()


class PriorityExplorer(_TwoSliderFigure):
    """α and β sliders above a two-panel plot: P(i) (left) and w_i (right).

    Attributes kept current for inspection and tests: ``alpha_slider``, ``beta_slider``,
    ``probabilities`` and ``weights`` (float arrays (n,)), ``image`` (the PNG widget).
    """

    figsize = (10, 2.8)

    def __init__(self, priorities: Sequence[float], alpha: float = 0.6, beta: float = 0.4) -> None:
        self.priorities = np.asarray(priorities, dtype=np.float64)
        self.alpha_slider = _slider(alpha, 0.05, "α (prioritization)")
        self.beta_slider = _slider(beta, 0.05, "β (IS correction)")
        super().__init__(self.alpha_slider, self.beta_slider)

    def draw(self, figure: Figure) -> str:
        alpha, beta = self.alpha_slider.value, self.beta_slider.value
        self.probabilities, self.weights = sampling_distribution(self.priorities, alpha, beta)
        plots.priority_panels(
            self.priorities, [(alpha, beta, self.probabilities, self.weights)], figure=figure
        )
        return (
            f"largest P(i) = {self.probabilities.max():.3f} (uniform would be "
            f"{1 / len(self.priorities):.3f}); smallest weight = {self.weights.min():.3f}"
        )


def priority_explorer(
    priorities: Sequence[float], alpha: float = 0.6, beta: float = 0.4
) -> PriorityExplorer:
    """The interactive α/β explorer for a buffer of fixed ``priorities`` (a few to ~20).

    Explained in ``notebooks/03_prioritized_replay.ipynb``. Display the returned widget
    (last expression of a cell); move the sliders to redraw.
    """
    return PriorityExplorer(priorities, alpha=alpha, beta=beta)


class AdvantageExplorer(_TwoSliderFigure):
    """γ and λ sliders above the rollout and its GAE advantages A_t.

    Attributes kept current for inspection and tests: ``gamma_slider``, ``lambda_slider``,
    ``advantages`` (float32 array (T,), from :func:`~a3cmem_lib.agent.gae_advantages`),
    ``image`` (the PNG widget) and ``summary`` (HTML listing the advantages).
    """

    figsize = (10, 5)

    def __init__(
        self,
        rewards: Sequence[float],
        values: Sequence[float],
        next_values: Sequence[float],
        terminated: Sequence[bool],
        truncated: Sequence[bool],
        gamma: float = 0.9,
        gae_lambda: float = 0.95,
    ) -> None:
        self.rewards = np.asarray(rewards, dtype=np.float64)
        self.values = np.asarray(values, dtype=np.float64)
        self.next_values = np.asarray(next_values, dtype=np.float64)
        self.terminated = np.asarray(terminated, dtype=bool)
        self.truncated = np.asarray(truncated, dtype=bool)
        self.gamma_slider = _slider(gamma, 0.01, "γ (discount)")
        self.lambda_slider = _slider(gae_lambda, 0.05, "λ (GAE)")
        super().__init__(self.gamma_slider, self.lambda_slider)

    def draw(self, figure: Figure) -> str:
        gamma, gae_lambda = self.gamma_slider.value, self.lambda_slider.value
        self.advantages = gae_advantages(
            self.rewards,
            self.values,
            self.next_values,
            self.terminated,
            self.truncated,
            gamma,
            gae_lambda,
        )
        plots.advantage_figure(
            self.rewards,
            self.values,
            self.terminated,
            self.truncated,
            [(gamma, gae_lambda, self.advantages)],
            figure=figure,
        )
        listed = ", ".join(f"{value:+.2f}" for value in self.advantages)
        return f"A_t for t = 0..{len(self.advantages) - 1}: {listed}"


def advantage_explorer(
    rewards: Sequence[float],
    values: Sequence[float],
    next_values: Sequence[float],
    terminated: Sequence[bool],
    truncated: Sequence[bool],
    gamma: float = 0.9,
    gae_lambda: float = 0.95,
) -> AdvantageExplorer:
    """The interactive γ/λ explorer of the GAE advantages of one fixed rollout.

    Explained in ``notebooks/01_a3c_basics.ipynb``. The arrays are ``(T,)`` as for
    :func:`~a3cmem_lib.agent.gae_advantages` (a few to ~20 steps read best). Display the
    returned widget (last expression of a cell); move the sliders to redraw.
    """
    return AdvantageExplorer(
        rewards, values, next_values, terminated, truncated, gamma=gamma, gae_lambda=gae_lambda
    )
