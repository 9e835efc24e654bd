"""Checks for the exercises of ``notebooks/01_a3c_basics.ipynb``.

Exercise 1, ``my_n_step_returns(rewards, next_values, terminated, truncated, gamma)``: the
bootstrapped n-step returns of one rollout. All four arrays have shape ``(T,)``, oldest step
first: ``rewards`` (float64), ``next_values[t]`` = V(s'_t) of the true next state of step t
(float64), ``terminated`` and ``truncated`` (bool). Return a ``(T,)`` float array with

    G_t = r_t + gamma * (1 - terminated_t) * B_t,

where the bootstrap B_t is ``next_values[t]`` if step t ends its episode (terminated or
truncated) or is the last step of the rollout, and G_{t+1} otherwise. A terminated step has
no future (no bootstrap); a truncated step was cut off by a time limit, so its future is
estimated by V(s'_t); no return flows backwards across the end of an episode.

Exercise 2, ``my_gae(rewards, values, next_values, terminated, truncated, gamma, gae_lambda)``:
generalised advantage estimates, ``values[t]`` = V(s_t) (float64, ``(T,)``):

    delta_t = r_t + gamma * (1 - terminated_t) * next_values[t] - values[t]
    A_t = delta_t + gamma * lambda * (1 - done_t) * A_{t+1},   done = terminated | truncated,

with A_T = 0. The library's :func:`~a3cmem_lib.agent.n_step_returns` and
:func:`~a3cmem_lib.agent.gae_advantages` are the reference answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from a3cmem_lib.agent import gae_advantages, n_step_returns

from .runner import resolve_seed, result_array, run_checks

_TOLERANCE = 1e-5


def _rollout(
    rewards: list[float],
    next_values: list[float],
    terminated: list[bool] | None = None,
    truncated: list[bool] | None = None,
) -> dict[str, np.ndarray]:
    length = len(rewards)
    return {
        "rewards": np.asarray(rewards, dtype=np.float64),
        "next_values": np.asarray(next_values, dtype=np.float64),
        "terminated": np.asarray(terminated or [False] * length, dtype=bool),
        "truncated": np.asarray(truncated or [False] * length, dtype=bool),
    }


def _random_rollout(rng: np.random.Generator, length: int) -> dict[str, np.ndarray]:
    ends = rng.random(length)
    return {
        "rewards": rng.normal(size=length),
        "next_values": rng.normal(scale=3.0, size=length),
        "terminated": ends < 0.15,
        # about one step in ten both terminates and truncates (gymnasium allows it)
        "truncated": (ends > 0.85) | (ends < 0.015),
    }


def _describe(rollout: dict[str, np.ndarray]) -> str:
    """Every input of the rollout (``values`` too for GAE), so the answer can be recomputed."""

    def flags(name: str) -> str:
        return str(np.flatnonzero(rollout[name]).tolist())

    values = f"values={np.round(rollout['values'], 3).tolist()}, " if "values" in rollout else ""
    return (
        f"rewards={np.round(rollout['rewards'], 3).tolist()}, {values}"
        f"next_values={np.round(rollout['next_values'], 3).tolist()}, "
        f"terminated at steps {flags('terminated')}, truncated at steps {flags('truncated')}"
    )


def _call(function: Callable[..., Any], name: str, rollout: dict[str, np.ndarray], *args: Any):
    # Copies, so a function that writes into its inputs cannot corrupt the reference answer.
    copies = {key: value.copy() for key, value in rollout.items()}
    result = function(*copies.values(), *args)
    length = len(rollout["rewards"])
    return result_array(result, f"{name}'s result", length, "one value per step")


def _compare(
    got: np.ndarray,
    expected: np.ndarray,
    rollout: dict[str, np.ndarray],
    quantity: str,
    hint: Callable[[int], str],
) -> None:
    wrong = np.flatnonzero(~np.isclose(got, expected, rtol=_TOLERANCE, atol=_TOLERANCE))
    if len(wrong):
        t = int(wrong[-1])  # the latest wrong step: errors flow backwards from it
        raise AssertionError(
            f"{quantity} at step {t} is {got[t]:.6g}, expected {expected[t]:.6g} "
            f"({hint(t)}). Rollout: {_describe(rollout)}; "
            f"expected all: {np.round(expected.astype(np.float64), 4).tolist()}, "
            f"got: {np.round(got, 4).tolist()}"
        )


def _return_hint(rollout: dict[str, np.ndarray]) -> Callable[[int], str]:
    terminated, truncated = rollout["terminated"], rollout["truncated"]

    def hint(t: int) -> str:
        if terminated[t]:
            return (
                "step t terminated: the episode is over, so G_t = r_t, with no bootstrap, "
                "even if it was truncated too"
            )
        if truncated[t]:
            return (
                "step t was truncated by a time limit: the state still has a future, so "
                "G_t = r_t + gamma * next_values[t]"
            )
        if t == len(terminated) - 1:
            return "the last step of the rollout bootstraps: G_t = r_t + gamma * next_values[t]"
        return "G_t = r_t + gamma * G_{t+1}, as step t+1 belongs to the same episode"

    return hint


def check_n_step_returns(
    my_n_step_returns: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float], Any],
    *,
    seed: int | None = 0,
) -> None:
    """Check ``my_n_step_returns(rewards, next_values, terminated, truncated, gamma)``.

    Explained in ``notebooks/01_a3c_basics.ipynb`` (exercise 1). Compares with
    :func:`~a3cmem_lib.agent.n_step_returns` on hand-made rollouts (no episode end,
    termination, truncation, both at once, ``gamma`` 0 and 1, one step) and on random ones;
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests).
    Prints a pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(rollout: dict[str, np.ndarray], gamma: float) -> None:
        got = _call(my_n_step_returns, "my_n_step_returns", rollout, gamma)
        expected = n_step_returns(*rollout.values(), gamma)
        _compare(got, expected, rollout, f"G_t (gamma={gamma})", _return_hint(rollout))

    def no_episode_end() -> None:
        agrees(_rollout([1.0, 1.0, 1.0], [0.0, 0.0, 10.0]), 0.5)

    def termination() -> None:
        agrees(
            _rollout([1.0, 1.0, 1.0, 1.0], [5.0, 5.0, 5.0, 5.0], [False, True, False, False]), 0.9
        )

    def termination_at_the_end() -> None:
        agrees(_rollout([1.0, 2.0, 3.0], [4.0, 4.0, 4.0], [False, False, True]), 0.9)

    def truncation() -> None:
        agrees(
            _rollout([1.0, 1.0, 1.0, 1.0], [2.0, 8.0, 3.0, 5.0], None, [False, True, False, False]),
            0.9,
        )

    def truncation_at_the_end() -> None:
        agrees(_rollout([1.0, 2.0, 3.0], [4.0, 4.0, 7.0], None, [False, False, True]), 0.9)

    def both_flags() -> None:
        agrees(
            _rollout([1.0, 1.0, 1.0], [6.0, 6.0, 6.0], [False, True, False], [False, True, False]),
            0.9,
        )

    def extreme_gammas() -> None:
        rollout = _rollout(
            [1.0, -2.0, 3.0], [10.0, 20.0, 30.0], [False, False, False], [True, False, False]
        )
        agrees(rollout, 0.0)
        agrees(rollout, 1.0)

    def single_step() -> None:
        agrees(_rollout([2.0], [3.0]), 0.5)
        agrees(_rollout([2.0], [3.0], [True]), 0.5)

    used = resolve_seed(seed)

    def random_rollouts() -> None:
        rng = np.random.default_rng(used)
        for _ in range(50):
            agrees(_random_rollout(rng, int(rng.integers(1, 25))), float(rng.uniform(0.8, 1.0)))

    run_checks(
        "check_n_step_returns",
        [
            ("a rollout inside one episode (bootstrap from the last next value)", no_episode_end),
            ("an episode that terminates mid-rollout", termination),
            ("termination at the last step", termination_at_the_end),
            ("an episode truncated by a time limit mid-rollout", truncation),
            ("truncation at the last step", truncation_at_the_end),
            ("a step both terminated and truncated", both_flags),
            ("gamma = 0 and gamma = 1", extreme_gammas),
            ("a one-step rollout", single_step),
            ("50 random rollouts", random_rollouts),
        ],
        seed=used if seed is None else None,
    )


def _advantage_hint(rollout: dict[str, np.ndarray]) -> Callable[[int], str]:
    terminated, truncated = rollout["terminated"], rollout["truncated"]

    def hint(t: int) -> str:
        if terminated[t]:
            return "step t terminated: delta_t = r_t - values[t] and A_t = delta_t"
        if truncated[t]:
            return (
                "step t was truncated: delta_t = r_t + gamma * next_values[t] - values[t] "
                "(bootstrap), and A_t = delta_t (the next step is a new episode)"
            )
        return "A_t = delta_t + gamma * lambda * A_{t+1} within an episode"

    return hint


def check_gae(my_gae: Callable[..., Any], *, seed: int | None = 0) -> None:
    """Check ``my_gae(rewards, values, next_values, terminated, truncated, gamma, gae_lambda)``.

    Explained in ``notebooks/01_a3c_basics.ipynb`` (exercise 2). Compares with
    :func:`~a3cmem_lib.agent.gae_advantages` on hand-made and random rollouts, for lambda
    0 (the TD error), 1 (the n-step advantage) and between;
    ``seed`` draws the random cases (``None``: fresh ones, nbgrader's hidden tests). Prints a
    pass message or raises
    :class:`~a3cmem_lib.teaching.exercises.ExerciseCheckError` naming the failed case.
    """

    def agrees(rollout: dict[str, np.ndarray], values: np.ndarray, gamma: float, lam: float):
        arguments = {
            "rewards": rollout["rewards"],
            "values": np.asarray(values, dtype=np.float64),
            "next_values": rollout["next_values"],
            "terminated": rollout["terminated"],
            "truncated": rollout["truncated"],
        }
        got = _call(my_gae, "my_gae", arguments, gamma, lam)
        expected = gae_advantages(*arguments.values(), gamma, lam)
        _compare(
            got, expected, arguments, f"A_t (gamma={gamma}, lambda={lam})", _advantage_hint(rollout)
        )

    fixed = _rollout(
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [2.0, 3.0, 4.0, 2.0, 6.0, 5.0],
        [False, False, True, False, False, False],
        [False, False, False, False, True, False],
    )
    fixed_values = np.array([1.5, 2.5, 3.5, 1.0, 2.0, 4.0])

    def td_error() -> None:
        agrees(fixed, fixed_values, 0.9, 0.0)

    def n_step_advantage() -> None:
        agrees(fixed, fixed_values, 0.9, 1.0)

    def intermediate_lambda() -> None:
        agrees(fixed, fixed_values, 0.9, 0.5)

    used = resolve_seed(seed)

    def random_rollouts() -> None:
        rng = np.random.default_rng(used)
        for _ in range(50):
            length = int(rng.integers(1, 25))
            rollout = _random_rollout(rng, length)
            values = rng.normal(scale=3.0, size=length)
            agrees(rollout, values, float(rng.uniform(0.8, 1.0)), float(rng.uniform(0.0, 1.0)))

    run_checks(
        "check_gae",
        [
            ("lambda = 0 (the one-step TD error)", td_error),
            ("lambda = 1 (the n-step advantage)", n_step_advantage),
            ("lambda = 0.5 with a termination and a truncation", intermediate_lambda),
            ("50 random rollouts", random_rollouts),
        ],
        seed=used if seed is None else None,
    )
