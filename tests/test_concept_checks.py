"""The concept checks' rule, messages and widget (``a3cmem_lib.teaching.concept_checks``).

- a right answer is right, with the explanation; a wrong choice is wrong, with why that
  choice is wrong; a number is right within the question's tolerance, else gets the hint;
- an answer that cannot be checked raises an error naming the question and what it accepts;
- every chapter's questions are well formed (3 to 5, every wrong choice explained) and the
  Markdown a reader sees never contains an explanation;
- ``check_concept`` (the graded cells) passes, or raises ``ExerciseCheckError`` with the
  reason; the widget shows the same verdicts.
"""

from __future__ import annotations

import numpy as np
import pytest

from a3cmem_lib.exercises import ExerciseCheckError
from a3cmem_lib.teaching.concept_checks import (
    QUESTIONS,
    ConceptCheckError,
    ConceptQuiz,
    Question,
    check_answer,
    check_concept,
    questions_markdown,
)

CHOICE = Question(
    id="q1",
    text="What does β = 1 make the importance-sampling weights undo?",
    choices={"a": "the sampling bias, fully", "b": "the policy lag", "c": "nothing"},
    answer="a",
    explanation="w_i ∝ (N P(i))^(-1) cancels the probability of the draw.",
    wrong={"b": "that is the importance ratio's job", "c": "all weights are 1 at β = 0"},
)
NUMBER = Question(
    id="q2",
    text="Updates per segment with replay ratio 4 and batch 32?",
    answer=0.125,
    tolerance=0.001,
    explanation="4 / 32.",
    hint="sampled segments per received segment, over the batch size",
)


@pytest.mark.parametrize("given", ["a", "A", "(a)", " a "])
def test_a_right_choice_is_right_with_the_explanation(given: str) -> None:
    feedback = check_answer(CHOICE, given)
    assert feedback.correct and feedback.why == CHOICE.explanation
    assert str(feedback).startswith("✓ q1: right. w_i")


@pytest.mark.parametrize("given", ["b", "c"])
def test_a_wrong_choice_says_why_that_choice_is_wrong(given: str) -> None:
    feedback = check_answer(CHOICE, given)
    assert not feedback.correct and feedback.why == CHOICE.wrong[given]
    assert str(feedback) == f"✗ q1: {given!r} is not right. {CHOICE.wrong[given]}"


@pytest.mark.parametrize("given", [0.125, 0.1251, 0.124, "0.125", 1 / 8, np.float32(0.125)])
def test_a_number_within_the_tolerance_is_right(given: object) -> None:
    assert check_answer(NUMBER, given).correct


@pytest.mark.parametrize("given", [0.127, 0.12, 8, "0.25"])
def test_a_number_outside_the_tolerance_gets_the_hint(given: object) -> None:
    feedback = check_answer(NUMBER, given)
    assert not feedback.correct and feedback.why == NUMBER.hint


@pytest.mark.parametrize(
    "question, given, message",
    [
        (CHOICE, "d", r"q1: 'd' is not a choice; answer one of 'a', 'b', 'c'"),
        (CHOICE, 1, r"q1: 1 is not a choice; answer one of 'a', 'b', 'c'"),
        (NUMBER, "b", r"q2 needs a number, got 'b'"),
        (NUMBER, None, r"q2 needs a number, got NoneType None"),
        (NUMBER, True, r"q2 needs a number, got bool True"),
        (NUMBER, float("nan"), r"q2 needs a finite number"),
    ],
)
def test_an_answer_that_cannot_be_checked_names_the_question_and_what_it_accepts(
    question: Question, given: object, message: str
) -> None:
    with pytest.raises(ConceptCheckError, match=message):
        check_answer(question, given)


def test_a_badly_formed_question_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of its choices"):
        Question("q", "?", "z", "why", choices={"a": "x"})
    with pytest.raises(ValueError, match="every wrong choice"):
        Question("q", "?", "a", "why", choices={"a": "x", "b": "y"})
    with pytest.raises(ValueError, match="a number and a hint"):
        Question("q", "?", 1.0, "why")


@pytest.mark.parametrize("chapter", sorted(QUESTIONS))
def test_every_chapter_has_three_to_five_answerable_questions(chapter: str) -> None:
    questions = QUESTIONS[chapter]
    assert 3 <= len(questions) <= 5
    assert [question.id for question in questions] == [f"q{k + 1}" for k in range(len(questions))]
    for question in questions:
        assert check_answer(question, question.answer).correct
    shown = questions_markdown(questions)
    for question in questions:
        assert question.text in shown and question.explanation not in shown
        assert not any(why in shown for why in question.wrong.values())


def test_check_concept_passes_a_right_answer_and_explains_a_wrong_one(capsys) -> None:
    check_concept({"q1": 3}, "02", "q1")
    assert capsys.readouterr().out.startswith("✓ q1: right. slot(t) = t mod C")
    with pytest.raises(ExerciseCheckError, match=r"✗ q1: 4.0 is not right. Pushes go to slots"):
        check_concept({"q1": 4}, "02", "q1")
    with pytest.raises(ExerciseCheckError, match=r"q3 is not answered yet: .* one of 'a', 'b'"):
        check_concept({"q1": 3}, "02", "q3")
    with pytest.raises(ExerciseCheckError, match=r"q3: 'z' is not a choice"):
        check_concept({"q3": "z"}, "02", "q3")
    with pytest.raises(ExerciseCheckError, match="must be a dict"):
        check_concept(["b"], "02", "q3")
    with pytest.raises(KeyError, match="no question 'q9'"):
        check_concept({}, "02", "q9")


def test_the_widget_checks_an_answer_and_shows_why() -> None:
    quiz = ConceptQuiz((CHOICE, NUMBER))
    entry, button, feedback = quiz.rows["q1"]
    button.click()
    assert feedback.value == "Answer with one of 'a', 'b', 'c' first."
    entry.value = "b"
    button.click()
    assert "firebrick" in feedback.value and "the importance ratio&#x27;s job" in feedback.value
    entry.value = "a"
    assert quiz.check("q1").correct and "green" in feedback.value
    number, _, shown = quiz.rows["q2"]
    number.value = "eight"
    assert quiz.check("q2") is None and "q2 needs a number" in shown.value
    number.value = "0.125"
    assert quiz.check("q2").correct
