"""The concept checks of chapters 05 to 08: the memory layer, the studies and Ray (the
answers live here, so a graded copy of a chapter holds none).
"""

from __future__ import annotations

from .core import Question

ASYNC_TRAINING = (
    Question(
        id="q1",
        text="With replay ratio 4 and batches of 32 segments, how many learner updates does "
        "the memory layer make per segment it receives?",
        answer=0.125,
        tolerance=0.001,
        explanation=(
            "It samples 4 segments per segment received, 32 per update: 4 / 32 = 1/8 update "
            "per segment, and every segment is replayed 4 times on average."
        ),
        hint="The replay ratio counts sampled *segments* per received segment, not updates.",
    ),
    Question(
        id="q2",
        text="Why is a replayed segment off-policy data for the learner?",
        choices={
            "a": "its actions were chosen with the weights the worker copied before its "
            "rollout, and the learner has updated the network since",
            "b": "segments are cut at episode ends",
            "c": "the memory layer samples segments in proportion to their priority",
            "d": "the workers act with numpy instead of PyTorch",
        },
        answer="a",
        explanation=(
            "The behaviour policy μ is an older version of the current policy π; targets and "
            "gradients are expectations under π, so μ's actions need correcting."
        ),
        wrong={
            "b": "Cutting at episode ends only keeps returns from crossing them.",
            "c": "That biases *which* segments are drawn (PER's weights correct it), not who "
            "chose the actions.",
            "d": "NumpyPolicy computes the same π as the PyTorch model.",
        },
    ),
    Question(
        id="q3",
        text=(
            "One-step off-policy correction: V(s) = 2, r = 1, γ = 0.9, V(s') = 2, and π/μ = 0.5 "
            "for the logged action, with ρ̄ = 1. What is the value target v?"
        ),
        answer=2.4,
        tolerance=0.001,
        explanation="ρ = min(1, 0.5) = 0.5, so v = V(s) + ρ (r + γV(s') − V(s)) = 2 + 0.5 · 0.8 "
        "= 2.4: the TD error of an action π takes half as often counts half.",
        hint="v = V(s) + ρ (r + γ V(s') − V(s)) with ρ = min(ρ̄, π/μ).",
    ),
    Question(
        id="q4",
        text="When π = μ (every ratio is 1), what are V-trace's value targets?",
        choices={
            "a": "the n-step returns of chapter 01",
            "b": "one-step TD targets r + γV(s')",
            "c": "Monte Carlo returns that never bootstrap",
            "d": "V(s) itself: nothing to correct, so no change",
        },
        answer="a",
        explanation="With ρ_t = c_t = 1 the recursion becomes v_t = r_t + γ v_{t+1}, with the "
        "same handling of termination and truncation.",
        wrong={
            "b": "The traces c_t = 1 carry every later TD error back: the n-step return.",
            "c": "The segment's end still bootstraps from V(last_obs), unless it terminated.",
            "d": "δ_t = r_t + γV(s_{t+1}) − V(s_t) is not zero: the target still learns.",
        },
    ),
)

STABILITY_STUDY = (
    Question(
        id="q1",
        text=(
            "3 runs of a memory variant against 2 runs of plain A3C: of the 6 pairs, the "
            "variant's run has the higher final return in 4 and 1 pair is tied. What is the "
            "probability of superiority A?"
        ),
        answer=0.75,
        tolerance=0.001,
        explanation="U = 4 + ½ · 1 = 4.5 pairs won (a tie counts a half); A = U / (nm) = 4.5 / 6.",
        hint="A = U / (nm), where U counts the pairs the variant wins and a tie as a half.",
    ),
    Question(
        id="q2",
        text="Three tests give p-values 0.01, 0.02 and 0.04. What is Holm's corrected p-value "
        "of the second smallest?",
        answer=0.04,
        tolerance=0.0001,
        explanation=(
            "Sorted, the k-th smallest is multiplied by K − k + 1: 0.01 · 3 = 0.03, "
            "0.02 · 2 = 0.04 (and 0.04 · 1 = 0.04), kept non-decreasing."
        ),
        hint="Multiply the k-th smallest of K p-values by K − k + 1, then keep the sequence "
        "non-decreasing.",
    ),
    Question(
        id="q3",
        text=(
            "The study's window is W = 20 episodes. A run's mean return over its first 10 "
            "episodes already reaches the threshold, and stays above it. At which episode is "
            "it solved?"
        ),
        choices={
            "a": "at episode 9, the first whose mean reaches the threshold",
            "b": "at the first episode i ≥ 19 whose 20-episode mean reaches the threshold",
            "c": "only once 100 episodes in a row have stayed above the threshold",
        },
        answer="b",
        explanation="Eq. (4) takes the first *full* window, i ≥ W − 1: a mean over fewer "
        "episodes is too noisy to call the task solved.",
        wrong={
            "a": "Before episode 19 the smoothed return averages fewer than W episodes.",
            "c": "100 episodes is gymnasium's CartPole convention (chapter 01), not the "
            "studies' definition.",
        },
    ),
    Question(
        id="q4",
        text=(
            "A run with threshold τ = 195 first reached a full-window mean of 20, then solved "
            "the task; its smoothed return climbed to 300 and later fell to 240, its largest "
            "fall below its running best. What is its relative drawdown D_rel?"
        ),
        answer=0.343,
        tolerance=0.001,
        explanation=(
            "D = 300 − 240 = 60; what the run had learned is τ − 20 = 175; D_rel = 60/175 ≈ "
            "0.343, below the collapse fraction 0.5: no collapse."
        ),
        hint="D_rel = D / (τ − R̄_{W−1}): the fall over the distance from the first full-window "
        "mean to the threshold.",
    ),
)

WHEN_MEMORY_HELPS = (
    Question(
        id="q1",
        text="Plain A3C with 8 workers taking turns: roughly how many updates old is the "
        "policy behind a gradient when it is applied (its policy lag)?",
        answer=7,
        tolerance=0.5,
        explanation="While one worker acts, each of the other 7 applies about one gradient: "
        "ℓ ≈ W − 1.",
        hint="Count the updates the other workers apply while one worker acts its rollout.",
    ),
    Question(
        id="q2",
        text="A full FIFO buffer of C = 5,000 segments, replay ratio r = 4, batches of B = 32: "
        "the expected policy lag of a replayed segment by eq. (4)?",
        answer=312.5,
        tolerance=0.5,
        explanation="A uniformly drawn segment has waited C/2 = 2,500 pushes on average, "
        "r/B = 1/8 update per push: 2,500 / 8 = 312.5 updates.",
        hint="E[ℓ] ≈ (C/2) · (r/B): the average wait in pushes times the updates per push.",
    ),
    Question(
        id="q3",
        text="The mixture with batches of B = 32 takes up to k = 8 fresh segments. At most "
        "what share of a batch is stale (replayed)?",
        answer=0.75,
        tolerance=0.001,
        explanation="1 − k/B = 1 − 8/32 = 0.75, whatever the buffer holds; it is more when "
        "fewer than k fresh segments arrived since the last update.",
        hint="The fresh share is at most k/B; the rest of the batch is replayed.",
    ),
    Question(
        id="q4",
        text="Which settings does eq. (4) say set the staleness of replayed segments?",
        choices={
            "a": "the buffer's capacity and the replay ratio (with the batch size)",
            "b": "the number of workers",
            "c": "the learning rate",
        },
        answer="a",
        explanation="E[ℓ] ≈ (C/2) · (r/B): a larger buffer keeps segments longer, more replay "
        "makes more updates while they wait.",
        wrong={
            "b": "The number of workers sets plain A3C's lag, W − 1; it is not in eq. (4).",
            "c": "The learning rate sets how far an update moves, not how many updates pass.",
        },
    ),
    Question(
        id="q5",
        text="An axis with 5 seeds per cell finds no difference that stays significant after "
        "Holm's correction. What may the chapter conclude?",
        choices={
            "a": "no effect detectable with 5 seeds per cell",
            "b": "the memory layer has no effect there",
            "c": "plain A3C is better there",
        },
        answer="a",
        explanation="Absence of evidence is not evidence of absence: with few seeds and many "
        "tests, only large effects can reach significance (eq. 5).",
        wrong={
            "b": "A test that does not reject cannot show that an effect is zero.",
            "c": "No significant difference says nothing about a direction.",
        },
    ),
)

SCALING_OUT = (
    Question(
        id="q1",
        text="A study on Ray with num_workers = 3 per run: each run reserves one CPU per worker "
        "and one for its train process. How many runs train at once on 12 CPUs?",
        answer=3,
        explanation="Each run reserves w + 1 = 4 CPUs: ⌊12 / 4⌋ = 3 runs at a time.",
        hint="p = ⌊C / (w + 1)⌋.",
    ),
    Question(
        id="q2",
        text="Why is plain A3C on Ray not Hogwild?",
        choices={
            "a": "across machines there is no shared memory to write gradients into: the learner "
            "actor applies them one at a time",
            "b": "Ray forbids running more than one worker at a time",
            "c": "Hogwild needs RMSProp, and Ray runs use Adam",
        },
        answer="a",
        explanation="Workers send each rollout's clipped gradient to the learner actor, which "
        "applies them in turn (none overwrites another); workers pull weights by version.",
        wrong={
            "b": "Ray runs one actor per worker, in parallel.",
            "c": "Hogwild is about lock-free writes to shared weights, whatever the optimizer.",
        },
    ),
    Question(
        id="q3",
        text="A worker actor dies in the middle of a run. What happens?",
        choices={
            "a": "Ray restarts it; the batch it was collecting is lost and counted",
            "b": "the run fails with a WorkerError",
            "c": "the driver gets the lost batch back from the object store",
        },
        answer="a",
        explanation="The lost batch never left the worker's process; memory_stats counts it "
        "(batches_lost) and the deaths (worker_restarts).",
        wrong={
            "b": "That is what happens when the *memory* actor dies.",
            "c": "The batch was being collected in the dead process: it never reached the store.",
        },
    ),
    Question(
        id="q4",
        text="Why is a short run's wall_time on Ray much longer than its acting time?",
        choices={
            "a": "every actor is a fresh Python process that imports PyTorch and the library "
            "before it acts: a fixed cost",
            "b": "the object store copies every environment step separately",
            "c": "the memory actor waits for every worker before each update",
        },
        answer="a",
        explanation="A long run pays that start-up once; the episode table separates it from "
        "the acting time.",
        wrong={
            "b": "Workers push batches of rollouts (about 64 steps) at a time.",
            "c": "The memory actor takes batches as they come, with back-pressure per worker.",
        },
    ),
)
