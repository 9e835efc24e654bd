"""The concept checks of chapters 01 to 04: A3C, and the FIFO, prioritized and
deduplicating buffers (the answers live here, so a graded copy of a chapter holds none).
"""

from __future__ import annotations

from .core import Question

A3C_BASICS = (
    Question(
        id="q1",
        text=(
            "A rollout of 4 steps (0 to 3), reward 1 at every step; the pole falls at step 1 "
            "(terminated), and a new episode runs through steps 2 and 3, where the rollout "
            "ends. Which steps have an n-step return that contains a bootstrap value V(·)?"
        ),
        choices={
            "a": "only step 3",
            "b": "steps 2 and 3",
            "c": "steps 0, 2 and 3",
            "d": "all four steps",
        },
        answer="b",
        explanation=(
            "Step 3 bootstraps from V(s'₃) at the rollout's end, and G₂ = r₂ + γG₃ carries that "
            "bootstrap along. Step 1 terminated (G₁ = r₁, nothing follows), so G₀ = r₀ + γr₁ "
            "contains rewards only: no return crosses the episode end."
        ),
        wrong={
            "a": "G₂ = r₂ + γG₃ includes G₃, and with it the bootstrap V(s'₃).",
            "c": "G₀ = r₀ + γG₁ and G₁ = r₁: step 1 terminated, so step 0 sees no V at all.",
            "d": "Steps 0 and 1 end in a termination: a terminated step does not bootstrap.",
        },
    ),
    Question(
        id="q2",
        text=(
            "The same rollout, but step 1 is *truncated* by the time limit instead; γ = 0.9 and "
            "the critic says V(s') = 5 for every next state. What is G₀?"
        ),
        answer=5.95,
        tolerance=0.005,
        explanation=(
            "A truncated step bootstraps: G₁ = 1 + 0.9 · 5 = 5.5, and G₀ = 1 + 0.9 · 5.5 = 5.95."
        ),
        hint=(
            "Truncation is not termination: G₁ = r₁ + γ V(s'₁), then G₀ = r₀ + γ G₁ "
            "(steps 2 and 3 belong to the next episode)."
        ),
    ),
    Question(
        id="q3",
        text="For which λ is GAE's advantage exactly A3C's n-step advantage G_t − V(s_t)?",
        choices={"a": "λ = 0", "b": "λ = 0.95", "c": "λ = 1", "d": "λ = γ"},
        answer="c",
        explanation=(
            "With λ = 1 the discounted sum of TD errors telescopes to G_t − V(s_t); that is "
            "why the library's default gae_lambda = 1 is the paper's advantage."
        ),
        wrong={
            "a": "λ = 0 keeps one TD error, r_t + γV(s'_t) − V(s_t): the other end of the mix.",
            "b": "λ = 0.95 weights later TD errors by (0.95γ)^k: a mixture, not the n-step one.",
            "d": "λ = γ weights the k-th TD error by γ^2k: still a mixture of horizons.",
        },
    ),
    Question(
        id="q4",
        text=(
            "Two runs with the same seed and one worker agree bit for bit; with two workers "
            "they do not. Why?"
        ),
        choices={
            "a": "with two workers the environments are no longer seeded",
            "b": "when each worker's update lands on the shared weights depends on how the "
            "operating system schedules the processes",
            "c": "the entropy bonus draws random numbers that are not seeded",
            "d": "Adam's moment estimates are initialised at random",
        },
        answer="b",
        explanation=(
            "Each worker is seeded, but Hogwild updates interleave as the scheduler decides: "
            "a different order gives different weights, then different actions."
        ),
        wrong={
            "a": "Worker i seeds its environment with seed + i, with one worker or many.",
            "c": "The entropy bonus is a deterministic function of the policy; it draws nothing.",
            "d": "Adam's moments start at zero, and one worker's runs are reproducible with it.",
        },
    ),
)

FIFO_BUFFER = (
    Question(
        id="q1",
        text="A ring buffer of capacity C = 8. Push number t = 19 (counting from 0) is written "
        "to which slot?",
        answer=3,
        explanation="slot(t) = t mod C = 19 mod 8 = 3: the ring has gone round twice.",
        hint="Pushes go to slots 0, 1, …, C − 1, then 0 again: slot(t) = t mod C.",
    ),
    Question(
        id="q2",
        text=(
            "A full FIFO buffer of capacity C = 10,000 transitions; the learner makes one update "
            "with a batch of B = 32 every 2 pushes. How many times is a transition replayed, "
            "on average, during its stay?"
        ),
        answer=16,
        explanation=(
            "u = 1/2 update per push: during its C pushes of stay there are C/2 updates of 32 "
            "uniform draws, each picking it with probability 1/C, so u · B = 16 times."
        ),
        hint="E[replays] = C · u · B · (1/C) = u · B, with u updates per push.",
    ),
    Question(
        id="q3",
        text="In the question above, how does the answer change if the capacity is doubled?",
        choices={
            "a": "it doubles: the transition stays twice as long",
            "b": "it does not change",
            "c": "it halves: each draw picks the transition half as often",
        },
        answer="b",
        explanation=(
            "The transition stays twice as long, but each draw picks it with half the "
            "probability: C cancels from C · u · B · (1/C)."
        ),
        wrong={
            "a": "It stays twice as long, but each draw now picks it with probability 1/(2C).",
            "c": "Each draw picks it half as often, but it stays for twice as many updates.",
        },
    ),
    Question(
        id="q4",
        text="Why does FIFOBuffer copy every item into preallocated numpy columns rather than "
        "keep the objects it is given in a list?",
        choices={
            "a": "a list keeps references: an environment that reuses its observation array "
            "would rewrite the stored past",
            "b": "a Python list cannot hold numpy arrays",
            "c": "sampling from a list cannot be uniform",
            "d": "columns make each push allocate a fresh array, which is faster",
        },
        answer="a",
        explanation=(
            "Copies cannot change after the push (and columns cost only the raw bytes and "
            "come out of sample as arrays, ready for the network)."
        ),
        wrong={
            "b": "A list holds any object; the article's buffer stores tuples of arrays.",
            "c": "Drawing indices uniformly and indexing the list is uniform too (the fixed "
            "article buffer does that).",
            "d": "Columns are allocated once, on the first push; a push only copies into a row.",
        },
    ),
)

PRIORITIZED_REPLAY = (
    Question(
        id="q1",
        text="Prioritized replay with α = 1 over four items with priorities 1, 1, 2 and 4. "
        "What is P(i) of the item with priority 4?",
        answer=0.5,
        tolerance=0.001,
        explanation="P(i) = p_i^α / Σ_k p_k^α = 4 / (1 + 1 + 2 + 4) = 0.5.",
        hint="P(i) = p_i^α / Σ_k p_k^α; with α = 1 that is the priority over their sum.",
    ),
    Question(
        id="q2",
        text="The same buffer with β = 1: what importance-sampling weight does the item with "
        "priority 4 get (normalised, as in the library, by the largest weight any stored "
        "item could get)?",
        answer=0.25,
        tolerance=0.001,
        explanation=(
            "w_i = (P(i) / min_k P(k))^(−β) = (0.5 / 0.125)^(−1) = 0.25: drawn four times as "
            "often as the least likely item, it counts a quarter as much."
        ),
        hint="w_i = (N P(i))^(−β) / max_k (N P(k))^(−β) = (P(i) / min_k P(k))^(−β).",
    ),
    Question(
        id="q3",
        text="What do the importance-sampling weights undo at β = 1?",
        choices={
            "a": "the bias of drawing items with probability P(i) instead of uniformly, fully",
            "b": "the difference between the policy that acted and the policy being learned",
            "c": "the staleness of priorities that were set long ago",
            "d": "nothing: at β = 1 every weight is 1",
        },
        answer="a",
        explanation=(
            "Each draw's loss is scaled by (N P(i))^(−1), up to the normalisation, so the "
            "expected gradient is the one of uniform sampling."
        ),
        wrong={
            "b": "That is the importance ratio π/μ of chapter 05 (V-trace), not PER's weight.",
            "c": "Nothing refreshes a priority but sampling the item again.",
            "d": "Every weight is 1 at β = 0 (or α = 0); β = 1 is the full correction.",
        },
    ),
    Question(
        id="q4",
        text="What does a sum-tree make cost O(log n) instead of O(n), with n stored items?",
        choices={
            "a": "finding the item under a prefix sum, and updating one priority",
            "b": "storing a new item, which is O(n) in a ring buffer",
            "c": "computing the importance-sampling weights of a batch",
            "d": "raising every priority to the power α",
        },
        answer="a",
        explanation=(
            "Both walk one path from the root to a leaf, touching one node per level; "
            "recomputing the running sum for every batch (the article's way) costs O(n)."
        ),
        wrong={
            "b": "A ring buffer stores in O(1); the tree then updates the new leaf's ancestors.",
            "c": "The weights come from the sampled items' P(i) and the minimum, not a search.",
            "d": "The tree stores p_i^α already, once per update: no pass over all items.",
        },
    ),
)

DEDUPLICATION = (
    Question(
        id="q1",
        text=(
            "A deterministic environment has 20 non-terminal states and 4 actions. What is the "
            "lower bound (eq. 1) on the duplicate rate after T = 1,000 steps?"
        ),
        answer=0.92,
        tolerance=0.001,
        explanation=(
            "At most 20 · 4 = 80 distinct transitions exist, so at least 920 of 1,000 offered "
            "are duplicates: rate ≥ 1 − 80/1000 = 0.92."
        ),
        hint="rate_T ≥ 1 − |S||A| / T: (s, a) fixes the whole transition.",
    ),
    Question(
        id="q2",
        text=(
            "The gridworld's optimal policy walks the same 8 transitions every episode, for many "
            "episodes. What duplicate rate does a DedupBuffer around a FIFO ring of 7 slots "
            "measure?"
        ),
        answer=0,
        explanation=(
            "Each transition is overwritten, and its key forgotten, just before it comes round "
            "again: every push is new to a ring that holds only the last 7."
        ),
        hint="The wrapper only knows the keys of the items the ring holds now.",
    ),
    Question(
        id="q3",
        text="A prioritized DedupBuffer holds an item with priority 0.4; a duplicate of it "
        "arrives with priority 0.9. What happens?",
        choices={
            "a": "the duplicate is stored too, as a second copy",
            "b": "it is refused, and the stored copy's priority becomes 0.9",
            "c": "it is refused, and the stored copy keeps priority 0.4",
            "d": "it replaces the stored copy, with the mean priority 0.65",
        },
        answer="b",
        explanation="The stored copy keeps the larger of the two priorities: the new TD error "
        "says the experience is more surprising than its copy's priority claimed.",
        wrong={
            "a": "A DedupBuffer stores each key once; that is its whole point.",
            "c": "The surprise the duplicate carries would be lost: priorities merge by max.",
            "d": "Nothing is replaced, and priorities merge by maximum, not mean.",
        },
    ),
    Question(
        id="q4",
        text="With DedupBuffer(buffer, decimals=2), two transitions differ only in one state "
        "value: 0.12499 in one, 0.12501 in the other. Are they duplicates?",
        choices={
            "a": "yes: they are less than 10⁻² apart",
            "b": "no: they round to 0.12 and 0.13, so their keys differ",
            "c": "yes: rounding never separates values closer than 10⁻ᵈ",
        },
        answer="b",
        explanation=(
            "Rounding puts values on a grid: two values 2 · 10⁻⁵ apart that straddle a "
            "boundary get different keys, while values almost 10⁻² apart in one cell share one."
        ),
        wrong={
            "a": "Keys compare grid cells, not distances: 0.125 is a boundary between them.",
            "c": "It does, at every boundary of the grid; 'near' means 'in the same cell'.",
        },
    ),
)
