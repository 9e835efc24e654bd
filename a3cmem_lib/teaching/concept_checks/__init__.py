"""Concept checks: short questions at the end of every chapter that test understanding.

Explained in ``notebooks/CHAPTER_GUIDE.md`` ("Concept checks"). Usage in a notebook:
``from a3cmem_lib.teaching.concept_checks import concept_quiz; concept_quiz("03")`` shows
the chapter's questions with a widget to check them; ``check_concept(concept_answers, "03",
"q1")`` grades one answer (nbgrader's test cells); ``check_answer(question, "b")`` is the rule
behind both.
"""

from .chapters import QUESTIONS, chapter_questions, check_concept, concept_quiz, questions_markdown
from .core import ConceptCheckError, ConceptQuiz, Feedback, Question, check_answer

__all__ = [
    "QUESTIONS",
    "ConceptCheckError",
    "ConceptQuiz",
    "Feedback",
    "Question",
    "chapter_questions",
    "check_answer",
    "check_concept",
    "concept_quiz",
    "questions_markdown",
]
