"""The concept checks of chapter 09: ACER's Retrace targets, truncation with bias correction
and replay schedule (the answers live here, so a graded copy of the chapter holds none).
"""

from __future__ import annotations

from .core import Question

ACER = (
    Question(
        id="q1",
        text="A segment of two steps, γ = 0.9, rewards r_0 = r_1 = 1; the segment ends after "
        "step 1 (no episode end) and the state after it has V = 10. Step 1 has Q(s_1, a_1) = 4, "
        "V(s_1) = 3 and ratio ρ_1 = π/μ = 0.5; step 0 has ratio ρ_0 = 3. What is the Retrace "
        "target Q^ret_0?",
        answer=6.4,
        tolerance=0.001,
        explanation=(
            "Q^ret_1 = 1 + 0.9 × 10 = 10; Q^ret_0 = 1 + 0.9 [min(1, 0.5)(10 − 4) + 3] = 6.4. "
            "Step 0's own ratio does not enter: Q(s_0, a_0) is the value of the action taken."
        ),
        hint="Work backwards: the last step bootstraps from V; step 0's bracket carries "
        "min(1, ρ_1)(Q^ret_1 − Q(s_1, a_1)) + V(s_1). Which ratios appear?",
    ),
    Question(
        id="q2",
        text="ACER truncates the importance weight of the action taken at c. Why is its policy "
        "gradient still unbiased?",
        choices={
            "a": "the correction term adds back, as an exact sum over all actions under π, the "
            "part of every ratio above c",
            "b": "c = 10 is so large that no ratio ever exceeds it",
            "c": "the Retrace targets are unbiased",
            "d": "the trust region undoes the truncation's bias",
        },
        answer="a",
        explanation=(
            "For each action, μ(a) min(c, ρ(a)) from the first term plus π(a)[1 − c/ρ(a)]_+ "
            "from the correction add up to π(a), whatever c is: the mean is the on-policy "
            "gradient, and no sampled weight exceeds c."
        ),
        wrong={
            "b": "Ratios above c do occur (a behaviour policy that rarely took an action the "
            "current one prefers); the estimator is unbiased for every c, not because of c.",
            "c": "They are the critic's targets; the truncation's bias is in the actor's weights, "
            "a separate matter.",
            "d": "The trust region limits how far a step moves the policy; it adds no term that "
            "restores the truncated weight.",
        },
    ),
    Question(
        id="q3",
        text="The ablation's 'no bias correction' sets acer_truncation = 1e6. What policy "
        "gradient is left?",
        choices={
            "a": "plain importance sampling: nothing is truncated, so the correction is 0; "
            "unbiased, with unbounded variance",
            "b": "V-trace's gradient, with ratios truncated at 1",
            "c": "the on-policy gradient, with no importance weights at all",
        },
        answer="a",
        explanation=(
            "With c above every ratio, min(c, ρ) = ρ and [1 − c/ρ(a)]_+ = 0: the pair "
            "(truncation, correction) becomes importance sampling."
        ),
        wrong={
            "b": "That is truncation at 1 without the correction, the biased gradient ACER "
            "avoids; a large c truncates nothing.",
            "c": "The ratios still weight every replayed step; only their truncation is gone.",
        },
    ),
    Question(
        id="q4",
        text="ACER with t_max = 10 on CartPole's long episodes (about one segment per t_max "
        "steps), replay ratio 4 and batches of 4 segments: how many updates of the shared "
        "model per environment step?",
        answer=0.2,
        tolerance=0.001,
        explanation=(
            "The worker's on-policy updates, 1/t_max = 0.1, plus the learner's, (r/B) σ = "
            "(4/4) × 0.1 = 0.1: 0.2 updates per step (eq. 6, ACER keeps A3C's own updates)."
        ),
        hint="Eq. (6): u = 1/t_max + (r/B) σ with σ ≈ 1/t_max segments per step.",
    ),
)
