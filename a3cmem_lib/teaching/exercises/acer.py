"""Check for the exercise of ``notebooks/09_acer.ipynb``.

Exercise, ``my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma)``:
the Retrace targets Q^ret of one segment (Wang et al., 2017, eq. 5). All six arrays have
shape ``(T,)``, oldest step first: ``rewards``, ``q_taken[t]`` = Q(s_t, a_t) of the action
taken, ``next_values[t]`` = V(s_{t+1}) (inside the segment the next step's value, at its end
the bootstrap value), ``rhos[t]`` = π(a_t|s_t) / μ(a_t|s_t) (float64), ``terminated`` and
``truncated`` (bool). Return a ``(T,)`` float array, computed backwards from the last step:

    c̄_t = min(1, ρ_t)                                        (truncated trace)
    Q^ret_t = r_t + γ [c̄_{t+1} (Q^ret_{t+1} − Q(s_{t+1}, a_{t+1})) + V(s_{t+1})]

while the episode and the segment go on after step t. Where they do not, the bracket is
0 after a terminal step (``terminated[t]``: no future) or ``next_values[t]`` after a
truncated step or the segment's last step (the trace is cut; bootstrap from V). The
reference answer is :func:`a3cmem_lib.agent.acer.retrace` with λ = 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from a3cmem_lib.agent.acer import retrace

from .runner import resolve_seed, result_array, run_checks

_TOLERANCE = 1e-5
_INPUTS = ("rewards", "q_taken", "next_values", "rhos", "terminated", "truncated")


def _segment(
    rewards: list[float],
    q_taken: list[float],
    next_values: list[float],
    rhos: list[float] | None = None,
    terminated: list[bool] | None = None,
    truncated: list[bool] | None = None,
) -> dict[str, np.ndarray]:
    length = len(rewards)
    return {
        "rewards": np.asarray(rewards, dtype=np.float64),
        "q_taken": np.asarray(q_taken, dtype=np.float64),
        "next_values": np.asarray(next_values, dtype=np.float64),
        "rhos": np.asarray(rhos or [1.0] * length, dtype=np.float64),
        "terminated": np.asarray(terminated or [False] * length, dtype=bool),
        "truncated": np.asarray(truncated or [False] * length, dtype=bool),
    }


def _random_segment(rng: np.random.Generator, length: int) -> dict[str, np.ndarray]:
    ends = rng.random(length)
    return {
        "rewards": rng.normal(size=length),
        "q_taken": rng.normal(scale=3.0, size=length),
        "next_values": rng.normal(scale=3.0, size=length),
        # ratios on both sides of 1, a few exactly 0 (an action π never takes)
        "rhos": np.where(rng.random(length) < 0.1, 0.0, np.exp(rng.normal(scale=1.0, size=length))),
        "terminated": ends < 0.1,
        # about one step in twenty both terminates and truncates (gymnasium allows it)
        "truncated": (ends > 0.9) | (ends < 0.005),
    }


def _describe(segment: dict[str, np.ndarray]) -> str:
    """Every input of the segment, so the expected targets can be recomputed by hand."""

    def flags(name: str) -> str:
        return str(np.flatnonzero(segment[name]).tolist())

    values = ", ".join(
        f"{name}={np.round(segment[name], 3).tolist()}"
        for name in ("rewards", "q_taken", "next_values", "rhos")
    )
    return (
        f"{values}, terminated at steps {flags('terminated')}, "
        f"truncated at steps {flags('truncated')}"
    )


def _hint(segment: dict[str, np.ndarray], t: int) -> str:
    """What Q^ret_t should be made of, in words, for the latest wrong step ``t``."""
    if segment["terminated"][t]:
        return (
            "step t terminated the episode: there is no V(s_{t+1}) to bootstrap from and no "
            "trace to carry, so Q^ret_t = r_t, even if the step was truncated too"
        )
    if segment["truncated"][t]:
        return (
            "step t was truncated (time limit, or another episode follows): the trace is cut "
            "here, so Q^ret_t = r_t + γ next_values[t], with no correction from step t+1"
        )
    if t == len(segment["rewards"]) - 1:
        return (
            "the segment's last step bootstraps from the value of the state after it: "
            "Q^ret_t = r_t + γ next_values[t]"
        )
    rho = float(segment["rhos"][t + 1])
    trace = min(1.0, rho)
    which = (
        f"ρ_{{t+1}} = {rho:.4g} exceeds 1, so the trace is truncated to c̄_{{t+1}} = 1"
        if rho > 1.0
        else f"c̄_{{t+1}} = min(1, ρ_{{t+1}}) = {trace:.4g} (the ratio of step t+1, not of step t)"
    )
    return (
        "Q^ret_t = r_t + γ [c̄_{t+1} (Q^ret_{t+1} − q_taken[t+1]) + next_values[t]], where " + which
    )


def check_retrace(my_retrace: Callable[..., Any], *, seed: int | None = 0) -> None:
    """Check ``my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma)``
    against :func:`~a3cmem_lib.agent.acer.retrace` (λ = 1) on one segment.

    Explained in ``notebooks/09_acer.ipynb`` (exercise). Hand-made segments (on-policy, a
    ratio above 1, ratios below 1 and 0, termination and truncation mid-segment and at the
    end, both at once, γ = 0 and 1, one step) and random ones; ``seed`` draws the random
    cases (``None``: fresh ones, nbgrader's hidden tests). Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(segment: dict[str, np.ndarray], gamma: float) -> None:
        copies = {name: segment[name].copy() for name in _INPUTS}
        result = my_retrace(*copies.values(), gamma)
        for name in _INPUTS:
            assert np.array_equal(copies[name], segment[name]), f"my_retrace modified {name}"
        length = len(segment["rewards"])
        got = result_array(result, "my_retrace's result", length, "one target per step")
        expected = retrace(*(segment[name] for name in _INPUTS), gamma=gamma)
        wrong = np.flatnonzero(~np.isclose(got, expected, rtol=_TOLERANCE, atol=_TOLERANCE))
        if len(wrong):
            t = int(wrong[-1])  # the latest wrong step: errors flow backwards from it
            raise AssertionError(
                f"Q^ret at step {t} is {got[t]:.6g}, expected {expected[t]:.6g} (γ = {gamma:g}; "
                f"{_hint(segment, t)}). Segment: {_describe(segment)}; "
                f"expected all: {np.round(expected, 4).tolist()}, "
                f"got: {np.round(got, 4).tolist()}"
            )

    def on_policy() -> None:
        agrees(_segment([1.0, 1.0, 1.0], [2.0, 3.0, 4.0], [3.5, 4.5, 10.0]), 0.9)

    def ratio_above_one() -> None:
        agrees(_segment([1.0, 1.0, 1.0], [2.0, 3.0, 4.0], [3.5, 4.5, 10.0], [1.0, 4.0, 2.5]), 0.9)

    def ratios_below_one() -> None:
        agrees(_segment([1.0, 0.0, 2.0], [2.0, 3.0, 4.0], [3.5, 4.5, 10.0], [0.5, 0.25, 0.5]), 0.9)
        agrees(_segment([1.0, 0.0, 2.0], [2.0, 3.0, 4.0], [3.5, 4.5, 10.0], [1.0, 0.0, 1.0]), 0.9)

    def termination() -> None:
        segment = _segment(
            [1.0, 1.0, 1.0, 1.0],
            [5.0, 5.0, 2.0, 2.0],
            [5.0, 5.0, 6.0, 6.0],
            terminated=[False, True, False, False],
        )
        agrees(segment, 0.9)
        agrees(_segment([1.0, 2.0], [4.0, 4.0], [4.0, 7.0], terminated=[False, True]), 0.9)

    def truncation() -> None:
        segment = _segment(
            [1.0, 1.0, 1.0, 1.0],
            [2.0, 3.0, 2.0, 1.0],
            [2.0, 8.0, 3.0, 5.0],
            [1.0, 1.0, 0.5, 1.0],
            truncated=[False, True, False, False],
        )
        agrees(segment, 0.9)
        agrees(_segment([1.0, 2.0], [4.0, 4.0], [4.0, 7.0], truncated=[False, True]), 0.9)

    def both_flags() -> None:
        segment = _segment(
            [1.0, 1.0, 1.0],
            [6.0, 6.0, 6.0],
            [6.0, 6.0, 6.0],
            terminated=[False, True, False],
            truncated=[False, True, False],
        )
        agrees(segment, 0.9)

    def extreme_gammas() -> None:
        segment = _segment([1.0, -2.0, 3.0], [1.0, 2.0, 3.0], [10.0, 20.0, 30.0], [2.0, 0.5, 3.0])
        agrees(segment, 0.0)
        agrees(segment, 1.0)

    def single_step() -> None:
        agrees(_segment([2.0], [1.0], [3.0], [5.0]), 0.5)
        agrees(_segment([2.0], [1.0], [3.0], [5.0], [True]), 0.5)

    used = resolve_seed(seed)

    def random_segments() -> None:
        rng = np.random.default_rng(used)
        for _ in range(50):
            agrees(_random_segment(rng, int(rng.integers(1, 25))), float(rng.uniform(0.8, 1.0)))

    run_checks(
        "check_retrace",
        [
            (
                "an on-policy segment (every ρ = 1: the n-step return with a control variate)",
                on_policy,
            ),
            ("a ratio ρ above 1", ratio_above_one),
            ("ratios ρ below 1, and ρ = 0", ratios_below_one),
            ("an episode that terminates mid-segment, and at its end", termination),
            ("a segment truncated mid-segment, and at its end", truncation),
            ("a step both terminated and truncated", both_flags),
            ("γ = 0 and γ = 1", extreme_gammas),
            ("a one-step segment", single_step),
            ("50 random segments", random_segments),
        ],
        seed=used if seed is None else None,
    )
