"""Write the student versions of the notebooks: every exercise solution is replaced.

    python tools/make_student_notebooks.py [--out course/student]

In a code cell, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the
nbgrader markers) become ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the
same indentation; lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
are removed. Outputs are cleared, so students start from a blank notebook.

This is the plain copy for readers without nbgrader; a classroom uses nbgrader's release
(``make student``, tools/nbgrader_course.py). The default folder is outside ``notebooks/``,
so ``make test`` never collects the copies.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^\s*### END HIDDEN TESTS\s*$")


def strip_solutions(source: str) -> str:
    """The student version of one cell's source."""
    out: list[str] = []
    skipping = None  # "solution" or "hidden" while inside a marked region
    for line in source.splitlines():
        begin = BEGIN.match(line)
        if skipping is None and begin:
            indent = begin.group(1)
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
            skipping = "solution"
        elif skipping is None and BEGIN_HIDDEN.match(line):
            skipping = "hidden"
        elif skipping == "solution" and END.match(line):
            skipping = None
        elif skipping == "hidden" and END_HIDDEN.match(line):
            skipping = None
        elif skipping is None:
            out.append(line)
    if skipping is not None:
        raise ValueError(f"unclosed ### BEGIN {skipping.upper()} region in cell:\n{source}")
    return "\n".join(out)


def student_notebook(notebook: dict) -> dict:
    """A copy of ``notebook`` (nbformat JSON) with solutions replaced and outputs cleared."""
    copy = json.loads(json.dumps(notebook))
    for cell in copy["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["source"] = strip_solutions("".join(cell["source"]))
        cell["outputs"] = []
        cell["execution_count"] = None
    return copy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "course" / "student")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text())
        (args.out / path.name).write_text(json.dumps(student_notebook(notebook), indent=1) + "\n")
        print(f"wrote {args.out / path.name}")


if __name__ == "__main__":
    main()
