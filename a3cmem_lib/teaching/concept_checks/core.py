"""The machinery of the concept checks: a question, the verdict on an answer, the widget.

Explained in ``notebooks/CHAPTER_GUIDE.md`` ("Concept checks"). A question is multiple
choice (answered with a choice's letter) or numeric (a number, right within an absolute
tolerance). Every verdict comes with its reason: why the right answer is right, why each
wrong choice is wrong, and for a wrong number a hint at what to compute. Only widgets and
traits that ipywidgets 7.7 (Colab's) and 8 share are used.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real

import ipywidgets as widgets

Answer = str | float


class ConceptCheckError(ValueError):
    """An answer that cannot be checked: missing, not one of the choices, or not a number.
    The message names the question and what it accepts."""


@dataclass(frozen=True)
class Question:
    """One concept check.

    Attributes:
        id: the key of the answer in ``concept_answers`` (``"q1"``, ``"q2"``, ...).
        text: the question, in Markdown (``$...$`` maths allowed).
        answer: the right choice's letter, or the right number.
        explanation: why the right answer is right (shown with a right answer).
        choices: letter -> choice text (Markdown); empty for a numeric question.
        wrong: letter -> why that choice is wrong, for every wrong choice.
        hint: for a numeric question, what to compute (shown with a wrong number).
        tolerance: for a numeric question, the largest accepted ``|given - answer|``.
    """

    id: str
    text: str
    answer: Answer
    explanation: str
    choices: Mapping[str, str] = field(default_factory=dict)
    wrong: Mapping[str, str] = field(default_factory=dict)
    hint: str = ""
    tolerance: float = 0.0

    def __post_init__(self) -> None:
        if self.choices:
            if self.answer not in self.choices:
                raise ValueError(f"{self.id}: answer {self.answer!r} is not one of its choices")
            if set(self.wrong) != set(self.choices) - {self.answer}:
                raise ValueError(f"{self.id}: every wrong choice, and only those, needs a why")
        elif not isinstance(self.answer, Real) or not self.hint:
            raise ValueError(f"{self.id}: a numeric question needs a number and a hint")

    @property
    def numeric(self) -> bool:
        """Whether the answer is a number rather than a choice."""
        return not self.choices

    def accepts(self) -> str:
        """What an answer to this question may be, in words (for error messages)."""
        if self.numeric:
            return "a number"
        return "one of " + ", ".join(repr(letter) for letter in self.choices)

    def markdown(self) -> str:
        """The question and its choices as Markdown, without the answer."""
        text = f"**{self.id}.** {self.text}"
        if self.numeric:
            return f"{text} *(Answer with a number.)*"
        return (
            text + "\n\n" + "\n".join(f"- ({key}) {choice}" for key, choice in self.choices.items())
        )


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct`` and ``why`` (the explanation that applies)."""

    question: Question
    given: Answer
    correct: bool
    why: str

    def __str__(self) -> str:
        if self.correct:
            return f"✓ {self.question.id}: right. {self.why}"
        return f"✗ {self.question.id}: {self.given!r} is not right. {self.why}"


def _as_number(question: Question, given: object) -> float:
    if isinstance(given, bool) or not isinstance(given, Real | str):
        raise ConceptCheckError(
            f"{question.id} needs {question.accepts()}, got {type(given).__name__} {given!r}"
        )
    try:
        value = float(given)
    except ValueError:
        raise ConceptCheckError(
            f"{question.id} needs {question.accepts()}, got {given!r}"
        ) from None
    if not math.isfinite(value):
        raise ConceptCheckError(f"{question.id} needs a finite number, got {given!r}")
    return value


def _as_letter(question: Question, given: object) -> str:
    letter = given.strip().strip("()").lower() if isinstance(given, str) else given
    if letter not in question.choices:
        raise ConceptCheckError(
            f"{question.id}: {given!r} is not a choice; answer {question.accepts()}"
        )
    return str(letter)


def check_answer(question: Question, given: object) -> Feedback:
    """Whether ``given`` answers ``question``, and why.

    A choice may be given as ``"b"``, ``"B"`` or ``"(b)"``; a number as an int, a float or a
    string such as ``"0.25"``, and it is right within ``question.tolerance``.

    Raises:
        ConceptCheckError: ``given`` is not a choice of the question, or not a number; the
            message names the question and what it accepts.
    """
    if question.numeric:
        value = _as_number(question, given)
        # the boundary is included, also when float rounding puts it a hair outside
        correct = abs(value - float(question.answer)) <= question.tolerance * (1 + 1e-9) + 1e-12
        return Feedback(
            question, value, correct, question.explanation if correct else question.hint
        )
    letter = _as_letter(question, given)
    correct = letter == question.answer
    why = question.explanation if correct else question.wrong[letter]
    return Feedback(question, letter, correct, why)


class ConceptQuiz(widgets.VBox):
    """One row per question: its id, radio buttons (or a number box), a "Check" button and
    the feedback. ``rows`` maps a question id to ``(input widget, button, feedback HTML)``."""

    def __init__(self, questions: tuple[Question, ...]) -> None:
        self.questions = {question.id: question for question in questions}
        self.rows: dict[str, tuple[widgets.Widget, widgets.Button, widgets.HTMLMath]] = {}
        for question in questions:
            if question.numeric:
                entry: widgets.Widget = widgets.Text(placeholder="a number")
            else:
                entry = widgets.RadioButtons(
                    options=list(question.choices), value=None, layout=widgets.Layout(width="auto")
                )
            button = widgets.Button(description="Check", layout=widgets.Layout(width="6em"))
            button.on_click(lambda _, qid=question.id: self.check(qid))
            self.rows[question.id] = (entry, button, widgets.HTMLMath())
        super().__init__(
            [
                widgets.VBox(
                    [
                        widgets.HBox([widgets.HTML(f"<b>{qid}</b>"), entry, button]),
                        feedback,
                    ]
                )
                for qid, (entry, button, feedback) in self.rows.items()
            ]
        )

    def check(self, question_id: str) -> Feedback | None:
        """Check the answer entered for ``question_id`` and show the feedback under it."""
        entry, _, feedback = self.rows[question_id]
        question = self.questions[question_id]
        if entry.value in (None, ""):
            feedback.value = f"Answer with {question.accepts()} first."
            return None
        try:
            result = check_answer(question, entry.value)
        except ConceptCheckError as error:
            feedback.value = html.escape(str(error))
            return None
        colour = "green" if result.correct else "firebrick"
        feedback.value = f'<span style="color: {colour}">{html.escape(str(result))}</span>'
        return result
