"""Write nbgrader's cell metadata into the chapters, so nbgrader can release and grade them.

    python tools/nbgrader_metadata.py           # write the metadata (idempotent)
    python tools/nbgrader_metadata.py --check   # exit 1 if a chapter lacks what it would write

Every exercise is two code cells (notebooks/CHAPTER_GUIDE.md): a **solution cell** with the
``### BEGIN SOLUTION`` markers, then a **check cell** calling a ``check_*`` function. The
solution cell becomes an nbgrader solution cell (``grade_id`` = the name it defines); the check
cell becomes an autograded, locked test cell (``grade_id`` = the check it calls) worth
``POINTS`` points.

The concept checks (notebooks/CHAPTER_GUIDE.md, "Concept checks") are one solution cell that
assigns ``concept_answers`` (``grade_id`` = ``concept_answers``), then one test cell per
question, each calling ``check_concept(concept_answers, "NN", "qK")`` (``grade_id`` =
``concept_qK``, ``POINTS`` points): every question is graded on its own.

Every other cell carries no nbgrader metadata, so it is neither graded nor locked, and
nbgrader leaves it as it is. The metadata is nbgrader's schema version 3 (what
nbgrader's "Create Assignment" toolbar writes).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
POINTS = 1
DEFINED = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
CHECK = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)
ANSWERS = "concept_answers"
ASSIGNS_ANSWERS = re.compile(rf"^{ANSWERS}\s*=", re.MULTILINE)
CONCEPT = re.compile(r"^\s*check_concept\(\s*\w+\s*,\s*\"\d\d\"\s*,\s*\"(\w+)\"\s*\)", re.MULTILINE)


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _checks(cells: list[dict], following: list[int], solution: str) -> list[tuple[int, str]]:
    """(cell index, grade_id) of the test cells of the exercise ``solution``: the next code
    cell (its ``check_*`` function), or for the concept checks every ``check_concept`` cell
    that follows (``concept_`` + the question id)."""
    if solution != ANSWERS:
        called = CHECK.findall(_source(cells[following[0]]))
        if not called:
            raise ValueError(f"the cell after exercise {solution} calls no check_* function")
        return [(following[0], called[0])]
    checks = []
    for index in following:
        question = CONCEPT.search(_source(cells[index]))
        if question is None:
            break
        checks.append((index, f"concept_{question.group(1)}"))
    if not checks:
        raise ValueError(f"the cell after {ANSWERS} calls no check_concept(...)")
    return checks


def exercise_metadata(notebook: dict) -> list[dict | None]:
    """The ``nbgrader`` metadata every cell of ``notebook`` should carry (None: none)."""
    cells = notebook["cells"]
    code = [index for index, cell in enumerate(cells) if cell["cell_type"] == "code"]
    wanted: list[dict | None] = [None] * len(cells)
    for position, index in enumerate(code):
        text = _source(cells[index])
        if "### BEGIN SOLUTION" not in text:
            continue
        defined = [ANSWERS] if ASSIGNS_ANSWERS.search(text) else DEFINED.findall(text)
        if not defined or position + 1 >= len(code):
            raise ValueError(
                f"an exercise cell must define a name and be followed by a check:\n{text}"
            )
        wanted[index] = {
            "grade": False,
            "grade_id": defined[0],
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        for check_index, grade_id in _checks(cells, code[position + 1 :], defined[0]):
            wanted[check_index] = {
                "grade": True,
                "grade_id": grade_id,
                "locked": True,
                "points": POINTS,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
    return wanted


def with_metadata(notebook: dict) -> dict:
    """A copy of ``notebook`` whose cells carry exactly :func:`exercise_metadata`."""
    copy = json.loads(json.dumps(notebook))
    for cell, wanted in zip(copy["cells"], exercise_metadata(copy), strict=True):
        cell["metadata"].pop("nbgrader", None)
        if wanted is not None:
            cell["metadata"]["nbgrader"] = wanted
    return copy


def dump(notebook: dict) -> str:
    """nbformat's own layout (what ``jupyter nbconvert --inplace`` writes)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path in CHAPTERS:
        text = path.read_text()
        wanted = dump(with_metadata(json.loads(text)))
        if wanted != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(wanted)
                print(f"wrote nbgrader metadata into {path.name}")
    if args.check and stale:
        print(f"missing or stale nbgrader metadata: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
