"""Check for the exercise of ``notebooks/05_async_training_with_memory.ipynb``.

Exercise, ``my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma,
rho_bar)``: the off-policy correction for a batch of N single transitions (segments of one
step). ``log_rhos`` = log π(a|s) − log μ(a|s), ``rewards``, ``values`` = V(s) and
``next_values`` = V(s') are float arrays ``(N,)``, ``terminated`` a bool array ``(N,)``.
Return a pair ``(targets, advantages)`` of float arrays ``(N,)``:

    ρ = min(ρ̄, exp(log_rhos))                          (truncated importance ratio)
    δ = ρ · (r + γ (1 − terminated) V(s') − V(s))
    targets = V(s) + δ          advantages = ρ · (r + γ (1 − terminated) V(s') − V(s)),

which is V-trace (Espeholt et al., 2018) for T = 1: a terminated step has no future, so it
does not bootstrap. The reference answer is :func:`a3cmem_lib.agent.vtrace.vtrace` on
segments of length 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from a3cmem_lib.agent.vtrace import vtrace

from .runner import resolve_seed, result_array, run_checks

_TOLERANCE = 1e-5


def _reference(batch: dict[str, np.ndarray], gamma: float, rho_bar: float):
    """The library's V-trace on N segments of length 1: (targets, advantages), float64."""

    def column(name: str) -> torch.Tensor:
        return torch.from_numpy(batch[name]).unsqueeze(-1)

    result = vtrace(
        column("log_rhos"),
        column("rewards"),
        column("values"),
        column("next_values"),
        column("terminated"),
        torch.zeros_like(column("terminated")),
        gamma=gamma,
        rho_bar=rho_bar,
        c_bar=rho_bar,
    )
    return result.values.squeeze(-1).numpy(), result.advantages.squeeze(-1).numpy()


def _batch(
    ratios: list[float],
    rewards: list[float],
    values: list[float],
    next_values: list[float],
    terminated: list[bool] | None = None,
) -> dict[str, np.ndarray]:
    return {
        "log_rhos": np.log(np.asarray(ratios, dtype=np.float64)),
        "rewards": np.asarray(rewards, dtype=np.float64),
        "values": np.asarray(values, dtype=np.float64),
        "next_values": np.asarray(next_values, dtype=np.float64),
        "terminated": np.asarray(terminated or [False] * len(ratios), dtype=bool),
    }


def _hint(batch: dict[str, np.ndarray], i: int, rho_bar: float) -> str:
    ratio = float(np.exp(batch["log_rhos"][i]))
    if batch["terminated"][i]:
        return (
            "this transition terminated the episode: there is no V(s') to bootstrap from, "
            "so the bracket is r − V(s)"
        )
    if ratio > rho_bar:
        return (
            f"π/μ = exp(log_rho) = {ratio:.4g} exceeds ρ̄ = {rho_bar:g}, so it is truncated "
            f"to ρ = {rho_bar:g}"
        )
    if abs(ratio - 1.0) > 1e-12:
        return (
            f"π/μ = exp(log_rho) = {ratio:.4g} is below ρ̄ = {rho_bar:g}, so ρ = {ratio:.4g} "
            "(truncation only caps ratios from above; remember to exponentiate log_rhos)"
        )
    return "on-policy (ρ = 1): the target is the one-step TD target r + γ V(s')"


def check_vtrace(my_vtrace_one_step: Callable[..., Any], *, seed: int | None = 0) -> None:
    """Check ``my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma,
    rho_bar)`` against :func:`~a3cmem_lib.agent.vtrace.vtrace` with segments of length 1.

    Explained in ``notebooks/05_async_training_with_memory.ipynb`` (exercise). Hand-made
    cases (on-policy, a ratio above and below ρ̄, termination, ρ̄ ≠ 1, γ = 0 and 1) and
    random batches.
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(batch: dict[str, np.ndarray], gamma: float, rho_bar: float) -> None:
        size = len(batch["rewards"])
        copies = {name: array.copy() for name, array in batch.items()}
        result = my_vtrace_one_step(*copies.values(), gamma, rho_bar)
        assert isinstance(result, (tuple, list)) and len(result) == 2, (
            "my_vtrace_one_step must return a pair (targets, advantages), got "
            f"{type(result).__name__}"
        )
        for name, array in batch.items():
            assert np.array_equal(copies[name], array), f"my_vtrace_one_step modified {name}"
        expected = _reference(batch, gamma, rho_bar)
        for what, got_value, want in zip(("targets", "advantages"), result, expected, strict=True):
            got = result_array(got_value, what, size, "one value per transition")
            wrong = np.flatnonzero(~np.isclose(got, want, rtol=_TOLERANCE, atol=_TOLERANCE))
            if len(wrong):
                i = int(wrong[0])
                raise AssertionError(
                    f"{what}[{i}] is {got[i]:.6g}, expected {want[i]:.6g} "
                    f"(γ = {gamma:g}, ρ̄ = {rho_bar:g}, π/μ = "
                    f"{float(np.exp(batch['log_rhos'][i])):.4g}, r = {batch['rewards'][i]:.4g}, "
                    f"V(s) = {batch['values'][i]:.4g}, V(s') = {batch['next_values'][i]:.4g}, "
                    f"terminated = {bool(batch['terminated'][i])}): {_hint(batch, i, rho_bar)}"
                )

    def on_policy() -> None:
        agrees(_batch([1.0, 1.0], [1.0, 0.0], [0.5, 2.0], [3.0, 1.0]), 0.9, 1.0)

    def ratio_above_rho_bar() -> None:
        agrees(_batch([3.0, 1.0], [1.0, 1.0], [0.5, 0.5], [2.0, 2.0]), 0.9, 1.0)

    def ratio_below_one() -> None:
        agrees(_batch([0.25, 0.5], [1.0, -1.0], [0.5, 0.0], [2.0, 1.0]), 0.9, 1.0)

    def termination() -> None:
        agrees(_batch([1.0, 0.5], [1.0, 1.0], [4.0, 4.0], [5.0, 5.0], [True, True]), 0.9, 1.0)

    def other_rho_bar() -> None:
        agrees(_batch([1.5, 3.0, 0.2], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), 0.9, 2.0)
        agrees(_batch([1.0, 0.3], [1.0, 1.0], [0.0, 0.0], [1.0, 1.0]), 0.9, 0.5)

    def extreme_gammas() -> None:
        batch = _batch([2.0, 0.5], [1.0, -2.0], [0.5, 1.0], [3.0, 4.0], [False, True])
        agrees(batch, 0.0, 1.0)
        agrees(batch, 1.0, 1.0)

    used = resolve_seed(seed)

    def random_batches() -> None:
        rng = np.random.default_rng(used)
        for _ in range(20):
            size = int(rng.integers(1, 200))
            batch = {
                "log_rhos": rng.normal(scale=1.0, size=size),
                "rewards": rng.normal(size=size),
                "values": rng.normal(scale=3.0, size=size),
                "next_values": rng.normal(scale=3.0, size=size),
                "terminated": rng.random(size) < 0.2,
            }
            agrees(batch, float(rng.uniform(0.8, 1.0)), float(rng.choice([0.5, 1.0, 2.0])))

    run_checks(
        "check_vtrace",
        [
            ("on-policy transitions (ρ = 1)", on_policy),
            ("a ratio π/μ above ρ̄", ratio_above_rho_bar),
            ("ratios π/μ below 1", ratio_below_one),
            ("terminated transitions", termination),
            ("ρ̄ = 2 and ρ̄ = 0.5", other_rho_bar),
            ("γ = 0 and γ = 1", extreme_gammas),
            ("20 random batches", random_batches),
        ],
        seed=used if seed is None else None,
    )
