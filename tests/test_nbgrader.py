"""The chapters as nbgrader assignments, graded through nbgrader itself.

For every chapter, ``tools/nbgrader_course.py`` builds a course directory and releases the
chapter (``nbgrader generate_assignment``); then ``nbgrader autograde`` grades three kinds of
submission:

- ``solution``: the instructor's version (solutions and hidden tests) gets full points;
- ``stub``: the released student version, untouched, gets 0;
- ``mistake-<exercise>``: the released version with one typical mistake written into one
  exercise (the others solved) loses exactly that exercise's check points;
- ``mistake-concept_answers``: everything solved but every other concept check (q1, q3, ...)
  answered wrong: each wrong answer loses exactly its own question's points, and the right
  ones keep theirs (partial credit).

To keep the time reasonable the assignments are the chapters' exercise cells only
(``--exercises-only``: the title and the self-contained exercise and check cells), so
autograding runs the checks, not a chapter's training runs: about two minutes for
all chapters on an idle 2-core machine (22 kernels: one per submission). ``nbgrader
generate_feedback`` is run on one chapter.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "nbgrader", reason="nbgrader is not installed: pip install -r requirements-teach.txt"
)

from nbgrader.api import Gradebook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbgrader_course import build_course, nbgrader  # noqa: E402
from nbgrader_metadata import ANSWERS, CHAPTERS, exercise_metadata  # noqa: E402

from a3cmem_lib.teaching.concept_checks import Question, chapter_questions  # noqa: E402

# One typical mistake per exercise (keyed by the solution cell's grade_id): the whole cell as a
# student who made that mistake would write it.
MISTAKES = {
    "my_n_step_returns": """
import numpy as np


def my_n_step_returns(rewards, next_values, terminated, truncated, gamma):
    # the time-limit bug: a truncated step is treated as terminated (no bootstrap)
    returns = np.zeros(len(rewards))
    future = next_values[-1]
    for t in reversed(range(len(rewards))):
        done = terminated[t] or truncated[t]
        if done:
            future = 0.0
        future = rewards[t] + gamma * future
        returns[t] = future
    return returns
""",
    "my_gae": """
import numpy as np


def my_gae(rewards, values, next_values, terminated, truncated, gamma, gae_lambda):
    # the running advantage is not reset at episode ends
    advantages = np.zeros(len(rewards))
    running = 0.0
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * (1.0 - terminated[t]) * next_values[t] - values[t]
        running = delta + gamma * gae_lambda * running
        advantages[t] = running
    return advantages
""",
    "MyFIFO": """
class MyFIFO:
    # once full, new items are dropped instead of overwriting the oldest
    def __init__(self, capacity):
        self.capacity, self.items = capacity, []

    def push(self, item):
        if len(self.items) < self.capacity:
            self.items.append(item)
        return (len(self.items) - 1) % self.capacity

    def sample(self, batch_size, rng):
        return [self.items[i] for i in rng.integers(0, len(self.items), size=batch_size)]

    def __len__(self):
        return len(self.items)
""",
    "importance_weights": """
def importance_weights(probabilities, indices, beta):
    # normalised by the batch's largest weight, not by the largest any stored item could get
    weights = (len(probabilities) * probabilities[indices]) ** (-beta)
    return weights / weights.max()
""",
    "stratified_targets": """
def stratified_targets(total, batch_size, rng):
    # independent uniform targets over [0, total): not stratified
    return rng.random(batch_size) * total
""",
    "MyMaxPriority": """
class MyMaxPriority:
    # the maximum of the last update only, not the running maximum
    def __init__(self):
        self.maximum = 1.0

    def new_item(self):
        return self.maximum

    def update(self, priorities):
        self.maximum = float(max(priorities))
""",
    "MyDedupRing": """
class MyDedupRing:
    # the key of an overwritten item is never forgotten
    def __init__(self, capacity):
        self.capacity, self.keys, self.next_slot, self.size = capacity, set(), 0, 0

    def push(self, key):
        if key in self.keys:
            return None
        self.keys.add(key)
        slot = self.next_slot
        self.next_slot = (slot + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        return slot

    def __len__(self):
        return self.size
""",
    "rounded_key": """
import numpy as np


def rounded_key(item, decimals):
    # next_state is not rounded
    def rounded(value):
        return (np.round(np.asarray(value, dtype=np.float64), decimals) + 0.0).tobytes()

    return (
        rounded(item.state),
        int(item.action),
        rounded(item.reward),
        np.asarray(item.next_state).tobytes(),
        bool(item.done),
    )
""",
    "my_vtrace_one_step": """
import numpy as np


def my_vtrace_one_step(log_rhos, rewards, values, next_values, terminated, gamma, rho_bar):
    # bootstraps from V(s') even when the step terminated
    rhos = np.minimum(rho_bar, np.exp(log_rhos))
    advantages = rhos * (rewards + gamma * next_values - values)
    return values + advantages, advantages
""",
    "my_retrace": """
import numpy as np


def my_retrace(rewards, q_taken, next_values, rhos, terminated, truncated, gamma):
    # the ratios are used as traces without truncating them at 1
    targets = np.zeros(len(rewards))
    for t in reversed(range(len(rewards))):
        if terminated[t]:
            ahead = 0.0
        elif truncated[t] or t == len(rewards) - 1:
            ahead = next_values[t]
        else:
            ahead = next_values[t] + rhos[t + 1] * (targets[t + 1] - q_taken[t + 1])
        targets[t] = rewards[t] + gamma * ahead
    return targets
""",
    "steps_to_threshold": """
import numpy as np
import pandas as pd

from a3cmem_lib.experiments.measures import WINDOW


def steps_to_threshold(env_steps, returns, threshold):
    # counts the first episodes, whose mean covers fewer than WINDOW returns
    means = pd.Series(returns).rolling(WINDOW, min_periods=1).mean()
    solved = np.flatnonzero(means >= threshold)
    return float(env_steps[solved[0]]) if len(solved) else float("nan")
""",
    "fraction_of_rates_that_solve": """
def fraction_of_rates_that_solve(runs):
    # the fraction of runs that solved, pooled over rates: not the fraction of rates that solve
    return runs["steps_to_threshold"].notna().groupby(runs["variant"]).mean().to_dict()
""",
    "study_wall_time": """
import math


def study_wall_time(runs, run_seconds, cluster_cpus, num_workers):
    # a run reserves num_workers CPUs: the +1 for the process that runs train is forgotten
    parallel = cluster_cpus // num_workers
    if parallel == 0:
        raise ValueError(f"cluster_cpus={cluster_cpus} has no room for one run")
    return math.ceil(runs / parallel) * run_seconds
""",
}


def exercises(chapter: Path) -> list[tuple[str, list[str]]]:
    """(solution grade_id, its check grade_ids) of every exercise in ``chapter``; the concept
    checks are one exercise (``concept_answers``) with one check per question."""
    found: list[tuple[str, list[str]]] = []
    for meta in exercise_metadata(json.loads(chapter.read_text())):
        if meta and meta["solution"]:
            found.append((meta["grade_id"], []))
        elif meta:
            found[-1][1].append(meta["grade_id"])
    return found


def wrong_answer(question: Question) -> str | float:
    """A wrong answer to ``question``: its first wrong choice, or a number well off."""
    if question.numeric:
        return float(question.answer) + 10 * question.tolerance + 1
    return next(iter(question.wrong))


def concept_mistakes(chapter: str) -> tuple[str, set[str]]:
    """The concept-answers cell with every other question (q1, q3, ...) answered wrong, and
    the grade_ids of the checks that must then fail."""
    questions = chapter_questions(chapter)
    wrong = {question.id for question in questions[::2]}
    answers = {
        question.id: wrong_answer(question) if question.id in wrong else question.answer
        for question in questions
    }
    return f"{ANSWERS} = {answers!r}\n", {f"concept_{question_id}" for question_id in wrong}


def submit(course: Path, student: str, assignment: str, notebook: dict) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.ipynb").write_text(json.dumps(notebook, indent=1))


def solved_except(source: dict, release: dict, grade_id: str, chapter: str) -> dict:
    """``release`` with the instructor's solution in every solution cell but ``grade_id``'s,
    which gets that exercise's typical mistake (the concept answers of ``chapter``: every
    other one wrong)."""
    solutions = {
        cell["metadata"]["nbgrader"]["grade_id"]: cell["source"]
        for cell in source["cells"]
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }
    copy = json.loads(json.dumps(release))
    for cell in copy["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cell_id = meta["grade_id"]
            if cell_id != grade_id:
                cell["source"] = solutions[cell_id]
            elif cell_id == ANSWERS:
                cell["source"] = concept_mistakes(chapter)[0]
            else:
                cell["source"] = MISTAKES[cell_id].lstrip()
    return copy


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course with every chapter released, submitted three ways and autograded."""
    course = tmp_path_factory.mktemp("course")
    assignments = build_course(course, CHAPTERS, trim=True)
    for assignment in assignments:
        source = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text())
        release = json.loads((course / "release" / assignment / f"{assignment}.ipynb").read_text())
        submit(course, "solution", assignment, source)
        submit(course, "stub", assignment, release)
        for solution_id, _ in exercises(ROOT / "notebooks" / f"{assignment}.ipynb"):
            student = f"mistake-{solution_id}"
            submit(
                course,
                student,
                assignment,
                solved_except(source, release, solution_id, assignment[:2]),
            )
        nbgrader(course, "autograde", assignment, "--create", "--log-level=WARN")
    return course


def scores(course: Path, assignment: str, student: str) -> dict[str, float]:
    """grade_id -> (score, max_score) of one autograded submission."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}


def test_every_exercise_has_a_typical_mistake() -> None:
    solution_ids = {solution for chapter in CHAPTERS for solution, _ in exercises(chapter)}
    assert solution_ids - {ANSWERS} <= MISTAKES.keys(), (
        f"no mistake written for {solution_ids - MISTAKES.keys()}"
    )


def test_release_hides_solutions_and_hidden_tests(course: Path) -> None:
    for chapter in CHAPTERS:
        release = (course / "release" / chapter.stem / chapter.name).read_text()
        assert "### BEGIN SOLUTION" not in release and "BEGIN HIDDEN TESTS" not in release
        assert "raise NotImplementedError()" in release


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem[:2])
def test_solution_gets_full_points_and_stub_none(course: Path, chapter: Path) -> None:
    solution = scores(course, chapter.stem, "solution")
    checks = {check for _, checks in exercises(chapter) for check in checks}
    assert solution.keys() == checks
    assert all(score == maximum > 0 for score, maximum in solution.values()), solution
    stub = scores(course, chapter.stem, "stub")
    assert all(score == 0 for score, _ in stub.values()), stub


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem[:2])
def test_a_mistake_loses_exactly_its_checks_points(course: Path, chapter: Path) -> None:
    for solution_id, check_ids in exercises(chapter):
        graded = scores(course, chapter.stem, f"mistake-{solution_id}")
        failing = (
            concept_mistakes(chapter.stem[:2])[1] if solution_id == ANSWERS else set(check_ids)
        )
        for grade_id, (score, maximum) in graded.items():
            expected = 0 if grade_id in failing else maximum
            assert score == expected, f"{solution_id}'s mistake: {grade_id} scored {score}"


def test_every_chapter_has_three_to_five_graded_concept_checks() -> None:
    for chapter in CHAPTERS:
        concept = dict(exercises(chapter)).get(ANSWERS, [])
        questions = chapter_questions(chapter.stem[:2])
        assert concept == [f"concept_{question.id}" for question in questions], chapter.name
        assert 3 <= len(questions) <= 5, chapter.name


def test_feedback_is_generated(course: Path) -> None:
    assignment = CHAPTERS[1].stem
    nbgrader(course, "generate_feedback", assignment, "--log-level=WARN")
    for student in ("solution", "stub"):
        html = (course / "feedback" / student / assignment / f"{assignment}.html").read_text()
        assert "check_" in html
    shutil.rmtree(course / "feedback")
