"""The ``acer`` follow-up: ACER (chapter 09) against plain A3C and against the best memory
variant of chapter 07, on four environments, with its hypotheses written down before its
runs (:data:`ACER`; ``python -m a3cmem_lib study --follow-up acer``; registered in
:data:`~a3cmem_lib.experiments.follow_ups.FOLLOW_UPS`).

Explained in notebooks/07_when_does_memory_help.ipynb (section "Third follow-up") and
notebooks/09_acer.ipynb.
"""

from __future__ import annotations

from typing import Any

from .axes import BUDGETS
from .follow_up import REPLAY_PAYS_VARIANTS, FollowUp
from .hypotheses import Hypothesis
from .jobs import VARIANTS

BEST_MEMORY_VARIANTS = {
    "CartPole-v1": "hybrid-fifo",
    "a3cmem/KeyDoor-v0": "per",
    "a3cmem/GridWorld-v0": "mixture",
    "MinAtar/Breakout-v1": "mixture",
}
"""The memory variant of chapter 07 that needed the fewest steps to the threshold on each
environment, medians over every committed run of it: on CartPole-v1 to the 100-episode
criterion (``replay-pays`` follow-up, seeds 300-309), elsewhere to the 20-episode one
(``regime`` axis and follow-up, seeds 0-4 and 100-109)."""

ACER_VARIANTS: dict[str, dict[str, Any]] = {
    "none": VARIANTS["none"],
    "acer": VARIANTS["acer"],
    "hybrid-fifo": REPLAY_PAYS_VARIANTS["hybrid-fifo"],
    "per": VARIANTS["per"],
    "mixture": VARIANTS["mixture"],
}
"""The variants of the ``acer`` follow-up: plain A3C, ACER with its defaults (exactly
``--learner acer``) and the best memory variant of chapter 07 on each environment
(:data:`BEST_MEMORY_VARIANTS`);"""


def _acer_against(env_id: str, baseline: str, direction: str, evidence: str) -> Hypothesis:
    """ACER's steps to the 20-episode threshold on ``env_id`` against ``baseline``'s."""
    return Hypothesis(env_id, "acer", "steps_to_threshold", direction, evidence, baseline)


ACER = FollowUp(
    "acer",
    "Does ACER need fewer environment steps than plain A3C and than the best memory variant "
    "of chapter 07, at equal budgets, with dense, sparse, deterministic and image "
    "observations?",
    (
        Hypothesis(
            "CartPole-v1",
            "acer",
            "steps_to_threshold_100",
            "less",
            "bench/results/acer_cartpole.md, seeds 0-4: median 58,780 vs plain A3C's 81,634, "
            "every ACER seed below every plain seed (A = 0.00, exact one-sided p = 0.004)",
        ),
        _acer_against(
            "CartPole-v1",
            "none",
            "less",
            "regime axis, seeds 0-4: median 27,900 vs plain A3C's 53,079 (A = 0.08, "
            "p = 0.032); bench/results/acer_cartpole.md, seeds 0-4: 25,046 vs 44,446 (A = 0.00)",
        ),
        Hypothesis(
            "CartPole-v1",
            "acer",
            "steps_to_threshold_100",
            "less",
            "not on common seeds: ACER 57,762-64,898 on seeds 0-4 (bench/results/"
            "acer_cartpole.md), hybrid-fifo 65,266-73,206 on seeds 300-309 (replay-pays)",
            baseline="hybrid-fifo",
        ),
        _acer_against(
            "a3cmem/KeyDoor-v0",
            "none",
            "less",
            "regime axis, seeds 0-4: median 70,317 vs plain A3C's 77,506 (A = 0.36, p = 0.55): "
            "a weak signal, tested because the article's claim is about sparse rewards",
        ),
        _acer_against(
            "a3cmem/KeyDoor-v0",
            "per",
            "greater",
            "regime axis, seeds 0-4: median 70,317 vs per's 33,176 (A = 0.84, p = 0.095)",
        ),
        _acer_against(
            "a3cmem/GridWorld-v0",
            "none",
            "less",
            "regime axis, seeds 0-4: median 1,376 vs plain A3C's 2,807 (A = 0.08, p = 0.032)",
        ),
        _acer_against(
            "a3cmem/GridWorld-v0",
            "mixture",
            "less",
            "regime axis, seeds 0-4: median 1,376 vs mixture's 5,056 (A = 0.00, p = 0.0079)",
        ),
        _acer_against(
            "MinAtar/Breakout-v1",
            "none",
            "less",
            "regime axis, seeds 0-4: median 19,512 vs plain A3C's 31,486 (A = 0.04, p = 0.016)",
        ),
        _acer_against(
            "MinAtar/Breakout-v1",
            "mixture",
            "less",
            "regime axis, seeds 0-4: median 19,512 vs mixture's 43,468 (A = 0.00, p = 0.0079)",
        ),
        Hypothesis(
            "MinAtar/Breakout-v1",
            "acer",
            "final_return",
            "greater",
            "regime axis, seeds 0-4: median 11.7 vs plain A3C's 9.45 (A = 0.68, p = 0.42): a "
            "weak signal, tested because the article's claim is about high-dimensional inputs",
        ),
    ),
    tuple(range(400, 410)),
    ACER_VARIANTS,
    BUDGETS,
)
"""The ``acer`` follow-up (chapter 09's method in chapter 07's map), written down from the
``regime`` axis's ACER runs (seeds 0-4) and ``bench/results/acer_cartpole.md`` before any of
its runs: 10 hypotheses tested on seeds 400-409, which no earlier study, benchmark or tuning
used, at the axes' budgets (p: two-sided exact Mann-Whitney, uncorrected). The other final
returns are reported, not tested: on CartPole and KeyDoor every exploratory run ended at the
maximum return, on GridWorld ACER's and plain A3C's were alike (A = 0.52)."""
