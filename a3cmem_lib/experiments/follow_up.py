"""Follow-ups: test on new seeds what an exploratory study suggested.

A sweep with 5 seeds per cell and dozens of cells can point at effects but, after Holm's
correction, confirm none of them (chapter 07, eq. 5). A follow-up does what an exploratory
study calls for next: it writes down, before running anything, the few differences the
exploration suggested — its hypotheses, each with its direction — then trains plain A3C and
those variants on seeds the exploration never used and tests each hypothesis once,
one-sided in its stated direction, with the exact Mann–Whitney test and one Holm correction
over all of them (:mod:`a3cmem_lib.experiments.hypotheses`).

:data:`~a3cmem_lib.experiments.follow_ups.FOLLOW_UPS` holds them by name: ``regime``
(:data:`HYPOTHESES`, from the ``regime`` axis, seeds 100-109), ``replay-pays``
(:data:`REPLAY_PAYS`, from the ``replay-ratio`` axis, ``bench/results/replay_pays.md`` and
the ``regime`` follow-up, seeds 300-309) and ``acer``
(:data:`~a3cmem_lib.experiments.follow_up_acer.ACER`: ACER against plain A3C and the best
memory variant, seeds 400-409).
Thresholds are the axes'; budgets the axes' unless a follow-up says otherwise. The CLI is
``python -m a3cmem_lib study --follow-up [NAME]``.

Explained in notebooks/07_when_does_memory_help.ipynb (section "Follow-up") and, for
``acer``, notebooks/09_acer.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from a3cmem_lib.training import TrainConfig, train

from .axes import BUDGETS, EPISODES_FILE, threshold
from .hypotheses import Hypothesis, evaluate_hypotheses
from .jobs import VARIANTS, StudyJob, make_job
from .runner import run_jobs
from .study_plots import write_figures
from .tables import RUNS_FILE

GREEDY_EPISODES = 10
"""Episodes of the greedy evaluation a ``greedy_return`` hypothesis needs."""


@dataclass(frozen=True)
class FollowUp:
    """A follow-up: its hypotheses, the seeds they are tested on and how each variant
    trains."""

    name: str
    question: str
    """What it asks, in one sentence."""
    hypotheses: tuple[Hypothesis, ...]
    seeds: tuple[int, ...]
    variants: dict[str, dict[str, Any]]
    """Variant name → TrainConfig fields (plain A3C is ``none``)."""
    budgets: dict[str, int]
    """Environment steps of every run, per environment."""

    def jobs(self, base: TrainConfig | None = None) -> list[StudyJob]:
        """Its runs (:func:`follow_up_jobs`)."""
        return follow_up_jobs(self.hypotheses, self.seeds, base, self.variants, self.budgets)

    def run(self, out: str | Path, **options: Any) -> pd.DataFrame:
        """Run (or resume) it into ``out`` (:func:`run_follow_up`; ``options``: its
        ``base``, ``progress``, ``backend``, ``address``, ``trainer``)."""
        return run_follow_up(
            out,
            hypotheses=self.hypotheses,
            seeds=self.seeds,
            variants=self.variants,
            budgets=self.budgets,
            **options,
        )

    def evaluate(self, runs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
        """Its tests on ``runs``
        (:func:`~a3cmem_lib.experiments.hypotheses.evaluate_hypotheses`)."""
        return evaluate_hypotheses(runs, self.hypotheses, alpha)


HYPOTHESES = (
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "per",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 33,176 steps vs plain A3C's 77,506 (A = 0.16, p = 0.095)",
    ),
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "per+dedup",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 31,134 steps vs 77,506 (A = 0.28, p = 0.31)",
    ),
    Hypothesis(
        "a3cmem/KeyDoor-v0",
        "mixture",
        "steps_to_threshold",
        "less",
        "regime, seeds 0-4: median 40,048 steps vs 77,506 (A = 0.28, p = 0.31)",
    ),
    *(
        Hypothesis(
            "a3cmem/GridWorld-v0",
            variant,
            "steps_to_threshold",
            "greater",
            f"regime, seeds 0-4: median {steps} steps vs plain A3C's 2,807 (A = 1.00, p = 0.0079)",
        )
        for variant, steps in (
            ("fifo", "5,930"),
            ("per", "6,492"),
            ("per+dedup", "6,404"),
            ("mixture", "5,056"),
        )
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "fifo",
        "steps_to_threshold",
        "greater",
        "regime, seeds 0-4: median 71,396 steps vs plain A3C's 31,486 (A = 1.00, p = 0.0079)",
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "fifo",
        "final_return",
        "less",
        "regime, seeds 0-4: median final return 7.15 vs plain A3C's 9.45 (A = 0.00, p = 0.0079)",
    ),
    Hypothesis(
        "MinAtar/Breakout-v1",
        "mixture",
        "steps_to_threshold",
        "greater",
        "regime, seeds 0-4: median 43,468 steps vs plain A3C's 31,486 (A = 1.00, p = 0.0079)",
    ),
)
"""The follow-up's hypotheses, written down from ``results/regime`` before any follow-up run
(A: probability of superiority of the variant over plain A3C; p: two-sided Mann-Whitney,
uncorrected; none survived the axis's Holm correction over its 40 tests of the time, before
ACER joined the axis)."""

SEEDS = tuple(range(100, 110))
"""Seeds of the follow-up: 10 per cell, none of them used by any axis (those use 0-4)."""


REPLAY_PAYS_VARIANTS: dict[str, dict[str, Any]] = {
    "none": VARIANTS["none"],
    "fifo-ratio-8": {"memory": "fifo", "replay_ratio": 8.0},
    "per-ratio-16": {"memory": "per", "replay_ratio": 16.0},
    "hybrid-fifo": {"memory": "fifo", "capacity": 500, "hybrid": True},
    "hybrid-mixture": {"memory": "fifo", "capacity": 500, "fresh_fraction": 0.25, "hybrid": True},
    "per+dedup": VARIANTS["per+dedup"],
}
"""The variants of the ``replay-pays`` follow-up. ``fifo-ratio-8`` and ``per-ratio-16`` replace
A3C's updates by the learner's at a high replay ratio (``replay-ratio`` axis); the
``hybrid-*`` ones add the learner's updates to the workers' own (``--hybrid``, a 500-segment
buffer; ``bench/results/replay_pays.md``); every other field is TrainConfig's default."""

REPLAY_PAYS = FollowUp(
    "replay-pays",
    "Do the positive signals hold on new seeds: high replay ratios and hybrid replay reach "
    "CartPole's threshold in fewer steps, and per+dedup ends higher on GridWorld?",
    (
        Hypothesis(
            "CartPole-v1",
            "fifo-ratio-8",
            "steps_to_threshold",
            "less",
            "replay-ratio axis, seeds 0-4: median 26,689 steps vs plain A3C's 53,079 "
            "(regime axis, seeds 0-4; A = 0.00, exact p = 0.0079)",
        ),
        Hypothesis(
            "CartPole-v1",
            "per-ratio-16",
            "steps_to_threshold",
            "less",
            "replay-ratio axis, seeds 0-4: median 25,812 steps vs plain A3C's 53,079 "
            "(A = 0.00, exact p = 0.0079)",
        ),
        Hypothesis(
            "CartPole-v1",
            "fifo-ratio-8",
            "steps_to_threshold_100",
            "greater",
            "replay-ratio axis, seeds 0-4, 100-episode mean: 3 of 5 runs never reached 475 in "
            "150,000 steps (median 150,000, the budget) vs plain A3C's 89,174 (A = 1.00, "
            "exact p = 0.0079); bench/results/replay_pays.md, seeds 100-102: 145,772 vs 83,636",
        ),
        Hypothesis(
            "CartPole-v1",
            "per-ratio-16",
            "steps_to_threshold_100",
            "greater",
            "replay-ratio axis, seeds 0-4, 100-episode mean: median 93,600 vs plain A3C's "
            "89,174 (A = 0.60, exact p = 0.69): a weak signal, the direction of fifo's",
        ),
        Hypothesis(
            "CartPole-v1",
            "hybrid-mixture",
            "steps_to_threshold_100",
            "less",
            "bench/results/replay_pays.md, seeds 200-204: median 69,265 vs plain A3C's 80,886, "
            "every seed below every plain seed (A = 0.00, exact one-sided p = 0.004)",
        ),
        Hypothesis(
            "CartPole-v1",
            "hybrid-fifo",
            "steps_to_threshold_100",
            "less",
            "bench/results/replay_pays.md, seeds 100-102: median 68,349 vs plain A3C's 83,636 "
            "(3 against 3, A = 0.00)",
        ),
        Hypothesis(
            "CartPole-v1",
            "hybrid-mixture",
            "steps_to_threshold",
            "less",
            "not measured (the benchmark stops at the 100-episode criterion); expected from "
            "its 100-episode result",
        ),
        Hypothesis(
            "CartPole-v1",
            "hybrid-fifo",
            "steps_to_threshold",
            "less",
            "not measured (the benchmark stops at the 100-episode criterion); expected from "
            "its 100-episode result",
        ),
        Hypothesis(
            "a3cmem/GridWorld-v0",
            "per+dedup",
            "final_return",
            "greater",
            "regime follow-up, seeds 100-109: median 0.9207 vs plain A3C's 0.9153 (A = 0.96, "
            "exact one-sided p = 4.3e-05); regime axis, seeds 0-4: 0.9215 vs 0.9155",
        ),
        Hypothesis(
            "a3cmem/GridWorld-v0",
            "per+dedup",
            "greedy_return",
            "greater",
            "not measured: the final return above is the sampling policy's; the greedy one "
            "says whether the policy is better or only less random",
        ),
    ),
    tuple(range(300, 310)),
    REPLAY_PAYS_VARIANTS,
    {**BUDGETS, "CartPole-v1": 300_000},
)
"""The ``replay-pays`` follow-up, written down before any of its runs: 10 hypotheses tested
on seeds 300-309 (no earlier study or benchmark used them). CartPole's budget is 300,000
steps, the benchmark's, so that the 100-episode criterion has room."""

REGIME = FollowUp(
    "regime",
    "Do the differences the regime axis suggested hold on new seeds?",
    HYPOTHESES,
    SEEDS,
    VARIANTS,
    BUDGETS,
)
"""The follow-up of the ``regime`` axis (:data:`HYPOTHESES`, :data:`SEEDS`)."""


def follow_up_jobs(
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    seeds: Sequence[int] = SEEDS,
    base: TrainConfig | None = None,
    variants: dict[str, dict[str, Any]] = VARIANTS,
    budgets: dict[str, int] = BUDGETS,
) -> list[StudyJob]:
    """The runs the ``hypotheses`` need: plain A3C, each hypothesis's baseline and variant on
    its environment, once per seed, environment by environment (each (env, variant) once).

    ``variants`` maps each variant name to its TrainConfig fields and ``budgets`` each
    environment to its steps; runs on an environment with a ``greedy_return`` hypothesis
    end with a greedy evaluation of :data:`GREEDY_EPISODES` episodes."""
    if not hypotheses:
        raise ValueError("hypotheses must not be empty")
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {list(seeds)!r}")
    base = TrainConfig(progress=False) if base is None else base
    cells: dict[str, list[str]] = {}
    for hypothesis in hypotheses:
        if hypothesis.variant not in variants:
            raise ValueError(
                f"variant {hypothesis.variant!r} of a hypothesis is not among the variants "
                f"{list(variants)}"
            )
        if hypothesis.env not in budgets:
            raise ValueError(f"budgets has no budget for env {hypothesis.env!r}")
        if hypothesis.baseline not in variants:
            raise ValueError(
                f"baseline {hypothesis.baseline!r} of a hypothesis is not among the variants "
                f"{list(variants)}"
            )
        in_env = cells.setdefault(hypothesis.env, ["none"])
        for variant in (hypothesis.baseline, hypothesis.variant):
            if variant not in in_env:
                in_env.append(variant)
    greedy = {h.env for h in hypotheses if h.measure == "greedy_return"}
    return [
        make_job(
            {"env": env_id, "variant": variant, "seed": int(seed)},
            base,
            threshold(env_id),
            variants=variants,
            greedy_episodes=GREEDY_EPISODES if env_id in greedy else 0,
            total_steps=budgets[env_id],
        )
        for env_id, in_env in cells.items()
        for variant in in_env
        for seed in seeds
    ]


def run_follow_up(
    out: str | Path,
    *,
    hypotheses: Sequence[Hypothesis] = HYPOTHESES,
    seeds: Sequence[int] = SEEDS,
    base: TrainConfig | None = None,
    progress: bool = True,
    backend: str = "local",
    address: str | None = None,
    trainer: Callable[[TrainConfig], Any] = train,
    variants: dict[str, dict[str, Any]] = VARIANTS,
    budgets: dict[str, int] = BUDGETS,
) -> pd.DataFrame:
    """Run (or resume) a follow-up into ``out``: the tables of
    :func:`~a3cmem_lib.experiments.runner.run_jobs` and chapter 06's figures
    (:meth:`FollowUp.run` passes a follow-up's hypotheses, seeds, variants and budgets).

    Returns:
        ``runs.csv`` as a table: one row per run.
    """
    jobs = follow_up_jobs(hypotheses, seeds, base, variants, budgets)
    run_jobs(
        jobs,
        out,
        episodes_file=EPISODES_FILE,
        progress=progress,
        backend=backend,
        address=address,
        trainer=trainer,
    )
    write_figures(out, episodes_file=EPISODES_FILE)
    return pd.read_csv(Path(out) / RUNS_FILE)
