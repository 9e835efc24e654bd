"""Every chapter's concept checks, and the two calls a chapter makes: show them, grade one.

Explained in ``notebooks/CHAPTER_GUIDE.md`` ("Concept checks"). A chapter's section
"Concept checks" calls :func:`concept_quiz` (the questions, and a widget to check answers
while reading); its graded copy has one locked test cell per question calling
:func:`check_concept` on the reader's ``concept_answers``.
"""

from __future__ import annotations

from collections.abc import Mapping

from IPython.display import Markdown, display

from ..exercises.runner import ExerciseCheckError
from .core import ConceptCheckError, ConceptQuiz, Question, check_answer
from .questions_01_04 import A3C_BASICS, DEDUPLICATION, FIFO_BUFFER, PRIORITIZED_REPLAY
from .questions_05_08 import ASYNC_TRAINING, SCALING_OUT, STABILITY_STUDY, WHEN_MEMORY_HELPS
from .questions_09 import ACER

QUESTIONS: dict[str, tuple[Question, ...]] = {
    "01": A3C_BASICS,
    "02": FIFO_BUFFER,
    "03": PRIORITIZED_REPLAY,
    "04": DEDUPLICATION,
    "05": ASYNC_TRAINING,
    "06": STABILITY_STUDY,
    "07": WHEN_MEMORY_HELPS,
    "08": SCALING_OUT,
    "09": ACER,
}


def chapter_questions(chapter: str) -> tuple[Question, ...]:
    """The concept checks of ``chapter`` ("01" to "09"), in order."""
    if chapter not in QUESTIONS:
        raise KeyError(f"no concept checks for chapter {chapter!r}; chapters: {sorted(QUESTIONS)}")
    return QUESTIONS[chapter]


def questions_markdown(questions: tuple[Question, ...]) -> str:
    """Every question with its choices, as one Markdown text without the answers."""
    return "\n\n".join(question.markdown() for question in questions)


def concept_quiz(chapter: str) -> ConceptQuiz:
    """Show the concept checks of ``chapter`` and return the widget that checks answers.

    The questions are displayed as Markdown, readable wherever the notebook is shown (GitHub
    and the book's website included); the returned widget, the last expression of a cell,
    checks answers in JupyterLab, Binder or Colab.
    """
    questions = chapter_questions(chapter)
    display(Markdown(questions_markdown(questions)))
    return ConceptQuiz(questions)


def check_concept(answers: Mapping[str, object], chapter: str, question_id: str) -> None:
    """Grade question ``question_id`` of ``chapter`` from ``answers`` (question id -> answer).

    Prints the feedback of a right answer (why it is right).

    Raises:
        ExerciseCheckError: the answer is missing, cannot be checked, or is wrong; the message
            says why (nbgrader then gives this question's cell no points).
    """
    by_id = {question.id: question for question in chapter_questions(chapter)}
    if question_id not in by_id:
        raise KeyError(f"chapter {chapter} has no question {question_id!r}: {sorted(by_id)}")
    question = by_id[question_id]
    if not isinstance(answers, Mapping):
        raise ExerciseCheckError(
            f"✗ concept_answers must be a dict such as {{'q1': 'b'}}, got {type(answers).__name__}"
        )
    if question_id not in answers:
        raise ExerciseCheckError(
            f"✗ {question_id} is not answered yet: set concept_answers[{question_id!r}] to "
            f"{question.accepts()}."
        )
    try:
        feedback = check_answer(question, answers[question_id])
    except ConceptCheckError as error:
        raise ExerciseCheckError(f"✗ {error}") from None
    if not feedback.correct:
        raise ExerciseCheckError(str(feedback))
    print(feedback)
