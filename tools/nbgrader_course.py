"""Build an nbgrader course directory from the chapters and release every chapter.

    python tools/nbgrader_course.py                  # course/ (what `make student` runs)
    python tools/nbgrader_course.py --out DIR [--exercises-only] [CHAPTER ...]

Writes a standard nbgrader course directory (https://nbgrader.readthedocs.io):

    DIR/nbgrader_config.py            the course's configuration (course id, code stub)
    DIR/source/NN_name/NN_name.ipynb  the instructor version: a copy of the chapter
    DIR/release/NN_name/NN_name.ipynb the student version (``nbgrader generate_assignment``):
                                      solutions replaced by ``raise NotImplementedError()``,
                                      hidden tests removed, outputs cleared, check cells locked
    DIR/gradebook.db                  nbgrader's database (assignments, later grades)

Each chapter is one assignment named after it. A CHAPTER argument is a prefix ("01", "02_fifo").
``--exercises-only`` keeps only the title cell and the exercise cells (a chapter's exercises
are self-contained, notebooks/CHAPTER_GUIDE.md): a short assignment that autogrades in
seconds, which the tests use; a teacher normally releases the whole chapter.

Needs nbgrader (``pip install -r requirements-teach.txt``); the website's "For teachers"
page (``book/teachers.md``) shows the collect / autograde / feedback steps that follow.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbgrader_metadata import CHAPTERS, dump, with_metadata  # noqa: E402

CONFIG = '''"""nbgrader configuration of the a3cmem course (written by tools/nbgrader_course.py)."""

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "a3cmem"
c.CourseDirectory.root = {root!r}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 300  # seconds per cell: chapters 01 and 05 train for about a minute
'''


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in ``course`` (the nbgrader of this Python)."""
    # nbgrader runs the `alembic` script of its own environment, found on PATH
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        check=True,
        env={**os.environ, "PATH": path},
    )


def exercises_only(notebook: dict) -> dict:
    """The title cell and the cells that carry nbgrader metadata (solutions and checks)."""
    copy = json.loads(json.dumps(notebook))
    copy["cells"] = [copy["cells"][0]] + [
        cell for cell in copy["cells"][1:] if "nbgrader" in cell["metadata"]
    ]
    return copy


def write_source(course: Path, chapter: Path, trim: bool) -> str:
    """Copy ``chapter`` into ``course/source`` as an assignment; return its name."""
    notebook = with_metadata(json.loads(chapter.read_text()))
    if trim:
        notebook = exercises_only(notebook)
    folder = course / "source" / chapter.stem
    folder.mkdir(parents=True, exist_ok=True)
    (folder / chapter.name).write_text(dump(notebook))
    return chapter.stem


def build_course(out: Path, chapters: list[Path], trim: bool = False) -> list[str]:
    """Write the course directory ``out`` and release ``chapters``; return the assignments."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(root=str(out)))
    assignments = [write_source(out, chapter, trim) for chapter in chapters]
    for assignment in assignments:
        nbgrader(out, "generate_assignment", assignment, "--force", "--log-level=WARN")
    return assignments


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "course")
    parser.add_argument("--exercises-only", action="store_true")
    parser.add_argument("chapters", nargs="*", help="chapter prefixes (default: all)")
    args = parser.parse_args(argv)
    chapters = [
        path
        for path in CHAPTERS
        if not args.chapters or any(path.stem.startswith(prefix) for prefix in args.chapters)
    ]
    if not chapters:
        parser.error(f"no chapter starts with {args.chapters}")
    for assignment in build_course(args.out, chapters, args.exercises_only):
        print(f"released {args.out / 'release' / assignment / assignment}.ipynb")


if __name__ == "__main__":
    main()
